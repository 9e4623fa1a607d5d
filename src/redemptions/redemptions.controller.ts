import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { inLanguage } from '../common/http/error.filter';
import { CallerLanguage, Language, translate } from '../common/i18n/messages';
import type { Refusal } from '../common/errors/domain-error';
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
  RefusalView,
  ResolveInput,
} from './redemption.dto';
import { ApiBodyExample, Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

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
  @Explained({
    summary: 'Order a quantity at a facility (通用通兑): places a hold of the subsidy on the voucher',
    who: 'An enterprise user, on a voucher (创新券) of its own.',
    changes: 'Creates a redemption in status held, expiring after the policy’s hold period.',
    money: 'The subsidy (the issuing policy’s share of the fee, within its caps) moves on the voucher from available to held.',
  })
  @ApiBodyExample(HoldInput, {
    voucherId: '3f6c1a52-8e4b-4c1e-9a57-2b0d6f1e8a11',
    facilityId: '7b2e9d40-1c3a-4f6b-8e25-94d0c7a1b3e2',
    quantity: 2,
    mode: 'provider_redeemed',
  })
  @Authenticated('enterprise')
  @ApiCreatedResponse({ type: RedemptionView })
  @Refuses(PlaceHold)
  async hold(@CurrentActor() actor: Actor, @Body() body: HoldInput): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.placeHold.execute({ actor, ...body })));
  }

  @Get()
  @Explained({
    summary: 'Redemptions within the caller’s scope',
    who: 'Any signed-in user: an enterprise or provider its own, a bureau those of its issuing region, the platform all.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: RedemptionPage })
  async list(@CurrentActor() actor: Actor, @Query() q: RedemptionQuery): Promise<RedemptionPage> {
    const { items, total, names } = await this.queries.list(actor, q);
    return { items: items.map((r) => RedemptionView.of(r, names)), total };
  }

  @Get(':id')
  @Explained({
    summary: 'One redemption; a hold past expiresAt reads as expired',
    who: 'Its enterprise and provider, the bureau of its issuing region and the platform; anyone else gets 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: RedemptionView })
  async get(@CurrentActor() actor: Actor, @Param('id', new IdPipe('redemption')) id: string): Promise<RedemptionView> {
    return RedemptionView.of(await this.queries.get(actor, id));
  }

  @Post(':id/capture')
  @Explained({
    summary: 'Record actual usage: the subsidy is captured on the actual fee',
    who: 'The provider of the redemption’s facility.',
    changes: 'held → captured, with the actual quantity and fee.',
    money:
      'The subsidy recomputed on the actual fee (never above the hold) moves from held to spent; the rest goes back to the voucher, or to the issuing budget if the voucher has closed meanwhile.',
  })
  @HttpCode(200)
  @Authenticated('provider')
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(CaptureHold)
  async capture(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('redemption')) id: string,
    @Body() body: CaptureInput,
  ): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.captureHold.execute({ actor, redemptionId: id, actualQuantity: body.actualQuantity })));
  }

  @Post(':id/cancel')
  @Explained({
    summary: 'Call off a hold',
    who: 'The redemption’s enterprise or provider.',
    changes: 'held → cancelled.',
    money: 'The whole held subsidy goes back to the voucher (or to the issuing budget if the voucher has closed meanwhile).',
  })
  @HttpCode(200)
  @Authenticated('enterprise', 'provider')
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(CancelHold)
  async cancel(@CurrentActor() actor: Actor, @Param('id', new IdPipe('redemption')) id: string): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.cancelHold.execute({ actor, redemptionId: id })));
  }

  @Post(':id/confirm')
  @Explained({
    summary: 'The enterprise confirms the captured usage (确认服务)',
    who: 'The redemption’s enterprise.',
    changes: 'Its usage pending → confirmed: from then on it can be claimed (silence confirms it too when the window closes).',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('enterprise')
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(ConfirmUsage)
  async confirm(@CurrentActor() actor: Actor, @Param('id', new IdPipe('redemption')) id: string): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.confirmUsage.execute({ actor, redemptionId: id })));
  }

  @Post(':id/dispute')
  @Explained({
    summary: 'Dispute the captured usage, with a reason',
    who: 'The redemption’s enterprise, within the policy’s confirmDays.',
    changes: 'Its usage pending → disputed; the issuing bureau resolves it. Only confirmed usage can be claimed.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('enterprise')
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(DisputeUsage)
  async dispute(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('redemption')) id: string,
    @Body() body: DisputeInput,
  ): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.disputeUsage.execute({ actor, redemptionId: id, reason: body.reason })));
  }

  @Post(':id/resolve')
  @Explained({
    summary: 'Resolve a usage dispute at the usage found (≤ captured)',
    who: 'A bureau user of the redemption’s issuing region.',
    changes: 'Its usage disputed → confirmed at the usage found; at 0 the capture is annulled (captured → cancelled); audited.',
    money:
      'What the lower usage no longer pays leaves spent for the voucher (or the issuing budget if the voucher has closed); 0 returns the whole subsidy.',
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: RedemptionView })
  @Refuses(ResolveDispute)
  async resolve(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('redemption')) id: string,
    @Body() body: ResolveInput,
  ): Promise<RedemptionView> {
    return RedemptionView.of(unwrap(await this.resolveDispute.execute({ actor, redemptionId: id, actualQuantity: body.actualQuantity })));
  }

  @Post(':id/rating')
  @Explained({
    summary: 'Rate a service whose usage is confirmed, once (1–5, with an optional comment)',
    who: 'The redemption’s enterprise.',
    changes: 'Records the rating, shown on the facility.',
    money: NO_MONEY,
  })
  @ApiBodyExample(RatingInput, { score: 5, comment: '制样细致，报告当天出具' })
  @Authenticated('enterprise')
  @ApiCreatedResponse({ type: RedemptionRatingView })
  @Refuses(RateService)
  async rate(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('redemption')) id: string,
    @Body() body: RatingInput,
  ): Promise<RedemptionRatingView> {
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
  @Explained({
    summary: 'What a hold of this quantity on the voucher would be',
    who: 'An enterprise user, for a voucher of its own.',
    changes: 'Nothing: the same evaluation as POST /api/redemptions, without placing a hold.',
    money: NO_MONEY,
    details:
      'The fee, the subsidy and what the enterprise pays itself; with `refusal` when a rule forbids it, in which case a hold would be refused 422 with that code.',
  })
  @Authenticated('enterprise')
  @ApiOkResponse({ type: QuoteView, description: 'with `refusal` when a rule forbids it; a hold would then be refused 422 with that code' })
  @Refuses(Quotes)
  async quote(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('redemption')) id: string,
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
  @Explained({
    summary: 'Compare one service category across provinces with the voucher’s quote',
    who: 'An enterprise user, for a voucher of its own.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Every active facility with the voucher’s quote, cheapest self-pay first, refused ones last. Facilities whose fee for this quantity would exceed 10^13 fen are left out.',
  })
  @Authenticated('enterprise')
  @ApiOkResponse({ type: ComparisonPage })
  async compare(@CurrentActor() actor: Actor, @Query() q: CompareQuery, @CallerLanguage() lng: Language): Promise<ComparisonPage> {
    const page = await this.quotes.compare(actor, q);
    return { ...page, items: page.items.map((item) => ({ ...item, quote: refusalIn(lng, item.quote) })) };
  }
}

/** A quote's refusal in the caller's language, like the 422 the hold would answer (its code unchanged). */
function refusalIn(lng: Language, quote: QuoteView): QuoteView {
  // QuoteView.of keeps the rule's whole refusal: its catalogue entry, if any, says it in the caller's language
  const refusal: (RefusalView & Pick<Refusal, 'key' | 'params'>) | undefined = quote.refusal;
  if (!refusal) return quote;
  const localized = refusal.key ? (l: Language) => translate(l, refusal.key!, refusal.params) : undefined;
  return { ...quote, refusal: { code: refusal.code, message: inLanguage(lng, refusal.code, refusal.message, localized) } };
}
