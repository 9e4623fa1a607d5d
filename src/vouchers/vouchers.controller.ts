import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
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

@ApiTags('vouchers')
@Controller('voucher-applications')
export class ApplicationsController {
  constructor(
    private readonly applyForVoucher: ApplyForVoucher,
    private readonly decideApplication: DecideApplication,
    private readonly queries: VouchersQueries,
  ) {}

  @Post()
  @Authenticated('enterprise')
  @ApiCreatedResponse({
    type: ApplicationView,
    description: 'approved, pending_review, or rejected with the reasonCode of the broken rule',
  })
  @Refuses(ApplyForVoucher)
  async apply(@CurrentActor() actor: Actor, @Body() body: ApplyInput): Promise<ApplicationView> {
    const { application, voucher } = unwrap(await this.applyForVoucher.execute({ actor, ...body }));
    return ApplicationView.of(application, voucher);
  }

  @Get()
  @Authenticated('enterprise', 'bureau', 'platform')
  @ApiOkResponse({ type: ApplicationList })
  async list(@CurrentActor() actor: Actor, @Query() q: ApplicationQuery): Promise<ApplicationList> {
    const { items, total, names } = await this.queries.listApplications(actor, q);
    return { items: items.map((a) => ApplicationView.of(a, null, names.get(a.enterpriseId))), total };
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: ApplicationView })
  async get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<ApplicationView> {
    const { application, voucher } = await this.queries.application(actor, id);
    return ApplicationView.of(application, voucher);
  }

  @Post(':id/approve')
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
    @Param('id', IdPipe) id: string,
    @Body() body: ApproveInput,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApplicationView> {
    const { application, voucher } = unwrap(
      await this.decideApplication.execute({ actor, applicationId: id, decision: 'approve', amountFen: body.amountFen }),
    );
    if (application.status === 'awaiting_second_approval') res.status(202);
    return ApplicationView.of(application, voucher);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ApplicationView })
  @Refuses(DecideApplication)
  async reject(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: ReasonInput): Promise<ApplicationView> {
    const { application } = unwrap(
      await this.decideApplication.execute({ actor, applicationId: id, decision: 'reject', reason: body.reason }),
    );
    return ApplicationView.of(application);
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
  @Authenticated('enterprise', 'bureau', 'platform')
  @ApiOkResponse({ type: VoucherList })
  async list(@CurrentActor() actor: Actor, @Query() q: VoucherQuery): Promise<VoucherList> {
    const { items, total, names } = await this.queries.listVouchers(actor, q);
    return { items: items.map((v) => VoucherView.of(v, names.get(v.enterpriseId))), total };
  }

  /** Public: what the QR code on a certificate opens. Reveals no private data. */
  @Get('verify/:code')
  @Public()
  @ApiOkResponse({ type: VerificationView })
  verify(@Param('code') code: string): Promise<VerificationView> {
    return this.queries.verify(code);
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: VoucherView })
  async get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<VoucherView> {
    return VoucherView.of(await this.queries.voucher(actor, id));
  }

  @Get(':id/certificate')
  @Authenticated()
  @ApiProduces('application/pdf')
  @Header('Content-Type', 'application/pdf')
  async certificate(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<StreamableFile> {
    const { serial, pdf } = await this.queries.certificate(actor, id);
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `inline; filename="${serial}.pdf"` });
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: VoucherView })
  @Refuses(RevokeVoucher)
  async revoke(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: ReasonInput): Promise<VoucherView> {
    return VoucherView.of(unwrap(await this.revokeVoucher.execute({ actor, voucherId: id, reason: body.reason })));
  }
}
