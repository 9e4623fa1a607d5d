import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { ApproveClaimInput, ClaimPage, ClaimQuery, ClaimView, RejectClaimInput, SubmitClaimInput } from './claim.dto';
import { ClaimsService } from './claims.service';

@ApiTags('claims')
@Controller('claims')
export class ClaimsController {
  constructor(private readonly claims: ClaimsService) {}

  @Post()
  @Authenticated('provider', 'enterprise')
  @ApiCreatedResponse({ type: ClaimView, description: 'submitted; no money moves until the issuing bureau approves' })
  @ApiNotFoundResponse({ description: 'a redemption the caller is no party to' })
  @ApiConflictResponse({
    description: 'INVALID_STATE: a redemption not captured; DUPLICATE: a redemption already claimed (also concurrently)',
  })
  @ApiUnprocessableEntityResponse({ description: 'SANCTIONED: the claimant is under a credit sanction' })
  submit(@CurrentActor() actor: Actor, @Body() body: SubmitClaimInput): Promise<ClaimView> {
    return this.claims.submit(actor, body);
  }

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: ClaimPage, description: 'newest first: the claimant its own, a bureau its region’s, the platform all' })
  list(@CurrentActor() actor: Actor, @Query() q: ClaimQuery): Promise<ClaimPage> {
    return this.claims.list(actor, q);
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: ClaimView })
  @ApiNotFoundResponse({ description: 'unknown, or out of the caller’s scope' })
  get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<ClaimView> {
    return this.claims.get(actor, id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ClaimView, description: 'approved; what is not approved goes back to the issuing budget' })
  @ApiConflictResponse({ description: 'INVALID_STATE: already approved or rejected' })
  approve(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: ApproveClaimInput): Promise<ClaimView> {
    return this.claims.approve(actor, id, body.approvedFen);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ClaimView, description: 'rejected; its redemptions can be claimed again' })
  @ApiConflictResponse({ description: 'INVALID_STATE: already approved or rejected' })
  reject(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: RejectClaimInput): Promise<ClaimView> {
    return this.claims.reject(actor, id, body.reason);
  }
}
