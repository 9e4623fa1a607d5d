import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { bankAccountKey } from '../src/organizations/profile.rules';
import { dropIndexOn, ensureIndex } from './columns';

const PAGE = 5_000;
const UNIQUE = ['bank_account_key'];

/**
 * A bank account is on file for one organization at most: organization.bank_account_key, the account folded
 * (bankAccountKey: its digits), unique. Backfilled for the organizations the bureau vetted first, then the others, each
 * in the order they registered (created_at, then id), so the outcome does not depend on the rows' physical order: the
 * first with an account keeps it; a later one holding the same account has its bank and account cleared (it would be
 * paid into another organization's account), so its claims wait, as any payee's without an account, and the next batch
 * tells it to put its own on file.
 * Those cleared are named in the log for the bureaus. Re-runnable after a node dies midway: the column is added if
 * missing, only organizations with an account and no key are keyed, and the index is made last.
 */
export class BankAccountsUnique1767710000000 implements MigrationInterface {
  name = 'BankAccountsUnique1767710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasColumn('organization', 'bank_account_key'))) {
      // Plain ADD COLUMN, as in SignInReset: TypeORM's addColumn rebuilds an SQLite table, which the foreign keys on
      // organization refuse while rows exist.
      await queryRunner.query('ALTER TABLE organization ADD COLUMN bank_account_key varchar(34) NULL');
    }
    const cleared: string[] = [];
    // The organizations the bureau vetted first (a verified enterprise, an admitted lab), then the others: anyone may
    // register, and an unvetted registrant's copy of a payee's account must not clear the payee's own.
    for (const vetted of [true, false])
      for (let after = { createdAt: '', id: '' }; ;) {
        const rows: { id: string; bank_account: string; created_at: string }[] = await queryRunner.query(
          `SELECT id, bank_account, created_at FROM organization
         WHERE bank_account IS NOT NULL AND bank_account <> '' AND bank_account_key IS NULL
           AND status ${vetted ? 'NOT IN' : 'IN'} ('pending_verification', 'declined', 'applied')
           AND (created_at > ? OR (created_at = ? AND id > ?))
         ORDER BY created_at, id LIMIT ?`,
          [after.createdAt, after.createdAt, after.id, PAGE],
        );
        if (rows.length === 0) break;
        const last = rows[rows.length - 1];
        after = { createdAt: last.created_at, id: last.id };
        for (const row of rows) {
          const key = bankAccountKey(row.bank_account);
          const [taken]: { id: string }[] = key
            ? await queryRunner.query('SELECT id FROM organization WHERE bank_account_key = ?', [key])
            : [];
          if (key && !taken) {
            await queryRunner.query('UPDATE organization SET bank_account_key = ? WHERE id = ?', [key, row.id]);
          } else {
            cleared.push(taken ? `${row.id} (the account of ${taken.id})` : `${row.id} (no digits)`);
            await queryRunner.query('UPDATE organization SET bank_name = NULL, bank_account = NULL WHERE id = ?', [row.id]);
          }
        }
      }
    if (cleared.length > 0) new Logger('Migrations').warn(`organizations whose bank account was another's, cleared: ${cleared.join('; ')}`);
    await ensureIndex(queryRunner, 'organization', UNIQUE, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropIndexOn(queryRunner, 'organization', UNIQUE);
    // Plain DROP COLUMN, as in PaymentRefsUnique: TypeORM's SQLite dropColumn rebuilds the table, which the foreign keys
    // on organization refuse while rows exist.
    await queryRunner.query('ALTER TABLE organization DROP COLUMN bank_account_key');
  }
}
