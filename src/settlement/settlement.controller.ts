import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { DocumentsService } from '../documents/documents.service';
import {
  CreateSettlementInput,
  PaySettlementInput,
  SettlementPage,
  SettlementQuery,
  SettlementView,
  StatementQuery,
} from './settlement.dto';
import { unwrap } from '../common/use-case';
import { SettlementQueries } from './settlement.queries';
import { CreateSettlement } from './use-cases/create-settlement';
import { PaySettlement } from './use-cases/pay-settlement';

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
    private readonly queries: SettlementQueries,
    private readonly documents: DocumentsService,
  ) {}

  @Post()
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
  @Authenticated()
  @ApiOkResponse({ type: SettlementPage, description: 'a payee’s items carry its own line (lines) and its amount as totalFen' })
  list(@CurrentActor() actor: Actor, @Query() q: SettlementQuery): Promise<SettlementPage> {
    return this.queries.list(actor, q);
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: SettlementView, description: 'for a payee only its own line, and totalFen is that line’s amount' })
  get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<SettlementView> {
    return this.queries.get(actor, id);
  }

  @Post(':id/pay')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: SettlementView, description: 'paid: the payables move to paid in the ledger' })
  @Refuses(PaySettlement)
  async pay(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: PaySettlementInput): Promise<SettlementView> {
    return unwrap(await this.paySettlement.execute({ actor, settlementId: id, paymentRef: body.paymentRef }));
  }

  @Get(':id/statement')
  @Authenticated()
  @ApiProduces('application/pdf')
  @ApiOkResponse({
    description:
      'the statement as a PDF: per-payee lines, totals in figures and in words, payment reference; one payee’s with payeeId (a payee: its own)',
  })
  @Header('Content-Type', 'application/pdf')
  async statement(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Query() q: StatementQuery): Promise<StreamableFile> {
    const pdf = await this.documents.renderSettlementStatement(await this.queries.statement(actor, id, q.payeeId));
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `inline; filename="settlement-${id}.pdf"` });
  }

  @Get(':id/lines.csv')
  @Authenticated('bureau', 'platform')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'the lines for the treasury: UTF-8 with BOM, CRLF, amounts in fen and yuan' })
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async linesCsv(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<StreamableFile> {
    const csv = this.documents.settlementLinesCsv(await this.queries.statement(actor, id));
    return new StreamableFile(Buffer.from(csv, 'utf8'), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="settlement-${id}.csv"`,
    });
  }
}
