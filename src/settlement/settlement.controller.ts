import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import type { StatementData } from '../documents/document-data';
import { DocumentsService } from '../documents/documents.service';
import {
  CreateSettlementInput,
  PaySettlementInput,
  SettlementPage,
  SettlementQuery,
  SettlementView,
  StatementQuery,
  VoidSettlementInput,
} from './settlement.dto';
import { unwrap } from '../common/use-case';
import { SettlementQueries } from './settlement.queries';
import { CreateSettlement } from './use-cases/create-settlement';
import { PaySettlement } from './use-cases/pay-settlement';
import { VoidSettlement } from './use-cases/void-settlement';
import { ApiFileResponse, Explained, NO_MONEY, READ_ONLY } from '../common/http/explained';

/** A batch's files are named by the number its statement prints (its id for a batch prepared before numbers). */
const statementFile = (d: StatementData): string => `settlement-${d.batchNo ?? d.settlementId}`;

/**
 * Batches belong to the bureau of their region (and its province) and are read by the platform. A payee reads the
 * batches with a line for it, and only that line: the other payees' amounts are theirs.
 */
@ApiTags('settlement')
@Controller('settlements')
export class SettlementController {
  constructor(
    private readonly createSettlement: CreateSettlement,
    private readonly paySettlement: PaySettlement,
    private readonly voidSettlement: VoidSettlement,
    private readonly queries: SettlementQueries,
    private readonly documents: DocumentsService,
  ) {}

