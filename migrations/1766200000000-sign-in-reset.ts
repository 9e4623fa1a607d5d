import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { ref } from './columns';

/**
 * An admin resets a user's sign-in (a forgotten password, a lost phone, or two-factor enrolled by someone who had the
 * password): who did it is kept, because a bureau or platform account's new setup code is then issued by a second
 * person, never by the admin who reset it; and who issued the code in force, because a code issued by an admin who is
 * then reset or disabled (whoever held that admin's account may hold the code) stops working.
 */
export class SignInReset1766200000000 implements MigrationInterface {
  name = 'SignInReset1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('app_user', [
      new TableColumn(ref('sign_in_reset_by', true)),
      new TableColumn(ref('setup_code_issued_by', true)),
    ]);
    // TypeORM adds a column on SQLite by rebuilding the table, which drops the index it does not know of (UsernamesFolded).
    if (queryRunner.connection.options.type === 'better-sqlite3') {
      await queryRunner.query('CREATE INDEX IF NOT EXISTS idx_app_user_username_folded ON app_user (LOWER(username))');
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB), as in StaffSetupCodes.
    for (const c of ['setup_code_issued_by', 'sign_in_reset_by']) await queryRunner.query(`ALTER TABLE app_user DROP COLUMN ${c}`);
  }
}
