import { Injectable } from '@nestjs/common';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { empty, sql } from '../common/persistence/sql';
import { ClearingRun, ClearingRunEntry } from './clearing-run.entity';

/** Recorded clearing runs: inserted once with their entries, read back; nothing here changes a run. */
@Injectable()
export class ClearingRunRepository {
  constructor(private readonly db: Database) {}

  async insert(run: ClearingRun, entries: ClearingRunEntry[]): Promise<void> {
    await this.db.insert(ClearingRun, [run]);
    await this.db.insert(ClearingRunEntry, entries);
  }

  async get(id: string): Promise<ClearingRun | undefined> {
    return (await this.db.select(ClearingRun, 'r', sql`WHERE r.id = ${id}`))[0];
  }

  entries(runId: string): Promise<ClearingRunEntry[]> {
    return this.db.select(ClearingRunEntry, 'e', sql`WHERE e.run_id = ${runId} ORDER BY e.seq`);
  }

  /** The newest first. */
  async list(q: { limit: number; offset: number }): Promise<Page<ClearingRun>> {
    return this.db.page(ClearingRun, 'r', empty, sql`r.created_at DESC, r.id DESC`, q);
  }
}
