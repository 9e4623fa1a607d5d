import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { instant, str } from './columns';

/**
 * A user's e-mail address is mailed only once its holder confirmed it with a one-time code (app_user.email_code_hash,
 * its SHA-256, valid until email_code_expires_at): email_verified_at. The addresses stored before are taken as
 * confirmed (verified at the migration): they have been mailed all along, and their holders would otherwise stop hearing
 * of their account without being told why. Re-runnable: the columns are added if missing.
 */
export class EmailVerification1767750000000 implements MigrationInterface {
  name = 'EmailVerification1767750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns = [instant('email_verified_at', true), str('email_code_hash', 64, true), instant('email_code_expires_at', true)];
    for (const column of columns) {
      if (!(await queryRunner.hasColumn('app_user', column.name))) await queryRunner.addColumn('app_user', new TableColumn(column));
    }
    await queryRunner.query(`UPDATE app_user SET email_verified_at = ? WHERE email IS NOT NULL AND email_verified_at IS NULL`, [
      new Date().toISOString(),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['email_code_expires_at', 'email_code_hash', 'email_verified_at'])
      await queryRunner.dropColumn('app_user', column);
  }
}
