import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { empty, raw, Sql, sql } from '../common/persistence/sql';
import { LedgerTransfer } from './ledger-transfer.entity';

export interface AccountSums {
  balances: Map<string, bigint>;
  /** Transfers crediting these accounts, and those of them with an amount ≤ 0. */
  transfers: number;
  nonPositive: number;
}

/** The immutable transfers. Rows are only ever inserted. */
@Injectable()
export class LedgerRepository {
  constructor(private readonly db: Database) {}

  insert(transfers: LedgerTransfer[]): Promise<void> {
    return this.db.insert(LedgerTransfer, transfers);
  }

  /**
   * Every account but the vouchers' (budgets, appropriations, payables, payments), summed by the database: the ranges
   * of the account indexes before 'voucher:' and after the last voucher account, not a scan of the whole index. (No
   * sentinel like 'voucher;' bounds the prefix: MariaDB's unicode collation sorts ';' before ':'.)
   */
  async balancesBesideVouchers(): Promise<AccountSums> {
    // The last voucher account of each index: read backwards from the prefix's end, one entry (a MAX under the LIKE
    // would walk the whole prefix; a subquery in the range would turn it into a scan of the index).
    const last = async (column: string) =>
      (
        await this.db.row<{ account: string }>(
          sql`SELECT ${raw(column)} AS account FROM ledger_transfer WHERE ${raw(column)} LIKE 'voucher:%' ORDER BY ${raw(column)} DESC LIMIT 1`,
        )
      )?.account ?? 'voucher:';
    const lastOf = { credit_account: await last('credit_account'), debit_account: await last('debit_account') };
    return this.sums((column) => sql`(t.${raw(column)} < 'voucher:' OR t.${raw(column)} > ${lastOf[column]})`);
  }

  /**
   * The vouchers' accounts in (`after`, `upTo`] — from the first when `after` is null, to the last when `upTo` is null
   * — as one range of each covering account index. The check's pages of vouchers in id order ask for ranges that
   * touch, so every account under the prefix (one of no voucher too) is read exactly once. Account codes order as
   * the ids do: same prefix, ids of one length, and the suffixes available < held < spent.
   */
  voucherBalancesIn(after: string | null, upTo: string | null): Promise<AccountSums> {
    return this.sums(
      (column) =>
        sql`t.${raw(column)} LIKE 'voucher:%'${after === null ? empty : sql` AND t.${raw(column)} > ${after}`}${
          upTo === null ? empty : sql` AND t.${raw(column)} <= ${upTo}`
        }`,
    );
  }

  /**
   * Balances (credits in minus debits out) of the accounts `where` selects, with how many transfers credit them and how
   * many of those are not positive: every transfer credits one account, so the counts over ranges that cover all
   * accounts are the ledger's, and the check reads each account index once.
   */
  private async sums(where: (column: 'credit_account' | 'debit_account') => Sql): Promise<AccountSums> {
    // Both sides at once: on MariaDB two pool connections, two of the database's threads.
    const [credits, debits] = await Promise.all([
      this.db.rows<{ account: string; fen: unknown; n: unknown; bad: unknown }>(
        sql`SELECT t.credit_account AS account, SUM(t.amount_fen) AS fen, COUNT(*) AS n, SUM(CASE WHEN t.amount_fen <= 0 THEN 1 ELSE 0 END) AS bad
          FROM ledger_transfer t WHERE ${where('credit_account')} GROUP BY t.credit_account`,
      ),
      this.db.rows<{ account: string; fen: unknown }>(
        sql`SELECT t.debit_account AS account, SUM(t.amount_fen) AS fen FROM ledger_transfer t WHERE ${where('debit_account')} GROUP BY t.debit_account`,
      ),
    ]);
    const balances = new Map<string, bigint>();
    let transfers = 0;
    let nonPositive = 0;
    for (const r of credits) {
      balances.set(r.account, (balances.get(r.account) ?? 0n) + BigInt(String(r.fen)));
      transfers += Number(r.n);
      nonPositive += Number(r.bad);
    }
    for (const r of debits) balances.set(r.account, (balances.get(r.account) ?? 0n) - BigInt(String(r.fen)));
    return { balances, transfers, nonPositive };
  }
}
