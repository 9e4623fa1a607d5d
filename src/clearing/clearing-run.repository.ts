import { Injectable } from '@nestjs/common';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { reserveCounter } from '../common/persistence/serial-counter';
import { empty, sql } from '../common/persistence/sql';
import { ClearingRun, ClearingRunEntry, ClearingRunProposal } from './clearing-run.entity';

/** The serial counter's prefix for clearing runs (清算). */
export const RUN_COUNTER = 'QS';
export const runNo = (year: number, n: number): string => `${RUN_COUNTER}-${year}-${String(n).padStart(4, '0')}`;

/** Recorded clearing runs: inserted once with their entries, read back; voiding stamps a run and keeps its lines. */
@Injectable()
export class ClearingRunRepository {
  constructor(private readonly db: Database) {}

  /** The next run's number in `year`; the counter row is held to the end of the transaction, so numbers follow commits. */
  async nextRunNo(year: number): Promise<string> {
    return runNo(year, await reserveCounter(this.db, RUN_COUNTER, year, 1));
  }

  /**
   * Queues the unit behind every other recording or void of a run, on one row of `serial_counter` (prefix QS, year 0,
   * no run's year; the upsert takes its exclusive lock, as a region's policy versions queue on theirs): the order check
   * of a recording then reads the standing runs and the uncleared lines as the last recording or void committed them, so
   * a void's released lines cannot slip into a later period's run that saw them covered. Taken first, before any line.
   */
  async queue(): Promise<void> {
    await reserveCounter(this.db, RUN_COUNTER, 0, 1);
  }

  async insert(run: ClearingRun, entries: ClearingRunEntry[]): Promise<void> {
    await this.db.insert(ClearingRun, [run]);
    await this.db.insert(ClearingRunEntry, entries);
  }

  /** Stamps the run void, once: false when it was voided already (two voids at once: one wins). */
  async markVoided(id: string, voidedBy: string, voidedAt: string, reason: string): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE clearing_run SET voided_at = ${voidedAt}, voided_by = ${voidedBy}, void_reason = ${reason}
            WHERE id = ${id} AND voided_at IS NULL`,
      )) === 1
    );
  }

  /** Keeps which settlement lines the run took in, before they go back to be cleared again: how many. */
  keepVoidedLines(runId: string): Promise<number> {
    return this.db.execute(
      sql`INSERT INTO clearing_run_voided_line (run_id, line_id) SELECT ${runId}, l.id FROM settlement_line l WHERE l.clearing_run_id = ${runId}`,
    );
  }

  insertProposal(proposal: ClearingRunProposal): Promise<void> {
    return this.db.insert(ClearingRunProposal, [proposal]);
  }

  async proposal(id: string): Promise<ClearingRunProposal | undefined> {
    return (await this.db.select(ClearingRunProposal, 'p', sql`WHERE p.id = ${id}`))[0];
  }

  /**
   * Moves a proposal out of `proposed`, once: false when it was confirmed or discarded already (two confirmations, or a
   * confirmation and a discard, at once: one wins, the other changes nothing).
   */
  async decideProposal(id: string, status: 'confirmed' | 'discarded', by: string, at: string, reason: string | null): Promise<boolean> {
    return (
      (await this.db.execute(
        sql`UPDATE clearing_run_proposal SET status = ${status}, decided_by = ${by}, decided_at = ${at}, discard_reason = ${reason}
            WHERE id = ${id} AND status = 'proposed'`,
      )) === 1
    );
  }

  /** Proposals, newest first; of one status when given (the checker's queue: `proposed`). */
  listProposals(status: string | undefined, q: { limit: number; offset: number }): Promise<Page<ClearingRunProposal>> {
    return this.db.page(
      ClearingRunProposal,
      'p',
      status === undefined ? empty : sql`WHERE p.status = ${status}`,
      sql`p.proposed_at DESC, p.id DESC`,
      q,
    );
  }

  async get(id: string): Promise<ClearingRun | undefined> {
    return (await this.db.select(ClearingRun, 'r', sql`WHERE r.id = ${id}`))[0];
  }

  entries(runId: string): Promise<ClearingRunEntry[]> {
    return this.db.select(ClearingRunEntry, 'e', sql`WHERE e.run_id = ${runId} ORDER BY e.seq`);
  }

  /** Every run, in the order recorded: the ledger check holds each to the lines it took in. */
  all(): Promise<ClearingRun[]> {
    return this.db.select(ClearingRun, 'r', sql`ORDER BY r.created_at, r.id`);
  }

  /** The newest first. */
  async list(q: { limit: number; offset: number }): Promise<Page<ClearingRun>> {
    return this.db.page(ClearingRun, 'r', empty, sql`r.created_at DESC, r.id DESC`, q);
  }
}
