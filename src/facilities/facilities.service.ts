import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { hydrate, selectColumns } from '../common/database/statements';
import { TransactionService } from '../common/database/transaction.service';
import { DomainError, invalidState, notFound, ruleBroken } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { Organization } from '../organizations/organization.entity';
import { activeSql, OrganizationsService } from '../organizations/organizations.service';
import { CreateFacilityInput, FacilityQuery, FacilityView, UpdateFacilityInput } from './facility.dto';
import { Facility } from './facility.entity';

/** `!` escapes LIKE wildcards: a backslash means different things in SQLite and MariaDB string literals. */
const likePattern = (text: string) => `%${text.replace(/[!%_]/g, '!$&')}%`;

const blankToNull = (text: string | null | undefined): string | null => (text?.trim() ? text.trim() : null);

@Injectable()
export class FacilitiesService {
  constructor(
    private readonly tx: TransactionService,
    private readonly organizations: OrganizationsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** A facility by id, in any status, inside the caller's transaction (exported for other modules). */
  async load(em: EntityManager, id: string): Promise<Facility> {
    const facility = await em.getRepository(Facility).findOneBy({ id });
    if (!facility) throw notFound('facility');
    return facility;
  }

  /** Lists a facility under the caller's provider, which must be active (public notice ended). */
  create(actor: Actor, input: CreateFacilityInput): Promise<FacilityView> {
    return this.tx.run(async (em) => {
      const provider = await this.organizations.load(this.ownOrganization(actor), em);
      if (provider.type !== 'provider' || provider.status !== 'active') {
        throw ruleBroken('PROVIDER_NOT_ACTIVE', `provider is ${provider.status}; only active providers may list facilities`);
      }
      const now = clock.iso();
      const facility: Facility = {
        id: newId(),
        providerId: provider.id,
        name: input.name.trim(),
        category: input.category,
        unit: input.unit,
        unitPriceFen: input.unitPriceFen,
        description: blankToNull(input.description),
        provinceCode: provider.provinceCode,
        regionCode: provider.regionCode,
        status: 'active',
        createdAt: now,
        updatedAt: now,
      };
      await em.getRepository(Facility).insert(facility);
      this.tx.audit({
        action: 'facility.created',
        entityType: 'facility',
        entityId: facility.id,
        regionCode: facility.regionCode,
        organizationId: facility.providerId,
        summary: { name: facility.name, category: facility.category, unit: facility.unit, unitPriceFen: facility.unitPriceFen },
      });
      return FacilityView.of(facility, provider.name);
    });
  }

  /** Name, price or description of one of the caller's own facilities; a retired one is closed. */
  update(actor: Actor, id: string, input: UpdateFacilityInput): Promise<FacilityView> {
    const changes: Partial<Facility> = {};
    if (input.name !== undefined) changes.name = input.name.trim();
    if (input.unitPriceFen !== undefined) changes.unitPriceFen = input.unitPriceFen;
    if (input.description !== undefined) changes.description = blankToNull(input.description);
    if (Object.keys(changes).length === 0)
      throw new DomainError('VALIDATION_FAILED', 'nothing to change: give name, unitPriceFen or description');
    return this.tx.run(async (em) => {
      const facility = await this.lockOwn(em, actor, id);
      if (facility.status !== 'active') throw invalidState(`facility is ${facility.status}; it can no longer be changed`);
      const before = Object.fromEntries(Object.keys(changes).map((k) => [k, facility[k as keyof Facility]]));
      const updated: Facility = { ...facility, ...changes, updatedAt: clock.iso() };
      await em.getRepository(Facility).update({ id }, { ...changes, updatedAt: updated.updatedAt });
      this.tx.audit({
        action: 'facility.updated',
        entityType: 'facility',
        entityId: id,
        regionCode: facility.regionCode,
        organizationId: facility.providerId,
        summary: { before, after: changes },
      });
      return FacilityView.of(updated, await this.providerName(em, facility.providerId));
    });
  }

  /** Takes a facility off the market for good; holds already placed on it are not affected. */
  retire(actor: Actor, id: string): Promise<FacilityView> {
    return this.tx.run(async (em) => {
      const facility = await this.lockOwn(em, actor, id);
      if (facility.status !== 'active') throw invalidState(`facility is already ${facility.status}`);
      const changes: Partial<Facility> = { status: 'retired', updatedAt: clock.iso() };
      await em.getRepository(Facility).update({ id }, changes);
      this.tx.audit({
        action: 'facility.retired',
        entityType: 'facility',
        entityId: id,
        regionCode: facility.regionCode,
        organizationId: facility.providerId,
        summary: { name: facility.name },
      });
      return FacilityView.of({ ...facility, ...changes }, await this.providerName(em, facility.providerId));
    });
  }

  /** Public: one facility in any status (a redemption's history keeps pointing at it after retirement). */
  async get(id: string): Promise<FacilityView> {
    const em = this.dataSource.manager;
    const facility = await this.load(em, id);
    return FacilityView.of(facility, await this.providerName(em, facility.providerId));
  }

  /**
   * Public search: active facilities of providers that are active now (a public notice that has ended
   * counts, before the sweep rewrites the row), cheapest first.
   */
  async search(filter: FacilityQuery): Promise<Page<FacilityView>> {
    const em = this.dataSource.manager;
    const conditions: string[] = [];
    const params: unknown[] = [];
    const where = (condition: string, ...values: unknown[]) => {
      conditions.push(condition);
      params.push(...values);
    };
    where(`f.status = 'active' AND ${activeSql('o', '?')}`, clock.iso());
    if (filter.provinceCode) where('f.province_code = ?', filter.provinceCode);
    if (filter.category) where('f.category = ?', filter.category);
    // LOWER on both sides: the database folds case the same way for column and pattern.
    if (filter.q)
      where(
        "(LOWER(f.name) LIKE LOWER(?) ESCAPE '!' OR LOWER(f.description) LIKE LOWER(?) ESCAPE '!')",
        likePattern(filter.q),
        likePattern(filter.q),
      );
    const from = `FROM facility f JOIN organization o ON o.id = f.provider_id WHERE ${conditions.join(' AND ')}`;
    // One provider per facility, so plain LIMIT/OFFSET pages correctly over the join. The window count gives the
    // total with the page in one query; only a page past the end needs a count of its own.
    const rows = await em.query<Record<string, unknown>[]>(
      `SELECT ${selectColumns(em, Facility, 'f')}, o.name AS provider_name, COUNT(*) OVER () AS total ${from} ORDER BY f.unit_price_fen, f.id LIMIT ? OFFSET ?`,
      [...params, filter.limit, filter.offset],
    );
    const total =
      rows.length > 0
        ? rows[0].total
        : filter.offset > 0
          ? (await em.query<{ total: unknown }[]>(`SELECT COUNT(*) AS total ${from}`, params))[0].total
          : 0;
    return {
      items: rows.map((row) => FacilityView.of(hydrate(em, Facility, row, 'f'), row.provider_name as string)),
      total: Number(total),
    };
  }

  private ownOrganization(actor: Actor): string {
    if (!actor.organizationId) throw new DomainError('FORBIDDEN', 'only a provider organization may manage facilities');
    return actor.organizationId;
  }

  /** Another provider's facility is answered like a missing one. */
  private async lockOwn(em: EntityManager, actor: Actor, id: string): Promise<Facility> {
    const facility = await this.tx.lock(em, Facility, { id });
    if (!facility || facility.providerId !== this.ownOrganization(actor)) throw notFound('facility');
    return facility;
  }

  private async providerName(em: EntityManager, providerId: string): Promise<string> {
    return (await this.providerNames(em, [providerId])).get(providerId)!;
  }

  private async providerNames(em: EntityManager, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const orgs = await em.getRepository(Organization).find({ select: { id: true, name: true }, where: { id: In([...new Set(ids)]) } });
    return new Map(orgs.map((o) => [o.id, o.name]));
  }
}
