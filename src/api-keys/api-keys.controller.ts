import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor, PersonalAccount } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { PageQuery } from '../common/http/paging';
import { SealsReplay } from '../common/idempotency/idempotency.interceptor';
import { ApiKeyList, ApiKeyView, CreateApiKeyInput, CreatedApiKeyView } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';
import { ApiBodyExample, Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('accounts')
@PersonalAccount()
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Explained({
    summary: 'Create an API key for a provincial system or lab',
    who: 'An admin of an organization or bureau. The key acts with its group’s role and scope, never with admin rights.',
    changes: 'Stores a new key as a hash for the caller’s organization or bureau; audited.',
    money: NO_MONEY,
    details:
      'The key (prefix `yrdk_`) is shown once, only in this answer. `Authorization: Bearer <key>` then acts as that organization or bureau, GET only when `readOnly`, and is refused (401) while the admin who made it is disabled. A retry with the same Idempotency-Key answers the same key: the answer is kept sealed (AES-256-GCM under MFA_ENCRYPTION_KEY) for the replay only, to the credential that sent the request (a session of the same person); another credential is 409 IDEMPOTENCY_CONFLICT.',
  })
  @ApiBodyExample(CreateApiKeyInput, { name: '浙江科技大脑', readOnly: true })
  @Authenticated()
  @SealsReplay()
  @ApiCreatedResponse({ type: CreatedApiKeyView, description: 'the key, shown only here' })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateApiKeyInput): Promise<CreatedApiKeyView> {
    const { apiKey, key } = await this.keys.create(actor, body.name, body.readOnly ?? false);
    return { id: apiKey.id, name: apiKey.name, key, readOnly: apiKey.readOnly };
  }

  @Get()
  @Explained({
    summary: 'The API keys of the caller’s organization or bureau',
    who: 'An admin of the organization or bureau.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Names, prefixes and readOnly; the keys themselves are never shown again.',
  })
  @Authenticated()
  @ApiOkResponse({ type: ApiKeyList })
  async list(@CurrentActor() actor: Actor, @Query() q: PageQuery): Promise<ApiKeyList> {
    const page = await this.keys.list(actor, q);
    return { items: page.items.map(ApiKeyView.of), total: page.total };
  }

  @Delete(':id')
  @Explained({
    summary: 'Revoke an API key',
    who: 'An admin of the organization or bureau that owns the key; another group’s key is 404.',
    changes:
      'Revokes the key at once, on every node: the next request with it is 401, and the webhooks it made end (`webhook.deleted`, cause `api_key.revoked`); a bureau key’s first approvals still waiting for a second are withdrawn (`claim.first_approval_withdrawn` / `application.first_approval_withdrawn`: the item waits for a first approval again); audited.',
    money: NO_MONEY,
  })
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'revoked' })
  async revoke(@CurrentActor() actor: Actor, @Param('id', new IdPipe('API key')) id: string): Promise<void> {
    await this.keys.revoke(actor, id);
  }
}
