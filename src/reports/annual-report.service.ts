import { Injectable } from '@nestjs/common';
import { ClaimRepository } from '../claims/claim.repository';
import { assertBureauOf } from '../common/auth/scope';
import { clock } from '../common/clock';
import type { Actor } from '../common/context/request-context';
import { catalogued } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import type { AnnualReportData } from '../documents/annual-report.data';
import { SanctionRepository } from '../oversight/sanction.repository';
import { sanctionInForce } from '../oversight/sanction.time-rules';
import { StatsService } from '../oversight/stats.service';
import { foldFlows } from '../oversight/stats.rules';
import { RedemptionRepository } from '../redemptions/redemption.repository';
import { bureauName, provinceOfRegion, regionName } from '../regions/regions.data';
import { PaidSummaryRepository } from '../settlement/paid-summary.repository';
import { VoucherRepository } from '../vouchers/voucher.repository';
import { bucketSpans, flowFigures } from './annual-report.rules';

const TOP_FACILITIES = 10;

/**
 * The figures of a region's annual report. The budget split and the time from capture to payment are the statistics
 * route's own (StatsService), the flows its query folded the same way, so the report and `GET /api/stats/*` agree by
 * construction; the rest are read-only queries of the owning repositories.
 */
@Injectable()
export class AnnualReportService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly stats: StatsService,
    private readonly vouchers: VoucherRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly claims: ClaimRepository,
    private readonly sanctions: SanctionRepository,
    private readonly paidSummary: PaidSummaryRepository,
  ) {}

  async build(actor: Actor, regionCode: string, year: number): Promise<AnnualReportData> {
    // Checked first, so a refused caller learns nothing from how long the figures take.
    if (actor.role === 'bureau') assertBureauOf(actor, regionCode, `the annual report of ${regionCode}`);
    else if (actor.role !== 'platform') throw catalogued('FORBIDDEN', 'oversight.reportsForStaff');

    // One read-only unit: the figures come from one snapshot (REPEATABLE READ on MariaDB/MySQL, the transaction queue
    // on SQLite), so they add up even while vouchers are being spent (at the connections' READ COMMITTED each read saw
    // the captures committed before it, and the flows read after the budget could exceed what it said was spent).
    return this.uow.run(() => this.figures(actor, regionCode, year), { snapshot: true });
  }

  private async figures(actor: Actor, regionCode: string, year: number): Promise<AnnualReportData> {
    const province = provinceOfRegion(regionCode);
    const stats = await this.stats.region(actor, regionCode, year);
    const byStatus = await this.vouchers.yearByStatusInRegion(regionCode, year, clock.today());
    const outflows = foldFlows(await this.numericFlows({ regionCode }, year));
    const inflows =
      regionCode === province ? foldFlows(await this.numericFlows({ all: true }, year)).filter((f) => f.toProvinceCode === province) : null;
    const paid = await this.paidSummary.inRegion(regionCode, year);
    const facilities = await this.redemptions.topFacilitiesInRegion(regionCode, year, TOP_FACILITIES);
    const claims = await this.claims.decisionsInRegion(regionCode, year);
    const disputes = await this.redemptions.disputesInRegion(regionCode, year);
    const sanctions = await this.sanctions.recordedInRegion(regionCode, year);

    const count = (status: string) => byStatus.find((s) => s.status === status)?.count ?? 0;
    const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((s, r) => s + f(r), 0);
    const claimsOf = (...statuses: string[]) => claims.filter((c) => statuses.includes(c.status));
    const today = clock.today();
    // One status per sanction, so the three counts add up to those recorded.
    const shown = sanctions.map((s) => (sanctionInForce.holds(s, today) ? 'in_force' : s.status === 'lifted' ? 'lifted' : 'ended'));
    return {
      regionCode,
      regionName: regionName(regionCode),
      provinceCode: province,
      bureauName: bureauName(regionCode),
      year,
      generatedAt: clock.iso(),
      budget: {
        budgetFen: stats.budgetFen,
        availableFen: stats.availableFen,
        committedFen: stats.committedFen,
        voucherAvailableFen: stats.voucherAvailableFen,
        heldFen: stats.heldFen,
        capturedFen: stats.capturedFen,
        paidFen: stats.paidFen,
      },
      vouchers: {
        issued: sum(byStatus, (s) => s.count),
        faceValueFen: sum(byStatus, (s) => s.faceValueFen),
        used: sum(byStatus, (s) => s.usedCount),
        spentFen: sum(byStatus, (s) => s.spentFen),
        releasedFen: sum(byStatus, (s) => s.releasedFen),
        byStatus: { active: count('active'), exhausted: count('exhausted'), expired: count('expired'), revoked: count('revoked') },
      },
      flowsOut: flowFigures(outflows, 'to', province),
      flowsIn: inflows && flowFigures(inflows, 'from', province),
      topFacilities: facilities.map((f, i) => ({
        rank: i + 1,
        facilityName: f.facilityName,
        providerName: f.providerName,
        provinceName: regionName(provinceOfRegion(f.providerProvinceCode)),
        unit: f.unit,
        uses: Number(f.uses ?? 0),
        quantity: Number(f.quantity ?? 0),
        feeFen: Number(f.feeFen ?? 0),
        subsidyFen: Number(f.subsidyFen ?? 0),
      })),
      captureToPayment: {
        count: stats.captureToPaymentHours.count,
        medianHours: stats.captureToPaymentHours.median,
        p90Hours: stats.captureToPaymentHours.p90,
        buckets: bucketSpans(paid.map((r) => ({ span: r.span, count: r.redemptions }))),
      },
      claims: {
        submitted: sum(claims, (c) => c.count),
        approved: sum(claimsOf('approved'), (c) => c.count),
        rejected: sum(claimsOf('rejected'), (c) => c.count),
        pending: sum(claimsOf('submitted', 'awaiting_second_approval'), (c) => c.count),
        cut: sum(claimsOf('approved'), (c) => c.cutCount),
        claimedFen: sum(claims, (c) => c.claimedFen),
        approvedFen: sum(claimsOf('approved'), (c) => c.approvedFen),
        cutFen: sum(claimsOf('approved'), (c) => c.claimedFen - c.approvedFen),
        rejectedFen: sum(claimsOf('rejected'), (c) => c.claimedFen),
        pendingFen: sum(claimsOf('submitted', 'awaiting_second_approval'), (c) => c.claimedFen),
      },
      disputes: { raised: disputes.raised, open: disputes.open, resolved: disputes.resolved, annulled: disputes.annulled },
      sanctions: {
        recorded: sanctions.length,
        inForce: shown.filter((s) => s === 'in_force').length,
        lifted: shown.filter((s) => s === 'lifted').length,
        ended: shown.filter((s) => s === 'ended').length,
        items: sanctions.map((s, i) => ({
          creditCode: s.creditCode,
          reason: s.reason,
          recordedRegionName: regionName(s.recordedRegionCode),
          createdAt: s.createdAt,
          until: s.until,
          status: shown[i],
        })),
      },
    };
  }

  private async numericFlows(scope: { regionCode: string } | { all: true }, year: number) {
    return (await this.redemptions.capturedFlows(scope, year)).map((r) => ({
      issuingRegionCode: r.issuingRegionCode,
      providerProvinceCode: r.providerProvinceCode,
      count: Number(r.count ?? 0),
      capturedFen: Number(r.capturedFen ?? 0),
    }));
  }
}
