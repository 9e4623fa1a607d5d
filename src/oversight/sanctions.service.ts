import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { assertBureauOf } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { TransactionService } from '../common/database/transaction.service';
import { invalidState, notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { Organization } from '../organizations/organization.entity';
import { RecordSanctionInput, SanctionQuery } from './sanction.dto';
import { Sanction } from './sanction.entity';

/** SQL: the sanction row `s` is in force on the date bound at `today` (a placeholder). */
const inForce = (today: string) => `s.status = 'active' AND (s.until IS NULL OR s.until >= ${today})`;

/** SQL: a sanction is in force, on the date bound at the `?` placeholder, against the credit code in `column`. */
export const sanctionedSql = (column: string) => `EXISTS (SELECT 1 FROM sanction s WHERE s.credit_code = ${column} AND ${inForce('?')})`;

/** The shared credit-sanction list: recorded by any bureau, binding in every province. */
@Injectable()
export class SanctionsService {
  constructor(
    private readonly tx: TransactionService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  record(actor: Actor, input: RecordSanctionInput): Promise<Sanction> {
    return this.tx.run(async (em) => {
      const sanction: Sanction = {
        id: newId(),
        creditCode: input.creditCode,
        reason: input.reason,
        until: input.until ?? null,
        status: 'active',
        recordedBy: actor.userId,
        recordedRegionCode: actor.regionCode!,
        createdAt: clock.iso(),
        liftedAt: null,
        liftedBy: null,
      };
      await em.getRepository(Sanction).insert(sanction);
      this.tx.audit({
        action: 'sanction.recorded',
        entityType: 'sanction',
        entityId: sanction.id,
        regionCode: sanction.recordedRegionCode,
        organizationId: await this.organizationIdOf(em, sanction.creditCode),
        summary: { creditCode: sanction.creditCode, reason: sanction.reason, until: sanction.until },
      });
      return sanction;
    });
  }

  /** Lifting belongs to the recording bureau (or its province), like every other act on a region's record. */
  lift(actor: Actor, id: string): Promise<Sanction> {
    return this.tx.run(async (em) => {
      const sanction = await this.tx.lock(em, Sanction, { id });
      if (!sanction) throw notFound('sanction');
      assertBureauOf(actor, sanction.recordedRegionCode, 'sanctions it recorded');
      if (sanction.status === 'lifted') throw invalidState(`sanction was already lifted at ${sanction.liftedAt}`);
      const changes: Partial<Sanction> = { status: 'lifted', liftedAt: clock.iso(), liftedBy: actor.userId };
      await em.getRepository(Sanction).update({ id }, changes);
      this.tx.audit({
        action: 'sanction.lifted',
        entityType: 'sanction',
        entityId: id,
        regionCode: sanction.recordedRegionCode,
        organizationId: await this.organizationIdOf(em, sanction.creditCode),
        summary: { creditCode: sanction.creditCode },
      });
      return { ...sanction, ...changes };
    });
  }

  /** Bureaus and the platform see the whole shared list; an organization sees the sanctions against itself. */
  async list(actor: Actor, q: SanctionQuery): Promise<Page<Sanction>> {
    const query = this.dataSource.getRepository(Sanction).createQueryBuilder('s').orderBy('s.createdAt', 'DESC').addOrderBy('s.id', 'DESC');
    if (q.creditCode) query.andWhere('s.creditCode = :code', { code: q.creditCode });
    if (q.status) query.andWhere('s.status = :status', { status: q.status });
    if (actor.role !== 'bureau' && actor.role !== 'platform') {
      const own = actor.organizationId ? await this.dataSource.getRepository(Organization).findOneBy({ id: actor.organizationId }) : null;
      query.andWhere('s.creditCode = :own', { own: own?.creditCode ?? '' });
    }
    const [items, total] = await query.take(q.limit).skip(q.offset).getManyAndCount();
    return { items, total };
  }

  /** The codes among `creditCodes` under a sanction in force on `today`; call inside the caller's transaction. */
  async sanctionedAmong(em: EntityManager, creditCodes: string[], today: string): Promise<Set<string>> {
    if (creditCodes.length === 0) return new Set();
    const rows = await em
      .getRepository(Sanction)
      .createQueryBuilder('s')
      .select('DISTINCT s.creditCode', 'creditCode')
      .where('s.creditCode IN (:...codes)', { codes: [...new Set(creditCodes)] })
      .andWhere(inForce(':today'), { today })
      .getRawMany<{ creditCode: string }>();
    return new Set(rows.map((r) => r.creditCode));
  }

  /** Links the audit entry to the organization, when registered, so it can read its own record. */
  private async organizationIdOf(em: EntityManager, creditCode: string): Promise<string | null> {
    return (await em.getRepository(Organization).findOneBy({ creditCode }))?.id ?? null;
  }
}
