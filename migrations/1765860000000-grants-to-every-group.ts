import { MigrationInterface, QueryRunner } from 'typeorm';
import { countAgainstEverySubject } from './1765400000000-grants-per-enterprise';

/**
 * Every grant now counts toward the enterprise's groups whatever its policy says (grantSubjects), so that a version
 * turning capByController on mid-year finds the group's whole year. A voucher issued under a version without it counted
 * toward the enterprise alone: its groups get what it still holds granted, and it records them as issuers now do.
 */
export class GrantsToEveryGroup1765860000000 implements MigrationInterface {
  name = 'GrantsToEveryGroup1765860000000';

  up(queryRunner: QueryRunner): Promise<void> {
    return countAgainstEverySubject(queryRunner, undefined, 'every policy');
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
