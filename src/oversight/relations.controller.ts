import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { unwrap } from '../common/use-case';
import { RecordRelationInput, RelationPage, RelationQuery, RelationView } from './relation.dto';
import { RelationsService } from './relations.service';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('oversight')
@Controller('relations')
export class RelationsController {
  constructor(private readonly relations: RelationsService) {}

  @Post()
  @Explained({
    summary: 'Record a relation a bureau found between two credit codes',
    who: 'A bureau user.',
    changes:
      'Records the relation: the two are related parties everywhere from now on, so a hold between them is refused RELATED_PARTY; audited.',
    money: NO_MONEY,
  })
  @Authenticated('bureau')
  @ApiCreatedResponse({ type: RelationView })
  @Refuses(RelationsService)
  async record(@CurrentActor() actor: Actor, @Body() body: RecordRelationInput): Promise<RelationView> {
    return RelationView.of(unwrap(await this.relations.record(actor, body)));
  }

  @Get()
  @Explained({
    summary: 'Recorded relations between credit codes, newest first',
    who: 'Bureaus and the platform; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Of one credit code with `creditCode`.',
  })
  @Authenticated('bureau', 'platform')
  @ApiOkResponse({ type: RelationPage })
  async list(@Query() q: RelationQuery): Promise<RelationPage> {
    const page = await this.relations.list(q);
    return { items: page.items.map(RelationView.of), total: page.total };
  }
}
