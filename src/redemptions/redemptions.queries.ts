import { Injectable } from '@nestjs/common';
import { canRead, listScope } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { Redemption, RedemptionStatus } from './redemption.entity';
import { RedemptionRepository } from './redemption.repository';
import { Names, NamesRepository } from '../organizations/names.repository';

@Injectable()
export class RedemptionsQueries {
  constructor(
    private readonly redemptions: RedemptionRepository,
    private readonly names: NamesRepository,
  ) {}

  /** Of the caller's organization (as enterprise or provider), of a bureau's issuing region, or all for the platform; with names. */
  async list(actor: Actor, q: { status?: RedemptionStatus; limit: number; offset: number }): Promise<Page<Redemption> & { names: Names }> {
    const page = await this.redemptions.list(listScope(actor), q, clock.iso());
    return { ...page, names: await this.names.of(page.items.flatMap((r) => [r.enterpriseId, r.providerId, r.facilityId])) };
  }

  /** The enterprise, the provider, the bureau of the issuing region and the platform may read it; to others it does not exist. */
  async get(actor: Actor, id: string): Promise<Redemption> {
    const r = await this.redemptions.get(id);
    if (!r || !canRead(actor, { organizationIds: [r.enterpriseId, r.providerId], regionCodes: [r.issuingRegionCode] }))
      throw notFound('redemption');
    return r;
  }
}
