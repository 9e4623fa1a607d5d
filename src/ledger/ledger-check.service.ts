import { Injectable } from '@nestjs/common';
import { BudgetRepository } from '../budgets/budget.repository';
import { ClaimRepository } from '../claims/claim.repository';
import { addPaid, PaidSummaryRow, paidSummaryKey } from '../oversight/stats.rules';
import { RedemptionRepository } from '../redemptions/redemption.repository';
import { PaidSummaryRepository } from '../settlement/paid-summary.repository';
import { SettlementRepository } from '../settlement/settlement.repository';
import { AnnualGrantRepository } from '../vouchers/annual-grant.repository';
import { VoucherRepository } from '../vouchers/voucher.repository';
import { GrantTally } from '../vouchers/voucher.rules';
import { account, mayGoNegative } from './accounts';
import { LedgerRepository } from './ledger.repository';
import { counted } from '../common/i18n/plural';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { provinceOfRegion } from '../common/auth/scope';
import { sha256 } from '../common/hash';
import { clearingRunCsv } from '../clearing/clearing-run.csv';
import { ClearingRunRepository } from '../clearing/clearing-run.repository';
import { clear } from '../clearing/netting';

/** Vouchers per page of the check; their accounts are one range of the account indexes. */
const VOUCHER_PAGE = 1_000;
/** Annual-grant rows per page of the check. */
const GRANT_PAGE = 5_000;

export interface LedgerCheck {
  balanced: boolean;
  accounts: number;
  transfers: number;
  violations: string[];
}

/**
 * Verifies every money invariant from the transfers up: transfers balance, nothing negative that may not be, row
 * balances equal ledger balances, budget total = available + committed, face value = available + held + spent +
 * released, closed vouchers keep nothing available, payables equal approved claims, the statistics' summaries
 * (paid, captured flows) equal the redemptions they sum, and each annual grant equals what its vouchers still count
 * (GrantTally: face value less released, toward every subject a voucher records). Past the ledger it holds what the
 * treasuries act on to the same figures: each payee's payable and paid balances to its claims and paid lines, each
 * batch to its lines and each line to its claims and parties' provinces, each clearing run to the lines it took in.
 */
