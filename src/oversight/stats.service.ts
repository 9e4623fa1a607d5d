import { Injectable } from '@nestjs/common';
import { BudgetRepository } from '../budgets/budget.repository';
import { assertBureauOf, listScope, provinceOfRegion } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { catalogued } from '../common/errors/domain-error';
import { RedemptionRepository } from '../redemptions/redemption.repository';
import { PaidSummaryRepository } from '../settlement/paid-summary.repository';
import { VoucherRepository } from '../vouchers/voucher.repository';
import { foldFlows, histogramPercentile, ProvinceFlow } from './stats.rules';

export interface RegionStats {
  regionCode: string;
  year: number;
  budgetFen: number;
  availableFen: number;
  committedFen: number;
  voucherAvailableFen: number;
  heldFen: number;
  capturedFen: number;
  paidFen: number;
  vouchers: number;
  captureToPaymentHours: { count: number; median: number | null; p90: number | null };
}

/**
 * Figures for bureaus and the platform. A province's figures include its cities. They reconcile with the ledger:
 * committed = voucher available + held + captured + paid.
 */
@Injectable()
export class StatsService {
  constructor(
    private readonly budgets: BudgetRepository,
    private readonly vouchers: VoucherRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly paidSummary: PaidSummaryRepository,
  ) {}

  async region(actor: Actor, regionCode: string, year: number): Promise<RegionStats> {
    if (actor.role === 'bureau') assertBureauOf(actor, regionCode, `statistics of ${regionCode}`);
    else if (actor.role !== 'platform') throw catalogued('FORBIDDEN', 'oversight.statsForStaff');

    const budget = await this.budgets.totalsInRegion(regionCode, year);
    const vouchers = await this.vouchers.totalsInRegion(regionCode, year);
    // Paid figures from the summary the payments keep, in tenths of an hour as shown: no scan of paid redemptions.
    const paid = await this.paidSummary.inRegion(regionCode, year);
    const paidFen = paid.reduce((sum, r) => sum + r.approvedFen, 0);
    const tenths = paid.map((r) => ({ value: r.hoursTenths, count: r.redemptions }));
    const shown = (t: number | null) => (t === null ? null : t / 10);
    return {
      regionCode,
      year,
      budgetFen: budget.totalFen,
      availableFen: budget.availableFen,
      committedFen: budget.committedFen,
      voucherAvailableFen: vouchers.availableFen,
      heldFen: vouchers.heldFen,
      capturedFen: vouchers.spentFen - paidFen,
      paidFen,
      vouchers: vouchers.count,
      captureToPaymentHours: {
        count: paid.reduce((n, r) => n + r.redemptions, 0),
        median: shown(histogramPercentile(tenths, 50)),
        p90: shown(histogramPercentile(tenths, 90)),
      },
    };
  }

  /** Captured subsidies of the year's vouchers, issuer province × provider province. */
  async flows(actor: Actor, year: number): Promise<{ year: number; flows: ProvinceFlow[] }> {
    if (actor.role !== 'bureau' && actor.role !== 'platform') throw catalogued('FORBIDDEN', 'oversight.statsForStaff');
    const rows = await this.redemptions.capturedFlows(listScope(actor, false), year);
    // A province's bureau also sees what flows in: other provinces' subsidies captured by its labs (as its annual
    // report shows them). Flows are kept by the provider's province only, so a city's bureau sees what flows out.
    const province = actor.role === 'bureau' ? provinceOfRegion(actor.regionCode!) : null;
    if (province === actor.regionCode) {
      const all = await this.redemptions.capturedFlows({ all: true }, year);
      rows.push(...all.filter((r) => r.providerProvinceCode === province && provinceOfRegion(r.issuingRegionCode) !== province));
    }
    return {
      year,
      flows: foldFlows(
        rows.map((r) => ({
          issuingRegionCode: r.issuingRegionCode,
          providerProvinceCode: r.providerProvinceCode,
          count: Number(r.count ?? 0),
          capturedFen: Number(r.capturedFen ?? 0),
        })),
      ),
    };
  }
}
