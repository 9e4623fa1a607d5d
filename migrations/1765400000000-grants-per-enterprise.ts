import { MigrationInterface, QueryRunner } from 'typeorm';
import { grantSubjects, grantSubjectsOf, recordedCapSubject } from '../src/vouchers/voucher.rules';

const PAGE = 5_000;

interface VoucherRow {
  id: string;
  issuing_region_code: string;
  budget_year: number;
  enterprise_id: string;
  cap_subject: string;
  granted: string | number;
  credit_code: string;
  terms: string | { capByController: boolean };
}

/**
 * A grant now counts against the enterprise itself and, under a policy that aggregates by controller, the group its
 * credit code heads as well as its controller's (grantSubjects). A voucher issued before counted against one subject:
 * the enterprise, or its controller's group. Each such voucher's other subjects get what it still holds granted (face
 * value less what was released: never more than was counted, as a reduced claim releases without freeing the cap, and
 * never less than closing it can still give back), and the voucher records its subjects as issuers now do. The groups
 * it counts in are those of the controller it recorded, not of one named since. `enterpriseId` narrows it to one
 * enterprise's vouchers (a test's).
 */
export async function countAgainstEverySubject(queryRunner: QueryRunner, enterpriseId?: string): Promise<void> {
  const mariadb = queryRunner.connection.options.type !== 'better-sqlite3';
  const added = new Map<string, number>();
  for (let after = ''; ;) {
    const rows: VoucherRow[] = await queryRunner.query(
      `SELECT v.id, v.issuing_region_code, v.budget_year, v.enterprise_id, v.cap_subject,
              v.face_value_fen - v.released_fen AS granted, o.credit_code, p.terms
       FROM voucher v JOIN organization o ON o.id = v.enterprise_id JOIN policy p ON p.id = v.policy_id
       WHERE v.id > ? ${enterpriseId ? 'AND v.enterprise_id = ?' : ''} ORDER BY v.id LIMIT ?`,
      enterpriseId ? [after, enterpriseId, PAGE] : [after, PAGE],
    );
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    for (const v of rows) {
      const terms = typeof v.terms === 'string' ? (JSON.parse(v.terms) as { capByController: boolean }) : v.terms;
      if (!terms.capByController) continue;
      // One subject, as the former code recorded; a voucher recorded since records its groups (never one alone then,
      // as the migration runs before the service issues any).
      const before = v.cap_subject.includes(' ')
        ? grantSubjectsOf({ enterpriseId: v.enterprise_id, capSubject: v.cap_subject })
        : [v.cap_subject];
      const recorded = before.find((s) => s.startsWith('ctl:'))?.slice(4) ?? null;
      // Under capByController, what it was counted toward then is what every grant counts toward now (grantSubjects).
      const now = grantSubjects({ id: v.enterprise_id, creditCode: v.credit_code, controllerCreditCode: recorded });
      for (const subject of now.filter((s) => !before.includes(s))) {
        const key = `${v.issuing_region_code}|${v.budget_year}|${subject}`;
        added.set(key, (added.get(key) ?? 0) + Number(v.granted));
      }
      await queryRunner.query('UPDATE voucher SET cap_subject = ? WHERE id = ?', [recordedCapSubject(now), v.id]);
    }
  }
  for (const [key, fen] of added) {
    const [region, year, subject] = key.split('|');
    await queryRunner.query(
      `INSERT INTO annual_grant (region_code, year, subject, granted_fen) VALUES (?, ?, ?, ?) ` +
        (mariadb
          ? 'ON DUPLICATE KEY UPDATE granted_fen = granted_fen + VALUES(granted_fen)'
          : 'ON CONFLICT (region_code, year, subject) DO UPDATE SET granted_fen = granted_fen + excluded.granted_fen'),
      [region, Number(year), subject, fen],
    );
  }
}

export class GrantsPerEnterprise1765400000000 implements MigrationInterface {
  name = 'GrantsPerEnterprise1765400000000';

  up(queryRunner: QueryRunner): Promise<void> {
    return countAgainstEverySubject(queryRunner);
  }

  /** Each voucher records one subject again, as code from before reads it: its controller's group, or itself. */
  async down(queryRunner: QueryRunner): Promise<void> {
    const rows: { id: string; enterprise_id: string; cap_subject: string; credit_code: string }[] = await queryRunner.query(
      `SELECT v.id, v.enterprise_id, v.cap_subject, o.credit_code FROM voucher v JOIN organization o ON o.id = v.enterprise_id
       WHERE v.cap_subject LIKE 'ctl:%'`,
    );
    for (const v of rows) {
      const controller = v.cap_subject.split(' ').find((s) => s !== `ctl:${v.credit_code}`);
      await queryRunner.query('UPDATE voucher SET cap_subject = ? WHERE id = ?', [controller ?? `ent:${v.enterprise_id}`, v.id]);
    }
  }
}
