import { MigrationInterface, QueryRunner } from 'typeorm';
import { dropIndexOn, ensureIndex } from './columns';

const COLUMNS: [string, string][] = [
  ['bank_account_filed_at', 'varchar(24)'],
  ['pending_bank_name', 'varchar(100)'],
  ['pending_bank_account', 'varchar(34)'],
  ['pending_bank_account_key', 'varchar(34)'],
  ['pending_bank_requested_at', 'varchar(24)'],
  ['pending_bank_requested_by', 'varchar(36)'],
];
const UNIQUE = ['pending_bank_account_key'];

/**
 * A change of a payee's bank account waits for its bureau (收款账户变更确认): the pending account beside the one on
 * file, and when an account last went on file (bank_account_filed_at), so that an account cleared and filed again is a
 * change too. Every organization with an account now counts it as filed (when its profile last changed). Plain ADD
 * COLUMN, as in BankAccountsUnique (TypeORM's SQLite addColumn rebuilds the table, which its foreign keys refuse);
 * re-runnable: columns added if missing, the backfill only fills what is empty, the index made last.
 */
export class BankAccountChanges1767820000000 implements MigrationInterface {
  name = 'BankAccountChanges1767820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [column, type] of COLUMNS) {
      if (!(await queryRunner.hasColumn('organization', column)))
        await queryRunner.query(`ALTER TABLE organization ADD COLUMN ${column} ${type} NULL`);
    }
    await queryRunner.query(
      `UPDATE organization SET bank_account_filed_at = COALESCE(profile_updated_at, updated_at)
       WHERE bank_account IS NOT NULL AND bank_account <> '' AND bank_account_filed_at IS NULL`,
    );
    await ensureIndex(queryRunner, 'organization', UNIQUE, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropIndexOn(queryRunner, 'organization', UNIQUE);
    for (const [column] of [...COLUMNS].reverse()) await queryRunner.query(`ALTER TABLE organization DROP COLUMN ${column}`);
  }
}
