import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey } from 'typeorm';
import { idx, instant, ref, str } from './columns';

/**
 * A clearing run recorded in error is voided by a second person, with a reason: the run keeps its figures and its CSV's
 * hash, and is stamped void (`voided_at`, `voided_by`, `void_reason`); the lines it took in go back to be cleared by a
 * later run, and `clearing_run_voided_line` keeps which they were, so the void run still adds up to its lines.
 */
export class ClearingRunVoid1767200000000 implements MigrationInterface {
  name = 'ClearingRunVoid1767200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('clearing_run', [
      new TableColumn(instant('voided_at', true)),
      new TableColumn(ref('voided_by', true)),
      new TableColumn(str('void_reason', 500, true)),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'clearing_run_voided_line',
        columns: [
          { ...ref('run_id'), isPrimary: true },
          { ...ref('line_id'), isPrimary: true },
        ],
        indices: [idx(['line_id'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_clearing_run_voided_line_run',
            columnNames: ['run_id'],
            referencedTableName: 'clearing_run',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          }),
          new TableForeignKey({
            name: 'fk_clearing_run_voided_line_line',
            columnNames: ['line_id'],
            referencedTableName: 'settlement_line',
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
    await queryRunner.dropTable('clearing_run_voided_line', true);
    for (const column of ['void_reason', 'voided_by', 'voided_at']) await queryRunner.dropColumn('clearing_run', column);
  }
}
