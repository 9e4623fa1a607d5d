import { newId } from '../../src/common/ids';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { account } from '../../src/ledger/accounts';
import { LedgerCheckService } from '../../src/ledger/ledger-check.service';
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

  it('reads every voucher account once: accounts of no voucher, before the first and after the last, are reported', async () => {
    const before = await t.ledgerCheck();
    expect(before.violations).toEqual([]);
    const strays = [
      ['00000000-0000-7000-8000-000000000000', 3],
      ['ffffffff-ffff-7fff-bfff-ffffffffffff', 4],
    ] as const;
    for (const [voucherId, fen] of strays) {
      await direct(sql`INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at)
        VALUES (${newId()}, ${account.voucherAvailable(voucherId)}, ${account.voucherHeld(voucherId)}, ${fen}, 'test', 'test', ${newId()},
        '2026-01-01T00:00:00.000Z')`);
    }
    const check = await t.ledgerCheck();
    // The same whatever the page boundaries: one voucher a page, two, and all at once.
    const sorted = (c: typeof check) => ({ ...c, violations: [...c.violations].sort() });
    for (const pageSize of [1, 2]) expect(sorted(await t.get(LedgerCheckService).check(pageSize))).toEqual(sorted(check));
    expect(check.transfers).toBe(before.transfers + 2);
    expect(check.accounts).toBe(before.accounts + 4);
    expect([...check.violations].sort()).toEqual(
      [
        `account ${account.voucherAvailable(strays[0][0])} is negative: -3`,
        `account ${account.voucherAvailable(strays[0][0])} belongs to no voucher: -3`,
        `account ${account.voucherHeld(strays[0][0])} belongs to no voucher: 3`,
        `account ${account.voucherAvailable(strays[1][0])} is negative: -4`,
        `account ${account.voucherAvailable(strays[1][0])} belongs to no voucher: -4`,
        `account ${account.voucherHeld(strays[1][0])} belongs to no voucher: 4`,
      ].sort(),
    );
    await direct(sql`DELETE FROM ledger_transfer WHERE kind = 'test'`);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });

  it('reads every transfer, also those between accounts of no known kind on either side of the vouchers', async () => {
    const before = await t.ledgerCheck();
    await direct(sql`INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at)
      VALUES (${newId()}, 'zzz:elsewhere', 'aaa:nowhere', 9, 'test', 'test', ${newId()}, '2026-01-01T00:00:00.000Z')`);
    const check = await t.ledgerCheck();
    expect(check.transfers).toBe(before.transfers + 1);
    expect(check.accounts).toBe(before.accounts + 2);
    expect(check.violations).toEqual(['account zzz:elsewhere is negative: -9']);
    await direct(sql`DELETE FROM ledger_transfer WHERE kind = 'test'`);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  });
});
