import { Injectable } from '@nestjs/common';
import { ApiKeyRepository } from '../../api-keys/api-key.repository';
import { ClaimRepository } from '../../claims/claim.repository';
import { assertBureauOf, provinceOfRegion } from '../../common/auth/scope';
import { beijingDate, beijingDayStart, clock } from '../../common/clock';
import { Actor, personOf } from '../../common/context/request-context';
import { CatalogueEntry, catalogued, cataloguedAll } from '../../common/errors/domain-error';
import { newId } from '../../common/ids';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../../common/use-case';
import { PoliciesService } from '../../policies/policies.service';
import { addDays, settlementPeriod } from '../../policies/policy.rules';
import { SettlementView } from '../settlement.dto';
import { Settlement, SettlementLine } from '../settlement.entity';
import { SettlementRepository } from '../settlement.repository';
import { SettlementViews } from '../settlement-views';
import { assertStillActs } from '../../api-keys/still-acts';

export interface CreateSettlementCommand {
  actor: Actor;
  regionCode: string;
  periodEnd?: string;
}

const sumOf = <K extends string>(rows: Record<K, number>[], key: K) => rows.reduce((sum, r) => sum + r[key], 0);

/**
 * Takes every approved claim of the region that is in no batch (approved by periodEnd, when given, which may not lie
 * in the future) into a new batch with one line per payee. A payee that is suspended or sanctioned today is screened
 * out: its claims wait for a later batch. So is a payee with no bank account on file, which no treasury can pay: it
 * is told so (its copy of the event), and a batch prepared once its account is on file takes its claims; a statement
 * never shows a line that cannot be paid. Everything scales with the number of payees, not of claims: the database
 * marks and sums the claims, so a batch of 100,000 claims is a handful of statements.
 */
@Injectable()
export class CreateSettlement {
  static readonly refusals = ['FORBIDDEN', 'INVALID_STATE', 'POLICY_NOT_FOUND', 'PERIOD_NOT_ENDED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly people: ApiKeyRepository,
    private readonly settlements: SettlementRepository,
    private readonly claims: ClaimRepository,
    private readonly policies: PoliciesService,
    private readonly views: SettlementViews,
  ) {}

