import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { IdPipe } from '../common/http/id.pipe';
import { ApplicationsService } from './applications.service';
import {
  ApplicationQuery,
  ApplicationView,
  ApplyInput,
  ApproveInput,
  ReasonInput,
  VerificationView,
  VoucherQuery,
  VoucherView,
} from './voucher.dto';
import { VouchersService } from './vouchers.service';

@ApiTags('vouchers')
@Controller('voucher-applications')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post()
  @Authenticated('enterprise')
  @ApiCreatedResponse({
    type: ApplicationView,
    description: 'approved, pending_review, or rejected with the reasonCode of the broken rule',
  })
  apply(@CurrentActor() actor: Actor, @Body() body: ApplyInput): Promise<ApplicationView> {
    return this.applications.apply(actor, body.amountFen, body.purpose);
  }

  @Get()
  @Authenticated('enterprise', 'bureau', 'platform')
  list(@CurrentActor() actor: Actor, @Query() q: ApplicationQuery) {
    return this.applications.list(actor, q);
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: ApplicationView })
  get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<ApplicationView> {
    return this.applications.get(actor, id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ApplicationView })
  approve(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: ApproveInput): Promise<ApplicationView> {
    return this.applications.approve(actor, id, body.amountFen);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: ApplicationView })
  reject(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: ReasonInput): Promise<ApplicationView> {
    return this.applications.reject(actor, id, body.reason);
  }
}

const VERIFICATION_CODE = /^[A-Za-z0-9_-]{16,64}$/;

@ApiTags('vouchers')
@Controller('vouchers')
export class VouchersController {
  constructor(private readonly vouchers: VouchersService) {}

  @Get()
  @Authenticated('enterprise', 'bureau', 'platform')
  async list(@CurrentActor() actor: Actor, @Query() q: VoucherQuery) {
    const page = await this.vouchers.list(actor, q);
    return { items: page.items.map(VoucherView.of), total: page.total };
  }

  /** Public: what the QR code on a certificate opens. Reveals no private data. */
  @Get('verify/:code')
  @Public()
  @ApiOkResponse({ type: VerificationView })
  @ApiNotFoundResponse({ description: 'unknown code' })
  verify(@Param('code') code: string): Promise<VerificationView> {
    if (!VERIFICATION_CODE.test(code)) throw notFound('voucher');
    return this.vouchers.verify(code);
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: VoucherView })
  async get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<VoucherView> {
    return VoucherView.of(await this.vouchers.get(actor, id));
  }

  @Get(':id/certificate')
  @Authenticated()
  @ApiProduces('application/pdf')
  @Header('Content-Type', 'application/pdf')
  async certificate(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<StreamableFile> {
    const { serial, pdf } = await this.vouchers.certificate(actor, id);
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `inline; filename="${serial}.pdf"` });
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: VoucherView })
  async revoke(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: ReasonInput): Promise<VoucherView> {
    return VoucherView.of(await this.vouchers.revoke(actor, id, body.reason));
  }
}
