import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { inLanguage } from '../common/http/error.filter';
import { CallerLanguage, Language } from '../common/i18n/messages';
import { Quotes } from './quotes';
import { unwrap } from '../common/use-case';
import { CancelHold, CaptureHold } from './use-cases/close-hold';
import { PlaceHold } from './use-cases/place-hold';
import { ConfirmUsage, DisputeUsage, RateService, ResolveDispute } from './use-cases/usage';
import { RedemptionsQueries } from './redemptions.queries';
import {
  CaptureInput,
  ComparisonPage,
  CompareQuery,
  DisputeInput,
  HoldInput,
  QuoteQuery,
  QuoteView,
  RatingInput,
  RedemptionRatingView,
  RedemptionPage,
  RedemptionQuery,
  RedemptionView,
  ResolveInput,
} from './redemption.dto';

@ApiTags('redemptions')
@Controller('redemptions')
export class RedemptionsController {
  constructor(
    private readonly placeHold: PlaceHold,
    private readonly captureHold: CaptureHold,
    private readonly cancelHold: CancelHold,
    private readonly confirmUsage: ConfirmUsage,
    private readonly disputeUsage: DisputeUsage,
    private readonly resolveDispute: ResolveDispute,
    private readonly rateService: RateService,
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
    const { items, total, names } = await this.queries.list(actor, q);
    return { items: items.map((r) => RedemptionView.of(r, names)), total };
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

  @Post(':id/confirm')
  @HttpCode(200)
  @Authenticated('enterprise')
  @ApiOperation({ summary: 'The enterprise confirms the captured usage (确认服务): from then on it can be claimed' })
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(ConfirmUsage)
  async confirm(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.confirmUsage.execute({ actor, redemptionId: id })));
  }

  @Post(':id/dispute')
  @HttpCode(200)
  @Authenticated('enterprise')
  @ApiOperation({ summary: 'The enterprise disputes the captured usage within the policy’s confirmDays; the issuing bureau resolves it' })
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(DisputeUsage)
  async dispute(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: DisputeInput): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.disputeUsage.execute({ actor, redemptionId: id, reason: body.reason })));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOperation({
    summary: 'The issuing bureau resolves a dispute at the usage it found (≤ captured); 0 annuls the capture and returns the subsidy',
  })
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(ResolveDispute)
  async resolve(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: ResolveInput): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.resolveDispute.execute({ actor, redemptionId: id, actualQuantity: body.actualQuantity })));
  }

  @Post(':id/rating')
  @Authenticated('enterprise')
  @ApiOperation({ summary: 'The enterprise rates a service whose usage is confirmed, once (1–5, with an optional comment)' })
  @ApiCreatedResponse({ type: RedemptionRatingView })
  @Refuses(RateService)
  async rate(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: RatingInput): Promise<RedemptionRatingView> {
    const rating = unwrap(await this.rateService.execute({ actor, redemptionId: id, ...body }));
    return {
      redemptionId: rating.redemptionId,
      facilityId: rating.facilityId,
      score: rating.score,
      ...(rating.comment ? { comment: rating.comment } : {}),
      createdAt: rating.createdAt,
    };
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
  async quote(
    @CurrentActor() actor: Actor,
    @Param('id', IdPipe) id: string,
    @Query() q: QuoteQuery,
    @CallerLanguage() lng: Language,
  ): Promise<QuoteView> {
    return refusalIn(lng, await this.quotes.quote(actor, id, q));
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
  async compare(@CurrentActor() actor: Actor, @Query() q: CompareQuery, @CallerLanguage() lng: Language): Promise<ComparisonPage> {
    const page = await this.quotes.compare(actor, q);
    return { ...page, items: page.items.map((item) => ({ ...item, quote: refusalIn(lng, item.quote) })) };
  }
}

/** A quote's refusal in the caller's language, like the 422 the hold would answer (its code unchanged). */
function refusalIn(lng: Language, quote: QuoteView): QuoteView {
  if (!quote.refusal) return quote;
  return { ...quote, refusal: { code: quote.refusal.code, message: inLanguage(lng, quote.refusal.code, quote.refusal.message) } };
}