  execute(cmd: CreateSettlementCommand): Promise<Outcome<SettlementView>> {
    const { actor, regionCode, periodEnd } = cmd;
    assertBureauOf(actor, regionCode, 'settlement of this region');
    return this.uow.run(async () => {
      // The maker disabled (or reset) while this request ran makes no batch (read under a shared lock).
      await assertStillActs(this.people, actor);
      const [now, today] = [clock.iso(), clock.today()];
      if (periodEnd && periodEnd > today)
        return refusedBy(catalogued('PERIOD_NOT_ENDED', 'settlement.periodNotEnded', { periodEnd, today }));
      const id = newId();
      // periodEnd is a Beijing day: everything decided on it sorts before the instant the next Beijing day starts.
      const decidedBefore = periodEnd ? beijingDayStart(addDays(periodEnd, 1)) : undefined;
      const marked = await this.claims.markSettled(regionCode, id, decidedBefore, now, today);
      // Left out, as no treasury can pay them: payees without a bank account on file, told below to register one.
      const waiting = await this.claims.waitingForAccount(regionCode, decidedBefore, now, today);
      if (marked === 0) {
        const held = await this.claims.heldBack(regionCode, now, today);
        const noAccount = { claims: sumOf(waiting, 'claims'), fen: sumOf(waiting, 'fen') };
        // the sentence, then what waits behind suspended or sanctioned payees if anything does: each from the catalogue
        const parts: CatalogueEntry[] = [
          periodEnd
            ? { key: 'settlement.nothingToSettleBy', params: { regionCode, periodEnd } }
            : { key: 'settlement.nothingToSettle', params: { regionCode } },
          ...(held.claims === 0
            ? []
            : held.claims === 1
              ? [{ key: 'settlement.heldBackOne', params: { claims: held.claims, fen: held.fen } }]
              : [{ key: 'settlement.heldBackMany', params: { claims: held.claims, fen: held.fen } }]),
          ...(noAccount.claims === 0
            ? []
            : [{ key: noAccount.claims === 1 ? 'settlement.noAccountOne' : 'settlement.noAccountMany', params: noAccount }]),
        ];
        return refusedBy(cataloguedAll('INVALID_STATE', parts, () => ''));
      }
      // The period is periodEnd's or, without one, that of the batch's last approval: a batch made on 1 January of
      // December's claims is December's (or the fourth quarter's), not January's.
      const day = periodEnd ?? beijingDate(await this.claims.lastDecidedIn(id));
      const policy = (await this.policies.inForce(regionCode, day)) ?? (await this.policies.inForce(regionCode, today));
      // Thrown, not answered: the claims just marked must roll back with it.
      if (!policy) throw catalogued('POLICY_NOT_FOUND', 'settlement.noPolicy', { regionCode });
      const issuingProvinceCode = provinceOfRegion(regionCode);
      const lines: SettlementLine[] = (await this.claims.batchTotals(id)).map((t) => ({
        id: newId(),
        settlementId: id,
        payeeId: t.payeeId,
        payeeName: t.payeeName,
        payeeProvinceCode: t.payeeProvinceCode,
        issuingProvinceCode,
        amountFen: t.amountFen,
        paidAt: null,
        payeeBankName: t.payeeBankName,
        payeeBankAccount: t.payeeBankAccount,
        clearingRunId: null,
      }));
      const totalFen = lines.reduce((sum, l) => sum + l.amountFen, 0);
      if (!Number.isSafeInteger(totalFen)) {
        throw catalogued('INVALID_STATE', 'settlement.totalTooLarge');
      }
      const settlement: Settlement = {
        id,
        regionCode,
        periodLabel: settlementPeriod(policy.terms.settlementCycle, day).label,
        periodEnd: periodEnd ?? null,
        status: 'open',
        totalFen,
        paymentRef: null,
        paymentRefKey: null,
        createdBy: personOf(actor),
        createdAt: now,
        paidAt: null,
        batchNo: await this.settlements.nextBatchNo(regionCode, Number(today.slice(0, 4))),
        voidedAt: null,
        voidedBy: null,
        voidReason: null,
      };
      await this.settlements.insert(settlement, lines);
      this.uow.record({
        action: 'settlement.created',
        entityType: 'settlement',
        entityId: id,
        regionCode,
        summary: {
          batchNo: settlement.batchNo,
          periodLabel: settlement.periodLabel,
          periodEnd: settlement.periodEnd,
          totalFen,
          payees: lines.length,
          claims: marked,
          ...(waiting.length ? { waitingForAccount: waiting.map((w) => w.payeeId) } : {}),
        },
        // Each payee learns of its own line, never of the others' amounts; one left out for want of a bank account
        // learns what waits and what to do: put its account on file (PATCH /api/organizations/:id) before the next batch.
        recipients: [
          ...lines.map((l) => ({
            organizationId: l.payeeId,
            summary: {
              batchNo: settlement.batchNo,
              periodLabel: settlement.periodLabel,
              periodEnd: settlement.periodEnd,
              amountFen: l.amountFen,
            },
          })),
          // It has no line in the batch, which it cannot read (404): its event carries what it needs, not the batch's id.
          ...waiting.map((w) => ({
            organizationId: w.payeeId,
            unreadable: true as const,
            summary: {
              batchNo: settlement.batchNo,
              issuingRegionCode: regionCode,
              bankAccountMissing: true,
              waitingClaims: w.claims,
              waitingFen: w.fen,
            },
          })),
        ],
      });
      return ok(await this.views.of(settlement, undefined, true));
    });
  }
}
