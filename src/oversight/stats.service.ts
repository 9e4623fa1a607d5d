import { Injectable } from '@nestjs/common';
import { BudgetRepository } from '../budgets/budget.repository';
import { assertBureauOf, listScope } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { forbidden } from '../common/errors/domain-error';
import { RedemptionRepository } from '../redemptions/redemption.repository';
import { VoucherRepository } from '../vouchers/voucher.repository';
import { foldFlows, percentile, ProvinceFlow } from './stats.rules';

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

const HOUR_MS = 3_600_000;

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
  ) {}

  async region(actor: Actor, regionCode: string, year: number): Promise<RegionStats> {
    if (actor.role === 'bureau') assertBureauOf(actor, regionCode, `statistics of ${regionCode}`);
    else if (actor.role !== 'platform') throw forbidden('statistics are for bureaus and the platform');

    const budget = await this.budgets.totalsInRegion(regionCode, year);
    const vouchers = await this.vouchers.totalsInRegion(regionCode, year);
    const paid = await this.redemptions.paidInRegion(regionCode, year);
    const paidFen = paid.reduce((sum, r) => sum + Number(r.approvedFen ?? 0), 0);
    const hours = paid.map((r) => (Date.parse(r.paidAt) - Date.parse(r.capturedAt)) / HOUR_MS);
    const round = (h: number | null) => (h === null ? null : Math.round(h * 10) / 10);
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
      captureToPaymentHours: { count: hours.length, median: round(percentile(hours, 50)), p90: round(percentile(hours, 90)) },
    };
  }

  /** Captured subsidies of the year's vouchers, issuer province × provider province. */
  async flows(actor: Actor, year: number): Promise<{ year: number; flows: ProvinceFlow[] }> {
    if (actor.role !== 'bureau' && actor.role !== 'platform') throw forbidden('statistics are for bureaus and the platform');
    const rows = await this.redemptions.capturedFlows(listScope(actor, false), year);
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
