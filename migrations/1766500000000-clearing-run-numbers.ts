import { MigrationInterface, QueryRunner } from 'typeorm';
import { idx } from './columns';

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/**
 * A clearing run gets a readable number the treasuries quote (QS-2026-0003: the third run recorded in that Beijing
 * year), counted in serial_counter under prefix QS as new runs take theirs. The runs recorded before are numbered in
 * the order they were recorded, and the counter starts after them. Plain ADD COLUMN, as in FacilityContact; the empty
 * default only lets SQLite add a NOT NULL column. Re-runnable after a node dies midway: the column is added if
 * missing, only unnumbered runs are numbered, and the index is made last.
 */
export class ClearingRunNumbers1766500000000 implements MigrationInterface {
  name = 'ClearingRunNumbers1766500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasColumn('clearing_run', 'run_no'))) {
      await queryRunner.query(`ALTER TABLE clearing_run ADD COLUMN run_no varchar(32) NOT NULL DEFAULT ''`);
    }
    const unnumbered: { id: string; created_at: string }[] = await queryRunner.query(
      `SELECT id, created_at FROM clearing_run WHERE run_no = '' ORDER BY created_at, id`,
    );
    const last = new Map<number, number>();
    for (const run of unnumbered) {
      const year = new Date(Date.parse(run.created_at) + BEIJING_OFFSET_MS).getUTCFullYear();
      if (!last.has(year)) {
        // After the counter and after any number given already, whichever is higher: a run numbered by a pass that
        // died before it wrote the counter keeps its number, and no other takes it.
        const [counter]: { last_value: number }[] = await queryRunner.query(
          `SELECT last_value FROM serial_counter WHERE prefix = 'QS' AND year = ?`,
          [year],
        );
        const [given]: { run_no: string | null }[] = await queryRunner.query(
          `SELECT MAX(run_no) AS run_no FROM clearing_run WHERE run_no LIKE ?`,
          [`QS-${year}-%`],
        );
        last.set(year, Math.max(Number(counter?.last_value ?? 0), given?.run_no ? Number(given.run_no.slice(-4)) : 0));
      }
      const n = last.get(year)! + 1;
      last.set(year, n);
      await queryRunner.query(`UPDATE clearing_run SET run_no = ? WHERE id = ?`, [`QS-${year}-${String(n).padStart(4, '0')}`, run.id]);
    }
    for (const [year, n] of last) {
      await queryRunner.query(`DELETE FROM serial_counter WHERE prefix = 'QS' AND year = ?`, [year]);
      await queryRunner.query(`INSERT INTO serial_counter (prefix, year, last_value) VALUES ('QS', ?, ?)`, [year, n]);
    }
    const table = await queryRunner.getTable('clearing_run');
    if (!table!.indices.some((i) => i.columnNames.join() === 'run_no')) {
      await queryRunner.createIndex('clearing_run', idx(['run_no'], true));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = await queryRunner.getTable('clearing_run');
    const index = table!.indices.find((i) => i.columnNames.join() === 'run_no');
    if (index) await queryRunner.dropIndex('clearing_run', index);
    await queryRunner.query(`DELETE FROM serial_counter WHERE prefix = 'QS'`);
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB), as in StaffSetupCodes.
    await queryRunner.query('ALTER TABLE clearing_run DROP COLUMN run_no');
  }
}
