import { Injectable } from '@nestjs/common';
import { assertBureauOf } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor, personOf } from '../common/context/request-context';
import { catalogued, cataloguedAll, notFound } from '../common/errors/domain-error';
import type { Page } from '../common/http/paging';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { provinceOfRegion } from '../regions/regions.data';
import { CreatePolicyInput } from './policy.dto';
import { Policy } from './policy.entity';
import { PolicyRepository } from './policy.repository';
import { comparePolicies, PolicyComparison, policyInForce, termsProblems, termsWithDefaults } from './policy.rules';

@Injectable()
export class PoliciesService {
  static readonly publishRefusals = ['POLICY_BACKDATED'] as const;
  static readonly withdrawRefusals = ['INVALID_STATE'] as const;

  /**
   * Terms never change once published, so every node may keep the versions it has read (a cache of terms, never a
   * source of truth: whether a version is in force is always read from the database).
   */
  private readonly versionsById = new Map<string, Policy>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly policies: PolicyRepository,
  ) {}

  /**
   * Publishes a new immutable version; the version number counts up per region. It takes effect today or later: a
   * version dated in the past would change what was in force when earlier vouchers and decisions were made.
   */
  async publish(actor: Actor, input: CreatePolicyInput): Promise<Outcome<Policy>> {
    assertBureauOf(actor, input.regionCode, `the policy of ${input.regionCode}`);
    const terms = input.toTerms();
    const problems = termsProblems(terms);
    if (problems.length > 0) throw cataloguedAll('VALIDATION_FAILED', problems);
    if (input.effectiveFrom < clock.today()) {
      return refusedBy(catalogued('POLICY_BACKDATED', 'policies.backdated', { effectiveFrom: input.effectiveFrom, today: clock.today() }));
    }
    // The region's publications queue on its counter row (nextVersion), so each takes the next number; the unique key
    // on (region, version) stays the guard.
    return this.uow.run(async () => {
      const policy: Policy = {
        id: newId(),
        regionCode: input.regionCode,
        version: await this.policies.nextVersion(input.regionCode),
        effectiveFrom: input.effectiveFrom,
        terms,
        createdBy: personOf(actor),
        createdAt: clock.iso(),
        status: 'published',
        withdrawnAt: null,
      };
      await this.policies.insert(policy);
      this.uow.record({
        action: 'policy.published',
        entityType: 'policy',
        entityId: policy.id,
        regionCode: policy.regionCode,
        summary: { version: policy.version, effectiveFrom: policy.effectiveFrom },
      });
      return ok(policy);
    });
  }

  /** A version that has not taken effect yet is withdrawn by a bureau of its region: it never comes into force. */
  withdraw(actor: Actor, id: string): Promise<Outcome<Policy>> {
    return this.uow.run(async () => {
      const policy = await this.policies.lock(id);
      if (!policy) throw notFound('policy');
      assertBureauOf(actor, policy.regionCode, `the policy of ${policy.regionCode}`);
      const at = clock.iso();
      if (!(await this.policies.withdraw(id, at, clock.today()))) {
        return refusedBy(
          policy.status === 'withdrawn'
            ? catalogued('INVALID_STATE', 'policies.withdrawnAlready')
            : catalogued('INVALID_STATE', 'policies.inEffect', { effectiveFrom: policy.effectiveFrom }),
        );
      }
      this.uow.record({
        action: 'policy.withdrawn',
        entityType: 'policy',
        entityId: id,
        regionCode: policy.regionCode,
        summary: { version: policy.version, effectiveFrom: policy.effectiveFrom },
      });
      return ok(withDefaults({ ...policy, status: 'withdrawn' as const, withdrawnAt: at }));
    });
  }

  async versions(regionCode: string, page: { limit: number; offset: number }): Promise<Page<Policy>> {
    const { items, total } = await this.policies.versions(regionCode, page);
    return { items: items.map(withDefaults), total };
  }

  /** The version in force on a date: latest effectiveFrom ≤ date, the higher version on a tie; withdrawn ones never. */
  async inForce(regionCode: string, date: string): Promise<Policy | undefined> {
    const policy = policyInForce(await this.policies.effectiveBy(regionCode, date), date);
    return policy && withDefaults(policy);
  }

  /**
   * The policy an enterprise registered in `regionCode` applies under on a date, and the region that issues under it: its
   * city's own when one is in force, else its province's (API.md), which may have none either.
   */
  async applicable(regionCode: string, date: string): Promise<{ regionCode: string; policy: Policy | undefined }> {
    const provinceCode = provinceOfRegion(regionCode);
    const own = regionCode !== provinceCode ? await this.inForce(regionCode, date) : undefined;
    if (own) return { regionCode, policy: own };
    return { regionCode: provinceCode, policy: await this.inForce(provinceCode, date) };
  }

  /** The regions' policies in force on a date, side by side field by field. */
  async compare(regionCodes: string[], date: string): Promise<PolicyComparison> {
    const inForce = await Promise.all(regionCodes.map(async (code) => [code, await this.inForce(code, date)] as const));
    return comparePolicies(date, inForce);
  }

  async load(id: string): Promise<Policy> {
    const cached = this.versionsById.get(id);
    if (cached) return cached;
    const stored = await this.policies.get(id);
    if (!stored) throw notFound('policy');
    const policy = withDefaults(stored);
    this.versionsById.set(id, policy);
    return policy;
  }
}

const withDefaults = (p: Policy): Policy => ({ ...p, terms: termsWithDefaults(p.terms) });
