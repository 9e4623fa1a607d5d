import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { inRegion, scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, Sql, sql } from '../common/persistence/sql';
import { Redemption, RedemptionStatus, UsageDispute } from './redemption.entity';
import type { FacilityUsageChange } from './redemption.rules';
import { holdExpired, usageConfirmedBySilence } from './redemption.time-rules';
import type { PaidGroup } from '../oversight/stats.rules';

/** Claims of a paid batch read at a time for its summary: at most 22,000 groups at a year (5–11 redemptions a claim). */
const PAID_CLAIMS_PER_PAGE = 2_000;

/** How a hold closes: its new status and what capture recorded (the held quantity, fee and subsidy stay as they were). */
export type Closing = Pick<Redemption, 'status' | 'closedAt' | 'updatedAt'> &
  Partial<Pick<Redemption, 'capturedQuantity' | 'capturedFeeFen' | 'capturedSubsidyFen' | 'capturedAt' | 'usage' | 'usageDueAt'>>;

/** What a bureau's resolution of a disputed capture records. */
export type Resolution = Pick<
  Redemption,
  'status' | 'capturedQuantity' | 'capturedFeeFen' | 'capturedSubsidyFen' | 'usageDecidedAt' | 'updatedAt'
>;

/** Rows per flow in captured_flow: concurrent captures of one province pick one of these at random. */
const CAPTURED_FLOW_SHARDS = 16;

@Injectable()
export class RedemptionRepository {
  constructor(private readonly db: Database) {}

  insert(redemption: Redemption): Promise<void> {
    return this.db.insert(Redemption, [redemption]);
  }

  async get(id: string): Promise<Redemption | undefined> {
    return (await this.db.select(Redemption, 'r', sql`WHERE r.id = ${id}`))[0];
  }

  /** The redemptions, locked in id order (one order for every unit, so lockers queue instead of deadlocking). */
  lockMany(ids: string[]): Promise<Redemption[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.select(Redemption, 'r', sql`WHERE r.id IN (${join(ids)}) ORDER BY r.id${this.db.forUpdate}`);
  }

  byClaim(claimId: string): Promise<Redemption[]> {
    return this.db.select(Redemption, 'r', sql`WHERE r.claim_id = ${claimId}`);
  }

  /**
   * held → closed by one guarded update, before any money moves: a concurrent capture, cancel or expiry of the same
   * hold finds no held row and changes nothing. True when this call closed it.
   */
  async close(id: string, c: Closing): Promise<boolean> {
    const sets: Sql[] = [sql`status = ${c.status}`, sql`closed_at = ${c.closedAt}`, sql`updated_at = ${c.updatedAt}`];
    if (c.capturedQuantity !== undefined) sets.push(sql`captured_quantity = ${c.capturedQuantity}`);
    if (c.capturedFeeFen !== undefined) sets.push(sql`captured_fee_fen = ${c.capturedFeeFen}`);
    if (c.capturedSubsidyFen !== undefined) sets.push(sql`captured_subsidy_fen = ${c.capturedSubsidyFen}`);
    if (c.capturedAt !== undefined) sets.push(sql`captured_at = ${c.capturedAt}`);
    if (c.usage !== undefined) sets.push(sql`usage_status = ${c.usage}`);
    if (c.usageDueAt !== undefined) sets.push(sql`usage_due_at = ${c.usageDueAt}`);
    return (await this.db.execute(sql`UPDATE redemption SET ${join(sets, ', ')} WHERE id = ${id} AND status = 'held'`)) === 1;
  }

