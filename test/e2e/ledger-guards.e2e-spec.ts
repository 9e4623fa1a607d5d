import { BudgetRepository } from '../../src/budgets/budget.repository';
import { DomainError } from '../../src/common/errors/domain-error';
import { newId } from '../../src/common/ids';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { LedgerService } from '../../src/ledger/ledger.service';
import { VoucherRepository } from '../../src/vouchers/voucher.repository';
import { issueVoucher, openRegion } from '../support/fixtures';
import { isMaria, TestApp } from '../support/test-app';

/**
 * The ledger's guarded updates refuse on their own, and behind them the schema refuses a negative balance. Callers
 * lock the rows first, so the HTTP tests and the simulation cannot tell whether a guard is there; these calls go past
 * the locks, and past the guards to the database.
 */
describe('ledger guards', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const rolledBack = new Error('rolled back');
  /** Runs `work` in a unit of work that is always rolled back; the refusal's code, or 'passed'. */
  const attempt = (work: () => Promise<unknown>) =>
    t
      .get(UnitOfWork)
      .run(async () => {
        await work();
        throw rolledBack;
      })
      .catch((e: unknown) => (e === rolledBack ? 'passed' : e instanceof DomainError ? e.code : Promise.reject(e as Error)));

  it('refuse a hold above the available balance, a capture above the held amount and funding beyond the budget, and let the exact amounts pass', async () => {
    await openRegion(t, '340000', { budgetFen: 1_500_000, policy: { autoApproveMaxFen: 1_000_000 } });
    const e = await t.registerEnterprise('340100');
    const { id } = await issueVoucher(t, e.token, 1_000_000);
    const vouchers = t.get(VoucherRepository);
    const voucher = (await vouchers.get(id))!;
    const budgets = t.get(BudgetRepository);
    const budget = (await budgets.get(voucher.issuingRegionCode, voucher.budgetYear))!;
    expect(budget.availableFen).toBe(500_000);
    const ledger = t.get(LedgerService);
    const another = { id: newId(), issuingRegionCode: voucher.issuingRegionCode, budgetYear: voucher.budgetYear };

    expect(await attempt(() => ledger.hold(id, 1_000_001, newId()))).toBe('VOUCHER_INSUFFICIENT_BALANCE');
    expect(await attempt(() => ledger.hold(id, 1_000_000, newId()))).toBe('passed');
    expect(await attempt(() => ledger.capture(voucher, 1, 1, newId()))).toBe('INVALID_STATE'); // nothing is held
    expect(
      await attempt(async () => {
        await ledger.hold(id, 300_000, newId());
        await ledger.capture(voucher, 300_001, 300_001, newId());
      }),
    ).toBe('INVALID_STATE');
    expect(await attempt(() => ledger.fundVoucher(another, 500_001))).toBe('BUDGET_EXHAUSTED');

    expect(await vouchers.get(id)).toEqual(voucher);
    expect(await budgets.get(voucher.issuingRegionCode, voucher.budgetYear)).toEqual(budget);
  });

  it('refuse, in the schema itself, a direct UPDATE that would make a balance negative or break face = available + held + spent + released', async () => {
    await openRegion(t, '320000', { budgetFen: 1_000_000 });
    const e = await t.registerEnterprise('320100');
    const { id } = await issueVoucher(t, e.token, 400_000);
    const db = t.get(Database);
    const violation = isMaria() ? /CONSTRAINT .*chk_/i : /CHECK constraint failed/i;
    const direct = (q: ReturnType<typeof sql>) => t.get(UnitOfWork).run(() => db.execute(q));

    await expect(direct(sql`UPDATE voucher SET available_fen = available_fen - 400001 WHERE id = ${id}`)).rejects.toThrow(violation);
    await expect(direct(sql`UPDATE voucher SET available_fen = available_fen - 1 WHERE id = ${id}`)).rejects.toThrow(violation);
    await expect(direct(sql`UPDATE budget SET available_fen = -1 WHERE region_code = '320000'`)).rejects.toThrow(violation);
    await expect(direct(sql`UPDATE annual_grant SET granted_fen = -5`)).rejects.toThrow(violation);
    await expect(
      direct(sql`INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at)
                 VALUES (${newId()}, 'a', 'b', 0, 'test', 'test', ${newId()}, '2026-01-01T00:00:00.000Z')`),
    ).rejects.toThrow(violation);
    // A balanced move passes the constraint (available → held), and the voucher is unchanged otherwise.
    await expect(direct(sql`UPDATE voucher SET available_fen = available_fen - 1, held_fen = held_fen + 1 WHERE id = ${id}`)).resolves.toBe(
      1,
    );
    await direct(sql`UPDATE voucher SET available_fen = available_fen + 1, held_fen = held_fen - 1 WHERE id = ${id}`);
    expect(await t.get(VoucherRepository).get(id)).toMatchObject({ faceValueFen: 400_000, availableFen: 400_000, heldFen: 0 });
  });

  it('refuse, in the schema itself, a row pointing at a record that does not exist', async () => {
    const db = t.get(Database);
    const violation = isMaria() ? /foreign key constraint fails/i : /FOREIGN KEY constraint failed/i;
    const now = '2026-01-01T00:00:00.000Z';
    await expect(
      t.get(UnitOfWork).run(() =>
        db.execute(sql`INSERT INTO facility (id, provider_id, name, category, unit, unit_price_fen, description, province_code, region_code, status, created_at, updated_at)
                       VALUES (${newId()}, ${newId()}, 'ghost', 'testing', 'hour', 1, NULL, '310000', '310000', 'active', ${now}, ${now})`),
      ),
    ).rejects.toThrow(violation);
  });
});
