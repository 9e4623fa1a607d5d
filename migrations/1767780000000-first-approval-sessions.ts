import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { ref } from './columns';

/**
 * The session a first approval (maker-checker) was given in, beside the person and the API key: a password change
 * withdraws the person's first approvals still waiting that were not given in the session that changed it (whoever held
 * a stolen session may have given them). Every first approval that exists names none, and a password change withdraws
 * it: nothing tells it came from the session that proved the password.
 */
export class FirstApprovalSessions1767780000000 implements MigrationInterface {
  name = 'FirstApprovalSessions1767780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['voucher_application', 'claim']) {
      await queryRunner.addColumn(table, new TableColumn(ref('first_approved_session', true)));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN, as in FirstApprovalKeys: TypeORM's SQLite dropColumn rebuilds the table, which the foreign keys
    // pointing at these tables refuse while rows exist.
    for (const table of ['claim', 'voucher_application'])
      await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN first_approved_session`);
  }
}
