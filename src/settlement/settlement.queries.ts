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

/** Reading batches: bureaus their region's (a province also its cities'), the platform all. */
@Injectable()
export class SettlementQueries {
  constructor(
    private readonly settlements: SettlementRepository,
    private readonly claims: ClaimRepository,
    private readonly views: SettlementViews,
  ) {}

  async get(actor: Actor, id: string): Promise<SettlementView> {
    return this.views.of(await this.readable(actor, id));
  }

  async list(actor: Actor, q: SettlementQuery): Promise<Page<SettlementSummary>> {
    const page = await this.settlements.list(listScope(actor, false), q);
    return { items: page.items.map(SettlementSummary.of), total: page.total };
  }

  /** What the statement PDF and the treasury CSV print. */
  async statement(actor: Actor, id: string): Promise<StatementData> {
    const s = await this.readable(actor, id);
    const lines = await this.settlements.statementLines(id);
    const claimIds = await this.claims.idsInBatch(id);
    return {
      settlementId: s.id,
      regionName: bureauName(s.regionCode),
      periodLabel: s.periodLabel,
      status: s.status,
      paymentRef: s.paymentRef,
      createdAt: s.createdAt,
      paidAt: s.paidAt,
      totalFen: s.totalFen,
      lines: lines.map((l) => ({
        payeeName: l.payeeName,
        payeeCreditCode: l.payeeCreditCode,
        payeeProvinceName: regionName(l.payeeProvinceCode),
        amountFen: l.amountFen,
        claimCount: claimIds.get(l.payeeId)?.length ?? 0,
      })),
    };
  }

  /** Out-of-scope batches do not exist for the caller. */
  private async readable(actor: Actor, id: string): Promise<Settlement> {
    const settlement = await this.settlements.get(id);
    if (!settlement || !canRead(actor, { regionCodes: [settlement.regionCode] })) throw notFound('settlement');
    return settlement;
  }
}