@Injectable()
export class LedgerCheckService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerRepository,
    private readonly vouchers: VoucherRepository,
    private readonly budgets: BudgetRepository,
    private readonly claims: ClaimRepository,
    private readonly settlements: SettlementRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly paidSummary: PaidSummaryRepository,
    private readonly grants: AnnualGrantRepository,
    private readonly clearingRuns: ClearingRunRepository,
  ) {}

  /** `pageSize`: vouchers per page; `claimsPerPage`: a paid batch's claims per page (tests make pages small to cross their boundaries). */
  check(pageSize = VOUCHER_PAGE, claimsPerPage?: number): Promise<LedgerCheck> {
    // One snapshot: read statement by statement, a payment or approval committing between the reads of two figures
    // that must agree made them disagree (the sum of all balances off by a hold, payables off by an approval).
    return this.uow.run(() => this.checkSnapshot(pageSize, claimsPerPage), { snapshot: true });
  }

  private async checkSnapshot(pageSize: number, claimsPerPage?: number): Promise<LedgerCheck> {
    const violations: string[] = [];
    // The vouchers' accounts (three per voucher) are read with their vouchers, a page at a time, so that memory stays
    // bounded at any volume: a year's 300,000 vouchers do not fit in the service's heap at once (issue 18).
    const beside = await this.ledger.balancesBesideVouchers();
    const balances = beside.balances;
    const bal = (code: string) => balances.get(code) ?? 0n;
    const expect = (what: string, actual: bigint, expected: bigint) => {
      if (actual !== expected) violations.push(`${what}: ${actual} ≠ ${expected}`);
    };
    const negative = (code: string, b: bigint) => {
      if (b < 0n && !mayGoNegative(code)) violations.push(`account ${code} is negative: ${b}`);
    };

    let { transfers, nonPositive } = beside;
    let sum = 0n;
    /** Every balance counts into the zero-sum check and may not be negative unless it is a source. */
    const tally = (of: Map<string, bigint>) => {
      for (const [code, b] of of) {
        sum += b;
        negative(code, b);
      }
    };
    tally(balances);

    let accounts = balances.size;
    const committedByBudget = new Map<string, bigint>();
    // Summed in the same pages: one number per subject, not the vouchers, is what the annual grants are compared with.
    const granted = new GrantTally();
    // Pages of vouchers in id order; each reads the accounts from where the last one stopped to its last voucher's
    // (the last page to the end of the prefix), so together they read every voucher account once.
    for (let after: string | null = null, last = ''; ;) {
      const page = await this.vouchers.balancesAfter(last, pageSize);
      const upTo = page.length === pageSize ? account.voucherSpent(page[page.length - 1].id) : null;
      const own = await this.ledger.voucherBalancesIn(after, upTo);
      transfers += own.transfers;
      nonPositive += own.nonPositive;
      accounts += own.balances.size;
      tally(own.balances);
      const mine = new Set<string>();
      const vbal = (code: string) => {
        mine.add(code);
        return own.balances.get(code) ?? 0n;
      };
      for (const v of page) {
        const [a, h, s] = [vbal(account.voucherAvailable(v.id)), vbal(account.voucherHeld(v.id)), vbal(account.voucherSpent(v.id))];
        expect(`voucher ${v.serial} available`, v.availableFen, a);
        expect(`voucher ${v.serial} held`, v.heldFen, h);
        expect(`voucher ${v.serial} spent`, v.spentFen, s);
        expect(`voucher ${v.serial} face value = available + held + spent + released`, v.faceValueFen, a + h + s + v.releasedFen);
        if ((v.status === 'revoked' || v.status === 'expired') && a !== 0n) {
          violations.push(`voucher ${v.serial} is ${v.status} but keeps ${a} fen available instead of returning it to the budget`);
        }
        const key = `${v.issuingRegionCode}:${v.budgetYear}`;
        committedByBudget.set(key, (committedByBudget.get(key) ?? 0n) + a + h + s);
        granted.add(v);
      }
      for (const [code, b] of own.balances) {
        if (!mine.has(code)) violations.push(`account ${code} belongs to no voucher: ${b}`);
      }
      if (upTo === null) break;
      after = upTo;
      last = page[page.length - 1].id;
    }
    if (nonPositive > 0) violations.push(`${counted(nonPositive, 'transfer')} with a non-positive amount`);
    expect('sum of all balances', sum, 0n);

    const budgets = await this.budgets.all();
    for (const b of budgets) {
      const name = `budget ${b.regionCode}/${b.year}`;
      expect(`${name} total = available + committed`, BigInt(b.totalFen), BigInt(b.availableFen) + BigInt(b.committedFen));
      expect(`${name} available`, BigInt(b.availableFen), bal(account.budget(b.regionCode, b.year)));
      expect(`${name} total`, BigInt(b.totalFen), -bal(account.funds(b.regionCode, b.year)));
      expect(
        `${name} committed = its vouchers' balances`,
        BigInt(b.committedFen),
        committedByBudget.get(`${b.regionCode}:${b.year}`) ?? 0n,
      );
    }

    const approved = await this.claims.approvedByPayee();
    const approvedByRegion = new Map<string, bigint>();
    for (const [key, fen] of approved) {
      const region = key.split(':')[0];
      approvedByRegion.set(region, (approvedByRegion.get(region) ?? 0n) + fen);
    }
    const regions = new Set([
      ...approvedByRegion.keys(),
      ...[...balances.keys()].filter((k) => k.startsWith('payments:')).map((k) => k.split(':')[1]),
    ]);
    for (const region of regions) {
      expect(`region ${region} payables issued = approved claims`, -bal(account.payments(region)), approvedByRegion.get(region) ?? 0n);
    }
    const paidLines = await this.checkBatches(violations);
    this.checkPayees(expect, balances, approved, paidLines);
    await this.checkClearingRuns(violations);

    await this.checkAnnualGrants(expect, granted);
    await this.checkPaidSummary(expect, claimsPerPage);
    // Year by year, so the redemptions are read through the flows' covering index (a scan of all of them took 2.4 s at
    // a tenth, one year's index range 0.19 s); every redemption's year has a budget.
    const years = new Set([...budgets.map((b) => b.year), ...(await this.redemptions.capturedFlowYears())]);
    for (const year of [...years].sort()) {
      const [flows, captured] = [
        await this.redemptions.capturedTotals('summary', year),
        await this.redemptions.capturedTotals('redemptions', year),
      ];
      for (const key of [...new Set([...flows.keys(), ...captured.keys()])].sort()) {
        const [[n, fen], [dn, dfen]] = [flows.get(key) ?? [0, 0], captured.get(key) ?? [0, 0]];
        expect(`captured flow ${key} redemptions`, BigInt(n), BigInt(dn));
        expect(`captured flow ${key} captured`, BigInt(fen), BigInt(dfen));
      }
      // The annual report's facility ranking reads facility_usage: per issuing region its rows add up to the captured
      // redemptions just read through the covering index (a per-facility scan of a year's rows would add seconds at a year).
      const [usage, byRegion] = [await this.redemptions.facilityUsageByRegion(year), new Map<string, [number, number]>()];
      for (const [key, [n, fen]] of captured) {
        const region = key.split('/')[0];
        const [rn, rfen] = byRegion.get(region) ?? [0, 0];
        byRegion.set(region, [rn + n, rfen + fen]);
      }
      for (const region of [...new Set([...usage.keys(), ...byRegion.keys()])].sort()) {
        const [[n, fen], [dn, dfen]] = [usage.get(region) ?? [0, 0], byRegion.get(region) ?? [0, 0]];
        expect(`facility usage ${region}/${year} redemptions`, BigInt(n), BigInt(dn));
        expect(`facility usage ${region}/${year} kept subsidy`, BigInt(fen), BigInt(dfen));
      }
    }
    return { balanced: violations.length === 0, accounts, transfers, violations };
  }

  /**
   * Per region and payee: what was paid to it is what the lines of paid batches carry for it, and what is still payable
   * is what was approved for it less that. A region's sums alone let a payment or a payable be credited to another
   * payee of the region unnoticed (the treasury pays the lines).
   */
  private checkPayees(
    expect: (what: string, actual: bigint, expected: bigint) => void,
    balances: Map<string, bigint>,
    approved: Map<string, bigint>,
    paidLines: Map<string, bigint>,
  ): void {
    const keys = new Set([...approved.keys(), ...paidLines.keys()]);
    for (const code of balances.keys()) {
      const [kind, region, payee] = code.split(':');
      if ((kind === 'paid' || kind === 'payable') && payee) keys.add(`${region}:${payee}`);
    }
    for (const key of [...keys].sort()) {
      const [region, payee] = key.split(':');
      const paid = paidLines.get(key) ?? 0n;
      expect(`payee ${payee} of region ${region} paid = its paid settlement lines`, balances.get(account.paid(region, payee)) ?? 0n, paid);
      expect(
        `payee ${payee} of region ${region} payable = its approved claims − its paid settlement lines`,
        balances.get(account.payable(region, payee)) ?? 0n,
        (approved.get(key) ?? 0n) - paid,
      );
    }
  }

  /**
   * Each batch's total = its lines'; each line = its payee's approved claims in the batch, in the batch's issuing
   * province and the payee's home province (what clearing sums per province pair); no claim in a batch without its
   * payee's line, none not approved; a line paid if and only if its batch was. One region at a time. Returns what the
   * lines of paid batches carry per region and payee (`region:payee`), for checkPayees.
   */
  private async checkBatches(violations: string[]): Promise<Map<string, bigint>> {
    const paidLines = new Map<string, bigint>();
    for (const region of await this.settlements.regions()) {
      const claims = await this.claims.batchedOfRegion(region);
      const lines = await this.settlements.linesOfRegion(region);
      const totals = new Map<string, { name: string; total: number; lines: bigint }>();
      for (const l of lines) {
        const name = `batch ${l.batchNo ?? l.settlementId}`;
        const batch = totals.get(l.settlementId) ?? { name, total: l.totalFen, lines: 0n };
        totals.set(l.settlementId, batch);
        if (l.payeeId === null) continue;
        batch.lines += BigInt(l.amountFen);
        if (l.batchPaid) paidLines.set(`${region}:${l.payeeId}`, (paidLines.get(`${region}:${l.payeeId}`) ?? 0n) + BigInt(l.amountFen));
        const key = `${l.settlementId}:${l.payeeId}`;
        const own = claims.get(key);
        claims.delete(key);
        const line = `${name} line of payee ${l.payeeId}`;
        // a voided batch keeps its lines as a record: its claims went back for a later batch, and it paid nothing
        if (l.batchVoided) {
          if (own) violations.push(`${line} of a voided batch still holds claims: ${own.fen} fen`);
          if (l.linePaidAt !== null) violations.push(`${line} of a voided batch carries a payment`);
          continue;
        }
        if (BigInt(l.amountFen) !== (own?.fen ?? 0n)) violations.push(`${line} = its approved claims: ${l.amountFen} ≠ ${own?.fen ?? 0n}`);
        if (own && own.notApproved > 0) violations.push(`${line} holds ${counted(own.notApproved, 'claim')} not approved`);
        if (l.issuingProvinceCode !== provinceOfRegion(region))
          violations.push(`${line} issuing province ${l.issuingProvinceCode} ≠ ${provinceOfRegion(region)}`);
        if (l.payeeProvinceCode !== l.payeeHomeProvinceCode)
          violations.push(`${line} payee province ${l.payeeProvinceCode} ≠ ${l.payeeHomeProvinceCode}`);
        // clearing takes the lines that carry a payment instant: one on a line of an open batch clears money not paid
        if ((l.linePaidAt === null) !== (l.batchPaidAt === null))
          violations.push(`${line} ${l.linePaidAt === null ? 'carries no payment in a paid batch' : 'carries a payment in an open batch'}`);
      }
      for (const b of totals.values())
        if (BigInt(b.total) !== b.lines) violations.push(`${b.name} total = its lines: ${b.total} ≠ ${b.lines}`);
      for (const [key, c] of claims) violations.push(`claims of region ${region} in batch:payee ${key} have no line: ${c.fen} fen`);
    }
    return paidLines;
  }

  /**
   * Each clearing run = the clearing of the lines it took in, figure for figure, and its CSV's hash = the one recorded:
   * a line set free again (or moved to another run) would be cleared twice, or not at all. A voided run = the clearing of
   * the lines it held when voided, and holds none any more (they went back to be cleared again).
   */
  private async checkClearingRuns(violations: string[]): Promise<void> {
    for (const run of await this.clearingRuns.all()) {
      const entries = await this.clearingRuns.entries(run.id);
      const stored = entries.map((e) => figure(e.kind, e.fromProvinceCode ?? e.provinceCode ?? '', e.toProvinceCode ?? '', e.amountFen));
      const voided = run.voidedAt !== null;
      const c = clear(await this.settlements.flowsOfRun(run.id, voided));
      if (voided && (await this.settlements.flowsOfRun(run.id)).length > 0)
        violations.push(`clearing run ${run.runNo} is void but still holds settlement lines`);
      const derived = [
        ...c.gross.map((f) => figure('gross', f.fromProvinceCode, f.toProvinceCode, f.amountFen)),
        ...c.net.map((n) => figure('net', n.provinceCode, '', n.netFen)),
        ...c.transfers.map((f) => figure('transfer', f.fromProvinceCode, f.toProvinceCode, f.amountFen)),
      ];
      if (stored.join('; ') !== derived.join('; '))
        violations.push(`clearing run ${run.runNo} = the clearing of its lines: ${stored.join('; ')} ≠ ${derived.join('; ')}`);
      const sum = (kind: string) => entries.filter((e) => e.kind === kind).reduce((s, e) => s + e.amountFen, 0);
      if (run.grossTotalFen !== sum('gross'))
        violations.push(`clearing run ${run.runNo} gross total: ${run.grossTotalFen} ≠ ${sum('gross')}`);
      if (run.transferTotalFen !== sum('transfer'))
        violations.push(`clearing run ${run.runNo} transfer total: ${run.transferTotalFen} ≠ ${sum('transfer')}`);
      if (run.csvSha256 !== sha256(clearingRunCsv(run, entries)))
        violations.push(`clearing run ${run.runNo} CSV hash does not match its figures`);
    }
  }

  /**
   * Each annual_grant row = its vouchers' face value less released (`tally`); a subject its vouchers still count toward
   * and that has no row is reported too (its give-back would be refused).
   */
  private async checkAnnualGrants(expect: (what: string, actual: bigint, expected: bigint) => void, tally: GrantTally): Promise<void> {
    const name = (g: { regionCode: string; year: number; subject: string }) =>
      `annual grant ${g.regionCode}/${g.year} ${g.subject} = its vouchers' face value − released`;
    await this.grants.eachPage(GRANT_PAGE, (rows) => {
      for (const g of rows) expect(name(g), g.grantedFen, tally.take(g.regionCode, g.year, g.subject));
    });
    for (const g of tally.rest()) expect(`${name(g)} (no row)`, 0n, g.fen);
  }

  /**
   * paid_summary = the redemptions of paid batches, recomputed with the payment's own rule, one issuing region at a time
   * (memory: one region's rows; a batch pays one region's claims).
   */
  private async checkPaidSummary(expect: (what: string, actual: bigint, expected: bigint) => void, claimsPerPage?: number): Promise<void> {
    const batches = new Map<string, { id: string; paidAt: string }[]>();
    for (const s of await this.settlements.paid()) batches.set(s.regionCode, [...(batches.get(s.regionCode) ?? []), s]);
    const regions = [...new Set([...batches.keys(), ...(await this.paidSummary.regions())])].sort();
    for (const region of regions) {
      const expected = new Map<string, PaidSummaryRow>();
      for (const batch of batches.get(region) ?? []) {
        await this.redemptions.paidBy(batch.id, (groups) => addPaid(expected, groups, batch.paidAt), claimsPerPage);
      }
      const actual = new Map((await this.paidSummary.ofRegion(region)).map((r) => [paidSummaryKey(r), r]));
      for (const key of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
        const [e, a] = [expected.get(key), actual.get(key)];
        const r = (e ?? a)!;
        const name = `paid summary ${r.regionCode}/${r.budgetYear} at ${r.hoursTenths / 10} h (span ${r.span})`;
        expect(`${name} redemptions`, BigInt(a?.redemptions ?? 0), BigInt(e?.redemptions ?? 0));
        expect(`${name} approved`, BigInt(a?.approvedFen ?? 0), BigInt(e?.approvedFen ?? 0));
      }
    }
  }
}

/** A clearing figure as the check compares and names it: `gross 340000→310000 120000`, `net 340000 -170000`. */
const figure = (kind: string, from: string, to: string, amountFen: number) => `${kind} ${from}${to ? `→${to}` : ''} ${amountFen}`;
