import { Inject, Injectable } from '@nestjs/common';
import { appConfig, type AppConfig } from '../config/configuration';
import { proposalAgeDays, proposalExpired } from './clearing-proposal.rules';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { Notifier } from '../notifications/notifier';
import { assertStillActs } from '../api-keys/still-acts';
import { assertBureauOf, provinceOfRegion } from '../common/auth/scope';
import { beijingYear, clock } from '../common/clock';
import { Actor, personOf } from '../common/context/request-context';
import { catalogued, notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { DocumentsService } from '../documents/documents.service';
import { regionName } from '../regions/regions.data';
import { sha256 } from '../common/hash';
import { clearingRunCsv, clearingRunLinesCsv } from './clearing-run.csv';
import { ClearingRun, ClearingRunEntry, ClearingRunProposal, type ProposalStatus } from './clearing-run.entity';
import { ClearingRunRepository } from './clearing-run.repository';
import { ClearingRunPreview, ClearingRunProposalView, ClearingRunView, ProvincePositionView } from './clearing.dto';
import { ClearingService } from './clearing.service';
import type { Clearing, Flow } from './netting';

/**
 * Clearing runs: the platform records a clearing of a period (gross flows, net positions, transfers) under an id and a
 * readable number that never change, with its CSV's SHA-256; provinces' bureaus read their province's position in each
 * run. No money moves: the run says what the treasuries owe one another, and they pay outside the service. Each paid
 * line is taken in by one run in force only (a voided run gives its lines back to the next), so the transfers of the
 * runs not voided add up to what is owed however their periods overlap.
 */
@Injectable()
export class ClearingRunsService {
  static readonly recordRefusals = ['VALIDATION_FAILED', 'FORBIDDEN', 'PERIOD_NOT_ENDED', 'UNCLEARED_BEFORE_PERIOD'] as const;
  static readonly proposalRefusals = ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'] as const;
  static readonly documentRefusals = ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND'] as const;
  static readonly voidRefusals = ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'DUAL_CONTROL_REQUIRED', 'INVALID_STATE'] as const;
  static readonly confirmRefusals = [
    'VALIDATION_FAILED',
    'FORBIDDEN',
    'NOT_FOUND',
    'DUAL_CONTROL_REQUIRED',
    'INVALID_STATE',
    'UNCLEARED_BEFORE_PERIOD',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly runs: ClearingRunRepository,
    private readonly clearing: ClearingService,
    private readonly documents: DocumentsService,
    private readonly people: ApiKeyRepository,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
    private readonly notifier: Notifier,
  ) {}

  record(actor: Actor, from: string, to: string, catchUp = false): Promise<ClearingRunView> {
    assertPeriod(from, to);
    return this.uow.run(async () => {
      await this.runs.queue();
      if (!catchUp) await this.assertNothingSkipped(from);
      const [recorded, entries] = await this.recordRun(newId(), personOf(actor), from, to);
      return fullView(recorded, entries);
    });
  }

  /**
   * Two-person recording (CLEARING_TWO_PERSON): the run POST would record, proposed and recorded nowhere else — no line
   * taken in, no number — with a hash of the lines it would take in, for another platform person to confirm. The same
   * refusals as POST; on the recordings' queue, so its figures and its lines are those the last recording left.
   */
  propose(actor: Actor, from: string, to: string, catchUp = false): Promise<ClearingRunProposalView> {
    assertPeriod(from, to);
    return this.uow.run(async () => {
      await this.runs.queue();
      if (!catchUp) await this.assertNothingSkipped(from);
      const { gross, net, transfers, lineCount } = await this.clearing.previewRun(from, to);
      const proposal: ClearingRunProposal = {
        id: newId(),
        fromDate: from,
        toDate: to,
        catchUp,
        grossTotalFen: sum(gross),
        transferTotalFen: sum(transfers),
        lineCount,
        linesSha256: await this.clearing.unclearedLinesHash(to),
        proposedBy: personOf(actor),
        proposedAt: clock.iso(),
        status: 'proposed',
        decidedBy: null,
        decidedAt: null,
        discardReason: null,
      };
      await this.runs.insertProposal(proposal);
      this.uow.record({
        action: 'clearing_run.proposed',
        entityType: 'clearing_run',
        entityId: proposal.id,
        summary: { from, to, catchUp, lineCount, grossTotalFen: proposal.grossTotalFen, transferTotalFen: proposal.transferTotalFen },
      });
      return { ...proposalView(proposal), gross, net, transfers };
    });
  }

  /**
   * A second platform person (not the proposer, nor an API key of the proposer's: personOf) confirms a proposal: the run
   * is recorded under the proposal's id as POST records one, on the same queue, in the same order, numbered when
   * confirmed, the proposer its maker. It records only the lines the proposal showed: had they changed since (a batch
   * paid, a run recorded or voided meanwhile), the run's lines differ from the proposal's hash and the confirmation is
   * refused (409), the whole unit undone — the checker signs the figures they reviewed, never others re-derived unseen.
   */
  confirm(actor: Actor, id: string): Promise<ClearingRunView> {
    return this.uow.run(async () => {
      await this.runs.queue();
      // A checker disabled (or signed out, their key revoked) while this request ran confirms nothing: read under shared
      // locks after the queue, the recordings' first lock, which no disabling takes, so no lock cycle is made.
      await assertStillActs(this.people, actor);
      const proposal = await this.runs.proposal(id);
      if (!proposal) throw notFound('clearing run');
      if (proposal.proposedBy === personOf(actor)) throw catalogued('DUAL_CONTROL_REQUIRED', 'clearing.proposerConfirms', { id });
      if (proposal.status !== 'proposed') throw await this.decided(proposal);
      const decidedAt = clock.iso();
      if (proposalExpired(proposal.proposedAt, decidedAt, this.config.clearingProposalMaxDays)) {
        throw catalogued('INVALID_STATE', 'clearing.proposalExpired', {
          id,
          days: proposalAgeDays(proposal.proposedAt, decidedAt),
          proposedAt: proposal.proposedAt,
          maxDays: this.config.clearingProposalMaxDays,
        });
      }
      if (!proposal.catchUp) await this.assertNothingSkipped(proposal.fromDate);
      // The guarded update decides between two confirmations (or a confirmation and a discard) at once.
      if (!(await this.runs.decideProposal(id, 'confirmed', personOf(actor), decidedAt, null))) {
        throw await this.decided((await this.runs.proposal(id))!);
      }
      const [recorded, entries] = await this.recordRun(id, proposal.proposedBy, proposal.fromDate, proposal.toDate, async (fen) => {
        const lines = await this.clearing.linesHashOfRun(id);
        if (lines.sha256 === proposal.linesSha256) return;
        throw catalogued('INVALID_STATE', 'clearing.proposalStale', {
          id,
          proposedLines: proposal.lineCount,
          proposedFen: proposal.grossTotalFen,
          lines: lines.count,
          fen,
        });
      });
      this.uow.record({
        action: 'clearing_run.confirmed',
        entityType: 'clearing_run',
        entityId: id,
        summary: { runNo: recorded.runNo, proposedBy: proposal.proposedBy, proposedAt: proposal.proposedAt, lineCount: proposal.lineCount },
      });
      // The proposer hears that another person signed it, in this unit: a confirmation undone tells nobody.
      await this.notifier.clearingProposalDecided(proposalView(proposal), {
        at: decidedAt,
        by: actor.username,
        runNo: recorded.runNo,
      });
      return fullView(recorded, entries);
    });
  }

  /**
   * Records run `id` of [from, to] made by `createdBy`, in the caller's unit, behind the queue and the order check: takes
   * in the lines no run took in, numbers it, audits it and tells each province its position. `check` may refuse the lines
   * taken in (by their gross total) before the run takes a number; throwing undoes the unit.
   */
  private async recordRun(
    id: string,
    createdBy: string,
    from: string,
    to: string,
    check?: (grossTotalFen: number) => Promise<void>,
  ): Promise<[ClearingRun, ClearingRunEntry[]]> {
    const result = await this.clearing.clearForRun(id, to);
    await check?.(sum(result.gross));
    // One instant names the run's year and its createdAt: a run recorded as a year turns is numbered in the year it
    // says it was recorded, as the migration numbered the earlier ones.
    const createdAt = clock.iso();
    const run: Omit<ClearingRun, 'csvSha256'> = {
      id,
      runNo: await this.runs.nextRunNo(beijingYear(createdAt)),
      fromDate: from,
      toDate: to,
      grossTotalFen: sum(result.gross),
      transferTotalFen: sum(result.transfers),
      createdBy,
      createdAt,
      voidedAt: null,
      voidedBy: null,
      voidReason: null,
    };
    const entries = entriesOf(run.id, result);
    const recorded: ClearingRun = { ...run, csvSha256: sha256(clearingRunCsv(run, entries)) };
    await this.runs.insert(recorded, entries);
    this.uow.record({
      action: 'clearing_run.recorded',
      entityType: 'clearing_run',
      entityId: run.id,
      summary: {
        runNo: run.runNo,
        from,
        to,
        grossTotalFen: run.grossTotalFen,
        transferTotalFen: run.transferTotalFen,
        csvSha256: recorded.csvSha256,
      },
      // Each province's bureau reads its own position in every run (GET /api/clearing-runs/:id), and so hears of a run
      // it takes part in, with that position only; the run's own event, with no region, is the platform's.
      recipients: positionsOf(recorded, entries),
    });
    return [recorded, entries];
  }

  /** 409: the proposal left `proposed` already, confirmed (naming its run) or discarded (with the reason). */
  private async decided(proposal: ClearingRunProposal) {
    if (proposal.status === 'confirmed') {
      const run = await this.runs.get(proposal.id);
      return catalogued('INVALID_STATE', 'clearing.proposalConfirmed', { id: proposal.id, runNo: run?.runNo ?? '' });
    }
    return catalogued('INVALID_STATE', 'clearing.proposalDiscarded', { id: proposal.id, reason: proposal.discardReason ?? '' });
  }

  /** Withdraws a proposal (its proposer) or declines it (another platform person), with a reason: nothing was recorded. */
  private async discard(actor: Actor, proposal: ClearingRunProposal, reason: string): Promise<ClearingRunProposalView> {
    const decidedAt = clock.iso();
    if (!(await this.runs.decideProposal(proposal.id, 'discarded', personOf(actor), decidedAt, reason))) {
      throw await this.decided((await this.runs.proposal(proposal.id))!);
    }
    this.uow.record({
      action: 'clearing_run.discarded',
      entityType: 'clearing_run',
      entityId: proposal.id,
      summary: { from: proposal.fromDate, to: proposal.toDate, reason, proposedBy: proposal.proposedBy },
    });
    // Declined by another person: the proposer hears it, with the reason (withdrawn by the proposer: nothing to tell).
    if (personOf(actor) !== proposal.proposedBy) {
      await this.notifier.clearingProposalDecided(proposalView(proposal), {
        at: decidedAt,
        by: actor.username,
        reason,
      });
    }
    return proposalView({ ...proposal, status: 'discarded', decidedBy: personOf(actor), decidedAt, discardReason: reason });
  }

  /**
   * Voids a run recorded in error, by a second person (not the one who recorded it), with a reason. The run keeps its
   * number, figures and CSV hash, stamped void; the lines it took in go back to be cleared by a run of its period
   * recorded again (or caught up by a later one, with catchUp), so nothing is owed twice or left behind. No money moved when it was recorded (the treasuries pay
   * outside the service) and it wrote nothing to the ledger, so there is nothing to reverse there.
   */
  voidRun(actor: Actor, id: string, reason: string): Promise<ClearingRunView | ClearingRunProposalView> {
    return this.uow.run(async () => {
      // Queued with the recordings: one that checked the run's period covered never takes its lines as they come back.
      await this.runs.queue();
      const run = await this.runs.get(id);
      if (!run) {
        // A proposal not confirmed has no run: voiding it discards it (a confirmed one is its run, voided as above).
        const proposal = await this.runs.proposal(id);
        if (!proposal) throw notFound('clearing run');
        return this.discard(actor, proposal, reason);
      }
      if (run.createdBy === personOf(actor)) throw catalogued('DUAL_CONTROL_REQUIRED', 'clearing.makerVoids', { runNo: run.runNo });
      const voidedAt = clock.iso();
      // The guarded stamp decides between two voids at once, before any line moves: the loser moves none.
      if (!(await this.runs.markVoided(id, personOf(actor), voidedAt, reason))) {
        throw catalogued('INVALID_STATE', 'clearing.alreadyVoided', { runNo: run.runNo });
      }
      const lines = await this.clearing.releaseRun(id);
      const voided: ClearingRun = { ...run, voidedAt, voidedBy: personOf(actor), voidReason: reason };
      const entries = await this.runs.entries(id);
      this.uow.record({
        action: 'clearing_run.voided',
        entityType: 'clearing_run',
        entityId: id,
        summary: {
          runNo: run.runNo,
          reason,
          lines,
          grossTotalFen: run.grossTotalFen,
          transferTotalFen: run.transferTotalFen,
          recordedBy: run.createdBy,
        },
        // Each province the run told of its position hears that it is void, with that position, as when it was recorded.
        recipients: positionsOf(voided, entries).map((r) => ({ ...r, summary: { ...r.summary, reason } })),
      });
      return fullView(voided, entries);
    });
  }

  /**
   * The run POST would record for [from, to] if made now, recorded nowhere (no number, no audit entry, no event): the
   * same lines it would take in and the same figures, for the platform to check before it records. The same refusals.
   */
  async preview(from: string, to: string, catchUp = false): Promise<ClearingRunPreview> {
    assertPeriod(from, to);
    if (!catchUp) await this.assertNothingSkipped(from);
    const { gross, net, transfers, lineCount, caughtUpLineCount, caughtUpFen } = await this.clearing.previewRun(from, to);
    return {
      from,
      to,
      gross,
      net,
      transfers,
      grossTotalFen: sum(gross),
      transferTotalFen: sum(transfers),
      lineCount,
      caughtUpLineCount,
      caughtUpFen,
      computedAt: clock.iso(),
    };
  }

  async list(actor: Actor, q: { limit: number; offset: number }): Promise<Page<ClearingRunView | ProvincePositionView>> {
    assertReader(actor);
    const page = await this.runs.list(q);
    const items = await Promise.all(page.items.map(async (run) => this.viewFor(actor, run, await this.runs.entries(run.id))));
    return { items, total: page.total };
  }

  /** Proposals for the platform, newest first, with their stored figures (totals, line count, proposer, when). */
  async listProposals(q: { status?: ProposalStatus; limit: number; offset: number }): Promise<Page<ClearingRunProposalView>> {
    const page = await this.runs.listProposals(q.status, q);
    return { items: page.items.map(proposalView), total: page.total };
  }

  /**
   * One proposal, for the checker to review before confirming. Its flows are not stored: while it waits they are those
   * of the lines it would take in now, shown only if those are still the lines it fixed (same hash, so the same figures
   * the proposer saw); otherwise it is stale, as a confirmation would find it (409). Read in one unit: one snapshot.
   */
  getProposal(id: string): Promise<ClearingRunProposalView> {
    return this.uow.run(async () => {
      const proposal = await this.runs.proposal(id);
      if (!proposal) throw notFound('clearing run proposal');
      if (proposal.status !== 'proposed') return proposalView(proposal);
      if ((await this.clearing.unclearedLinesHash(proposal.toDate)) !== proposal.linesSha256)
        return { ...proposalView(proposal), stale: true };
      const { gross, net, transfers } = await this.clearing.previewRun(proposal.fromDate, proposal.toDate);
      return { ...proposalView(proposal), stale: false, gross, net, transfers };
    });
  }

  async get(actor: Actor, id: string): Promise<ClearingRunView | ProvincePositionView> {
    assertReader(actor);
    const run = await this.runs.get(id);
    if (!run) throw notFound('clearing run');
    return this.viewFor(actor, run, await this.runs.entries(id));
  }

  /** The run's CSV, the same bytes it was recorded with (its SHA-256 is the run's csvSha256), and the run's number. */
  async csv(id: string): Promise<{ runNo: string; csv: string }> {
    const [run, entries] = await this.stored(id);
    return { runNo: run.runNo, csv: clearingRunCsv(run, entries) };
  }

  /**
   * The settlement lines the run took in, as CSV (they add up to its gross flows), and the run's number: all of them for
   * the platform; those a province issued or was paid by (its own flows) for its bureau, or for the platform naming it;
   * a province with no part in the run 404 (provinceOf).
   */
  async linesCsv(actor: Actor, id: string, province?: string): Promise<{ runNo: string; csv: string }> {
    const side = sideOf(actor, province);
    const [run, entries] = await this.stored(id);
    const provinceCode = side === null ? undefined : provinceOf(side, run, entries);
    const lines = await this.clearing.linesOfRun(id, run.voidedAt !== null, provinceCode);
    return { runNo: run.runNo, csv: clearingRunLinesCsv(run, lines) };
  }

  /**
   * A province's clearing notice (清算通知书): its position in the run as a PDF its treasury can file and pay on, from
   * the run's stored figures (the same as GET /api/clearing-runs/:id answers it), with the gross flows of its province
   * and how many of the run's lines are its own. For a province's bureau, and for the platform naming the province (to
   * print it for a treasury, or check it): a city's bureau 403, a province with no part in the run 404 (provinceOf).
   */
  async notice(actor: Actor, id: string, province?: string): Promise<{ runNo: string; provinceCode: string; pdf: Buffer }> {
    const side = sideOf(actor, province);
    if (side === null) throw catalogued('VALIDATION_FAILED', 'clearing.provinceRequired');
    const [run, entries] = await this.stored(id);
    const provinceCode = provinceOf(side, run, entries);
    const position = positionView(run, entries, provinceCode);
    const lineCount = await this.clearing.countLinesOfRun(id, run.voidedAt !== null, provinceCode);
    const name = (code: string) => `${regionName(code)}（${code}）`;
    const pdf = await this.documents.renderClearingNotice({
      runId: run.id,
      runNo: run.runNo,
      from: run.fromDate,
      to: run.toDate,
      createdAt: run.createdAt,
      csvSha256: run.csvSha256,
      province: name(provinceCode),
      netFen: position.netFen,
      grossPaidFen: position.grossPaidFen,
      grossReceivedFen: position.grossReceivedFen,
      pays: position.pays.map((f) => ({ to: name(f.toProvinceCode), amountFen: f.amountFen })),
      receives: position.receives.map((f) => ({ from: name(f.fromProvinceCode), amountFen: f.amountFen })),
      gross: flowsOf(entries, 'gross')
        .filter((f) => f.fromProvinceCode === provinceCode || f.toProvinceCode === provinceCode)
        .map((f) => ({ from: name(f.fromProvinceCode), to: name(f.toProvinceCode), amountFen: f.amountFen })),
      lineCount,
      ...(run.voidedAt ? { voided: { at: run.voidedAt, reason: run.voidReason! } } : {}),
    });
    return { runNo: run.runNo, provinceCode, pdf };
  }

  /** The run as a PDF for the treasuries: the same stored figures, by province name; and the run's number. */
  async pdf(id: string): Promise<{ runNo: string; pdf: Buffer }> {
    const run = fullView(...(await this.stored(id)));
    const name = (code: string) => `${regionName(code)}（${code}）`;
    const pdf = await this.documents.renderClearingRun({
      id: run.id,
      runNo: run.runNo,
      from: run.from,
      to: run.to,
      createdAt: run.createdAt,
      grossTotalFen: run.grossTotalFen,
      transferTotalFen: run.transferTotalFen,
      csvSha256: run.csvSha256,
      gross: run.gross.map((f) => ({ from: name(f.fromProvinceCode), to: name(f.toProvinceCode), amountFen: f.amountFen })),
      net: run.net.map((n) => ({ province: name(n.provinceCode), netFen: n.netFen })),
      transfers: run.transfers.map((f) => ({ from: name(f.fromProvinceCode), to: name(f.toProvinceCode), amountFen: f.amountFen })),
      ...(run.voidedAt ? { voided: { at: run.voidedAt, reason: run.voidReason! } } : {}),
    });
    return { runNo: run.runNo, pdf };
  }

  /**
   * A run whose period starts after days no standing run covers, on which lines were paid and are uncleared, would take
   * those lines in under a later period (Q3 recorded before Q2): the treasuries would read Q2's money as Q3's and Q2 would
   * never be run. Refused, naming the first such day, unless the platform means it (catchUp).
   */
  private async assertNothingSkipped(from: string): Promise<void> {
    const day = await this.clearing.firstUncoveredDay(from);
    if (day !== null) throw catalogued('UNCLEARED_BEFORE_PERIOD', 'clearing.unclearedBeforePeriod', { day, from });
  }

  private async stored(id: string): Promise<[ClearingRun, ClearingRunEntry[]]> {
    const run = await this.runs.get(id);
    if (!run) throw notFound('clearing run');
    return [run, await this.runs.entries(id)];
  }

  /** The platform reads the whole run; a province's bureau its province's position (assertReader). */
  private viewFor(actor: Actor, run: ClearingRun, entries: ClearingRunEntry[]): ClearingRunView | ProvincePositionView {
    if (actor.role === 'platform') return fullView(run, entries);
    return positionView(run, entries, provinceOfRegion(actor.regionCode ?? ''));
  }
}

