import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThanOrEqual } from 'typeorm';
import { assertBureauOf, canRead, scopeList } from '../common/auth/scope';
import { clock, isoPlusDays } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { TransactionService } from '../common/database/transaction.service';
import { Sweeps } from '../common/sweeps';
import { DomainError, invalidState, notFound } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { regionOfRegistration } from '../regions/regions.data';
import { registrationRegionOf } from './credit-code';
import { OrganizationInput } from './organization.dto';
import { Organization, OrganizationType } from './organization.entity';

const DEFAULT_NOTICE_DAYS = 7;

/** An organization as of now: a provider whose public notice has ended counts as active. */
export const withNoticeEnded = (org: Organization): Organization =>
  org.status === 'public_notice' && org.noticeEndsAt !== null && org.noticeEndsAt <= clock.iso() ? { ...org, status: 'active' } : org;

/** SQL for `withNoticeEnded(o).status === 'active'`: the organization `alias` is active at the instant bound at `now` (a placeholder). */
export const activeSql = (alias: string, now: string) =>
  `(${alias}.status = 'active' OR (${alias}.status = 'public_notice' AND ${alias}.notice_ends_at <= ${now}))`;

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly tx: TransactionService,
    @InjectDataSource() private readonly dataSource: DataSource,
    sweeps: Sweeps,
  ) {
    sweeps.register('provider-notices', () => this.activateNoticesEnded());
  }

  /** Creates an organization inside the caller's transaction (registration creates its user alongside). */
  async create(em: EntityManager, type: OrganizationType, input: OrganizationInput): Promise<Organization> {
    if (await em.getRepository(Organization).existsBy({ creditCode: input.creditCode })) {
      throw new DomainError('DUPLICATE', `an organization with credit code ${input.creditCode} is already registered`);
    }
    const now = clock.iso();
    const org: Organization = {
      id: newId(),
      name: input.name.trim(),
      creditCode: input.creditCode,
      type,
      kind: type === 'enterprise' ? (input.kind ?? 'tech_sme') : null,
      ...regionOfRegistration(registrationRegionOf(input.creditCode)),
      status: type === 'enterprise' ? 'active' : 'applied',
      controllerCreditCode: input.controllerCreditCode ?? null,
      relatedCreditCodes: [...new Set(input.relatedCreditCodes ?? [])],
      noticeEndsAt: null,
      statusReason: null,
      createdAt: now,
      updatedAt: now,
    };
    await em.getRepository(Organization).insert(org);
    this.tx.audit({
      action: 'organization.registered',
      entityType: 'organization',
      entityId: org.id,
      regionCode: org.regionCode,
      organizationId: org.id,
      summary: { name: org.name, creditCode: org.creditCode, type, status: org.status },
    });
    return org;
  }

  async get(actor: Actor, id: string): Promise<Organization> {
    const org = await this.load(id);
    if (!canRead(actor, { organizationIds: [org.id], regionCodes: [org.regionCode] })) throw notFound('organization');
    return org;
  }

  async list(actor: Actor, filter: { type?: OrganizationType; status?: string; limit: number; offset: number }) {
    const query = this.dataSource
      .getRepository(Organization)
      .createQueryBuilder('o')
      .orderBy('o.createdAt', 'ASC')
      .addOrderBy('o.id', 'ASC');
    if (filter.type) query.andWhere('o.type = :type', { type: filter.type });
    if (filter.status) query.andWhere('o.status = :status', { status: filter.status });
    scopeList(query, actor, { region: 'o.region_code', orgs: ['o.id'] });
    const [items, total] = await query.take(filter.limit).skip(filter.offset).getManyAndCount();
    return { items: items.map(withNoticeEnded), total };
  }

  /** Admission: into public notice (or straight to active with noticeDays 0), by the bureau of the provider's province. */
  admit(actor: Actor, id: string, noticeDays = DEFAULT_NOTICE_DAYS): Promise<Organization> {
    return this.tx.run(async (em) => {
      const org = await this.lockProvider(em, id, actor);
      if (org.status !== 'applied' && org.status !== 'suspended')
        throw invalidState(`provider is ${org.status}; only applied or suspended providers can be admitted`);
      const now = clock.iso();
      const changes: Partial<Organization> =
        noticeDays === 0
          ? { status: 'active', noticeEndsAt: null, statusReason: null, updatedAt: now }
          : { status: 'public_notice', noticeEndsAt: isoPlusDays(now, noticeDays), statusReason: null, updatedAt: now };
      await em.getRepository(Organization).update({ id }, changes);
      this.tx.audit({
        action: 'provider.admitted',
        entityType: 'organization',
        entityId: id,
        regionCode: org.regionCode,
        organizationId: id,
        summary: { from: org.status, to: changes.status, noticeDays },
      });
      return { ...org, ...changes };
    });
  }

  suspend(actor: Actor, id: string, reason: string): Promise<Organization> {
    return this.tx.run(async (em) => {
      const org = await this.lockProvider(em, id, actor);
      if (org.status === 'suspended') throw invalidState('provider is already suspended');
      const changes: Partial<Organization> = { status: 'suspended', statusReason: reason, noticeEndsAt: null, updatedAt: clock.iso() };
      await em.getRepository(Organization).update({ id }, changes);
      this.tx.audit({
        action: 'provider.suspended',
        entityType: 'organization',
        entityId: id,
        regionCode: org.regionCode,
        organizationId: id,
        summary: { from: org.status, reason },
      });
      return { ...org, ...changes };
    });
  }

  /**
   * Providers whose public notice has ended become active (a scheduled sweep; reads apply it lazily too).
   * Each row is flipped by its own guarded update and audited only when this call changed it, so sweeps
   * racing on several nodes activate and audit every provider once.
   */
  async activateNoticesEnded(): Promise<number> {
    return this.tx.run(async (em) => {
      const now = clock.iso();
      const due = await em.getRepository(Organization).findBy({ status: 'public_notice', noticeEndsAt: LessThanOrEqual(now) });
      let activated = 0;
      for (const o of due) {
        const result = await em
          .getRepository(Organization)
          .createQueryBuilder()
          .update()
          .set({ status: 'active', updatedAt: clock.iso() })
          .where({ id: o.id, status: 'public_notice', noticeEndsAt: LessThanOrEqual(now) })
          .execute();
        if (result.affected !== 1) continue;
        activated++;
        this.tx.audit({
          action: 'provider.activated',
          entityType: 'organization',
          entityId: o.id,
          regionCode: o.regionCode,
          organizationId: o.id,
          summary: { noticeEndedAt: o.noticeEndsAt },
        });
      }
      return activated;
    });
  }

  async load(id: string, em: EntityManager = this.dataSource.manager): Promise<Organization> {
    const org = await em.getRepository(Organization).findOneBy({ id });
    if (!org) throw notFound('organization');
    return withNoticeEnded(org);
  }

  private async lockProvider(em: EntityManager, id: string, actor: Actor): Promise<Organization> {
    const org = await this.tx.lock(em, Organization, { id });
    if (!org || org.type !== 'provider') throw notFound('provider');
    assertBureauOf(actor, org.provinceCode, `providers of province ${org.provinceCode}`);
    return withNoticeEnded(org);
  }
}
