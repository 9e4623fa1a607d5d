import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThanOrEqual } from 'typeorm';
import { assertBureauOf } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { isUniqueViolation } from '../common/database/db-errors';
import { TransactionService } from '../common/database/transaction.service';
import { notFound } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { CreatePolicyInput } from './policy.dto';
import { Policy } from './policy.entity';
import { policyInForce } from './policy.rules';

@Injectable()
export class PoliciesService {
  private readonly versionsById = new Map<string, Policy>();

  constructor(
    private readonly tx: TransactionService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Publishes a new immutable version; the version number counts up per region. */
  async publish(actor: Actor, input: CreatePolicyInput): Promise<Policy> {
    assertBureauOf(actor, input.regionCode, `the policy of ${input.regionCode}`);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tx.run(async (em) => {
          const latest = await em.getRepository(Policy).findOne({ where: { regionCode: input.regionCode }, order: { version: 'DESC' } });
          const policy: Policy = {
            id: newId(),
            regionCode: input.regionCode,
            version: (latest?.version ?? 0) + 1,
            effectiveFrom: input.effectiveFrom,
            terms: input.toTerms(),
            createdBy: actor.userId,
            createdAt: clock.iso(),
          };
          await em.getRepository(Policy).insert(policy);
          this.tx.audit({
            action: 'policy.published',
            entityType: 'policy',
            entityId: policy.id,
            regionCode: policy.regionCode,
            summary: { version: policy.version, effectiveFrom: policy.effectiveFrom },
          });
          return policy;
        });
      } catch (e) {
        // Two bureaus publishing at once took the same number: take the next one.
        if (!isUniqueViolation(e) || attempt >= 5) throw e;
      }
    }
  }

  versions(regionCode: string): Promise<Policy[]> {
    return this.dataSource.getRepository(Policy).find({ where: { regionCode }, order: { version: 'ASC' } });
  }

  /** The version in force on a date: latest effectiveFrom ≤ date, the higher version on a tie. */
  async inForce(regionCode: string, date: string, em: EntityManager = this.dataSource.manager): Promise<Policy | undefined> {
    return policyInForce(await em.getRepository(Policy).findBy({ regionCode, effectiveFrom: LessThanOrEqual(date) }), date);
  }

  /** Versions never change once published, so every node may keep the ones it has read (a cache, never a source of truth). */
  async load(id: string, em: EntityManager = this.dataSource.manager): Promise<Policy> {
    const cached = this.versionsById.get(id);
    if (cached) return cached;
    const policy = await em.getRepository(Policy).findOneBy({ id });
    if (!policy) throw notFound('policy');
    this.versionsById.set(id, policy);
    return policy;
  }
}
