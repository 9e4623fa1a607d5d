import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { assertBureauOf } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { TransactionService } from '../common/database/transaction.service';
import { notFound } from '../common/errors/domain-error';
import { LedgerService } from '../ledger/ledger.service';
import { Budget } from './budget.entity';

@Injectable()
export class BudgetsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly ledger: LedgerService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Raising or lowering a budget: never below what is already committed (BUDGET_BELOW_COMMITTED). */
  setTotal(actor: Actor, regionCode: string, year: number, totalFen: number): Promise<Budget> {
    assertBureauOf(actor, regionCode, `the budget of ${regionCode}`);
    return this.tx.run(async (em) => {
      // The total it replaced is read under the row lock, so concurrent changes each audit the true step.
      const { budget, previousTotalFen } = await this.ledger.setBudgetTotal(em, regionCode, year, totalFen);
      this.tx.audit({
        action: 'budget.set',
        entityType: 'budget',
        entityId: `${regionCode}-${year}`,
        regionCode,
        summary: { year, fromFen: previousTotalFen, toFen: totalFen },
      });
      return budget;
    });
  }

  async get(regionCode: string, year: number): Promise<Budget> {
    const budget = await this.dataSource.getRepository(Budget).findOneBy({ regionCode, year });
    if (!budget) throw notFound(`budget of ${regionCode} for ${year}`);
    return budget;
  }
}
