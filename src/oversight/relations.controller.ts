import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { unwrap } from '../common/use-case';
import { RecordRelationInput, RelationPage, RelationQuery, RelationView } from './relation.dto';
import { RelationsService } from './relations.service';

@ApiTags('oversight')
@Controller('relations')
export class RelationsController {
  constructor(private readonly relations: RelationsService) {}

  @Post()
  @Authenticated('bureau')
  @ApiOperation({ summary: 'Record a relation a bureau found between two credit codes: they are related parties everywhere from now on' })
  @ApiCreatedResponse({ type: RelationView })
  @Refuses(RelationsService)
  async record(@CurrentActor() actor: Actor, @Body() body: RecordRelationInput): Promise<RelationView> {
    return RelationView.of(unwrap(await this.relations.record(actor, body)));
  }

  @Get()
  @Authenticated('bureau', 'platform')
  @ApiOperation({ summary: 'Recorded relations, newest first; of one credit code with creditCode' })
  @ApiOkResponse({ type: RelationPage })
  async list(@Query() q: RelationQuery): Promise<RelationPage> {
    const page = await this.relations.list(q);
    return { items: page.items.map(RelationView.of), total: page.total };
  }
}
