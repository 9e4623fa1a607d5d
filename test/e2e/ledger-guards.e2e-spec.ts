import { EntityManager } from 'typeorm';
import { Budget } from '../../src/budgets/budget.entity';
import { TransactionService } from '../../src/common/database/transaction.service';
import { DomainError } from '../../src/common/errors/domain-error';
import { newId } from '../../src/common/ids';
import { LedgerService } from '../../src/ledger/ledger.service';
import { Voucher } from '../../src/vouchers/voucher.entity';
import { issueVoucher, openRegion } from '../support/fixtures';
import { TestApp } from '../support/test-app';

/**
 * The ledger's guarded updates refuse on their own. Callers usually lock the row first, so the HTTP tests
 * and the simulation cannot tell whether a guard is there; these calls go past the locks.
 */
describe('ledger guards', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const rolledBack = new Error('rolled back');
  /** Runs `work` in a transaction that is always rolled back; the refusal's code, or 'passed'. */
  const attempt = (work: (em: EntityManager) => Promise<unknown>) =>
    t
      .get(TransactionService)
      .run(async (em) => {
        await work(em);
        throw rolledBack;
      })
      .catch((e: unknown) => (e === rolledBack ? 'passed' : e instanceof DomainError ? e.code : Promise.reject(e as Error)));

  it('refuse a hold above the available balance, a capture above the held amount and funding beyond the budget, and let the exact amounts pass', async () => {
    await openRegion(t, '340000', { budgetFen: 1_500_000, policy: { autoApproveMaxFen: 1_000_000 } });
    const e = await t.registerEnterprise('340100');
    const { id } = await issueVoucher(t, e.token, 1_000_000);
    const voucher = await t.dataSource.getRepository(Voucher).findOneByOrFail({ id });
    const budgetKey = { regionCode: voucher.issuingRegionCode, year: voucher.budgetYear };
    const budget = await t.dataSource.getRepository(Budget).findOneByOrFail(budgetKey);
    expect(budget.availableFen).toBe(500_000);
    const ledger = t.get(LedgerService);
    const another = { id: newId(), issuingRegionCode: voucher.issuingRegionCode, budgetYear: voucher.budgetYear };

    expect(await attempt((em) => ledger.hold(em, id, 1_000_001, newId()))).toBe('VOUCHER_INSUFFICIENT_BALANCE');
    expect(await attempt((em) => ledger.hold(em, id, 1_000_000, newId()))).toBe('passed');
    expect(await attempt((em) => ledger.capture(em, id, 1, 1, newId()))).toBe('INVALID_STATE'); // nothing is held
    expect(
      await attempt(async (em) => {
        await ledger.hold(em, id, 300_000, newId());
        await ledger.capture(em, id, 300_001, 300_001, newId());
      }),
    ).toBe('INVALID_STATE');
    expect(await attempt((em) => ledger.fundVoucher(em, another, 500_001))).toBe('BUDGET_EXHAUSTED');

    expect(await t.dataSource.getRepository(Voucher).findOneByOrFail({ id })).toEqual(voucher);
    expect(await t.dataSource.getRepository(Budget).findOneByOrFail(budgetKey)).toEqual(budget);
  });
});
