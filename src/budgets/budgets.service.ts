import { Injectable } from '@nestjs/common';
import { assertBureauOf } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { catalogued, regionNotFound } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { LedgerService } from '../ledger/ledger.service';
import { isKnownRegion } from '../regions/regions.data';
import { Budget } from './budget.entity';
import { BudgetRepository } from './budget.repository';

/** A budget is named by a region of the list and a year of this century. */
function checkKey(regionCode: string, year: number): void {
  if (!isKnownRegion(regionCode)) throw regionNotFound(regionCode);
  if (year < 2000 || year > 2100) throw catalogued('VALIDATION_FAILED', 'budgets.yearRange');
}

@Injectable()
export class BudgetsService {
  static readonly setBudgetRefusals = ['BUDGET_BELOW_COMMITTED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerService,
    private readonly budgets: BudgetRepository,
  ) {}

  /** Raising or lowering a budget: never below what is already committed (BUDGET_BELOW_COMMITTED). */
  setBudget(actor: Actor, regionCode: string, year: number, totalFen: number): Promise<Outcome<Budget, 'BUDGET_BELOW_COMMITTED'>> {
    checkKey(regionCode, year);
    assertBureauOf(actor, regionCode, `the budget of ${regionCode}`);
    return this.uow.run(async () => {
      // The total it replaces is read under the row lock, so concurrent changes each audit the true step.
      const budget = await this.budgets.lockOrCreate(regionCode, year);
      if (totalFen < budget.committedFen) {
        return refusedBy(
          catalogued('BUDGET_BELOW_COMMITTED', 'budgets.belowCommitted', { year, regionCode, committedFen: budget.committedFen }),
        );
      }
      await this.ledger.setBudgetTotal(budget, totalFen);
      this.uow.record({
        action: 'budget.set',
        entityType: 'budget',
        entityId: `${regionCode}-${year}`,
        regionCode,
        summary: { year, fromFen: budget.totalFen, toFen: totalFen },
      });
      return ok({ ...budget, totalFen, availableFen: budget.availableFen + totalFen - budget.totalFen });
    });
  }

  async get(regionCode: string, year: number): Promise<Budget> {
    checkKey(regionCode, year);
    const budget = await this.budgets.get(regionCode, year);
    if (!budget) throw catalogued('NOT_FOUND', 'budgets.notSet', { regionCode, year });
    return budget;
  }
}
