import { MigrationInterface, QueryRunner } from 'typeorm';

const mariadb = (queryRunner: QueryRunner) => queryRunner.connection.options.type !== 'better-sqlite3';

/**
 * Every grant now counts against the enterprise itself as well as its controller's group (capSubjects), so that
 * naming another controller starts no fresh total. A voucher issued under a controller's cap before this counted
 * against the group alone: its enterprise's row gets what such vouchers still hold granted, face value less what was
 * released. That is never more than the grant counted (a reduced claim releases without freeing the cap), and never
 * less than what closing them can still give back (their available and held balances), so no give-back fails.
 */
export class GrantsPerEnterprise1765400000000 implements MigrationInterface {
  name = 'GrantsPerEnterprise1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const perEnterprise = `SELECT issuing_region_code, budget_year, ${mariadb(queryRunner) ? "CONCAT('ent:', enterprise_id)" : "'ent:' || enterprise_id"},
        SUM(face_value_fen - released_fen)
      FROM voucher WHERE cap_subject LIKE 'ctl:%' GROUP BY issuing_region_code, budget_year, enterprise_id`;
    await queryRunner.query(
      `INSERT INTO annual_grant (region_code, year, subject, granted_fen) ${perEnterprise} ` +
        (mariadb(queryRunner)
          ? 'ON DUPLICATE KEY UPDATE granted_fen = granted_fen + VALUES(granted_fen)'
          : 'ON CONFLICT (region_code, year, subject) DO UPDATE SET granted_fen = granted_fen + excluded.granted_fen'),
    );
  }

  // The enterprises' rows keep their totals: code from before reads a controller group's row for its enterprises.
  async down(): Promise<void> {}
}
