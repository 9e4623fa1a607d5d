import { createPool } from 'mysql2/promise';
import { newId } from '../../src/common/ids';
import { account } from '../../src/ledger/accounts';
import { mariaConnection } from '../../test/support/app-under-test';

/**
 * What the database alone allows: `concurrency` clients doing nothing but the guarded update and the transfer
 * insert of a hold, each pair in a READ COMMITTED transaction (as the service runs them), for `durationSec`.
 * Each moves 1 fen available → held with its transfer, so the ledger stays balanced.
 */
export async function measureCeiling(
  database: string,
  voucherIds: string[],
  concurrency: number,
  durationSec: number,
): Promise<{ perSec: number; commits: number }> {
  const pool = createPool({ ...mariaConnection(), database, connectionLimit: concurrency });
  pool.on('connection', (c) => void c.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
  let commits = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + durationSec * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const voucherId = voucherIds[next++ % voucherIds.length];
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        const [res] = (await conn.execute(
          'UPDATE voucher SET available_fen = available_fen - 1, held_fen = held_fen + 1 WHERE id = ? AND available_fen >= 1',
          [voucherId],
        )) as unknown as [{ affectedRows: number }];
        if (res.affectedRows !== 1) throw new Error(`ceiling: voucher ${voucherId} ran dry`);
        await conn.execute(
          'INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)',
          [
            newId(),
            account.voucherAvailable(voucherId),
            account.voucherHeld(voucherId),
            'bench.ceiling',
            'voucher',
            voucherId,
            new Date().toISOString(),
          ],
        );
        await conn.commit();
        commits++;
      } catch (e) {
        await conn.rollback();
        throw e;
      } finally {
        conn.release();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return { perSec: commits / seconds, commits };
}
