import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor, Public } from '../common/auth/decorators';
import { type Actor, personOf } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { CallerLanguage, Language } from '../common/i18n/messages';
import { unwrap } from '../common/use-case';
import { ApplyForVoucher } from './use-cases/apply-for-voucher';
import { DecideApplication } from './use-cases/decide-application';
import { RevokeVoucher } from './use-cases/revoke-voucher';
import {
  ApplicationList,
  VoucherList,
  ApplicationQuery,
  ApplicationView,
  ApplyInput,
  ApproveInput,
  ReasonInput,
  VerificationView,
  VoucherQuery,
  VoucherView,
} from './voucher.dto';
import { VouchersQueries } from './vouchers.queries';
import { ApiBodyExample, ApiFileResponse, ApiPageResponse, Explained, NO_MONEY, READ_ONLY } from '../common/http/explained';
import { HttpReply } from '../common/http/http-neutral';

@ApiTags('vouchers')
@Controller('voucher-applications')
export class ApplicationsController {
  constructor(
    private readonly applyForVoucher: ApplyForVoucher,
    private readonly decideApplication: DecideApplication,
    private readonly queries: VouchersQueries,
  ) {}

  @Post()
  @Explained({
    summary: 'Apply for an innovation voucher (申领创新券)',
    who: 'An enterprise user of a verified enterprise.',
    changes:
      'Creates an application, decided at once by the policy in force: approved (the voucher is issued), pending_review, or rejected with the reasonCode of the broken rule.',
    money: 'When approved at once: the face value moves from the issuing region’s available budget to the new voucher.',
    details:
      'Of one enterprise’s applications, at most REFUSED_APPLICATIONS_PER_DAY (20 by default) refused at once are recorded in 24 hours; beyond, 429 RATE_LIMITED with Retry-After and nothing recorded.',
  })
  @Authenticated('enterprise')
  @ApiCreatedResponse({
    type: ApplicationView,
    description: 'approved, pending_review, or rejected with the reasonCode of the broken rule',
  })
  @Refuses(ApplyForVoucher)
  async apply(@CurrentActor() actor: Actor, @Body() body: ApplyInput, @CallerLanguage() lng: Language): Promise<ApplicationView> {
    const { application, voucher } = unwrap(await this.applyForVoucher.execute({ actor, ...body }));
    return ApplicationView.of(application, lng, await this.queries.versioned(voucher ?? null));
  }

  @Get()
  @Explained({
    summary: 'Voucher applications within the caller’s scope',
    who: 'Enterprises (their own), bureaus (their region’s) and the platform (all); providers are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @ApiPageResponse(ApplicationView, 'applications in the caller’s scope, newest first (issuingRegionCode: one region’s)')
  @Authenticated('enterprise', 'bureau', 'platform')
  @ApiOkResponse({ type: ApplicationList })
  async list(@CurrentActor() actor: Actor, @Query() q: ApplicationQuery, @CallerLanguage() lng: Language): Promise<ApplicationList> {
    const { items, total, names, granted } = await this.queries.listApplications(actor, q);
    const reviewer = actor.role === 'bureau' ? personOf(actor) : undefined;
    return {
      items: items.map((a) =>
        ApplicationView.of(a, lng, null, names.get(a.enterpriseId), { reviewer, enterpriseGrantedFen: granted.get(a.id) }),
      ),
      total,
    };
  }

  @Get(':id')
  @Explained({
    summary: 'One voucher application, with its voucher once issued',
    who: 'Its enterprise, the bureau of its issuing region and the platform; anyone else gets 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: ApplicationView })
  async get(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('application')) id: string,
    @CallerLanguage() lng: Language,
  ): Promise<ApplicationView> {
    const { application, voucher } = await this.queries.application(actor, id);
    return ApplicationView.of(application, lng, voucher);
  }

  @Post(':id/approve')
  @Explained({
    summary: 'Approve a voucher application (审批), possibly at a lower amount',
    who: 'A bureau user of the application’s issuing region; at or above the policy’s dualControlFen a second, different bureau user completes it.',
    changes:
      'pending_review → approved and the voucher issued with its serial number (or awaiting_second_approval, answered 202); audited.',
    money: 'On issue the face value moves from the region’s available budget to the voucher.',
    details:
      'The dualControlFen that applies is the strictest (the lowest above 0; 0 is off) of the region’s policy in force now and the one in force when the application was submitted, so a version published later, by one bureau user alone, cannot lower it for an application already waiting.',
  })
  @ApiBodyExample(ApproveInput, { amountFen: 20000000 })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ApplicationView, description: 'approved: the voucher is issued' })
  @ApiAcceptedResponse({
    type: ApplicationView,
    description: 'at or above the policy’s dualControlFen: awaiting_second_approval, which another bureau user completes',
  })
  @Refuses(DecideApplication)
  async approve(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('application')) id: string,
    @Body() body: ApproveInput,
    @Res({ passthrough: true }) res: HttpReply,
    @CallerLanguage() lng: Language,
  ): Promise<ApplicationView> {
    const { application, voucher } = unwrap(
      await this.decideApplication.execute({ actor, applicationId: id, decision: 'approve', amountFen: body.amountFen }),
    );
    if (application.status === 'awaiting_second_approval') res.status(202);
    return ApplicationView.of(application, lng, await this.queries.versioned(voucher ?? null));
  }

