import { Inject, Injectable } from '@nestjs/common';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { catalogued, notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { appConfig, AppConfig } from '../config/configuration';
import { OrganizationRepository } from '../organizations/organization.repository';
import { OrganizationsService } from '../organizations/organizations.service';
import { CreateFacilityInput, FacilityQuery, FacilityView, RatingView, UpdateFacilityInput } from './facility.dto';
import { Facility } from './facility.entity';
import { FacilityRepository } from './facility.repository';
import { blankToNull, withinFacilityCap } from './facility.rules';

/** Providers' facilities and services: listing, changing and retiring them; the public catalogue. */
@Injectable()
export class FacilitiesService {
  static readonly createRefusals = ['PROVIDER_NOT_ACTIVE', 'LIMIT_REACHED'] as const;
  static readonly changeRefusals = ['NOT_FOUND', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly facilities: FacilityRepository,
    private readonly organizations: OrganizationsService,
    private readonly organizationRows: OrganizationRepository,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  /**
   * Lists a facility under the caller's provider, which must be active (public notice ended) and below the cap on live
   * facilities. The provider's row lock (as an import takes it) makes count-then-insert one step on every node.
   */
  create(actor: Actor, input: CreateFacilityInput): Promise<Outcome<FacilityView>> {
    return this.uow.run(async () => {
      const locked = await this.organizationRows.lock(ownOrganization(actor));
      if (!locked) throw notFound('organization');
      const provider = await this.organizations.load(locked.id);
      if (provider.type !== 'provider' || provider.status !== 'active') {
        return refusedBy(catalogued('PROVIDER_NOT_ACTIVE', 'facilities.providerNotActive', { status: provider.status }));
      }
      const live = await this.facilities.liveCount(provider.id);
      const max = this.config.maxFacilitiesPerProvider;
      if (!withinFacilityCap(live, 1, max)) return refusedBy(catalogued('LIMIT_REACHED', 'facilities.limit', { max, live, adding: 1 }));
      const now = clock.iso();
      const facility: Facility = {
        id: newId(),
        providerId: provider.id,
        name: input.name.trim(),
        category: input.category,
        unit: input.unit,
        unitPriceFen: input.unitPriceFen,
        description: blankToNull(input.description),
        contact: blankToNull(input.contact),
        provinceCode: provider.provinceCode,
        regionCode: provider.regionCode,
        status: 'active',
        createdAt: now,
        updatedAt: now,
        ratingCount: 0,
        ratingSum: 0,
        externalRef: null,
      };
      await this.facilities.insert(facility);
      this.uow.record({
        action: 'facility.created',
        entityType: 'facility',
        entityId: facility.id,
        regionCode: facility.regionCode,
        organizationId: facility.providerId,
        summary: { name: facility.name, category: facility.category, unit: facility.unit, unitPriceFen: facility.unitPriceFen },
      });
      return ok(await this.view(facility));
    });
  }

  /** Name, price, description or contact of one of the caller's own facilities; a retired one is closed. */
  update(actor: Actor, id: string, input: UpdateFacilityInput): Promise<Outcome<FacilityView>> {
    const changes: Partial<Facility> = {};
    if (input.name !== undefined) changes.name = input.name.trim();
    if (input.unitPriceFen !== undefined) changes.unitPriceFen = input.unitPriceFen;
    if (input.description !== undefined) changes.description = blankToNull(input.description);
    if (input.contact !== undefined) changes.contact = blankToNull(input.contact);
    if (Object.keys(changes).length === 0) throw catalogued('VALIDATION_FAILED', 'facilities.nothingToChange');
    return this.uow.run(async () => {
      const facility = await this.facilities.lockOwnedBy(ownOrganization(actor), id);
      if (!facility) throw notFound('facility');
      if (facility.status !== 'active')
        return refusedBy(catalogued('INVALID_STATE', 'facilities.notChangeable', { status: facility.status }));
      const before = Object.fromEntries(Object.keys(changes).map((k) => [k, facility[k as keyof Facility]]));
      const updated: Facility = { ...facility, ...changes, updatedAt: clock.iso() };
      await this.facilities.update(id, changes, updated.updatedAt);
      this.uow.record({
        action: 'facility.updated',
        entityType: 'facility',
        entityId: id,
        regionCode: facility.regionCode,
        organizationId: facility.providerId,
        summary: { before, after: changes },
      });
      return ok(await this.view(updated));
    });
  }

  /** Takes a facility off the market for good; holds already placed on it are not affected. */
  retire(actor: Actor, id: string): Promise<Outcome<FacilityView>> {
    return this.uow.run(async () => {
      const facility = await this.facilities.lockOwnedBy(ownOrganization(actor), id);
      if (!facility) throw notFound('facility');
      if (facility.status !== 'active')
        return refusedBy(catalogued('INVALID_STATE', 'facilities.alreadyRetired', { status: facility.status }));
      const updatedAt = clock.iso();
      await this.facilities.update(id, { status: 'retired' }, updatedAt);
      this.uow.record({
        action: 'facility.retired',
        entityType: 'facility',
        entityId: id,
        regionCode: facility.regionCode,
        organizationId: facility.providerId,
        summary: { name: facility.name },
      });
      return ok(await this.view({ ...facility, status: 'retired', updatedAt }));
    });
  }

  /**
   * Public: one facility in any status (a redemption's history keeps pointing at it after retirement). One whose
   * provider is suspended or sanctioned reads `suspended`, not bookable, as the catalogue leaves it out.
   */
  async get(id: string): Promise<FacilityView> {
    const found = await this.facilities.withStanding(id, clock.iso(), clock.today());
    if (!found) throw notFound('facility');
    return FacilityView.of(found.facility, found.standing.name, found.standing.listed);
  }

  /** Public: what enterprises said of a facility after confirmed usage, newest first (who rated is not shown). */
  async ratings(id: string, page: { limit: number; offset: number }): Promise<Page<RatingView>> {
    if (!(await this.facilities.get(id))) throw notFound('facility');
    const found = await this.facilities.ratings(id, page);
    return { items: found.items.map(RatingView.of), total: found.total };
  }

  /** Public search: active facilities of providers that are active now and not sanctioned, cheapest first. */
  async search(filter: FacilityQuery): Promise<Page<FacilityView>> {
    const page = await this.facilities.search(filter, clock.iso(), clock.today());
    return { items: page.items.map((i) => FacilityView.of(i.facility, i.providerName)), total: page.total };
  }

  /** The facility as its provider's standing shows it now (FacilityView.of). */
  private async view(facility: Facility): Promise<FacilityView> {
    const found = await this.facilities.withStanding(facility.id, clock.iso(), clock.today());
    return FacilityView.of(facility, found?.standing.name ?? '', found?.standing.listed ?? false);
  }
}

function ownOrganization(actor: Actor): string {
  if (!actor.organizationId) throw catalogued('FORBIDDEN', 'facilities.providersOnly');
  return actor.organizationId;
}
