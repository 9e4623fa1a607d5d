import { Injectable } from '@nestjs/common';
import { canRead, listScope } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { ClaimQuery } from './claim.dto';
import { Claim } from './claim.entity';
import { ClaimRepository } from './claim.repository';
import { Names, NamesRepository } from '../organizations/names.repository';

@Injectable()
export class ClaimsQueries {
  constructor(
    private readonly claims: ClaimRepository,
    private readonly names: NamesRepository,
  ) {}

  /** The claimant sees its claims; a bureau those of its region (and cities); the platform all; with the claimants' names. */
  async list(actor: Actor, q: ClaimQuery): Promise<Page<Claim> & { names: Names }> {
    const page = await this.claims.list(listScope(actor), q);
    return { ...page, names: await this.names.of(page.items.map((c) => c.claimantId)) };
  }

  async get(actor: Actor, id: string): Promise<Claim> {
    const claim = await this.claims.get(id);
    if (!claim || !canRead(actor, { organizationIds: [claim.claimantId], regionCodes: [claim.issuingRegionCode] })) throw notFound('claim');
    return claim;
  }
}
