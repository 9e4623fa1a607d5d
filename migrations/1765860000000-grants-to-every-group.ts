import { MigrationInterface, QueryRunner } from 'typeorm';
import { grantSubjects, recordedCapSubject } from '../src/vouchers/voucher.rules';

interface VoucherRow {
  id: string;
  issuing_region_code: string;
  budget_year: number;
  enterprise_id: string;
  granted: string | number;
  credit_code: string;
  controller_credit_code: string | null;
}

const upsert = (mariadb: boolean) =>
  'INSERT INTO annual_grant (region_code, year, subject, granted_fen) VALUES (?, ?, ?, ?) ' +
  (mariadb
    ? 'ON DUPLICATE KEY UPDATE granted_fen = granted_fen + VALUES(granted_fen)'
    : 'ON CONFLICT (region_code, year, subject) DO UPDATE SET granted_fen = granted_fen + excluded.granted_fen');

/**
 * Every grant now counts toward the enterprise's groups whatever its policy says (grantSubjects), so that a version
 * turning capByController on mid-year finds the group's whole year. A voucher issued under a version without it
 * recorded the enterprise alone (`ent:…`; every other voucher records its groups already): its groups get what it still
 * holds granted (face value less released), and it records them as issuers now do. It named no controller: the one the
 * organization names now. `enterpriseId` narrows it to one enterprise's vouchers (a test's).
 */
export async function countTowardGroups(queryRunner: QueryRunner, enterpriseId?: string): Promise<void> {
  const mariadb = queryRunner.connection.options.type !== 'better-sqlite3';
  const rows: VoucherRow[] = await queryRunner.query(
    `SELECT v.id, v.issuing_region_code, v.budget_year, v.enterprise_id, v.face_value_fen - v.released_fen AS granted,
            o.credit_code, o.controller_credit_code
     FROM voucher v JOIN organization o ON o.id = v.enterprise_id
     WHERE v.cap_subject LIKE 'ent:%' ${enterpriseId ? 'AND v.enterprise_id = ?' : ''}`,
    enterpriseId ? [enterpriseId] : [],
  );
  for (const v of rows) {
    const subjects = grantSubjects({ id: v.enterprise_id, creditCode: v.credit_code, controllerCreditCode: v.controller_credit_code });
    for (const subject of subjects.slice(1)) {
      await queryRunner.query(upsert(mariadb), [v.issuing_region_code, v.budget_year, subject, Number(v.granted)]);
    }
    await queryRunner.query('UPDATE voucher SET cap_subject = ? WHERE id = ?', [recordedCapSubject(subjects), v.id]);
  }
}

export class GrantsToEveryGroup1765860000000 implements MigrationInterface {
  name = 'GrantsToEveryGroup1765860000000';

  up(queryRunner: QueryRunner): Promise<void> {
    return countTowardGroups(queryRunner);
  }

  /** The groups no longer count the vouchers of policies without capByController, which record the enterprise again. */
  async down(queryRunner: QueryRunner): Promise<void> {
    const rows: {
      id: string;
      issuing_region_code: string;
      budget_year: number;
      enterprise_id: string;
      cap_subject: string;
      granted: string | number;
      terms: string | { capByController: boolean };
    }[] = await queryRunner.query(
      `SELECT v.id, v.issuing_region_code, v.budget_year, v.enterprise_id, v.cap_subject, v.face_value_fen - v.released_fen AS granted, p.terms
       FROM voucher v JOIN policy p ON p.id = v.policy_id WHERE v.cap_subject LIKE 'ctl:%'`,
    );
    for (const v of rows) {
      const terms = typeof v.terms === 'string' ? (JSON.parse(v.terms) as { capByController: boolean }) : v.terms;
      if (terms.capByController) continue;
      for (const subject of v.cap_subject.split(' ')) {
        await queryRunner.query(
          'UPDATE annual_grant SET granted_fen = granted_fen - ? WHERE region_code = ? AND year = ? AND subject = ? AND granted_fen >= ?',
          [Number(v.granted), v.issuing_region_code, v.budget_year, subject, Number(v.granted)],
        );
      }
      await queryRunner.query('UPDATE voucher SET cap_subject = ? WHERE id = ?', [`ent:${v.enterprise_id}`, v.id]);
    }
  }
}
