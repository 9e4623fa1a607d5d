import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey } from 'typeorm';
import { date, fen, id, idx, instant, int, ref, region, str } from './columns';

/**
 * Organization profiles: contact person, phone, e-mail and address, and for payees the bank they are paid into. A
 * settlement line keeps the bank details its payee had when the batch was prepared: a later change of account does
 * not redirect a batch already prepared (the classic fraud), and the statement shows what the treasury pays.
 * Settlement batches get a readable number. Clearing runs: a clearing recorded by the platform under an immutable id, with one entry per figure.
 */
export class Profiles1764700000000 implements MigrationInterface {
  name = 'Profiles1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('organization', [
      new TableColumn(str('contact_person', 100, true)),
      new TableColumn(str('contact_phone', 32, true)),
      new TableColumn(str('contact_email', 254, true)),
      new TableColumn(str('address', 300, true)),
      new TableColumn(str('bank_name', 100, true)),
      new TableColumn(str('bank_account', 34, true)),
      new TableColumn(instant('profile_updated_at', true)),
    ]);
    // A batch's readable number (340100-2026-0007) for statements; batches prepared before it have none.
    await queryRunner.addColumn('settlement', new TableColumn(str('batch_no', 32, true)));
    await queryRunner.createIndex('settlement', idx(['batch_no'], true));
    await queryRunner.addColumns('settlement_line', [
      new TableColumn(str('payee_bank_name', 100, true)),
      new TableColumn(str('payee_bank_account', 34, true)),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'clearing_run',
        columns: [
          id(),
          date('from_date'),
          date('to_date'),
          fen('gross_total_fen'),
          fen('transfer_total_fen'),
          str('csv_sha256', 64),
          ref('created_by'),
          instant('created_at'),
        ],
        indices: [idx(['created_at'])],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'clearing_run_entry',
        columns: [
          id(),
          ref('run_id'),
          int('seq'),
          str('kind', 8),
          region('from_province_code', true),
          region('to_province_code', true),
          region('province_code', true),
          fen('amount_fen'),
        ],
        indices: [idx(['run_id', 'seq'], true)],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_clearing_run_entry_run',
            columnNames: ['run_id'],
            referencedTableName: 'clearing_run',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('clearing_run_entry', true);
    await queryRunner.dropTable('clearing_run', true);
    for (const c of ['payee_bank_account', 'payee_bank_name']) await queryRunner.dropColumn('settlement_line', c);
    const settlement = await queryRunner.getTable('settlement');
    const batchIndex = settlement!.indices.find((i) => i.columnNames.join() === 'batch_no');
    if (batchIndex) await queryRunner.dropIndex('settlement', batchIndex);
    await queryRunner.dropColumn('settlement', 'batch_no');
    for (const c of ['profile_updated_at', 'bank_account', 'bank_name', 'address', 'contact_email', 'contact_phone', 'contact_person']) {
      await queryRunner.dropColumn('organization', c);
    }
  }
}