  @Post()
  @Explained({
    summary: 'Prepare a settlement batch (结算批次) of the region’s approved claims',
    who: 'A bureau user of the region.',
    changes:
      'Creates an open batch of every approved claim of the region not yet in one, one line per payee, with the payee’s bank account as it is now; a payee suspended, sanctioned, with no bank account on file or with a change of account waiting for its bureau is left out, its claims waiting for a later batch (told so in its copy of settlement.created: bankAccountMissing); audited.',
    money: 'None yet: the payables stay payable until the batch is paid.',
  })
  @Authenticated('bureau')
  @ApiCreatedResponse({
    type: SettlementView,
    description: 'a batch of every approved claim of the region not yet in one, one line per payee',
  })
  @Refuses(CreateSettlement)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateSettlementInput): Promise<SettlementView> {
    return unwrap(await this.createSettlement.execute({ actor, ...body }));
  }

  @Get()
  @Explained({
    summary: 'Settlement batches within the caller’s scope',
    who: 'Any signed-in user: the bureau its region’s (and its province’s), the platform all, a payee the batches with a line for it.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'A payee’s items carry only its own line and its amount as totalFen.',
  })
  @Authenticated()
  @ApiOkResponse({ type: SettlementPage, description: 'a payee’s items carry its own line (lines) and its amount as totalFen' })
  list(@CurrentActor() actor: Actor, @Query() q: SettlementQuery): Promise<SettlementPage> {
    return this.queries.list(actor, q);
  }

  @Get(':id')
  @Explained({
    summary: 'One settlement batch with its lines',
    who: 'The bureau of its region (or province), the platform, and a payee with a line in it (only its own line); anyone else gets 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: SettlementView, description: 'for a payee only its own line, and totalFen is that line’s amount' })
  get(@CurrentActor() actor: Actor, @Param('id', new IdPipe('settlement')) id: string): Promise<SettlementView> {
    return this.queries.get(actor, id);
  }

  @Post(':id/pay')
  @Explained({
    summary: 'Record a settlement batch as paid by the treasury (拨付)',
    who: 'A bureau user of the batch’s region other than the one who created the batch (dual control: DUAL_CONTROL_REQUIRED).',
    changes:
      'open → paid once, with the payment reference (one reference pays one batch of a region: 409 PAYMENT_REF_USED naming the batch that used it); a payee suspended or sanctioned since the batch was made, or whose line was prepared without a bank account (before accounts were required), or that has since asked to change the account its line was prepared with (the change waiting for its bureau, or confirmed: held back with bankAccountChanged), leaves it, its claims waiting for a later batch (none left to pay: 422 PAYEE_ACCOUNT_MISSING); a voided batch is 409 INVALID_STATE; the payees are notified; audited.',
    money: 'Each payee’s payable moves to paid in the ledger.',
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: SettlementView, description: 'paid: the payables move to paid in the ledger' })
  @Refuses(PaySettlement)
  async pay(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('settlement')) id: string,
    @Body() body: PaySettlementInput,
  ): Promise<SettlementView> {
    return unwrap(await this.paySettlement.execute({ actor, settlementId: id, paymentRef: body.paymentRef }));
  }

  @Post(':id/void')
  @Explained({
    summary: 'Void an open settlement batch (作废), with a reason',
    who: 'A bureau user of the batch’s region other than the one who created the batch (dual control: DUAL_CONTROL_REQUIRED).',
    changes:
      'open → voided once, stamped voidedAt and voidReason: for a batch prepared in error (a wrong period) or that no treasury can pay (every line without a bank account, every payee suspended). Its claims go back, approved and payable, for a later batch; it keeps its number and lines as its record, and its statement and lines.csv say 已作废. A paid batch is 409 INVALID_STATE naming its payment reference; a voided one 409 INVALID_STATE; of a void and a payment at once one wins. Audited; each payee hears of its own line (settlement.voided).',
    money: 'None: preparing the batch moved none (the payables stay payable until paid), so there is nothing to reverse.',
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: SettlementView, description: 'voided: its claims are approved and in no batch again' })
  @Refuses(VoidSettlement)
  async void(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('settlement')) id: string,
    @Body() body: VoidSettlementInput,
  ): Promise<SettlementView> {
    return unwrap(await this.voidSettlement.execute({ actor, settlementId: id, reason: body.reason }));
  }

  @Get(':id/statement')
  @Explained({
    summary: 'A settlement batch’s statement (结算单) as a PDF',
    who: 'The bureau of its region (or province), the platform, and a payee (its own statement only).',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Per-payee lines with their banks, totals in figures and in words, payment reference; one payee’s with `payeeId`. The bank accounts are in full for the paying bureau (of the batch’s region or its province) only, masked (**** **** 5432) for anyone else.',
  })
  @Authenticated()
  @ApiProduces('application/pdf')
  @ApiFileResponse(
    'the statement as a PDF: per-payee lines, totals in figures and in words, payment reference; one payee’s with payeeId (a payee: its own)',
    'application/pdf',
  )
  @Header('Content-Type', 'application/pdf')
  async statement(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('settlement')) id: string,
    @Query() q: StatementQuery,
  ): Promise<StreamableFile> {
    const data = await this.queries.statement(actor, id, q.payeeId);
    const pdf = await this.documents.renderSettlementStatement(data);
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `inline; filename="${statementFile(data)}.pdf"` });
  }

  @Get(':id/lines.csv')
  @Explained({
    summary: 'A settlement batch’s lines as CSV for the treasury',
    who: 'Bureaus of the batch’s region (or province) and the platform; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'UTF-8 with BOM, CRLF, amounts in fen and yuan, with the payees’ banks: the accounts in full for the paying bureau (of the batch’s region or its province) only, masked (**** **** 5432) for the platform.',
  })
  @Authenticated('bureau', 'platform')
  @ApiProduces('text/csv')
  @ApiFileResponse(
    'the lines for the treasury: UTF-8 with BOM, CRLF, amounts in fen and yuan; bank accounts in full for the paying bureau only, else masked',
    'text/csv',
  )
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async linesCsv(@CurrentActor() actor: Actor, @Param('id', new IdPipe('settlement')) id: string): Promise<StreamableFile> {
    const data = await this.queries.statement(actor, id);
    return new StreamableFile(Buffer.from(this.documents.settlementLinesCsv(data), 'utf8'), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${statementFile(data)}.csv"`,
    });
  }
}
