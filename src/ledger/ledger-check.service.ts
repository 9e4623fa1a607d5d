import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Budget } from '../budgets/budget.entity';
import { Claim } from '../claims/claim.entity';
import { Settlement, SettlementLine } from '../settlement/settlement.entity';
import { Voucher } from '../vouchers/voucher.entity';
import { account, mayGoNegative } from './accounts';
import { LedgerTransfer } from './ledger-transfer.entity';

export interface LedgerCheck {
  balanced: boolean;
  accounts: number;
  transfers: number;
  violations: string[];
}

/**
 * Verifies every money invariant from the transfers up: transfers balance, nothing negative that may
 * not be, row balances equal ledger balances, budget total = available + committed, face value =
 * available + held + spent + released, closed vouchers keep nothing available, and payables equal
 * approved claims.
 */
@Injectable()
export class LedgerCheckService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async check(): Promise<LedgerCheck> {
    const violations: string[] = [];
    const balances = await this.balances();
    const bal = (code: string) => balances.get(code) ?? 0n;
    const expect = (what: string, actual: bigint, expected: bigint) => {
      if (actual !== expected) violations.push(`${what}: ${actual} ≠ ${expected}`);
    };

    const transfers = await this.dataSource.getRepository(LedgerTransfer).count();
    const nonPositive = await this.dataSource.getRepository(LedgerTransfer).createQueryBuilder('t').where('t.amountFen <= 0').getCount();
    if (nonPositive > 0) violations.push(`${nonPositive} transfers with a non-positive amount`);
    let sum = 0n;
    for (const [code, b] of balances) {
      sum += b;
      if (b < 0n && !mayGoNegative(code)) violations.push(`account ${code} is negative: ${b}`);
    }
    expect('sum of all balances', sum, 0n);

    const committedByBudget = new Map<string, bigint>();
    for (const v of await this.dataSource.getRepository(Voucher).find()) {
      const [a, h, s] = [bal(account.voucherAvailable(v.id)), bal(account.voucherHeld(v.id)), bal(account.voucherSpent(v.id))];
      expect(`voucher ${v.serial} available`, BigInt(v.availableFen), a);
      expect(`voucher ${v.serial} held`, BigInt(v.heldFen), h);
      expect(`voucher ${v.serial} spent`, BigInt(v.spentFen), s);
      expect(
        `voucher ${v.serial} face value = available + held + spent + released`,
        BigInt(v.faceValueFen),
        a + h + s + BigInt(v.releasedFen),
      );
      if ((v.status === 'revoked' || v.status === 'expired') && a !== 0n)
        violations.push(`voucher ${v.serial} is ${v.status} but keeps ${a} fen available instead of returning it to the budget`);
      const key = `${v.issuingRegionCode}:${v.budgetYear}`;
      committedByBudget.set(key, (committedByBudget.get(key) ?? 0n) + a + h + s);
    }

    for (const b of await this.dataSource.getRepository(Budget).find()) {
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

    const approved = await this.dataSource
      .getRepository(Claim)
      .createQueryBuilder('c')
      .select('c.issuingRegionCode', 'region')
      .addSelect('SUM(c.approvedFen)', 'fen')
      .where("c.status = 'approved'")
      .groupBy('c.issuingRegionCode')
      .getRawMany<{ region: string; fen: string | number }>();
    const paidLines = await this.dataSource
      .getRepository(SettlementLine)
      .createQueryBuilder('l')
      .innerJoin(Settlement, 's', 's.id = l.settlementId')
      .select('s.regionCode', 'region')
      .addSelect('SUM(l.amountFen)', 'fen')
      .where("s.status = 'paid'")
      .groupBy('s.regionCode')
      .getRawMany<{ region: string; fen: string | number }>();
    const paidByRegion = new Map(paidLines.map((r) => [r.region, BigInt(r.fen)]));
    const regions = new Set([
      ...approved.map((r) => r.region),
      ...[...balances.keys()].filter((k) => k.startsWith('payments:')).map((k) => k.split(':')[1]),
    ]);
    const approvedByRegion = new Map(approved.map((r) => [r.region, BigInt(r.fen ?? 0)]));
    for (const region of regions) {
      expect(`region ${region} payables issued = approved claims`, -bal(account.payments(region)), approvedByRegion.get(region) ?? 0n);
      const paid = [...balances].filter(([k]) => k.startsWith(`paid:${region}:`)).reduce((s, [, b]) => s + b, 0n);
      expect(`region ${region} paid = paid settlement lines`, paid, paidByRegion.get(region) ?? 0n);
    }

    return { balanced: violations.length === 0, accounts: balances.size, transfers, violations };
  }

  /** Balance of every account: credits in minus debits out, summed by the database. */
  private async balances(): Promise<Map<string, bigint>> {
    const repo = this.dataSource.getRepository(LedgerTransfer);
    const credits = await repo
      .createQueryBuilder('t')
      .select('t.creditAccount', 'account')
      .addSelect('SUM(t.amountFen)', 'fen')
      .groupBy('t.creditAccount')
      .getRawMany();
    const debits = await repo
      .createQueryBuilder('t')
      .select('t.debitAccount', 'account')
      .addSelect('SUM(t.amountFen)', 'fen')
      .groupBy('t.debitAccount')
      .getRawMany();
    const balances = new Map<string, bigint>();
    for (const r of credits) balances.set(r.account, (balances.get(r.account) ?? 0n) + BigInt(r.fen));
    for (const r of debits) balances.set(r.account, (balances.get(r.account) ?? 0n) - BigInt(r.fen));
    return balances;
  }
}
