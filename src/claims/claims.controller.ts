import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import { type Actor, personOf } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { ApproveClaimInput, ClaimPage, ClaimQuery, ClaimView, RejectClaimInput, SubmitClaimInput } from './claim.dto';
import { unwrap } from '../common/use-case';
import { ClaimsQueries } from './claims.queries';
import { DecideClaim } from './use-cases/decide-claim';
import { SubmitClaim } from './use-cases/submit-claim';
import { ApiBodyExample, Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';
import { HttpReply } from '../common/http/http-neutral';

@ApiTags('claims')
@Controller('claims')
export class ClaimsController {
  constructor(
    private readonly submitClaim: SubmitClaim,
    private readonly decideClaim: DecideClaim,
    private readonly queries: ClaimsQueries,
  ) {}

  @Post()
  @Explained({
    summary: 'Claim payment (申请兑付) for confirmed redemptions',
    who: 'The payee of the redemptions: the provider, or the enterprise where the policy pays the enterprise.',
    changes: 'Creates a submitted claim over the redemptions; they cannot be claimed again while it stands.',
    money: 'None until the issuing bureau approves.',
  })
  @ApiBodyExample(SubmitClaimInput, {
    redemptionIds: ['7b2e9d40-1c3a-4f6b-8e25-94d0c7a1b3e2'],
    evidence: {
      contractNo: 'HT-2026-0137',
      invoiceNo: '31002613702',
      paymentProofRef: 'BANK-20260412-8841',
      reportRef: 'RPT-TEM-2026-0412',
    },
  })
  @Authenticated('provider', 'enterprise')
  @ApiCreatedResponse({ type: ClaimView, description: 'submitted; no money moves until the issuing bureau approves' })
  @Refuses(SubmitClaim)
  async submit(@CurrentActor() actor: Actor, @Body() body: SubmitClaimInput): Promise<ClaimView> {
    return ClaimView.of(unwrap(await this.submitClaim.execute({ actor, redemptionIds: body.redemptionIds, evidence: body.evidence })));
  }

  @Get()
  @Explained({
    summary: 'Claims, newest first, within the caller’s scope',
    who: 'Any signed-in user: a claimant its own, a bureau those of its issuing region, the platform all.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: ClaimPage, description: 'newest first: the claimant its own, a bureau its region’s, the platform all' })
  async list(@CurrentActor() actor: Actor, @Query() q: ClaimQuery): Promise<ClaimPage> {
    const { items, total, names } = await this.queries.list(actor, q);
    const reviewer = actor.role === 'bureau' ? personOf(actor) : undefined;
    return { items: items.map((c) => ClaimView.of(c, names, reviewer)), total };
  }

  @Get(':id')
  @Explained({
    summary: 'One claim',
    who: 'The claimant, the bureau of the issuing region and the platform; anyone else gets 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: ClaimView })
  async get(@CurrentActor() actor: Actor, @Param('id', new IdPipe('claim')) id: string): Promise<ClaimView> {
    return ClaimView.of(await this.queries.get(actor, id));
  }

  @Post(':id/approve')
  @Explained({
    summary: 'Approve a claim in full or in part (审核)',
    who: 'A bureau user of the claim’s issuing region; at or above the policy’s dualControlFen a second, different bureau user completes it.',
    changes: 'submitted → approved (or awaiting_second_approval, answered 202); audited.',
    money:
      'The approved amount becomes a payable of the issuing region to the payee; what is not approved leaves the vouchers’ spent balance for the issuing budget and no longer counts against the enterprise’s annual grant.',
    details:
      'The dualControlFen that applies is the strictest (the lowest above 0; 0 is off) of the region’s policy in force today and the versions pinned on the claim’s vouchers, so a version published later, by one bureau user alone, cannot lower it for a claim already made.',
  })
  @ApiBodyExample(ApproveClaimInput, { approvedFen: 160000, reason: '超出合同约定服务内容的 2 个样品不予补贴' })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ClaimView, description: 'approved; what is not approved goes back to the issuing budget' })
  @ApiAcceptedResponse({
    type: ClaimView,
    description: 'at or above the policy’s dualControlFen: awaiting_second_approval, which another bureau user completes',
  })
  @Refuses(DecideClaim)
  async approve(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('claim')) id: string,
    @Body() body: ApproveClaimInput,
    @Res({ passthrough: true }) res: HttpReply,
  ): Promise<ClaimView> {
    const claim = unwrap(
      await this.decideClaim.execute({ actor, claimId: id, decision: 'approve', approvedFen: body.approvedFen, reason: body.reason }),
    );
    if (claim.status === 'awaiting_second_approval') res.status(202);
    return ClaimView.of(claim);
  }

  @Post(':id/reject')
  @Explained({
    summary: 'Reject a claim, with a reason; `final: true` rejects it for good (终局驳回)',
    who: 'A bureau user of the claim’s issuing region (another region’s bureau, the payee, an enterprise and the platform are 403).',
    changes:
      'submitted or awaiting_second_approval → rejected; audited, with a claim.decided event. By default its redemptions can be claimed again with corrected evidence. With `final: true` they are annulled (captured → cancelled) and stay bound to this claim: a later claim with any of them is 409 INVALID_STATE. Of a final rejection racing an approval (or another rejection) exactly one wins; the other is 409.',
    money:
      'None by default. With `final: true` each redemption’s captured subsidy goes back in the same transaction, as a dispute resolved at zero: to its voucher while the voucher is active or exhausted (exhausted becomes active again), to the issuing budget when it expired or was revoked (and no longer counts against the enterprise’s annual grant).',
    details: 'Honours Idempotency-Key like every POST: a retry with the same key and body replays the first answer and moves nothing.',
  })
  @ApiBodyExample(RejectClaimInput, { reason: '发票经核查为伪造', final: true })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ClaimView, description: 'rejected; its redemptions can be claimed again, unless rejected for good (final)' })
  @Refuses(DecideClaim)
  async reject(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('claim')) id: string,
    @Body() body: RejectClaimInput,
  ): Promise<ClaimView> {
    return ClaimView.of(
      unwrap(await this.decideClaim.execute({ actor, claimId: id, decision: 'reject', reason: body.reason, final: body.final ?? false })),
    );
  }
}