  @Post(':id/reject')
  @Explained({
    summary: 'Reject a voucher application, with a reason',
    who: 'A bureau user of the application’s issuing region.',
    changes: 'pending_review → rejected; audited.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ApplicationView })
  @Refuses(DecideApplication)
  async reject(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('application')) id: string,
    @Body() body: ReasonInput,
    @CallerLanguage() lng: Language,
  ): Promise<ApplicationView> {
    const { application } = unwrap(
      await this.decideApplication.execute({ actor, applicationId: id, decision: 'reject', reason: body.reason }),
    );
    return ApplicationView.of(application, lng);
  }
}

@ApiTags('vouchers')
@Controller('vouchers')
export class VouchersController {
  constructor(
    private readonly queries: VouchersQueries,
    private readonly revokeVoucher: RevokeVoucher,
  ) {}

  @Get()
  @Explained({
    summary: 'Vouchers (创新券) within the caller’s scope',
    who: 'Enterprises (their own), bureaus (their issuing region’s) and the platform (all); providers are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @ApiPageResponse(VoucherView, 'vouchers in the caller’s scope, newest first')
  @Authenticated('enterprise', 'bureau', 'platform')
  @ApiOkResponse({ type: VoucherList })
  async list(@CurrentActor() actor: Actor, @Query() q: VoucherQuery): Promise<VoucherList> {
    const { items, total, names } = await this.queries.listVouchers(actor, q);
    return { items: items.map((v) => VoucherView.of(v, names.get(v.enterpriseId))), total };
  }

  /** Public: what the QR code on a certificate opens. Reveals no private data. */
  @Get('verify/:code')
  @Explained({
    summary: 'Verify a voucher by the code printed on its certificate',
    who: 'Anyone, without a token: what the QR code checks. Reveals no private data.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Its serial number, status and validity; an unknown code is 404.',
  })
  @Public()
  @ApiOkResponse({ type: VerificationView })
  verify(@Param('code') code: string): Promise<VerificationView> {
    return this.queries.verify(code);
  }

  @Get(':id')
  @Explained({
    summary: 'One voucher with its balances',
    who: 'Its enterprise, the bureau of its issuing region and the platform; providers and anyone else get 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: VoucherView })
  async get(@CurrentActor() actor: Actor, @Param('id', new IdPipe('voucher')) id: string): Promise<VoucherView> {
    return VoucherView.of(await this.queries.voucher(actor, id));
  }

  @Get(':id/certificate')
  @Explained({
    summary: 'A voucher’s certificate (创新券凭证) as a PDF with its QR code',
    who: 'Its enterprise, the bureau of its issuing region and the platform; anyone else gets 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'The QR code opens the public verification page; a revoked voucher’s certificate says 已作废.',
  })
  @ApiFileResponse('the certificate, with its serial number, face value, validity and QR code', 'application/pdf')
  @Authenticated()
  @ApiProduces('application/pdf')
  @Header('Content-Type', 'application/pdf')
  async certificate(@CurrentActor() actor: Actor, @Param('id', new IdPipe('voucher')) id: string): Promise<StreamableFile> {
    const { serial, pdf } = await this.queries.certificate(actor, id);
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `inline; filename="${serial}.pdf"` });
  }

  @Post(':id/revoke')
  @Explained({
    summary: 'Revoke a voucher (作废), with a reason',
    who: 'A bureau user of the voucher’s issuing region.',
    changes:
      'active → revoked, often on suspected fraud: its open holds are cancelled, so nothing held on it can still be captured and claimed; the enterprise is notified; audited.',
    money: 'Everything unused — its available balance and what its open holds held — goes back to the issuing region’s budget.',
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: VoucherView })
  @Refuses(RevokeVoucher)
  async revoke(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('voucher')) id: string,
    @Body() body: ReasonInput,
  ): Promise<VoucherView> {
    return VoucherView.of(
      await this.queries.versioned(unwrap(await this.revokeVoucher.execute({ actor, voucherId: id, reason: body.reason }))),
    );
  }
}
