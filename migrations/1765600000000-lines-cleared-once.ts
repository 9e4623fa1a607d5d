import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { addDays } from '../src/policies/policy.rules';
import { idx, ref } from './columns';

/**
 * A paid settlement line is cleared by one run only: `settlement_line.clearing_run_id` names the run that took it in.
 * Before, a run took every line paid in its period, so a second run of an overlapping period counted the same lines
 * again and the treasuries would have paid them twice. Runs recorded before are given the lines they took in and no
 * earlier run had: paid in their period, across provinces, by the time they were recorded.
 */
export class LinesClearedOnce1765600000000 implements MigrationInterface {
  name = 'LinesClearedOnce1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('settlement_line', new TableColumn(ref('clearing_run_id', true)));
    await queryRunner.createIndex('settlement_line', idx(['clearing_run_id']));
    const runs: { id: string; from_date: string; to_date: string; created_at: string }[] = await queryRunner.query(
      'SELECT id, from_date, to_date, created_at FROM clearing_run ORDER BY created_at, id',
    );
    for (const run of runs) {
      await queryRunner.query(
        `UPDATE settlement_line SET clearing_run_id = ? WHERE clearing_run_id IS NULL AND paid_at >= ? AND paid_at < ?
           AND paid_at <= ? AND issuing_province_code <> payee_province_code`,
        [run.id, run.from_date, addDays(run.to_date, 1), run.created_at],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const line = await queryRunner.getTable('settlement_line');
    const index = line!.indices.find((i) => i.columnNames.join() === 'clearing_run_id');
    if (index) await queryRunner.dropIndex('settlement_line', index);
    await queryRunner.dropColumn('settlement_line', 'clearing_run_id');
  }
}
