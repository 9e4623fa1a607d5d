import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { raw, Sql, sql } from '../common/persistence/sql';
import { LedgerTransfer } from './ledger-transfer.entity';

/** The immutable transfers. Rows are only ever inserted. */
@Injectable()
export class LedgerRepository {
  constructor(private readonly db: Database) {}

  insert(transfers: LedgerTransfer[]): Promise<void> {
    return this.db.insert(LedgerTransfer, transfers);
  }

  /**
   * Balance of every account but the vouchers' (budgets, appropriations, payables, payments): credits in minus debits
   * out, summed by the database. The vouchers' accounts, three per voucher, are read a page of vouchers at a time.
   */
  async balancesBesideVouchers(): Promise<Map<string, bigint>> {
    return this.sums((column) => sql`${raw(column)} NOT LIKE 'voucher:%'`);
  }

  /**
   * Balances of the vouchers' accounts from `voucher:<first>:available` to `voucher:<last>:spent`: for a page of
   * vouchers in id order, their three accounts each (and any other voucher account between them), read as one range of
   * the covering account indexes. Account codes order as the ids do: same prefix, ids of one length, and the suffixes
   * available < held < spent.
   */
  async voucherBalancesBetween(firstVoucherId: string, lastVoucherId: string): Promise<Map<string, bigint>> {
    const [from, to] = [`voucher:${firstVoucherId}:available`, `voucher:${lastVoucherId}:spent`];
    return this.sums((column) => sql`${raw(column)} >= ${from} AND ${raw(column)} <= ${to}`);
  }

  private async sums(where: (column: string) => Sql): Promise<Map<string, bigint>> {
    const credits = await this.db.rows<{ account: string; fen: unknown }>(
      sql`SELECT t.credit_account AS account, SUM(t.amount_fen) AS fen FROM ledger_transfer t WHERE ${where('t.credit_account')} GROUP BY t.credit_account`,
    );
    const debits = await this.db.rows<{ account: string; fen: unknown }>(
      sql`SELECT t.debit_account AS account, SUM(t.amount_fen) AS fen FROM ledger_transfer t WHERE ${where('t.debit_account')} GROUP BY t.debit_account`,
    );
    const balances = new Map<string, bigint>();
    for (const r of credits) balances.set(r.account, (balances.get(r.account) ?? 0n) + BigInt(String(r.fen)));
    for (const r of debits) balances.set(r.account, (balances.get(r.account) ?? 0n) - BigInt(String(r.fen)));
    return balances;
  }

  /** Sum over the balances of every account whose code starts with 'voucher:' (for the check that all balances sum to zero). */
  async voucherAccountsTotal(): Promise<bigint> {
    const inVouchers = (column: string) => sql`${raw(column)} LIKE 'voucher:%'`;
    const r = await this.db.row<{ credits: unknown; debits: unknown }>(
      sql`SELECT (SELECT SUM(t.amount_fen) FROM ledger_transfer t WHERE ${inVouchers('t.credit_account')}) AS credits,
          (SELECT SUM(t.amount_fen) FROM ledger_transfer t WHERE ${inVouchers('t.debit_account')}) AS debits`,
    );
    return BigInt(String((r?.credits as string | number | null) ?? 0)) - BigInt(String((r?.debits as string | number | null) ?? 0));
  }

  async counts(): Promise<{ transfers: number; nonPositive: number }> {
    const r = await this.db.row<{ n: unknown; bad: unknown }>(
      sql`SELECT COUNT(*) AS n, SUM(CASE WHEN t.amount_fen <= 0 THEN 1 ELSE 0 END) AS bad FROM ledger_transfer t`,
    );
    return { transfers: Number(r?.n ?? 0), nonPositive: Number(r?.bad ?? 0) };
  }
}
