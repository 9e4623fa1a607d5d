import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { instant, int } from './columns';

/**
 * Every refused login wrote an audit entry, so whoever floods the login with refused attempts chose how much the chain
 * grows. The refusals are now counted on the subject's throttle row per minute, and only the first of each minute is
 * audited (with the count of the minute before).
 */
export class LoginRefusalsCounted1765880000000 implements MigrationInterface {
  name = 'LoginRefusalsCounted1765880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('throttle', [
      new TableColumn(instant('refused_since', true)),
      new TableColumn({ ...int('refusals'), default: 0 }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB), as in StaffSetupCodes.
    for (const c of ['refusals', 'refused_since']) await queryRunner.query(`ALTER TABLE throttle DROP COLUMN ${c}`);
  }
}
