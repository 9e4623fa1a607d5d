import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user's e-mail address is mailed only once its holder confirmed it with a one-time code (app_user.email_code_hash,
 * its SHA-256, usable until email_code_expires_at): email_verified_at. The addresses stored before are taken as
 * confirmed (verified at the migration): they have been mailed all along, and their holders would otherwise stop
 * hearing of their own accounts (a password changed, a key made) without being told why.
 *
 * Plain ADD COLUMN, as in SignInReset: TypeORM's addColumns rebuilds an SQLite table and fails on the index on
 * LOWER(username). On MariaDB the columns come in one statement, so a node killed midway leaves none of them.
 */
export class EmailVerification1767750000000 implements MigrationInterface {
  name = 'EmailVerification1767750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns = [
      'email_verified_at varchar(24) NULL',
      'email_code_hash varchar(64) NULL',
      'email_code_expires_at varchar(24) NULL',
    ].map((c) => `ADD COLUMN ${c}`);
    if (queryRunner.connection.options.type === 'better-sqlite3') {
      for (const c of columns) await queryRunner.query(`ALTER TABLE app_user ${c}`);
    } else {
      await queryRunner.query(`ALTER TABLE app_user ${columns.join(', ')}`);
    }
    await queryRunner.query(`UPDATE app_user SET email_verified_at = ? WHERE email IS NOT NULL`, [new Date().toISOString()]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const c of ['email_code_expires_at', 'email_code_hash', 'email_verified_at'])
      await queryRunner.query(`ALTER TABLE app_user DROP COLUMN ${c}`);
  }
}
