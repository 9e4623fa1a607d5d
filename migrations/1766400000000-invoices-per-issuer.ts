import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import { idx, ref, str } from './columns';

/**
 * One invoice of a lab backs one standing claim, whoever claims it (ClaimedInvoice). Filled from the claims that hold
 * an invoice now (standing, or rejected for good), under each lab whose redemptions they take in; where two claimants
 * already hold one invoice of one lab, the earlier claim keeps it (both stand, as they were admitted; the next claim
 * on it is refused). Re-runnable after a node dies midway: the table is made if missing and the rows are inserted
 * where absent.
 */
export class InvoicesPerIssuer1766400000000 implements MigrationInterface {
  name = 'InvoicesPerIssuer1766400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'claimed_invoice',
        columns: [{ ...ref('provider_id'), isPrimary: true }, { ...str('invoice_key', 64), isPrimary: true }, ref('claim_id')],
        indices: [idx(['claim_id'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_claimed_invoice_claim',
            columnNames: ['claim_id'],
            referencedTableName: 'claim',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
      true,
    );
    const insertIgnore = queryRunner.connection.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await queryRunner.query(
      `${insertIgnore} INTO claimed_invoice (provider_id, invoice_key, claim_id)
       SELECT r.provider_id, c.invoice_key, c.id FROM claim c JOIN redemption r ON r.claim_id = c.id
       WHERE c.invoice_key IS NOT NULL ORDER BY c.created_at, c.id`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('claimed_invoice', true);
  }
}
