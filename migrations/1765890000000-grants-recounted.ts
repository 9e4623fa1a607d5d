import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { GrantTally } from '../src/vouchers/voucher.rules';

const PAGE = 5_000;
/** Rows set that the log names one by one. */
const LOGGED = 50;

interface VoucherRow {
  id: string;
  issuing_region_code: string;
  budget_year: number;
  enterprise_id: string;
  cap_subject: string;
  face_value_fen: string | number;
  released_fen: string | number;
}

/**
 * Every annual grant set to what its vouchers still count (GrantTally: face value less released, toward each subject a
 * voucher records), where it differs; the ledger check holds it to that since. Until approvals gave back what they cut
 * (with claims rejected for good), a claim approved below what was captured released the difference to the budget and
 * left it granted, so the subjects of such a voucher count more than it holds. A subject no voucher counts toward is 0;
 * one with no row gets one. One region's year at a time, its grant rows locked before its vouchers are read: every
 * unit that grants or gives back locks those rows too (an issuer before its voucher exists, a give-back before it
 * commits), so a node still serving meanwhile waits, or has committed what the count then reads. In the migration's
 * transaction: a run cut off leaves nothing, and the next recounts. Returns how many rows it set.
 */
export async function recountAnnualGrants(queryRunner: QueryRunner): Promise<number> {
  const mariadb = queryRunner.connection.options.type !== 'better-sqlite3';
  const years: { region: string; year: number | string }[] = await queryRunner.query(
    `SELECT region_code AS region, year FROM annual_grant
     UNION SELECT issuing_region_code AS region, budget_year AS year FROM voucher ORDER BY region, year`,
  );
  const set: string[] = [];
  for (const y of years) {
    const [region, year] = [y.region, Number(y.year)];
    const rows: { subject: string; granted_fen: string | number }[] = await queryRunner.query(
      `SELECT subject, granted_fen FROM annual_grant WHERE region_code = ? AND year = ?${mariadb ? ' FOR UPDATE' : ''}`,
      [region, year],
    );
    const tally = new GrantTally();
    for (let after = ''; ;) {
      const vouchers: VoucherRow[] = await queryRunner.query(
        `SELECT id, issuing_region_code, budget_year, enterprise_id, cap_subject, face_value_fen, released_fen
         FROM voucher WHERE budget_year = ? AND issuing_region_code = ? AND id > ? ORDER BY id LIMIT ?`,
        [year, region, after, PAGE],
      );
      if (vouchers.length === 0) break;
      after = vouchers[vouchers.length - 1].id;
      for (const v of vouchers) {
        tally.add({
          issuingRegionCode: v.issuing_region_code,
          budgetYear: Number(v.budget_year),
          enterpriseId: v.enterprise_id,
          capSubject: v.cap_subject,
          faceValueFen: BigInt(String(v.face_value_fen)),
          releasedFen: BigInt(String(v.released_fen)),
        });
      }
    }
    for (const g of rows) {
      const [granted, counted] = [BigInt(String(g.granted_fen)), tally.take(region, year, g.subject)];
      if (granted === counted) continue;
      await queryRunner.query('UPDATE annual_grant SET granted_fen = ? WHERE region_code = ? AND year = ? AND subject = ?', [
        Number(counted),
        region,
        year,
        g.subject,
      ]);
      set.push(`${region}/${year} ${g.subject}: ${granted} → ${counted}`);
    }
    for (const g of tally.rest()) {
      if (g.fen === 0n) continue;
      // A row that appeared since the lock was made by an issuer, which counts its own grant there: left as it is.
      await queryRunner.query(
        'INSERT INTO annual_grant (region_code, year, subject, granted_fen) VALUES (?, ?, ?, ?) ' +
          (mariadb ? 'ON DUPLICATE KEY UPDATE granted_fen = granted_fen' : 'ON CONFLICT (region_code, year, subject) DO NOTHING'),
        [g.regionCode, g.year, g.subject, Number(g.fen)],
      );
      set.push(`${g.regionCode}/${g.year} ${g.subject}: none → ${g.fen}`);
    }
  }
  if (set.length > 0) {
    const shown = set.slice(0, LOGGED).join('; ') + (set.length > LOGGED ? `; and ${set.length - LOGGED} more` : '');
    new Logger('Migrations').log(`${set.length} annual grants recounted from their vouchers: ${shown}`);
  }
  return set.length;
}

export class GrantsRecounted1765890000000 implements MigrationInterface {
  name = 'GrantsRecounted1765890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await recountAnnualGrants(queryRunner);
  }

  // Nothing to undo: the code before gives back from these totals as well, and the former ones counted what went back.
  async down(): Promise<void> {}
}
