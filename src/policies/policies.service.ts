import { Injectable } from '@nestjs/common';
import { assertBureauOf } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { isUniqueViolation } from '../common/persistence/db-errors';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { CreatePolicyInput } from './policy.dto';
import { Policy } from './policy.entity';
import { PolicyRepository } from './policy.repository';
import { comparePolicies, PolicyComparison, policyInForce } from './policy.rules';

const PUBLISH_ATTEMPTS = 5;

@Injectable()
export class PoliciesService {
  /** Versions never change once published, so every node may keep the ones it has read (a cache, never a source of truth). */
  private readonly versionsById = new Map<string, Policy>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly policies: PolicyRepository,
  ) {}

  /** Publishes a new immutable version; the version number counts up per region. */
  async publish(actor: Actor, input: CreatePolicyInput): Promise<Policy> {
    assertBureauOf(actor, input.regionCode, `the policy of ${input.regionCode}`);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.uow.run(async () => {
          const policy: Policy = {
            id: newId(),
            regionCode: input.regionCode,
            version: (await this.policies.latestVersion(input.regionCode)) + 1,
            effectiveFrom: input.effectiveFrom,
            terms: input.toTerms(),
            createdBy: actor.userId,
            createdAt: clock.iso(),
          };
          await this.policies.insert(policy);
          this.uow.record({
            action: 'policy.published',
            entityType: 'policy',
            entityId: policy.id,
            regionCode: policy.regionCode,
            summary: { version: policy.version, effectiveFrom: policy.effectiveFrom },
          });
          return policy;
        });
      } catch (e) {
        // Two bureaus publishing at once took the same number: the unique key let one win; take the next one.
        if (!isUniqueViolation(e) || attempt >= PUBLISH_ATTEMPTS) throw e;
      }
    }
  }

  versions(regionCode: string): Promise<Policy[]> {
    return this.policies.versions(regionCode);
  }

  /** The version in force on a date: latest effectiveFrom ≤ date, the higher version on a tie. */
  async inForce(regionCode: string, date: string): Promise<Policy | undefined> {
    return policyInForce(await this.policies.effectiveBy(regionCode, date), date);
  }

  /** The regions' policies in force on a date, side by side field by field. */
  async compare(regionCodes: string[], date: string): Promise<PolicyComparison> {
    const inForce = await Promise.all(regionCodes.map(async (code) => [code, await this.inForce(code, date)] as const));
    return comparePolicies(date, inForce);
  }

  async load(id: string): Promise<Policy> {
    const cached = this.versionsById.get(id);
    if (cached) return cached;
    const policy = await this.policies.get(id);
    if (!policy) throw notFound('policy');
    this.versionsById.set(id, policy);
    return policy;
  }
}
