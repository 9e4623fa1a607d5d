import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { instant, ref, str } from './columns';

/**
 * An open settlement batch prepared in error (a wrong period, lines no treasury can pay, payees all suspended) is voided
 * by a second person, with a reason: status 'voided', stamped `voided_at`, `voided_by`, `void_reason`. It keeps its
 * number and lines as a record; its claims go back, approved, for a later batch. Preparing moved no money, so neither
 * does the void.
 */
export class SettlementVoid1767770000000 implements MigrationInterface {
  name = 'SettlementVoid1767770000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('settlement', [
      new TableColumn(instant('voided_at', true)),
      new TableColumn(ref('voided_by', true)),
      new TableColumn(str('void_reason', 500, true)),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['void_reason', 'voided_by', 'voided_at']) await queryRunner.dropColumn('settlement', column);
  }
}
