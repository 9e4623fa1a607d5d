import { Injectable } from '@nestjs/common';
import { BudgetRepository } from '../../budgets/budget.repository';
import { beijingDate, beijingYear } from '../../common/clock';
import { Refusal } from '../../common/errors/domain-error';
import { Organization } from '../../organizations/organization.entity';
import { SanctionRepository } from '../../oversight/sanction.repository';
import { Policy } from '../../policies/policy.entity';
import { AnnualGrantRepository } from '../annual-grant.repository';
import { applicationRefusal, cappedSubjects, grantSubjects } from '../voucher.rules';

/**
 * The rules an application must pass, checked on locked rows inside the caller's unit of work: the annual-grant rows
 * of the enterprise and its groups (grantSubjects; the groups' bind when the policy aggregates by controller), then the budget row
 * (always in this order, everywhere, so issuers never deadlock). Whatever this finds still holds when the voucher is
 * issued in the same unit: no race can turn a pass into a refusal later. `now` is the unit's one reading of the clock,
 * the one the voucher is issued at, so that at Beijing's midnight the checks and the issue see the same year.
 */
@Injectable()
export class ApplicationChecks {
  constructor(
    private readonly grants: AnnualGrantRepository,
    private readonly budgets: BudgetRepository,
    private readonly sanctions: SanctionRepository,
  ) {}

  /**
   * `enterprise` read under a shared lock (OrganizationsService.loadShared) before the sanction list is read here (after
   * the application's row, before the grant rows): a sanction binding it in flight (lockBoundBy) is waited for and read,
   * and none commits until this unit has. Read plainly, 1 to 2 of 12 applications a round were approved after a sanction
   * that committed first (test/e2e/suspension-race-flows.e2e-spec.ts, MariaDB).
   */
  async check(
    enterprise: Organization,
    regionCode: string,
    policy: Policy | undefined,
    amountFen: number,
    now: string,
  ): Promise<{ refusal: Refusal | null; grantedFen: number }> {
    const year = beijingYear(now);
    const sanctioned = (await this.sanctions.boundAmong([enterprise], beijingDate(now))).size > 0;
    let grantedFen = 0; // the largest total of the capped subjects: each must stay within the caps
    let ownGrantedFen = 0; // the enterprise's own (subjects[0]), for a refusal to say whose total binds
    const subjects = grantSubjects(enterprise);
    const capped = policy ? cappedSubjects(policy.terms, subjects) : [];
    for (const subject of policy ? subjects : []) {
      const granted = await this.grants.lockOrCreate(regionCode, year, subject);
      if (capped.includes(subject)) grantedFen = Math.max(grantedFen, granted);
      if (subject === subjects[0]) ownGrantedFen = granted;
    }
    const budget = policy ? await this.budgets.lock(regionCode, year) : null;
    const refusal = applicationRefusal({
      amountFen,
      verified: enterprise.status === 'active',
      sanctioned,
      regionCode,
      terms: policy?.terms,
      kind: enterprise.kind,
      grantedFen,
      ownGrantedFen,
      budgetAvailableFen: budget?.availableFen ?? null,
    });
    return { refusal, grantedFen };
  }
}
