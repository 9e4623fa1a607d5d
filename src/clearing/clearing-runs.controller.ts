import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { appConfig, type AppConfig } from '../config/configuration';
import { HttpReply } from '../common/http/http-neutral';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { IdPipe } from '../common/http/id.pipe';
import { PageQuery } from '../common/http/paging';
import {
  ClearingDocumentQuery,
  ClearingPreviewQuery,
  ClearingProposalQuery,
  ClearingRunPage,
  ClearingRunPreview,
  ClearingRunProposalPage,
  ClearingRunProposalView,
  ClearingRunView,
  CreateClearingRunInput,
  ProvincePositionView,
  VoidClearingRunInput,
} from './clearing.dto';
import { ClearingRunsService } from './clearing-runs.service';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('clearing')
@ApiExtraModels(ClearingRunView, ProvincePositionView, ClearingRunProposalView)
@Controller('clearing-runs')
export class ClearingRunsController {
  constructor(
    private readonly runs: ClearingRunsService,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  @Post()
  @Explained({
    summary: 'Record a clearing run (清算) over the settlement lines paid in [from, to]',
    who: 'The platform only; other roles are 403.',
    changes:
      'Records the run under an id that never changes: gross flows, net positions, transfers, totals and the SHA-256 of its CSV. Each paid settlement line is taken in by one run only: a run of the same or an overlapping period holds only the lines paid since the earlier runs, never a change to them, so the transfers of all runs together are what is owed once. A line paid before `from` that no run took in (paid on a period’s last day after its run) is taken in too.',
    money: 'None in the service: the run says what the provinces’ treasuries owe one another.',
    details:
      '`to` may not lie after today (422 PERIOD_NOT_ENDED): today is allowed, and lines paid later today go into the next run. A run whose `from` leaves behind uncleared lines paid on days no standing (unvoided) run covers (a period never recorded, as Q2 when Q3 is recorded first, or a voided run’s) is 422 UNCLEARED_BEFORE_PERIOD naming the first such day, unless `catchUp: true` takes them in; lines paid on a covered day after its run (a period’s last day) are caught up without it. With two-person recording on (CLEARING_TWO_PERSON=true, 双人复核) the run is only proposed: 202 with a ClearingRunProposalView (status proposed, no number, no line taken in), which another platform person confirms (POST /api/clearing-runs/{id}/confirm) or either discards (POST /api/clearing-runs/{id}/void).',
  })
  @Authenticated('platform')
  @ApiCreatedResponse({ type: ClearingRunView })
  @ApiAcceptedResponse({
    type: ClearingRunProposalView,
    description: 'two-person recording on: proposed, for another platform person to confirm',
  })
  @Refuses(ClearingRunsService.recordRefusals)
  async record(
    @CurrentActor() actor: Actor,
    @Body() body: CreateClearingRunInput,
    @Res({ passthrough: true }) res: HttpReply,
  ): Promise<ClearingRunView | ClearingRunProposalView> {
    if (!this.config.clearingTwoPerson) return this.runs.record(actor, body.from, body.to, body.catchUp === true);
    res.status(202);
    return this.runs.propose(actor, body.from, body.to, body.catchUp === true);
  }

  @Get()
  @Explained({
    summary: 'Recorded clearing runs, newest first',
    who: 'The platform (whole runs) and provinces’ bureaus (their province’s position in each run); a city’s bureau and other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'A bureau reads what its province paid and received gross, its net position and the transfers it makes or receives.',
  })
  @Authenticated('platform', 'bureau')
  @ApiOkResponse({ type: ClearingRunPage })
  list(@CurrentActor() actor: Actor, @Query() q: PageQuery): Promise<ClearingRunPage> {
    return this.runs.list(actor, q);
  }

  // Before ':id', which would take `preview` for a run's id.
  @Get('preview')
  @Explained({
    summary: 'Preview the clearing run POST would record for [from, to] now, recording nothing (a dry run)',
    who: 'The platform only; other roles are 403.',
    changes:
      'Nothing: no run, number, audit entry or event. It takes the lines POST would take in (paid up to `to`, across provinces, that no run took in yet, some paid before `from`), so its figures are the run’s if no batch is paid and no run recorded in between; unlike GET /api/clearing, which clears every line paid in the period whichever run took it in.',
    money: 'None: it shows the gross flows, net positions and transfers the run would record.',
    details:
      'The same refusals as POST: `from` after `to` is 400, `to` after today 422 PERIOD_NOT_ENDED, uncleared lines on days before `from` that no standing run covers 422 UNCLEARED_BEFORE_PERIOD unless `catchUp=true`.',
  })
  @Authenticated('platform')
  @ApiOkResponse({ type: ClearingRunPreview })
  @Refuses(ClearingRunsService.recordRefusals)
  preview(@Query() q: ClearingPreviewQuery): Promise<ClearingRunPreview> {
    return this.runs.preview(q.from, q.to, q.catchUp === true);
  }

  // Before ':id' too.
  @Get('proposals')
  @Explained({
    summary: 'Clearing run proposals (双人复核), newest first: with `status=proposed` those waiting for a checker',
    who: 'The platform only; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Each with its figures as proposed (gross and transfer totals in fen, line count), its proposer and when, and once decided who confirmed or discarded it and when. A confirmed one is its run, under the same id (GET /api/clearing-runs/{id}).',
  })
  @Authenticated('platform')
  @ApiOkResponse({ type: ClearingRunProposalPage })
  listProposals(@Query() q: ClearingProposalQuery): Promise<ClearingRunProposalPage> {
    return this.runs.listProposals(q);
  }

  @Get('proposals/:id')
  @Explained({
    summary: 'One clearing run proposal, for the checker to review before confirming it',
    who: 'The platform only; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Its stored figures, proposer and decision; while proposed, `stale` says whether the lines it would take in changed since it was proposed (a confirmation would be 409 INVALID_STATE), and when they did not, its gross flows, net positions and transfers, as the run would record them.',
  })
  @Authenticated('platform')
  @ApiOkResponse({ type: ClearingRunProposalView })
  @Refuses(ClearingRunsService.proposalRefusals)
  getProposal(@Param('id', new IdPipe('clearing run proposal')) id: string): Promise<ClearingRunProposalView> {
    return this.runs.getProposal(id);
  }

  @Get(':id')
  @Explained({
    summary: 'One clearing run: whole for the platform, its province’s position for a province’s bureau',
    who: 'The platform (ClearingRunView) and provinces’ bureaus (ProvincePositionView); a city’s bureau and other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated('platform', 'bureau')
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(ClearingRunView) }, { $ref: getSchemaPath(ProvincePositionView) }] } })
  get(@CurrentActor() actor: Actor, @Param('id', new IdPipe('clearing run')) id: string): Promise<ClearingRunView | ProvincePositionView> {
    return this.runs.get(actor, id);
  }

  @Post(':id/confirm')
  @HttpCode(201)
  @Explained({
    summary: 'Confirm a proposed clearing run (双人复核), recording it',
    who: 'The platform, by a person other than the one who proposed it, nor through an API key of theirs (dual control: DUAL_CONTROL_REQUIRED); other roles are 403.',
    changes:
      'Records the run under the proposal’s id exactly as POST /api/clearing-runs records one in a single step (its number when confirmed, the lines it takes in, figures, CSV hash, audit entry and clearing_run.recorded events; createdBy is the proposer), and marks the proposal confirmed (clearing_run.confirmed). It records only the lines the proposal showed: if they changed since (a batch paid, another run recorded or voided), 409 INVALID_STATE and nothing is recorded; discard it and propose again. Proposed more than CLEARING_PROPOSAL_MAX_DAYS days ago (7 by default) is 409 INVALID_STATE naming its age: discard it and propose again. Confirmed or discarded already is 409 INVALID_STATE; of two confirmations at once one records the run. Uncleared lines before the period that no standing run covers are 422 UNCLEARED_BEFORE_PERIOD, as for POST, unless it was proposed with catchUp.',
    money: 'None in the service: the run says what the provinces’ treasuries owe one another.',
  })
  @Authenticated('platform')
  @ApiCreatedResponse({ type: ClearingRunView })
  @Refuses(ClearingRunsService.confirmRefusals)
  confirm(@CurrentActor() actor: Actor, @Param('id', new IdPipe('clearing run')) id: string): Promise<ClearingRunView> {
    return this.runs.confirm(actor, id);
  }

  @Post(':id/void')
  @HttpCode(200)
  @Explained({
    summary: 'Void a clearing run recorded in error (作废), with a reason',
    who: 'The platform, by a person other than the one who recorded the run (dual control: DUAL_CONTROL_REQUIRED); a proposal not confirmed yet, any platform person (its proposer withdraws it, another declines it); other roles are 403.',
    changes:
      'Stamps the run void (voidedAt, voidedBy, voidReason): it keeps its number, figures and CSV hash, and its lines.csv still lists the lines it took in; those lines go back to be cleared, so a run of its period recorded again takes them in (a run of a later period only with `catchUp: true`: they were paid on days no standing run covers). A run voided already is 409 INVALID_STATE. Audited; each province of the run hears of it through the feed (clearing_run.voided) with its position. The id of a proposal (two-person recording) not confirmed yet discards it: 200 with the ClearingRunProposalView, status discarded, audited as clearing_run.discarded; discarded or confirmed already is 409 INVALID_STATE (a confirmed one is its run, voided as above).',
    money:
      'None in the service: the run moved no money and wrote nothing to the ledger, so there is nothing to reverse. Whatever the treasuries paid on it is theirs to settle against the run that replaces it.',
  })
  @Authenticated('platform')
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(ClearingRunView) }, { $ref: getSchemaPath(ClearingRunProposalView) }] } })
  @Refuses(ClearingRunsService.voidRefusals)
  voidRun(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('clearing run')) id: string,
    @Body() body: VoidClearingRunInput,
  ): Promise<ClearingRunView | ClearingRunProposalView> {
    return this.runs.voidRun(actor, id, body.reason);
  }

  @Get(':id/report.pdf')
  @Explained({
    summary: 'A clearing run as a PDF for the treasuries',
    who: 'The platform only; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'The run’s identity and CSV SHA-256, then gross flows, net positions and transfers by province name, the transfers total in figures and in words.',
  })
  @Authenticated('platform')
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'the PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } })
  @Header('Content-Type', 'application/pdf')
  async pdf(@Param('id', new IdPipe('clearing run')) id: string): Promise<StreamableFile> {
    const { runNo, pdf } = await this.runs.pdf(id);
    return new StreamableFile(pdf, {
      type: 'application/pdf',
      disposition: `inline; filename="clearing-run-${runNo}.pdf"`,
    });
  }

  @Get(':id/entries.csv')
  @Explained({
    summary: 'A clearing run’s figures as CSV for the treasuries',
    who: 'The platform only; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'One row per gross flow, net position and transfer; UTF-8 with BOM, CRLF, amounts in fen and yuan. Its SHA-256 is the run’s csvSha256.',
  })
  @Authenticated('platform')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'the CSV', content: { 'text/csv': { schema: { type: 'string' } } } })
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async csv(@Param('id', new IdPipe('clearing run')) id: string): Promise<StreamableFile> {
    const { runNo, csv } = await this.runs.csv(id);
    return new StreamableFile(Buffer.from(csv, 'utf8'), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="clearing-run-${runNo}.csv"`,
    });
  }

  @Get(':id/lines.csv')
  @Explained({
    summary: 'The settlement lines a clearing run took in, as CSV, to reconcile the run with the batches behind it',
    who: 'The platform (every line, or with `province` that province’s) and the bureau of a province in the run (the lines its province issued or was paid by; `province` may name only its own, another is 403); a city’s bureau and other roles are 403, a province with no part in the run 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'One row per paid settlement line the run took in, in the order paid: its batch (id, batchNo, region, paymentRef), payee, issuing and payee province, amount in fen and yuan, the payment instant and its Beijing day (paidOn; one before the run’s `from` is a line paid after an earlier run of its period was recorded, or caught up with catchUp). Per province pair the lines add up to the run’s gross flows, to the fen; a province’s lines add up to its grossPaidFen and grossReceivedFen. A voided run still lists the lines it took in. UTF-8 with BOM, CRLF.',
  })
  @Authenticated('platform', 'bureau')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'the CSV', content: { 'text/csv': { schema: { type: 'string' } } } })
  @Refuses(ClearingRunsService.documentRefusals)
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async linesCsv(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('clearing run')) id: string,
    @Query() q: ClearingDocumentQuery,
  ): Promise<StreamableFile> {
    const { runNo, csv } = await this.runs.linesCsv(actor, id, q.province);
    return new StreamableFile(Buffer.from(csv, 'utf8'), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="clearing-run-${runNo}-lines.csv"`,
    });
  }

  @Get(':id/notice.pdf')
  @Explained({
    summary: 'A province’s clearing notice (清算通知书): its side of a clearing run as a PDF for its treasury to file',
    who: 'The bureau of a province in the run (`province` may name only its own, another is 403), and the platform naming the province (`province`, required: 400 without it); a city’s bureau and other roles are 403, a province with no part in the run 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'The run’s number, period, recording time, CSV SHA-256 and id; the province’s net position (pays, receives or even) in figures and in words with its gross paid and received; the transfers it makes (to whom) and receives (from whom); the run’s gross flows its province pays or receives; how many of the run’s lines are its own (GET lines.csv lists them). The same stored figures as GET /api/clearing-runs/:id. A voided run’s notice is stamped 已作废 / VOID, with the day and the reason.',
  })
  @Authenticated('platform', 'bureau')
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'the PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } })
  @Refuses(ClearingRunsService.documentRefusals)
  @Header('Content-Type', 'application/pdf')
  async notice(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('clearing run')) id: string,
    @Query() q: ClearingDocumentQuery,
  ): Promise<StreamableFile> {
    const { runNo, provinceCode, pdf } = await this.runs.notice(actor, id, q.province);
    return new StreamableFile(pdf, {
      type: 'application/pdf',
      disposition: `inline; filename="clearing-notice-${runNo}-${provinceCode}.pdf"`,
    });
  }
}
