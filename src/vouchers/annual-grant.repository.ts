import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { join, sql } from '../common/persistence/sql';
import { AnnualGrant } from './voucher.entity';

/** How grantedAmong keys a total. */
export const grantKey = (regionCode: string, subject: string): string => `${regionCode} ${subject}`;

/** What each enterprise (or controller group) was granted per region and year, for the annual caps. */
@Injectable()
export class AnnualGrantRepository {
  constructor(private readonly db: Database) {}

  /**
   * Every row, handed to `each` a page of at most `limit` at a time, one region's year after another in subject order
   * (an index range each): the ledger check compares them at a year's volume without holding them all.
   */
  async eachPage(
    limit: number,
    each: (rows: { regionCode: string; year: number; subject: string; grantedFen: bigint }[]) => void,
  ): Promise<void> {
    const years = await this.db.rows<{ region: string; year: unknown }>(
      sql`SELECT g.region_code AS region, g.year FROM annual_grant g GROUP BY g.region_code, g.year ORDER BY g.region_code, g.year`,
    );
    for (const { region, year } of years) {
      for (let after = ''; ;) {
        const rows = await this.db.rows<{ subject: string; granted: unknown }>(
          sql`SELECT g.subject, g.granted_fen AS granted FROM annual_grant g
              WHERE g.region_code = ${region} AND g.year = ${Number(year)} AND g.subject > ${after} ORDER BY g.subject LIMIT ${limit}`,
        );
        each(rows.map((r) => ({ regionCode: region, year: Number(year), subject: r.subject, grantedFen: BigInt(String(r.granted)) })));
        if (rows.length < limit) break;
        after = rows[rows.length - 1].subject;
      }
    }
  }

  /**
   * The totals of `wanted` (region and subject pairs) in one year, by `grantKey`, in one read: a page of applications
   * asks for a total each.
   */
  async grantedAmong(year: number, wanted: { regionCode: string; subject: string }[]): Promise<Map<string, number>> {
    if (wanted.length === 0) return new Map();
    const rows = await this.db.select(
      AnnualGrant,
      'g',
      sql`WHERE g.region_code IN (${join([...new Set(wanted.map((w) => w.regionCode))])}) AND g.year = ${year}
            AND g.subject IN (${join([...new Set(wanted.map((w) => w.subject))])})`,
    );
    return new Map(rows.map((g) => [grantKey(g.regionCode, g.subject), g.grantedFen]));
  }

  async granted(regionCode: string, year: number, subject: string): Promise<number> {
    const rows = await this.db.select(
      AnnualGrant,
      'g',
      sql`WHERE g.region_code = ${regionCode} AND g.year = ${year} AND g.subject = ${subject}`,
    );
    return rows[0]?.grantedFen ?? 0;
  }

  /**
   * The subject's row, created at zero when missing, locked: concurrent applications of one subject queue here and
   * each sees the total the previous one left. An upsert locks exclusively at once (see BudgetRepository.lockOrCreate).
   */
  async lockOrCreate(regionCode: string, year: number, subject: string): Promise<number> {
    await this.db.execute(
      this.db.dialect === 'sqlite'
        ? sql`INSERT INTO annual_grant (region_code, year, subject, granted_fen) VALUES (${regionCode}, ${year}, ${subject}, 0)
              ON CONFLICT (region_code, year, subject) DO NOTHING`
        : sql`INSERT INTO annual_grant (region_code, year, subject, granted_fen) VALUES (${regionCode}, ${year}, ${subject}, 0)
              ON DUPLICATE KEY UPDATE granted_fen = granted_fen`,
    );
    return (await this.db.lock(AnnualGrant, { regionCode, year, subject }))!.grantedFen;
  }

  /** Counts a grant, refused when it would pass the cap. */
  async add(regionCode: string, year: number, subject: string, x: number, capFen: number): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE annual_grant SET granted_fen = granted_fen + ${x}
          WHERE region_code = ${regionCode} AND year = ${year} AND subject = ${subject} AND granted_fen + ${x} <= ${capFen}`,
    );
    return changed === 1;
  }

  /** What expiry or revocation gave back no longer counts against the cap. */
  async giveBack(regionCode: string, year: number, subject: string, x: number): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE annual_grant SET granted_fen = granted_fen - ${x}
          WHERE region_code = ${regionCode} AND year = ${year} AND subject = ${subject} AND granted_fen >= ${x}`,
    );
    return changed === 1;
  }
}