/**
 * A run's position is its province treasury's: a city's bureau (合肥市科学技术局) reads none, as the feed tells it of
 * none, since a bureau acts on its region and the cities below it, never on its province. Checked before the run is read.
 */
function assertReader(actor: Actor): void {
  if (actor.role === 'bureau') assertBureauOf(actor, provinceOfRegion(actor.regionCode ?? ''), 'its province’s clearing position');
}

/**
 * Whose side of a run a document shows, checked before the run is read: a province's bureau its own province (naming
 * another is 403, as a bureau naming a region not its own is elsewhere; a city's bureau 403, assertReader); the
 * platform the province it names, or null for the whole run.
 */
function sideOf(actor: Actor, province: string | undefined): string | null {
  assertReader(actor);
  if (actor.role === 'platform') return province ?? null;
  const own = provinceOfRegion(actor.regionCode ?? '');
  if (province !== undefined && province !== own) assertBureauOf(actor, province, 'its province’s clearing position');
  return own;
}

/**
 * The province's side of the run, as a document (its notice, its lines): a province with no position in the run 404,
 * as it has no side of it, the way a record out of a bureau's scope is 404.
 */
function provinceOf(provinceCode: string, run: ClearingRun, entries: ClearingRunEntry[]): string {
  if (!entries.some((e) => e.kind === 'net' && e.provinceCode === provinceCode)) {
    throw catalogued('NOT_FOUND', 'clearing.notInRun', { provinceCode, runNo: run.runNo });
  }
  return provinceCode;
}