  /** The enterprise confirms or disputes pending usage; false when it was answered (or confirmed by silence) first. */
  async decideUsage(id: string, to: 'confirmed' | 'disputed', at: string, reason: string | null): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE redemption SET usage_status = ${to}, usage_decided_at = ${at}, dispute_reason = ${reason}, updated_at = ${at}
          WHERE id = ${id} AND usage_status = 'pending' AND usage_due_at > ${at}`,
    );
    return changed === 1;
  }

  /** A bureau settles a dispute: the capture as it stands after the resolution, usage confirmed. */
  async resolve(id: string, r: Resolution): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE redemption SET status = ${r.status}, captured_quantity = ${r.capturedQuantity}, captured_fee_fen = ${r.capturedFeeFen},
          captured_subsidy_fen = ${r.capturedSubsidyFen}, usage_status = 'confirmed', usage_decided_at = ${r.usageDecidedAt}, updated_at = ${r.updatedAt}
          WHERE id = ${id} AND usage_status = 'disputed' AND claim_id IS NULL`,
    );
    return changed === 1;
  }

  /** Pending usage past its window at `now`, for the sweep that confirms it by silence. */
  async silentlyConfirmed(now: string, limit: number): Promise<string[]> {
    const rows = await this.db.rows<{ id: string }>(
      sql`SELECT r.id FROM redemption r WHERE ${usageConfirmedBySilence.sql('r', now)} LIMIT ${limit}`,
    );
    return rows.map((r) => r.id);
  }

  async confirmBySilence(id: string, now: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE redemption SET usage_status = 'confirmed', usage_decided_at = usage_due_at, updated_at = ${now}
          WHERE id = ${id} AND ${usageConfirmedBySilence.sql('redemption', now)}`,
    );
    return changed === 1;
  }

  /** The voucher's holds still held, for its revocation. */
  heldOf(voucherId: string): Promise<Redemption[]> {
    return this.db.select(Redemption, 'r', sql`WHERE r.voucher_id = ${voucherId} AND r.status = 'held' ORDER BY r.id`);
  }

  /** Holds past their expiry at `now`, oldest first, for the sweep. */
  async expiredHolds(now: string, limit: number): Promise<string[]> {
    const rows = await this.db.rows<{ id: string }>(
      sql`SELECT r.id FROM redemption r WHERE ${holdExpired.sql('r', now)} ORDER BY r.expires_at LIMIT ${limit}`,
    );
    return rows.map((r) => r.id);
  }

  async list(scope: ListScope, q: { status?: RedemptionStatus; limit: number; offset: number }, now: string): Promise<Page<Redemption>> {
    let status: Sql = empty;
    if (q.status === 'held') status = sql` AND r.status = 'held' AND NOT ${holdExpired.sql('r', now)}`;
    else if (q.status === 'expired') status = sql` AND (r.status = 'expired' OR ${holdExpired.sql('r', now)})`;
    else if (q.status) status = sql` AND r.status = ${q.status}`;
    const where = sql`WHERE 1 = 1${status}${scopeCondition(scope, { region: 'r.issuing_region_code', orgs: ['r.enterprise_id', 'r.provider_id'] })}`;
    return this.db.page(Redemption, 'r', where, sql`r.created_at DESC, r.id DESC`, q);
  }

  // ---- Claims' writes into redemptions: named, with checked results. ----

  /** Marks captured, unclaimed redemptions of the payee as claimed; returns how many it marked (all, or a race was lost). */
  markClaimed(ids: string[], claimId: string, payeeId: string, updatedAt: string): Promise<number> {
    return this.db.execute(
      sql`UPDATE redemption SET claim_id = ${claimId}, updated_at = ${updatedAt}
          WHERE id IN (${join(ids)}) AND claim_id IS NULL AND status = 'captured' AND payee_id = ${payeeId}`,
    );
  }

  /** A rejected claim's redemptions become claimable again; returns how many. */
  unmarkClaimed(claimId: string, updatedAt: string): Promise<number> {
    return this.db.execute(sql`UPDATE redemption SET claim_id = NULL, updated_at = ${updatedAt} WHERE claim_id = ${claimId}`);
  }

  /** An approved claim's share of each redemption: all it captured, except where `reduced` names a lower share. */
  async setApproved(claimId: string, reduced: Map<string, number>, updatedAt: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE redemption SET approved_fen = captured_subsidy_fen, updated_at = ${updatedAt} WHERE claim_id = ${claimId}`,
    );
    for (const [id, fen] of reduced) {
      await this.db.execute(sql`UPDATE redemption SET approved_fen = ${fen} WHERE id = ${id} AND claim_id = ${claimId}`);
    }
  }

  // ---- Statistics. ----

  /**
   * Adds a change of captured subsidies (a capture, a dispute's resolution, a final rejection, an approval's cut) to one random shard of its flow row, in the
   * caller's transaction: one upsert takes the row's lock directly (STACK.md).
   */
  async addCapturedFlow(
    r: Pick<Redemption, 'budgetYear' | 'issuingRegionCode' | 'providerProvinceCode'>,
    redemptions: number,
    fen: number,
  ) {
    const shard = Math.floor(Math.random() * CAPTURED_FLOW_SHARDS);
    const insert = sql`INSERT INTO captured_flow (budget_year, issuing_region_code, provider_province_code, shard, redemptions, captured_fen)
        VALUES (${r.budgetYear}, ${r.issuingRegionCode}, ${r.providerProvinceCode}, ${shard}, ${redemptions}, ${fen})`;
    await this.db.execute(
      this.db.dialect === 'sqlite'
        ? sql`${insert} ON CONFLICT (budget_year, issuing_region_code, provider_province_code, shard) DO UPDATE SET
              redemptions = redemptions + excluded.redemptions, captured_fen = captured_fen + excluded.captured_fen`
        : sql`${insert} ON DUPLICATE KEY UPDATE redemptions = redemptions + VALUES(redemptions), captured_fen = captured_fen + VALUES(captured_fen)`,
    );
  }

  /** Captured subsidies of a budget year, per issuing region and provider province, within the scope (the shards summed). */
  capturedFlows(
    scope: ListScope,
    year: number,
  ): Promise<{ issuingRegionCode: string; providerProvinceCode: string; count: unknown; capturedFen: unknown }[]> {
    return this.db.rows(
      sql`SELECT f.issuing_region_code AS "issuingRegionCode", f.provider_province_code AS "providerProvinceCode",
          SUM(f.redemptions) AS count, SUM(f.captured_fen) AS "capturedFen" FROM captured_flow f WHERE f.budget_year = ${year}${scopeCondition(
            scope,
            { region: 'f.issuing_region_code', orgs: [] },
          )} GROUP BY f.issuing_region_code, f.provider_province_code HAVING SUM(f.redemptions) > 0`,
    );
  }

  /**
   * Captured redemptions and subsidies of a budget year per issuing region and provider province (what an approval kept
   * of each, where one cut it), from the redemptions
   * (`from: 'redemptions'`, the flows' covering index) or from captured_flow's shards: the ledger check compares the two.
   */
  async capturedTotals(from: 'redemptions' | 'summary', year: number): Promise<Map<string, [redemptions: number, fen: number]>> {
    const rows = await this.db.rows<Record<string, unknown>>(
      from === 'redemptions'
        ? sql`SELECT r.issuing_region_code AS reg, r.provider_province_code AS prov, COUNT(*) AS n,
              SUM(COALESCE(r.approved_fen, r.captured_subsidy_fen)) AS fen
              FROM redemption r WHERE r.budget_year = ${year} AND r.status = 'captured' GROUP BY r.issuing_region_code, r.provider_province_code`
        : sql`SELECT f.issuing_region_code AS reg, f.provider_province_code AS prov, SUM(f.redemptions) AS n, SUM(f.captured_fen) AS fen
              FROM captured_flow f WHERE f.budget_year = ${year} GROUP BY f.issuing_region_code, f.provider_province_code`,
    );
    return new Map(rows.map((r) => [`${String(r.reg)}/${year}→${String(r.prov)}`, [Number(r.n), Number(r.fen ?? 0)]]));
  }

  /** The budget years captured_flow has rows for. */
  async capturedFlowYears(): Promise<number[]> {
    return (await this.db.rows<{ y: unknown }>(sql`SELECT DISTINCT f.budget_year AS y FROM captured_flow f`)).map((r) => Number(r.y));
  }

  /**
   * Adds a change of a facility's captured redemptions (a capture, a dispute's resolution, a final rejection, an
   * approval's cut) to its row of facility_usage, in the caller's transaction: one upsert takes the row's lock directly
   * (STACK.md). Several changes in one unit are added in key order (facilityUsageChanges), as every unit locks them.
   */
  async addFacilityUsage(u: FacilityUsageChange): Promise<void> {
    const insert = sql`INSERT INTO facility_usage (budget_year, issuing_region_code, facility_id, redemptions, quantity, fee_fen, subsidy_fen)
        VALUES (${u.budgetYear}, ${u.issuingRegionCode}, ${u.facilityId}, ${u.redemptions}, ${u.quantity}, ${u.feeFen}, ${u.subsidyFen})`;
    await this.db.execute(
      this.db.dialect === 'sqlite'
        ? sql`${insert} ON CONFLICT (budget_year, issuing_region_code, facility_id) DO UPDATE SET
              redemptions = redemptions + excluded.redemptions, quantity = quantity + excluded.quantity,
              fee_fen = fee_fen + excluded.fee_fen, subsidy_fen = subsidy_fen + excluded.subsidy_fen`
        : sql`${insert} ON DUPLICATE KEY UPDATE redemptions = redemptions + VALUES(redemptions), quantity = quantity + VALUES(quantity),
              fee_fen = fee_fen + VALUES(fee_fen), subsidy_fen = subsidy_fen + VALUES(subsidy_fen)`,
    );
  }

  /**
   * The facilities a region's vouchers of a budget year were used at most: captured redemptions per facility (ties: the
   * larger subsidy, then the id), with what they captured and the subsidy they keep (less what review cut). Read from
   * facility_usage (a region's rows, one per facility it used), not from its redemptions.
   */
  topFacilitiesInRegion(
    regionCode: string,
    year: number,
    limit: number,
  ): Promise<
    {
      facilityId: string;
      facilityName: string;
      unit: string;
      providerName: string;
      providerProvinceCode: string;
      uses: unknown;
      quantity: unknown;
      feeFen: unknown;
      subsidyFen: unknown;
    }[]
  > {
    return this.db.rows(
      sql`SELECT f.id AS "facilityId", f.name AS "facilityName", f.unit AS unit, o.name AS "providerName",
          f.province_code AS "providerProvinceCode", t.uses AS uses, t.quantity AS quantity, t.fee AS "feeFen", t.subsidy AS "subsidyFen"
          FROM (SELECT u.facility_id AS facility_id, SUM(u.redemptions) AS uses, SUM(u.quantity) AS quantity, SUM(u.fee_fen) AS fee,
                SUM(u.subsidy_fen) AS subsidy FROM facility_usage u
                WHERE u.budget_year = ${year} AND ${inRegion('u.issuing_region_code', regionCode)}
                GROUP BY u.facility_id HAVING SUM(u.redemptions) > 0
                ORDER BY SUM(u.redemptions) DESC, SUM(u.subsidy_fen) DESC, u.facility_id LIMIT ${limit}) t
          JOIN facility f ON f.id = t.facility_id JOIN organization o ON o.id = f.provider_id
          ORDER BY t.uses DESC, t.subsidy DESC, f.id`,
    );
  }

  /** facility_usage's captured redemptions and kept subsidy of a budget year per issuing region, for the ledger check. */
  async facilityUsageByRegion(year: number): Promise<Map<string, [redemptions: number, fen: number]>> {
    const rows = await this.db.rows<Record<string, unknown>>(
      sql`SELECT u.issuing_region_code AS reg, SUM(u.redemptions) AS n, SUM(u.subsidy_fen) AS fen FROM facility_usage u
          WHERE u.budget_year = ${year} GROUP BY u.issuing_region_code`,
    );
    return new Map(rows.map((r) => [String(r.reg), [Number(r.n), Number(r.fen ?? 0)]]));
  }

  /** Records a usage dispute as the enterprise raises it (once per redemption), in its transaction. */
  recordDispute(r: Pick<Redemption, 'id' | 'budgetYear' | 'issuingRegionCode'>, at: string): Promise<void> {
    return this.db.insert(UsageDispute, [
      { redemptionId: r.id, budgetYear: r.budgetYear, issuingRegionCode: r.issuingRegionCode, raisedAt: at },
    ]);
  }

  /**
   * Usage disputes on a region's redemptions of a budget year: raised, still open, resolved (the capture kept, perhaps
   * lowered) and annulled (resolved at zero), with the subsidy the resolutions kept. Found through usage_dispute, each
   * redemption then read by its key (a scan of every redemption for a dispute reason took 0.4 s at a tenth).
   */
  async disputesInRegion(
    regionCode: string,
    year: number,
  ): Promise<{ raised: number; open: number; resolved: number; annulled: number; resolvedSubsidyFen: number }> {
    const r = await this.db.row<Record<string, unknown>>(
      sql`SELECT COUNT(*) AS raised, SUM(CASE WHEN r.usage_status = 'disputed' THEN 1 ELSE 0 END) AS open,
          SUM(CASE WHEN r.usage_status = 'confirmed' AND r.status = 'captured' THEN 1 ELSE 0 END) AS resolved,
          SUM(CASE WHEN r.status = 'cancelled' THEN 1 ELSE 0 END) AS annulled,
          SUM(CASE WHEN r.usage_status = 'confirmed' AND r.status = 'captured' THEN r.captured_subsidy_fen ELSE 0 END) AS kept
          FROM usage_dispute d JOIN redemption r ON r.id = d.redemption_id
          WHERE d.budget_year = ${year} AND ${inRegion('d.issuing_region_code', regionCode)}`,
    );
    return {
      raised: Number(r?.raised ?? 0),
      open: Number(r?.open ?? 0),
      resolved: Number(r?.resolved ?? 0),
      annulled: Number(r?.annulled ?? 0),
      resolvedSubsidyFen: Number(r?.kept ?? 0),
    };
  }

  /**
   * The redemptions a settlement batch pays (through its claims): whose budget, when captured, what was approved;
   * grouped by capture instant, which is all the paid summary needs of them. Handed to `each` `claimsPerPage` claims at
   * a time, so that memory stays bounded whatever the batch's size (a year's batch of 53,629 claims paid 368,285
   * redemptions captured at 126,955 instants).
   */
  async paidBy(settlementId: string, each: (groups: PaidGroup[]) => void, claimsPerPage = PAID_CLAIMS_PER_PAGE): Promise<void> {
    for (let after = ''; ;) {
      // The page's last claim: the settlement's index holds its claims in id order.
      const last = await this.db.row<{ id: string }>(
        sql`SELECT c.id FROM claim c WHERE c.settlement_id = ${settlementId} AND c.id > ${after} ORDER BY c.id LIMIT 1 OFFSET ${claimsPerPage - 1}`,
      );
      const rows = await this.db.rows<Record<string, unknown>>(
        sql`SELECT ${this.db.asciiKey('r.issuing_region_code')} AS region, r.budget_year AS year, ${this.db.asciiKey('r.captured_at')} AS captured,
            COUNT(*) AS n, SUM(COALESCE(r.approved_fen, 0)) AS fen FROM claim c JOIN redemption r ON r.claim_id = c.id
            WHERE c.settlement_id = ${settlementId} AND c.id > ${after}${last ? sql` AND c.id <= ${last.id}` : empty}
            GROUP BY region, r.budget_year, captured`,
      );
      each(
        rows.map((r) => ({
          issuingRegionCode: r.region as string,
          budgetYear: Number(r.year),
          capturedAt: r.captured as string,
          count: Number(r.n),
          approvedFen: Number(r.fen),
        })),
      );
      if (!last) return;
      after = last.id;
    }
  }
}
