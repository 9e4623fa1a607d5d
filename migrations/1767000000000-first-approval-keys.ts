import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { ref } from './columns';

/**
 * The API key a first approval (maker-checker) was given through, beside the person it counts for: a key revoked
 * because it leaked withdraws the approvals still waiting that were given through it, which the person alone did not
 * tell apart. Every first approval that exists names none (null: as if given in a session).
 */
export class FirstApprovalKeys1767000000000 implements MigrationInterface {
  name = 'FirstApprovalKeys1767000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['voucher_application', 'claim']) {
      await queryRunner.addColumn(table, new TableColumn(ref('first_approved_key', true)));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN, as in FinalClaimRejection: TypeORM's SQLite dropColumn rebuilds the table, which the foreign
    // keys pointing at these tables (a voucher's at its application) refuse while rows exist.
    for (const table of ['claim', 'voucher_application']) await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN first_approved_key`);
  }
}
