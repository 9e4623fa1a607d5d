import { Injectable } from '@nestjs/common';
import { assertBureauOf } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { catalogued, notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { OrganizationRepository } from '../organizations/organization.repository';
import { RecordSanctionInput, SanctionQuery } from './sanction.dto';
import { Sanction } from './sanction.entity';
import { SanctionRepository } from './sanction.repository';

/** The shared credit-sanction list: recorded by any bureau, binding in every province. */
@Injectable()
export class SanctionsService {
  static readonly liftRefusals = ['INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly sanctions: SanctionRepository,
    private readonly organizations: OrganizationRepository,
  ) {}

  record(actor: Actor, input: RecordSanctionInput): Promise<Sanction> {
    return this.uow.run(async () => {
      // The organizations it binds, locked: a hold or booking on them in flight commits first, or waits and reads it.
      await this.organizations.lockBoundBy(input.creditCode);
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
        liftReason: null,
      };
      await this.sanctions.insert(sanction);
      this.uow.record({
        action: 'sanction.recorded',
        entityType: 'sanction',
        entityId: sanction.id,
        regionCode: sanction.recordedRegionCode,
        organizationId: await this.organizationIdOf(sanction.creditCode),
        summary: { creditCode: sanction.creditCode, reason: sanction.reason, until: sanction.until },
      });
      return sanction;
    });
  }

  /**
   * Lifting belongs to the recording bureau (or its province), like every other act on a region's record; its reason
   * (信用修复) is kept beside the sanction and in the audit entry, for every bureau bound by the shared list to read.
   */
  lift(actor: Actor, id: string, reason: string | null = null): Promise<Outcome<Sanction>> {
    return this.uow.run(async () => {
      const sanction = await this.sanctions.lock(id);
      if (!sanction) throw notFound('sanction');
      assertBureauOf(actor, sanction.recordedRegionCode, 'sanctions it recorded');
      const liftedAt = clock.iso();
      if (!(await this.sanctions.lift(id, liftedAt, actor.userId, reason)))
        return refusedBy(catalogued('INVALID_STATE', 'sanctions.alreadyLifted', { liftedAt: sanction.liftedAt ?? '' }));
      this.uow.record({
        action: 'sanction.lifted',
        entityType: 'sanction',
        entityId: id,
        regionCode: sanction.recordedRegionCode,
        organizationId: await this.organizationIdOf(sanction.creditCode),
        summary: { creditCode: sanction.creditCode, ...(reason ? { reason } : {}) },
      });
      return ok({ ...sanction, status: 'lifted' as const, liftedAt, liftedBy: actor.userId, liftReason: reason });
    });
  }

  /**
   * Bureaus and the platform see the whole shared list; an organization sees the sanctions that bind it: against itself,
   * and against its actual controller (boundAmong), so a company refused through its controller reads why and until when.
   */
  async list(actor: Actor, q: SanctionQuery): Promise<Page<Sanction>> {
    const named = q.creditCode !== undefined ? [q.creditCode] : undefined;
    if (actor.role === 'bureau' || actor.role === 'platform') return this.sanctions.list({ ...q, creditCodes: named });
    const own = actor.organizationId ? await this.organizations.get(actor.organizationId) : undefined;
    const binding = own ? [own.creditCode, ...(own.controllerCreditCode ? [own.controllerCreditCode] : [])] : [];
    if (q.creditCode !== undefined && !binding.includes(q.creditCode)) return { items: [], total: 0 };
    return this.sanctions.list({ ...q, creditCodes: named ?? binding });
  }

  /** Links the audit entry to the organization, when registered, so it can read its own record. */
  private async organizationIdOf(creditCode: string): Promise<string | null> {
    return (await this.organizations.byCreditCode(creditCode))?.id ?? null;
  }
}
