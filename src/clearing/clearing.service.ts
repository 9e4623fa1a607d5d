import { Injectable } from '@nestjs/common';
import { beijingDate, beijingDayStart } from '../common/clock';
import { catalogued } from '../common/errors/domain-error';
import { addDays } from '../policies/policy.rules';
import { ClearedLine, SettlementRepository } from '../settlement/settlement.repository';
import { ClearingRunRepository } from './clearing-run.repository';
import { clear, Clearing, linesHash, uncoveredBefore } from './netting';

/** Cross-province clearing over paid settlement lines: the database sums per province pair, netting does the rest. */
@Injectable()
export class ClearingService {
  constructor(
    private readonly settlements: SettlementRepository,
    private readonly runs: ClearingRunRepository,
  ) {}

  /**
   * Lines paid from `from` to `to` inclusive (Beijing days, like every date of the service; paid_at is a UTC instant, so
   * the days become the instants they start at). A line paid within its own province moves nothing between provinces,
   * so it is left out.
   */
  async clear(from: string, to: string): Promise<Clearing> {
    if (from > to) throw catalogued('VALIDATION_FAILED', 'validation.fromAfterTo', { from, to });
    return clear(await this.settlements.crossProvinceFlows(beijingDayStart(from), beijingDayStart(addDays(to, 1))));
  }

  /**
   * Takes into run `runId` the lines paid up to `to` that no earlier run took in, and clears them: a run recorded again
   * for the same or an overlapping period holds only what was paid since, so what the treasuries transfer for all runs
   * together is owed once. A line paid before the period that no run took in (paid on the last day of a period after
   * its run was recorded) is taken in too, so none is left behind.
   */
  async clearForRun(runId: string, to: string): Promise<Clearing> {
    await this.settlements.claimForClearing(runId, beijingDayStart(addDays(to, 1)));
    return clear(await this.settlements.flowsOfRun(runId));
  }

  /**
   * What clearForRun would take in and find for a run up to `to`, recorded nowhere: the lines no run took in yet, paid
   * before the day after `to`, cleared; with how many lines that is and how many (and how much) were paid before `from`.
   */
  async previewRun(from: string, to: string): Promise<Clearing & { lineCount: number; caughtUpLineCount: number; caughtUpFen: number }> {
    const flows = await this.settlements.unclearedFlows(beijingDayStart(from), beijingDayStart(addDays(to, 1)));
    return {
      ...clear(flows),
      lineCount: flows.reduce((s, f) => s + f.lines, 0),
      caughtUpLineCount: flows.reduce((s, f) => s + f.caughtUpLines, 0),
      caughtUpFen: flows.reduce((s, f) => s + f.caughtUpFen, 0),
    };
  }

  /** Which lines a run recorded now up to `to` would take in, as one hash (linesHash): what a proposal fixes. */
  async unclearedLinesHash(to: string): Promise<string> {
    return linesHash(await this.settlements.unclearedLineIds(beijingDayStart(addDays(to, 1))));
  }

  /** How many lines run `runId` took in, and their hash as unclearedLinesHash gives it. */
  async linesHashOfRun(runId: string): Promise<{ count: number; sha256: string }> {
    const ids = await this.settlements.lineIdsOfRun(runId);
    return { count: ids.length, sha256: linesHash(ids) };
  }

  /**
   * The first Beijing day before `from` that no standing (unvoided) run covers and on which a line was paid across
   * provinces that no run took in: a run from `from` would take in a period never recorded. Null when there is none.
   */
  async firstUncoveredDay(from: string): Promise<string | null> {
    const periods = (await this.runs.all()).filter((r) => r.voidedAt === null).map((r) => ({ from: r.fromDate, to: r.toDate }));
    const ranges = uncoveredBefore(from, periods).map((g) => ({
      start: g.start === null ? null : beijingDayStart(g.start),
      end: beijingDayStart(g.end),
    }));
    const first = await this.settlements.earliestUncleared(ranges);
    return first === null ? null : beijingDate(first);
  }

  /** The settlement lines run `runId` took in (voided: had taken in), with their batches. */
  linesOfRun(runId: string, voided = false, provinceCode?: string): Promise<ClearedLine[]> {
    return this.settlements.linesOfRun(runId, voided, provinceCode);
  }

  countLinesOfRun(runId: string, voided: boolean, provinceCode: string): Promise<number> {
    return this.settlements.countLinesOfRun(runId, voided, provinceCode);
  }

  /** A voided run's lines go back to be cleared by a later run, the run keeping its record of them: how many. */
  async releaseRun(runId: string): Promise<number> {
    const kept = await this.runs.keepVoidedLines(runId);
    const released = await this.settlements.releaseFromClearing(runId);
    // Both statements read the same lines under the run's void stamp; differing counts would lose or double a line.
    if (kept !== released) throw new Error(`clearing run ${runId}: kept ${kept} lines, released ${released}`);
    return released;
  }
}
