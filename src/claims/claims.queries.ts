import { Injectable } from '@nestjs/common';
import { canRead, listScope } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { ClaimQuery } from './claim.dto';
import { Claim } from './claim.entity';
import { ClaimRepository } from './claim.repository';

@Injectable()
export class ClaimsQueries {
  constructor(private readonly claims: ClaimRepository) {}

  /** The claimant sees its claims; a bureau those of its region (and cities); the platform all. */
  list(actor: Actor, q: ClaimQuery): Promise<Page<Claim>> {
    return this.claims.list(listScope(actor), q);
  }

  async get(actor: Actor, id: string): Promise<Claim> {
    const claim = await this.claims.get(id);
    if (!claim || !canRead(actor, { organizationIds: [claim.claimantId], regionCodes: [claim.issuingRegionCode] })) throw notFound('claim');
    return claim;
  }
}
