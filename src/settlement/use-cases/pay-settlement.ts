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
import { Settlement } from '../settlement.entity';
import { paymentRefKey } from '../payment-ref.rules';
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
 * screened out at payment: its line leaves the batch and its claims wait, approved and payable, for a later one. So is
 * a line with no bank account: a batch prepared now has none (CreateSettlement leaves such payees out), but one
 * prepared before accounts were required may, and a payee clearing its account while a batch is prepared could leave
 * one. The treasury paid the lines it could pay into an account, as the batch's CSV listed them, and that payee's
 * claims go into a later batch, prepared once its account is on file; a batch with no payable line is refused
 * (PAYEE_ACCOUNT_MISSING), as a refused batch changes nothing. So is a payee that asked to change the account its line
 * was prepared with: the change waits for its bureau, or the bureau confirmed it, and either way the line's account is
 * one the payee said to replace (收款账户变更确认). One payment reference pays one batch of a region
 * (paymentRefKey): a reference another batch was paid with is 409 PAYMENT_REF_USED naming it; the same batch paid
 * again is INVALID_STATE with its own reference, as before.
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
    'PAYMENT_REF_USED',
    'PAYEE_ACCOUNT_MISSING',
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
      if (settlement.status === 'voided') {
        return refusedBy(
          catalogued('INVALID_STATE', 'settlement.payVoided', { voidedAt: settlement.voidedAt ?? '', reason: settlement.voidReason ?? '' }),
        );
      }
      if (!settlementTransition(settlement.status, 'pay')) {
        return refusedBy(
          catalogued('INVALID_STATE', 'settlement.alreadyPaid', {
            paymentRef: settlement.paymentRef ?? '',
            paidAt: settlement.paidAt ?? '',
          }),
        );
      }
      const paymentRef = cmd.paymentRef.trim();
      const key = paymentRefKey(paymentRef);
      const used = await this.settlements.paidWithRef(settlement.regionCode, key);
      if (used) return refusedBy(paymentRefUsed(paymentRef, used));
      const paidAt = clock.iso();
      const screened = await this.settlements.heldBackPayees(settlement.id, paidAt, clock.today());
      const noAccount = await this.settlements.payeesWithoutAccount(settlement.id);
      const changed = await this.settlements.payeesWithAccountChanged(settlement.id);
      const held = new Set([...screened.map((p) => p.id), ...noAccount.map((p) => p.id), ...changed.map((p) => p.id)]);
      const lines = held.size > 0 ? await this.settlements.lines(settlement.id) : [];
      if (held.size > 0 && held.size === lines.length) {
        if (screened.length === lines.length) {
          return screened.some((p) => p.sanctioned)
            ? refusedBy(catalogued('SANCTIONED', 'settlement.allPayeesHeld'))
            : refusedBy(catalogued('PROVIDER_NOT_ACTIVE', 'settlement.allPayeesSuspended'));
        }
        if (noAccount.length === 0)
          return refusedBy(
            catalogued('PAYEE_ACCOUNT_MISSING', 'settlement.payeeAccountUnconfirmed', { payees: changed.map((p) => p.name).join(', ') }),
          );
        return refusedBy(
          catalogued('PAYEE_ACCOUNT_MISSING', 'settlement.payeeAccountMissing', { payees: noAccount.map((p) => p.name).join(', ') }),
        );
      }
      const heldBack = [...held];
      const heldBackFen = await this.settlements.dropLines(settlement.id, heldBack);
      await this.claims.unmarkSettled(settlement.id, heldBack);
      // Under the batch's row lock nobody else pays it; should that ever fail, throwing undoes the lines dropped above.
      // Another batch of the region paid with this reference meanwhile: the unique key refused it, and throwing undoes
      // the lines dropped; the batch that won, committed meanwhile, is read under a lock to name it.
      const marked = await this.settlements.markPaid(settlement.id, paymentRef, key, paidAt);
      if (marked === 'refUsed') {
        const winner = await this.settlements.paidWithRef(settlement.regionCode, key, true);
        throw winner ? paymentRefUsed(paymentRef, winner) : catalogued('INVALID_STATE', 'settlement.paidMeanwhile');
      }
      if (marked !== 'paid') throw catalogued('INVALID_STATE', 'settlement.paidMeanwhile');
      // The statistics' paid figures move with the money, in this transaction (issue 18).
      const paid = new Map<string, PaidSummaryRow>();
      await this.redemptions.paidBy(settlement.id, (groups) => addPaid(paid, groups, paidAt));
      await this.paidSummary.add(inKeyOrder(paid.values()));
      const totalFen = settlement.totalFen - heldBackFen;
      const view = await this.views.of(
        { ...settlement, totalFen, status: 'paid', paymentRef, paymentRefKey: key, paidAt },
        undefined,
        true,
      );
      await this.ledger.payOut(settlement.regionCode, view.lines, settlement.id);
      this.uow.record({
        action: 'settlement.paid',
        entityType: 'settlement',
        entityId: settlement.id,
        regionCode: settlement.regionCode,
        summary: { paymentRef, totalFen, payees: view.lines.length, ...(heldBack.length ? { heldBack, heldBackFen } : {}) },
        // Each payee learns of its own line, never of the others' amounts: paid, or held back (its claims wait for a
        // later batch once it is clear).
        recipients: [
          ...view.lines.map((l) => ({
            organizationId: l.payeeId,
            summary: { batchNo: settlement.batchNo, paymentRef, amountFen: l.amountFen },
          })),
          ...lines
            .filter((l) => heldBack.includes(l.payeeId))
            .map((l) => ({
              organizationId: l.payeeId,
              // its line left the batch, which it reads no more (404): the event names the batch by its number only
              unreadable: true as const,
              summary: {
                batchNo: settlement.batchNo,
                heldBack: true,
                amountFen: l.amountFen,
                // what the payee can mend itself: its account, on file for the next batch
                ...(noAccount.some((p) => p.id === l.payeeId)
                  ? { bankAccountMissing: true, issuingRegionCode: settlement.regionCode }
                  : {}),
                // its account changed, or a change waits for the bureau: paid in a later batch, into the account on file
                ...(changed.some((p) => p.id === l.payeeId) ? { bankAccountChanged: true } : {}),
              },
            })),
        ],
      });
      return ok(view);
    });
  }
}

/** 409: the reference paid another batch of the region, named by its number (its id before numbers) and when. */
const paymentRefUsed = (paymentRef: string, used: Settlement) =>
  catalogued('PAYMENT_REF_USED', 'settlement.paymentRefUsed', { paymentRef, batchNo: used.batchNo ?? used.id, paidAt: used.paidAt ?? '' });
