import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An admin resets a user's sign-in (a forgotten password, a lost phone, or two-factor enrolled by someone who had the
 * password): who did it is kept, because a bureau or platform account's new setup code is then issued by a second
 * person, never by the admin who reset it; and who issued the code in force, because a code issued by an admin who is
 * then reset or disabled (whoever held that admin's account may hold the code) stops working.
 *
 * Plain ADD COLUMN, not TypeORM's addColumns: on SQLite that rebuilds the table from what it reads back, and it reads
 * the index on LOWER(username) (UsernamesFolded) as one on a column named null, which fails the rebuild on any database
 * migrated before. On MariaDB both columns come in one statement, so a node killed midway leaves none of them.
 */
export class SignInReset1766200000000 implements MigrationInterface {
  name = 'SignInReset1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns = ['sign_in_reset_by', 'setup_code_issued_by'].map((c) => `ADD COLUMN ${c} varchar(36) NULL`);
    if (queryRunner.connection.options.type === 'better-sqlite3') {
      for (const c of columns) await queryRunner.query(`ALTER TABLE app_user ${c}`);
    } else {
      await queryRunner.query(`ALTER TABLE app_user ${columns.join(', ')}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB), as in StaffSetupCodes.
    for (const c of ['setup_code_issued_by', 'sign_in_reset_by']) await queryRunner.query(`ALTER TABLE app_user DROP COLUMN ${c}`);
  }
}
