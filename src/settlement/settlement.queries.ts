import { Injectable } from '@nestjs/common';
import { ClaimRepository } from '../claims/claim.repository';
import { canRead, listScope } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { StatementData } from '../documents/document-data';
import { bureauName, regionName } from '../regions/regions.data';
import { SettlementQuery, SettlementSummary, SettlementView } from './settlement.dto';
import { Settlement } from './settlement.entity';
import { SettlementRepository } from './settlement.repository';
import { SettlementViews } from './settlement-views';
import { isPayingBureau, payeeAccountFor } from './payee-account';

/**
 * Reading batches: bureaus their region's (a province also its cities'), the platform all, a payee the batches with a
 * line for it and only that line.
 */
@Injectable()
export class SettlementQueries {
  constructor(
    private readonly settlements: SettlementRepository,
    private readonly claims: ClaimRepository,
    private readonly views: SettlementViews,
  ) {}

  async get(actor: Actor, id: string): Promise<SettlementView> {
    const payee = payeeOf(actor);
    const s = await this.readable(actor, id, payee);
    return this.views.of(s, payee, isPayingBureau(actor, s.regionCode));
  }

  /** Summaries; a payee's carry its own line (and its amount as the total). */
  async list(actor: Actor, q: SettlementQuery): Promise<Page<SettlementSummary | SettlementView>> {
    const page = await this.settlements.list(listScope(actor), q);
    const payee = payeeOf(actor);
    const items = payee ? await Promise.all(page.items.map((s) => this.views.of(s, payee))) : page.items.map(SettlementSummary.of);
    return { items, total: page.total };
  }

  /**
   * What the statement PDF and the treasury CSV print: every line, or one payee's (a payee's own, always); the bank
   * accounts as the batch shows them (in full for the paying bureau only).
   */
  async statement(actor: Actor, id: string, payeeId?: string): Promise<StatementData> {
    const own = payeeOf(actor);
    if (own && payeeId && payeeId !== own) throw notFound('settlement line');
    const payee = own ?? payeeId;
    const s = await this.readable(actor, id, payee);
    const lines = await this.settlements.statementLines(id, payee);
    if (lines.length === 0) throw notFound('settlement line');
    const names = new Map(lines.map((l) => [l.payeeId, l.payeeName]));
    const claims = await this.claims.inBatch(id, payee);
    // Counted once: a batch of 100,000 claims over 200 lines, filtered per line, was 20 million comparisons.
    const claimCount = new Map<string, number>();
    for (const c of claims) claimCount.set(c.claimantId, (claimCount.get(c.claimantId) ?? 0) + 1);
    const paying = isPayingBureau(actor, s.regionCode);
    return {
      settlementId: s.id,
      batchNo: s.batchNo,
      regionName: bureauName(s.regionCode),
      periodLabel: s.periodLabel,
      status: s.status,
      paymentRef: s.paymentRef,
      createdAt: s.createdAt,
      paidAt: s.paidAt,
      // a voided batch's claims went back for a later batch: it prints its lines as its record, without a schedule
      ...(s.voidedAt ? { voided: { at: s.voidedAt, reason: s.voidReason ?? '' } } : {}),
      totalFen: payee ? lines.reduce((sum, l) => sum + l.amountFen, 0) : s.totalFen,
      lines: lines.map((l) => ({
        payeeName: l.payeeName,
        payeeCreditCode: l.payeeCreditCode,
        payeeProvinceName: regionName(l.payeeProvinceCode),
        amountFen: l.amountFen,
        claimCount: claimCount.get(l.payeeId) ?? 0,
        bankName: l.payeeBankName,
        bankAccount: payeeAccountFor(l.payeeBankAccount, paying),
      })),
      claims: s.voidedAt
        ? undefined
        : claims.map((c) => ({
            payeeName: names.get(c.claimantId) ?? c.claimantId,
            contractNo: c.evidence.contractNo,
            invoiceNo: c.evidence.invoiceNo,
            decidedAt: c.decidedAt,
            redemptions: c.redemptionIds.length,
            claimedFen: c.claimedFen,
            amountFen: c.approvedFen ?? 0,
          })),
    };
  }

  /** Out-of-scope batches do not exist for the caller; for a payee, those without a line for it. */
  private async readable(actor: Actor, id: string, payeeId: string | undefined): Promise<Settlement> {
    const settlement = await this.settlements.get(id);
    const visible =
      settlement &&
      (payeeOf(actor) ? (await this.settlements.lines(id, payeeId)).length > 0 : canRead(actor, { regionCodes: [settlement.regionCode] }));
    if (!visible) throw notFound('settlement');
    return settlement;
  }
}

/** The payee organization a provider or enterprise reads as; undefined for bureaus and the platform. */
const payeeOf = (actor: Actor): string | undefined =>
  actor.role === 'provider' || actor.role === 'enterprise' ? (actor.organizationId ?? '-') : undefined;
