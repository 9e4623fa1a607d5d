import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { ApproveClaimInput, ClaimPage, ClaimQuery, ClaimView, RejectClaimInput, SubmitClaimInput } from './claim.dto';
import { unwrap } from '../common/use-case';
import { ClaimsQueries } from './claims.queries';
import { DecideClaim } from './use-cases/decide-claim';
import { SubmitClaim } from './use-cases/submit-claim';

@ApiTags('claims')
@Controller('claims')
export class ClaimsController {
  constructor(
    private readonly submitClaim: SubmitClaim,
    private readonly decideClaim: DecideClaim,
    private readonly queries: ClaimsQueries,
  ) {}

  @Post()
  @Authenticated('provider', 'enterprise')
  @ApiCreatedResponse({ type: ClaimView, description: 'submitted; no money moves until the issuing bureau approves' })
  @Refuses(SubmitClaim)
  async submit(@CurrentActor() actor: Actor, @Body() body: SubmitClaimInput): Promise<ClaimView> {
    return ClaimView.of(unwrap(await this.submitClaim.execute({ actor, redemptionIds: body.redemptionIds, evidence: body.evidence })));
  }

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: ClaimPage, description: 'newest first: the claimant its own, a bureau its region’s, the platform all' })
  async list(@CurrentActor() actor: Actor, @Query() q: ClaimQuery): Promise<ClaimPage> {
    const { items, total, names } = await this.queries.list(actor, q);
    return { items: items.map((c) => ClaimView.of(c, names)), total };
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: ClaimView })
  async get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<ClaimView> {
    return ClaimView.of(await this.queries.get(actor, id));
  }

  @Post(':id/approve')
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
    @Param('id', IdPipe) id: string,
    @Body() body: ApproveClaimInput,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ClaimView> {
    const claim = unwrap(await this.decideClaim.execute({ actor, claimId: id, decision: 'approve', approvedFen: body.approvedFen }));
    if (claim.status === 'awaiting_second_approval') res.status(202);
    return ClaimView.of(claim);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ClaimView, description: 'rejected; its redemptions can be claimed again' })
  @Refuses(DecideClaim)
  async reject(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: RejectClaimInput): Promise<ClaimView> {
    return ClaimView.of(unwrap(await this.decideClaim.execute({ actor, claimId: id, decision: 'reject', reason: body.reason })));
  }
}