/** A run's period: `from` not after `to` (400), `to` not after today (422): a run is of days that have come. */
function assertPeriod(from: string, to: string): void {
  if (from > to) throw catalogued('VALIDATION_FAILED', 'validation.fromAfterTo', { from, to });
  const today = clock.today();
  if (to > today) throw catalogued('PERIOD_NOT_ENDED', 'clearing.periodNotEnded', { to, today });
}

const sum = (flows: Flow[]): number => flows.reduce((s, f) => s + f.amountFen, 0);

/** Each province of the run (its bureau) with its own position only, as GET /api/clearing-runs/:id answers it. */
function positionsOf(run: ClearingRun, entries: ClearingRunEntry[]) {
  return entries
    .filter((e) => e.kind === 'net')
    .map((e) => {
      const { provinceCode, netFen, grossPaidFen, grossReceivedFen, pays, receives } = positionView(run, entries, e.provinceCode!);
      const { runNo, fromDate: from, toDate: to } = run;
      return { regionCode: provinceCode, summary: { runNo, from, to, netFen, grossPaidFen, grossReceivedFen, pays, receives } };
    });
}

function entriesOf(runId: string, c: Clearing): ClearingRunEntry[] {
  const flow = (kind: 'gross' | 'transfer') => (f: Flow) => ({
    kind,
    fromProvinceCode: f.fromProvinceCode,
    toProvinceCode: f.toProvinceCode,
    provinceCode: null,
    amountFen: f.amountFen,
  });
  const rows = [
    ...c.gross.map(flow('gross')),
    ...c.net.map((n) => ({
      kind: 'net' as const,
      fromProvinceCode: null,
      toProvinceCode: null,
      provinceCode: n.provinceCode,
      amountFen: n.netFen,
    })),
    ...c.transfers.map(flow('transfer')),
  ];
  return rows.map((r, seq) => ({ id: newId(), runId, seq, ...r }));
}

