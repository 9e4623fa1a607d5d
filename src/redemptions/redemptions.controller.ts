import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { Quotes } from './quotes';
import { unwrap } from '../common/use-case';
import { CancelHold, CaptureHold } from './use-cases/close-hold';
import { PlaceHold } from './use-cases/place-hold';
import { RedemptionsQueries } from './redemptions.queries';
import {
  CaptureInput,
  ComparisonPage,
  CompareQuery,
  HoldInput,
  QuoteQuery,
  QuoteView,
  RedemptionPage,
  RedemptionQuery,
  RedemptionView,
} from './redemption.dto';

@ApiTags('redemptions')
@Controller('redemptions')
export class RedemptionsController {
  constructor(
    private readonly placeHold: PlaceHold,
    private readonly captureHold: CaptureHold,
    private readonly cancelHold: CancelHold,
    private readonly queries: RedemptionsQueries,
  ) {}

  @Post()
  @Authenticated('enterprise')
  @ApiOperation({ summary: 'Order a quantity at a facility: places a hold of the subsidy on the voucher' })
  @ApiCreatedResponse({ type: RedemptionView })
  @Refuses(PlaceHold)
  async hold(@CurrentActor() actor: Actor, @Body() body: HoldInput): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.placeHold.execute({ actor, ...body })));
  }

  @Get()
  @Authenticated()
  @ApiOperation({
    summary: 'Redemptions of the caller’s organization (as enterprise or provider), of a bureau’s issuing region, or all for the platform',
  })
  @ApiOkResponse({ type: RedemptionPage })
  async list(@CurrentActor() actor: Actor, @Query() q: RedemptionQuery): Promise<RedemptionPage> {
    const page = await this.queries.list(actor, q);
    return { items: page.items.map(RedemptionView.of), total: page.total };
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'One redemption; a hold past expiresAt reads as expired' })
  @ApiOkResponse({ type: RedemptionView })
  async get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<RedemptionView> {
    return RedemptionView.of(await this.queries.get(actor, id));
  }

  @Post(':id/capture')
  @HttpCode(200)
  @Authenticated('provider')
  @ApiOperation({ summary: 'Record actual usage: the subsidy is recomputed on the actual fee, never above the hold; the rest is released' })
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(CaptureHold)
  async capture(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: CaptureInput): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.captureHold.execute({ actor, redemptionId: id, actualQuantity: body.actualQuantity })));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Authenticated('enterprise', 'provider')
  @ApiOperation({ summary: 'Call off a hold (the enterprise or the provider): the whole subsidy goes back to the voucher' })
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(CancelHold)
  async cancel(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.cancelHold.execute({ actor, redemptionId: id })));
  }
}

@ApiTags('redemptions')
@Controller('facilities')
export class FacilityQuotesController {
  constructor(private readonly quotes: Quotes) {}

  @Get(':id/quote')
  @Authenticated('enterprise')
  @ApiOperation({ summary: 'What a hold of this quantity on the voucher would be: the same evaluation as POST /api/redemptions' })
  @ApiOkResponse({ type: QuoteView, description: 'with `refusal` when a rule forbids it; a hold would then be refused 422 with that code' })
  @Refuses(Quotes)
  quote(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Query() q: QuoteQuery): Promise<QuoteView> {
    return this.quotes.quote(actor, id, q);
  }
}

@ApiTags('redemptions')
@Controller('quotes')
export class ComparisonController {
  constructor(private readonly quotes: Quotes) {}

  @Get()
  @Authenticated('enterprise')
  @ApiOperation({
    summary:
      'Compare one service category across provinces: every active facility with the voucher’s quote, cheapest self-pay first, refused ones last',
    description: 'Facilities whose fee for this quantity would exceed 10^13 fen are left out.',
  })
  @ApiOkResponse({ type: ComparisonPage })
  compare(@CurrentActor() actor: Actor, @Query() q: CompareQuery): Promise<ComparisonPage> {
    return this.quotes.compare(actor, q);
  }
}
