import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { paymentRefKey } from '../src/settlement/payment-ref.rules';
import { dropIndexOn, ensureIndex, str } from './columns';

const PAGE = 5_000;
const UNIQUE = ['region_code', 'payment_ref_key'];

/**
 * One payment reference pays one batch of a region: settlement.payment_ref_key, the reference folded
 * (paymentRefKey), unique per region. The batches paid before are keyed in the order they were paid; a later batch of
 * the region paid with a reference an earlier one had used keeps its reference but no key (both were paid; the next
 * batch paid with it is refused), and is named in the log for the bureau. Re-runnable after a node dies midway: the
 * column is added if missing, only batches without a key are keyed, and the index is made last.
 */
export class PaymentRefsUnique1767500000000 implements MigrationInterface {
  name = 'PaymentRefsUnique1767500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasColumn('settlement', 'payment_ref_key'))) {
      await queryRunner.addColumn('settlement', new TableColumn(str('payment_ref_key', 100, true)));
    }
    const clashes: string[] = [];
    for (let after = { paidAt: '', id: '' }; ;) {
      const rows: { id: string; region_code: string; payment_ref: string; paid_at: string }[] = await queryRunner.query(
        `SELECT id, region_code, payment_ref, paid_at FROM settlement
         WHERE status = 'paid' AND payment_ref IS NOT NULL AND payment_ref_key IS NULL AND (paid_at > ? OR (paid_at = ? AND id > ?))
         ORDER BY paid_at, id LIMIT ?`,
        [after.paidAt, after.paidAt, after.id, PAGE],
      );
      if (rows.length === 0) break;
      const last = rows[rows.length - 1];
      after = { paidAt: last.paid_at, id: last.id };
      for (const row of rows) {
        const key = paymentRefKey(row.payment_ref);
        if (key === '') continue;
        const [taken]: { id: string }[] = await queryRunner.query(
          'SELECT id FROM settlement WHERE region_code = ? AND payment_ref_key = ?',
          [row.region_code, key],
        );
        if (taken) clashes.push(`${row.id} (paid with the reference of ${taken.id})`);
        else await queryRunner.query('UPDATE settlement SET payment_ref_key = ? WHERE id = ?', [key, row.id]);
      }
    }
    if (clashes.length > 0)
      new Logger('Migrations').warn(`batches paid with a reference already used, left without its key: ${clashes.join('; ')}`);
    await ensureIndex(queryRunner, 'settlement', UNIQUE, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropIndexOn(queryRunner, 'settlement', UNIQUE);
    // Plain DROP COLUMN, as in FirstApprovalKeys: TypeORM's SQLite dropColumn rebuilds the table, which the settlement
    // lines' foreign key refuses while rows exist.
    await queryRunner.query('ALTER TABLE settlement DROP COLUMN payment_ref_key');
  }
}
