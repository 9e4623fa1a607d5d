import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { RecordSanctionInput, SanctionPage, SanctionQuery, SanctionView } from './sanction.dto';
import { unwrap } from '../common/use-case';
import { SanctionsService } from './sanctions.service';

@ApiTags('oversight')
@Controller('sanctions')
export class SanctionsController {
  constructor(private readonly sanctions: SanctionsService) {}

  @Post()
  @Authenticated('bureau')
  @ApiCreatedResponse({ type: SanctionView })
  async record(@CurrentActor() actor: Actor, @Body() body: RecordSanctionInput): Promise<SanctionView> {
    return SanctionView.of(await this.sanctions.record(actor, body));
  }

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: SanctionPage })
  async list(@CurrentActor() actor: Actor, @Query() q: SanctionQuery): Promise<SanctionPage> {
    const page = await this.sanctions.list(actor, q);
    return { items: page.items.map(SanctionView.of), total: page.total };
  }

  @Post(':id/lift')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: SanctionView })
  @Refuses(SanctionsService.liftRefusals)
  async lift(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<SanctionView> {
    return SanctionView.of(unwrap(await this.sanctions.lift(actor, id)));
  }
}
