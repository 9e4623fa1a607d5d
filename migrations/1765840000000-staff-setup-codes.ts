import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { instant, str } from './columns';

/**
 * The maker of a bureau account chose its first password, so once a second person activated it the maker could still
 * log in as it and be both persons of maker-checker. Activation now hands the activator a one-time setup code (kept
 * here as its SHA-256, until it expires) for the account's holder, who sets a password of their own with it; until
 * then the account does not log in.
 */
export class StaffSetupCodes1765840000000 implements MigrationInterface {
  name = 'StaffSetupCodes1765840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('app_user', [
      new TableColumn(str('setup_code_hash', 64, true)),
      new TableColumn(instant('setup_code_expires_at', true)),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB): TypeORM's SQLite dropColumn rebuilds the table, which the foreign
    // keys of sessions and API keys refuse while users exist.
    for (const c of ['setup_code_expires_at', 'setup_code_hash']) await queryRunner.query(`ALTER TABLE app_user DROP COLUMN ${c}`);
  }
}
