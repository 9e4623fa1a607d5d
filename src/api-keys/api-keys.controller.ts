import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { ApiKeyList, ApiKeyView, CreateApiKeyInput, CreatedApiKeyView } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('accounts')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Authenticated()
  @ApiOperation({
    summary: 'Create an API key for a provincial system or lab',
    description:
      'An admin of the organization or bureau, signed in. The key (prefix yrdk_) is shown once and stored as a hash; ' +
      '`Authorization: Bearer <key>` then acts as that organization or bureau, GET only when readOnly.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyView, description: 'the key, shown only here' })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateApiKeyInput): Promise<CreatedApiKeyView> {
    const { apiKey, key } = await this.keys.create(actor, body.name, body.readOnly ?? false);
    return { id: apiKey.id, name: apiKey.name, key, readOnly: apiKey.readOnly };
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The API keys of the caller’s organization or bureau', description: 'An admin; keys are never shown again.' })
  @ApiOkResponse({ type: ApiKeyList })
  async list(@CurrentActor() actor: Actor): Promise<ApiKeyList> {
    const items = await this.keys.list(actor);
    return { items: items.map(ApiKeyView.of), total: items.length };
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({ summary: 'Revoke an API key', description: 'At once, on every node: the next request with it is 401.' })
  @ApiNoContentResponse({ description: 'revoked' })
  async revoke(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<void> {
    await this.keys.revoke(actor, id);
  }
}
