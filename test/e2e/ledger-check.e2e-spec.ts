import { newId } from '../../src/common/ids';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { account } from '../../src/ledger/accounts';
import { VoucherRepository } from '../../src/vouchers/voucher.repository';
import { issueVoucher, openRegion } from '../support/fixtures';
import { TestApp } from '../support/test-app';

/** The ledger check reads vouchers and their accounts a page at a time (issue 18): it still finds what does not add up. */
describe('ledger check', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const direct = (q: ReturnType<typeof sql>) => t.get(UnitOfWork).run(() => t.get(Database).execute(q));

  it('finds a voucher row moved without its transfer, a transfer without its row change, and a negative voucher account', async () => {
    await openRegion(t, '330000', { budgetFen: 3_000_000 });
    const e = await t.registerEnterprise('330100');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await issueVoucher(t, e.token, 500_000)).id);
    expect((await t.ledgerCheck()).violations).toEqual([]);
    const serial = (await t.get(VoucherRepository).get(ids[1]))!.serial;

    await direct(sql`UPDATE voucher SET available_fen = available_fen - 7, held_fen = held_fen + 7 WHERE id = ${ids[1]}`);
    expect((await t.ledgerCheck()).violations).toEqual([`voucher ${serial} available: 499993 ≠ 500000`, `voucher ${serial} held: 7 ≠ 0`]);
    await direct(sql`UPDATE voucher SET available_fen = available_fen + 7, held_fen = held_fen - 7 WHERE id = ${ids[1]}`);

    const stray = newId();
    await direct(sql`INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at)
      VALUES (${stray}, ${account.voucherHeld(ids[2])}, ${account.voucherSpent(ids[2])}, 5, 'test', 'test', ${newId()}, '2026-01-01T00:00:00.000Z')`);
    const check = await t.ledgerCheck();
    const serial2 = (await t.get(VoucherRepository).get(ids[2]))!.serial;
    expect(check.violations).toEqual([
      `account ${account.voucherHeld(ids[2])} is negative: -5`,
      `voucher ${serial2} held: 0 ≠ -5`,
      `voucher ${serial2} spent: 0 ≠ 5`,
    ]);
    await direct(sql`DELETE FROM ledger_transfer WHERE id = ${stray}`);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });
});