const flowsOf = (entries: ClearingRunEntry[], kind: 'gross' | 'transfer'): Flow[] =>
  entries
    .filter((e) => e.kind === kind)
    .map((e) => ({ fromProvinceCode: e.fromProvinceCode!, toProvinceCode: e.toProvinceCode!, amountFen: e.amountFen }));

function fullView(run: ClearingRun, entries: ClearingRunEntry[]): ClearingRunView {
  return {
    id: run.id,
    runNo: run.runNo,
    from: run.fromDate,
    to: run.toDate,
    gross: flowsOf(entries, 'gross'),
    net: entries.filter((e) => e.kind === 'net').map((e) => ({ provinceCode: e.provinceCode!, netFen: e.amountFen })),
    transfers: flowsOf(entries, 'transfer'),
    grossTotalFen: run.grossTotalFen,
    transferTotalFen: run.transferTotalFen,
    csvSha256: run.csvSha256,
    createdBy: run.createdBy,
    createdAt: run.createdAt,
    ...(run.voidedAt ? { voidedAt: run.voidedAt, voidedBy: run.voidedBy!, voidReason: run.voidReason! } : {}),
  };
}

function proposalView(p: ClearingRunProposal): ClearingRunProposalView {
  return {
    id: p.id,
    status: p.status,
    from: p.fromDate,
    to: p.toDate,
    catchUp: p.catchUp,
    grossTotalFen: p.grossTotalFen,
    transferTotalFen: p.transferTotalFen,
    lineCount: p.lineCount,
    proposedBy: p.proposedBy,
    proposedAt: p.proposedAt,
    ...(p.decidedBy ? { decidedBy: p.decidedBy, decidedAt: p.decidedAt! } : {}),
    ...(p.discardReason !== null ? { discardReason: p.discardReason } : {}),
  };
}

function positionView(run: ClearingRun, entries: ClearingRunEntry[], provinceCode: string): ProvincePositionView {
  const gross = flowsOf(entries, 'gross');
  const transfers = flowsOf(entries, 'transfer');
  return {
    id: run.id,
    runNo: run.runNo,
    from: run.fromDate,
    to: run.toDate,
    createdAt: run.createdAt,
    provinceCode,
    netFen: entries.find((e) => e.kind === 'net' && e.provinceCode === provinceCode)?.amountFen ?? 0,
    grossPaidFen: sum(gross.filter((f) => f.fromProvinceCode === provinceCode)),
    grossReceivedFen: sum(gross.filter((f) => f.toProvinceCode === provinceCode)),
    pays: transfers.filter((f) => f.fromProvinceCode === provinceCode),
    receives: transfers.filter((f) => f.toProvinceCode === provinceCode),
    ...(run.voidedAt ? { voidedAt: run.voidedAt, voidReason: run.voidReason! } : {}),
  };
}
