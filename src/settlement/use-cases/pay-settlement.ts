import { Injectable } from '@nestjs/common';
import { ApiKeyRepository } from '../../api-keys/api-key.repository';
import { assertBureauOf } from '../../common/auth/scope';
import { clock } from '../../common/clock';
import { Actor, personOf } from '../../common/context/request-context';
import { catalogued, notFound } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../../common/use-case';
import { ClaimRepository } from '../../claims/claim.repository';
import { LedgerService } from '../../ledger/ledger.service';
import { addPaid, inKeyOrder, PaidSummaryRow } from '../../oversight/stats.rules';
import { RedemptionRepository } from '../../redemptions/redemption.repository';
import { PaidSummaryRepository } from '../paid-summary.repository';
import { SettlementView } from '../settlement.dto';
import { SettlementRepository } from '../settlement.repository';
import { settlementTransition } from '../settlement.states';
import { SettlementViews } from '../settlement-views';
import { assertStillActs } from '../../api-keys/still-acts';

export interface PaySettlementCommand {
  actor: Actor;
  settlementId: string;
  paymentRef: string;
}

/**
 * open → paid once: records the payment reference and moves each payee's payable to paid in the ledger. Dual
 * control: whoever created the batch cannot pay it. A payee suspended or sanctioned since the batch was made is
 * screened out at payment: its line leaves the batch and its claims wait, approved and payable, for a later one.
 */
@Injectable()
export class PaySettlement {
  static readonly refusals = [
    'NOT_FOUND',
    'FORBIDDEN',
    'DUAL_CONTROL_REQUIRED',
    'INVALID_STATE',
    'SANCTIONED',
    'PROVIDER_NOT_ACTIVE',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly people: ApiKeyRepository,
    private readonly settlements: SettlementRepository,
    private readonly claims: ClaimRepository,
    private readonly ledger: LedgerService,
    private readonly views: SettlementViews,
    private readonly redemptions: RedemptionRepository,
    private readonly paidSummary: PaidSummaryRepository,
  ) {}

  execute(cmd: PaySettlementCommand): Promise<Outcome<SettlementView>> {
    return this.uow.run(async () => {
      // The payer disabled (or reset) while this request ran pays nothing: read under a shared lock, before the batch's.
      await assertStillActs(this.people, cmd.actor);
      const settlement = await this.settlements.lock(cmd.settlementId);
      if (!settlement) throw notFound('settlement');
      assertBureauOf(cmd.actor, settlement.regionCode, 'settlements of this region');
      if (settlement.createdBy === personOf(cmd.actor)) {
        throw catalogued('DUAL_CONTROL_REQUIRED', 'settlement.creatorPays');
      }
      if (!settlementTransition(settlement.status, 'pay')) {
        return refusedBy(
          catalogued('INVALID_STATE', 'settlement.alreadyPaid', {
            paymentRef: settlement.paymentRef ?? '',
            paidAt: settlement.paidAt ?? '',
          }),
        );
      }
      const paidAt = clock.iso();
      const screened = await this.settlements.heldBackPayees(settlement.id, paidAt, clock.today());
      const lines = screened.length > 0 ? await this.settlements.lines(settlement.id) : [];
      if (screened.length > 0 && screened.length === lines.length) {
        return screened.some((p) => p.sanctioned)
          ? refusedBy(catalogued('SANCTIONED', 'settlement.allPayeesHeld'))
          : refusedBy(catalogued('PROVIDER_NOT_ACTIVE', 'settlement.allPayeesSuspended'));
      }
      const heldBack = screened.map((p) => p.id);
      const heldBackFen = await this.settlements.dropLines(settlement.id, heldBack);
      await this.claims.unmarkSettled(settlement.id, heldBack);
      // Under the batch's row lock nobody else pays it; should that ever fail, throwing undoes the lines dropped above.
      if (!(await this.settlements.markPaid(settlement.id, cmd.paymentRef, paidAt))) {
        throw catalogued('INVALID_STATE', 'settlement.paidMeanwhile');
      }
      // The statistics' paid figures move with the money, in this transaction (issue 18).
      const paid = new Map<string, PaidSummaryRow>();
      await this.redemptions.paidBy(settlement.id, (groups) => addPaid(paid, groups, paidAt));
      await this.paidSummary.add(inKeyOrder(paid.values()));
      const totalFen = settlement.totalFen - heldBackFen;
      const view = await this.views.of({ ...settlement, totalFen, status: 'paid', paymentRef: cmd.paymentRef, paidAt }, undefined, true);
      await this.ledger.payOut(settlement.regionCode, view.lines, settlement.id);
      this.uow.record({
        action: 'settlement.paid',
        entityType: 'settlement',
        entityId: settlement.id,
        regionCode: settlement.regionCode,
        summary: { paymentRef: cmd.paymentRef, totalFen, payees: view.lines.length, ...(heldBack.length ? { heldBack, heldBackFen } : {}) },
        // Each payee learns of its own line, never of the others' amounts: paid, or held back (its claims wait for a
        // later batch once it is clear).
        recipients: [
          ...view.lines.map((l) => ({
            organizationId: l.payeeId,
            summary: { batchNo: settlement.batchNo, paymentRef: cmd.paymentRef, amountFen: l.amountFen },
          })),
          ...lines
            .filter((l) => heldBack.includes(l.payeeId))
            .map((l) => ({ organizationId: l.payeeId, summary: { batchNo: settlement.batchNo, heldBack: true, amountFen: l.amountFen } })),
        ],
      });
      return ok(view);
    });
  }
}
