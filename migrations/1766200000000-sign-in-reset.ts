import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { ref } from './columns';

/**
 * An admin resets a user's sign-in (a forgotten password, a lost phone, or two-factor enrolled by someone who had the
 * password): who did it is kept, because a bureau account's new setup code is then issued by a second person, never by
 * the admin who reset it.
 */
export class SignInReset1766200000000 implements MigrationInterface {
  name = 'SignInReset1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('app_user', new TableColumn(ref('sign_in_reset_by', true)));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB), as in StaffSetupCodes.
    await queryRunner.query('ALTER TABLE app_user DROP COLUMN sign_in_reset_by');
  }
}
