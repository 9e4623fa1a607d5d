import { Injectable } from '@nestjs/common';
import { ApiKeyRepository } from '../../api-keys/api-key.repository';
import { assertStillActs } from '../../api-keys/still-acts';
import { ClaimRepository } from '../../claims/claim.repository';
import { assertBureauOf } from '../../common/auth/scope';
import { clock } from '../../common/clock';
import { Actor, personOf } from '../../common/context/request-context';
import { catalogued, notFound } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../../common/use-case';
import { SettlementView } from '../settlement.dto';
import { SettlementRepository } from '../settlement.repository';
import { SettlementViews } from '../settlement-views';
import { settlementTransition } from '../settlement.states';

export interface VoidSettlementCommand {
  actor: Actor;
  settlementId: string;
  reason: string;
}

/**
 * open → voided: an open batch that should not be paid (prepared for the wrong period, or with no line a treasury can
 * pay: every payee without an account, or suspended) is undone, with a reason. Dual control as for payment: whoever
 * prepared the batch cannot void it, so one person cannot make and unmake batches alone. Its claims go back, approved
 * and payable, for a later batch; the batch keeps its number and lines as its record, and its statement says 已作废.
 * Preparing a batch moved no money (the payables move at payment), so neither does the void: the ledger is untouched.
 * The batch's row lock, then the guarded update, decide between a void and a payment at once: one wins.
 */
@Injectable()
export class VoidSettlement {
  static readonly refusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'FORBIDDEN', 'DUAL_CONTROL_REQUIRED', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly people: ApiKeyRepository,
    private readonly settlements: SettlementRepository,
    private readonly claims: ClaimRepository,
    private readonly views: SettlementViews,
  ) {}

  execute(cmd: VoidSettlementCommand): Promise<Outcome<SettlementView>> {
    return this.uow.run(async () => {
      // Locks in the order payment takes them: the person (shared), then the batch.
      await assertStillActs(this.people, cmd.actor);
      const settlement = await this.settlements.lock(cmd.settlementId);
      if (!settlement) throw notFound('settlement');
      assertBureauOf(cmd.actor, settlement.regionCode, 'settlements of this region');
      if (settlement.createdBy === personOf(cmd.actor)) throw catalogued('DUAL_CONTROL_REQUIRED', 'settlement.creatorVoids');
      if (!settlementTransition(settlement.status, 'void')) return refusedBy(notOpen(settlement));
      const reason = cmd.reason.trim();
      const voidedAt = clock.iso();
      if (!(await this.settlements.markVoided(settlement.id, personOf(cmd.actor), voidedAt, reason))) {
        // Under the batch's row lock nobody else changes it; should that ever fail, what it became is re-read.
        const now = await this.settlements.get(settlement.id);
        throw notOpen(now ?? settlement);
      }
      // Read before the claims go back: a payee's line names them no more once they do.
      const lines = await this.settlements.lines(settlement.id);
      const claims = await this.claims.unmarkBatch(settlement.id);
      const voided = { ...settlement, status: 'voided' as const, voidedAt, voidedBy: personOf(cmd.actor), voidReason: reason };
      this.uow.record({
        action: 'settlement.voided',
        entityType: 'settlement',
        entityId: settlement.id,
        regionCode: settlement.regionCode,
        summary: {
          batchNo: settlement.batchNo,
          periodLabel: settlement.periodLabel,
          reason,
          totalFen: settlement.totalFen,
          payees: lines.length,
          claims,
          createdBy: settlement.createdBy,
        },
        // Each payee learns of its own line, never of the others' amounts, as with settlement.created: its claims wait,
        // approved, for a later batch.
        recipients: lines.map((l) => ({
          organizationId: l.payeeId,
          summary: {
            batchNo: settlement.batchNo,
            periodLabel: settlement.periodLabel,
            amountFen: l.amountFen,
            reason,
            // a payee's copy has no region of its own: the notice names the bureau that voided it
            issuingRegionCode: settlement.regionCode,
          },
        })),
      });
      return ok(await this.views.of(voided, undefined, true));
    });
  }
}

/** 409: a paid batch names its payment; a voided one when and why. */
const notOpen = (s: {
  status: string;
  paymentRef: string | null;
  paidAt: string | null;
  voidedAt: string | null;
  voidReason: string | null;
}) =>
  s.status === 'voided'
    ? catalogued('INVALID_STATE', 'settlement.alreadyVoided', { voidedAt: s.voidedAt ?? '', reason: s.voidReason ?? '' })
    : catalogued('INVALID_STATE', 'settlement.alreadyPaid', { paymentRef: s.paymentRef ?? '', paidAt: s.paidAt ?? '' });
