import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { bool, date, fen, id, idx, instant, int, ref, str } from './columns';

/**
 * Two-person recording of clearing runs (CLEARING_TWO_PERSON=true): a run proposed by one platform person waits here,
 * taking in no line, until a second person confirms it (recorded as a run under the proposal's id) or it is discarded.
 */
export class ClearingRunProposals1767810000000 implements MigrationInterface {
  name = 'ClearingRunProposals1767810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'clearing_run_proposal',
        columns: [
          id(),
          date('from_date'),
          date('to_date'),
          bool('catch_up'),
          fen('gross_total_fen'),
          fen('transfer_total_fen'),
          int('line_count'),
          str('lines_sha256', 64),
          ref('proposed_by'),
          instant('proposed_at'),
          str('status', 12),
          ref('decided_by', true),
          instant('decided_at', true),
          str('discard_reason', 500, true),
        ],
        indices: [idx(['status', 'proposed_at'])],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('clearing_run_proposal', true);
  }
}
