import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';
import { LedgerTransfer } from './ledger-transfer.entity';

/** The immutable transfers. Rows are only ever inserted. */
@Injectable()
export class LedgerRepository {
  constructor(private readonly db: Database) {}

  insert(transfers: LedgerTransfer[]): Promise<void> {
    return this.db.insert(LedgerTransfer, transfers);
  }

  /** Balance of every account: credits in minus debits out, summed by the database. */
  async balances(): Promise<Map<string, bigint>> {
    const credits = await this.db.rows<{ account: string; fen: unknown }>(
      sql`SELECT t.credit_account AS account, SUM(t.amount_fen) AS fen FROM ledger_transfer t GROUP BY t.credit_account`,
    );
    const debits = await this.db.rows<{ account: string; fen: unknown }>(
      sql`SELECT t.debit_account AS account, SUM(t.amount_fen) AS fen FROM ledger_transfer t GROUP BY t.debit_account`,
    );
    const balances = new Map<string, bigint>();
    for (const r of credits) balances.set(r.account, (balances.get(r.account) ?? 0n) + BigInt(String(r.fen)));
    for (const r of debits) balances.set(r.account, (balances.get(r.account) ?? 0n) - BigInt(String(r.fen)));
    return balances;
  }

  async counts(): Promise<{ transfers: number; nonPositive: number }> {
    const r = await this.db.row<{ n: unknown; bad: unknown }>(
      sql`SELECT COUNT(*) AS n, SUM(CASE WHEN t.amount_fen <= 0 THEN 1 ELSE 0 END) AS bad FROM ledger_transfer t`,
    );
    return { transfers: Number(r?.n ?? 0), nonPositive: Number(r?.bad ?? 0) };
  }
}
