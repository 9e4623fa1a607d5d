import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Budget } from '../budgets/budget.entity';
import { Claim } from '../claims/claim.entity';
import { assertBureauOf, scopeList, whereInRegion } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { forbidden } from '../common/errors/domain-error';
import { Redemption } from '../redemptions/redemption.entity';
import { Settlement } from '../settlement/settlement.entity';
import { Voucher } from '../vouchers/voucher.entity';
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
const num = (v: unknown) => Number(v ?? 0);

/**
 * Figures for bureaus and the platform. A province's figures include its cities. They reconcile with
 * the ledger: committed = voucher available + held + captured + paid.
 */
@Injectable()
export class StatsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async region(actor: Actor, regionCode: string, year: number): Promise<RegionStats> {
    if (actor.role === 'bureau') assertBureauOf(actor, regionCode, `statistics of ${regionCode}`);
    else if (actor.role !== 'platform') throw forbidden('statistics are for bureaus and the platform');

    const budget = await whereInRegion(
      this.dataSource
        .getRepository(Budget)
        .createQueryBuilder('b')
        .select('SUM(b.totalFen)', 'total')
        .addSelect('SUM(b.availableFen)', 'available')
        .addSelect('SUM(b.committedFen)', 'committed')
        .where('b.year = :year', { year }),
      'b.regionCode',
      regionCode,
    ).getRawOne();
    const vouchers = await whereInRegion(
      this.dataSource
        .getRepository(Voucher)
        .createQueryBuilder('v')
        .select('COUNT(*)', 'count')
        .addSelect('SUM(v.availableFen)', 'available')
        .addSelect('SUM(v.heldFen)', 'held')
        .addSelect('SUM(v.spentFen)', 'spent')
        .where('v.budgetYear = :year', { year }),
      'v.issuingRegionCode',
      regionCode,
    ).getRawOne();
    const paid = await whereInRegion(
      this.paidRedemptions()
        .select('r.approvedFen', 'approved')
        .addSelect('r.capturedAt', 'capturedAt')
        .addSelect('s.paidAt', 'paidAt')
        .where('r.budgetYear = :year', { year }),
      'r.issuingRegionCode',
      regionCode,
    ).getRawMany<{ approved: unknown; capturedAt: string; paidAt: string }>();

    const paidFen = paid.reduce((sum, r) => sum + num(r.approved), 0);
    const hours = paid.map((r) => (Date.parse(r.paidAt) - Date.parse(r.capturedAt)) / HOUR_MS);
    const round = (h: number | null) => (h === null ? null : Math.round(h * 10) / 10);
    return {
      regionCode,
      year,
      budgetFen: num(budget?.total),
      availableFen: num(budget?.available),
      committedFen: num(budget?.committed),
      voucherAvailableFen: num(vouchers?.available),
      heldFen: num(vouchers?.held),
      capturedFen: num(vouchers?.spent) - paidFen,
      paidFen,
      vouchers: num(vouchers?.count),
      captureToPaymentHours: { count: hours.length, median: round(percentile(hours, 50)), p90: round(percentile(hours, 90)) },
    };
  }

  /** Captured subsidies of the year's vouchers, issuer province × provider province. */
  async flows(actor: Actor, year: number): Promise<{ year: number; flows: ProvinceFlow[] }> {
    if (actor.role !== 'bureau' && actor.role !== 'platform') throw forbidden('statistics are for bureaus and the platform');
    const query = this.dataSource
      .getRepository(Redemption)
      .createQueryBuilder('r')
      .select('r.issuingRegionCode', 'issuingRegionCode')
      .addSelect('r.providerProvinceCode', 'providerProvinceCode')
      .addSelect('COUNT(*)', 'count')
      .addSelect('SUM(r.capturedSubsidyFen)', 'capturedFen')
      .where("r.status = 'captured' AND r.budgetYear = :year", { year })
      .groupBy('r.issuingRegionCode')
      .addGroupBy('r.providerProvinceCode');
    scopeList(query, actor, { region: 'r.issuingRegionCode', orgs: [] });
    const rows = await query.getRawMany();
    return {
      year,
      flows: foldFlows(
        rows.map((r) => ({
          issuingRegionCode: r.issuingRegionCode,
          providerProvinceCode: r.providerProvinceCode,
          count: num(r.count),
          capturedFen: num(r.capturedFen),
        })),
      ),
    };
  }

  private paidRedemptions() {
    return this.dataSource
      .getRepository(Redemption)
      .createQueryBuilder('r')
      .innerJoin(Claim, 'c', 'c.id = r.claimId')
      .innerJoin(Settlement, 's', "s.id = c.settlementId AND s.status = 'paid'");
  }
}
