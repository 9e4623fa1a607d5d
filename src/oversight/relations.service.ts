import { Injectable } from '@nestjs/common';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { catalogued } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { RecordRelationInput, RelationQuery } from './relation.dto';
import { PartyRelation } from './party-relation.entity';
import { PartyRelationRepository } from './party-relation.repository';

/**
 * Relations between credit codes that bureaus found (a hidden shareholder, the same legal representative): recorded
 * by any bureau, binding in every province, like the sanction list. A recorded pair makes the two related parties
 * whatever they declared, and a policy's relatedPartyBan then refuses redemptions between them.
 */
@Injectable()
export class RelationsService {
  static readonly refusals = ['VALIDATION_FAILED', 'DUPLICATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly relations: PartyRelationRepository,
  ) {}

  record(actor: Actor, input: RecordRelationInput): Promise<Outcome<PartyRelation>> {
    if (input.creditCodeA === input.creditCodeB) throw catalogued('VALIDATION_FAILED', 'relations.sameCode');
    const [codeA, codeB] = [input.creditCodeA, input.creditCodeB].sort();
    return this.uow.run(async () => {
      const relation: PartyRelation = {
        id: newId(),
        codeA,
        codeB,
        reason: input.reason.trim(),
        recordedBy: actor.userId,
        recordedRegionCode: actor.regionCode!,
        createdAt: clock.iso(),
      };
      if (!(await this.relations.insert(relation))) {
        const earlier = await this.relations.between(codeA, codeB);
        const codes = { codeA, codeB };
        return refusedBy(
          earlier
            ? catalogued('DUPLICATE', 'relations.recordedAs', { ...codes, id: earlier.id })
            : catalogued('DUPLICATE', 'relations.recorded', codes),
        );
      }
      this.uow.record({
        action: 'relation.recorded',
        entityType: 'party_relation',
        entityId: relation.id,
        regionCode: relation.recordedRegionCode,
        summary: { codeA, codeB, reason: relation.reason },
      });
      return ok(relation);
    });
  }

  list(q: RelationQuery): Promise<Page<PartyRelation>> {
    return this.relations.list(q);
  }
}
