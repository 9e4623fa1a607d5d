import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { LiftSanctionInput, RecordSanctionInput, SanctionPage, SanctionQuery, SanctionView } from './sanction.dto';
import { unwrap } from '../common/use-case';
import { SanctionsService } from './sanctions.service';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('oversight')
@Controller('sanctions')
export class SanctionsController {
  constructor(private readonly sanctions: SanctionsService) {}

  @Post()
  @Explained({
    summary: 'Record a credit sanction (失信惩戒) against an organization',
    who: 'A bureau user; the sanction binds in every province. Lifting belongs to the recording bureau.',
    changes:
      'Records the sanction against a credit code (registered or not): while it is in force the organization’s, and those of the organizations that name it as their actual controller, voucher applications, holds and claims are refused SANCTIONED, holds placed before it, as enterprise or as lab, are not captured (SANCTIONED), and payments to it wait; the named organization’s users are notified; audited.',
    money: NO_MONEY,
  })
  @Authenticated('bureau')
  @ApiCreatedResponse({ type: SanctionView })
  async record(@CurrentActor() actor: Actor, @Body() body: RecordSanctionInput): Promise<SanctionView> {
    return SanctionView.of(await this.sanctions.record(actor, body));
  }

  @Get()
  @Explained({
    summary: 'The shared credit-sanction list',
    who: 'Any signed-in user: bureaus and the platform read the whole list, an organization the sanctions that bind it (against itself or its actual controller).',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Filter by organization and by whether in force; paged.',
  })
  @Authenticated()
  @ApiOkResponse({ type: SanctionPage })
  async list(@CurrentActor() actor: Actor, @Query() q: SanctionQuery): Promise<SanctionPage> {
    const page = await this.sanctions.list(actor, q);
    return { items: page.items.map(SanctionView.of), total: page.total };
  }

  @Post(':id/lift')
  @Explained({
    summary: 'Lift a sanction before it ends',
    who: 'A bureau user of the recording region (or its province).',
    changes: 'in force → lifted; audited with the reason given (信用修复), which the sanction then shows as liftReason.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: SanctionView })
  @Refuses(SanctionsService.liftRefusals)
  async lift(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('sanction')) id: string,
    @Body() body: LiftSanctionInput,
  ): Promise<SanctionView> {
    return SanctionView.of(unwrap(await this.sanctions.lift(actor, id, body.reason ?? null)));
  }
}
