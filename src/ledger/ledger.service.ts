import { Injectable } from '@nestjs/common';
import { EntityManager, ObjectLiteral, EntityTarget } from 'typeorm';
import { AnnualGrant, Budget } from '../budgets/budget.entity';
import { clock } from '../common/clock';
import { TransactionService } from '../common/database/transaction.service';
import { DomainError, ruleBroken } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { execute, insertRows } from '../common/database/statements';
import { Voucher } from '../vouchers/voucher.entity';
import { account } from './accounts';
import { LedgerTransfer } from './ledger-transfer.entity';

interface Leg {
  debit: string;
  credit: string;
  amountFen: number;
}
interface Ref {
  kind: string;
  refType: string;
  refId: string;
}

/**
 * The one place money moves. Each method changes row balances with guarded single-statement updates
 * (so nothing goes negative under any concurrency) and writes the matching balanced transfers, inside
 * the caller's transaction.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly tx: TransactionService) {}

  /** Sets a budget's total; the difference moves between the appropriation and the available budget. Returns the total it replaced too. */
  async setBudgetTotal(
    em: EntityManager,
    regionCode: string,
    year: number,
    totalFen: number,
  ): Promise<{ budget: Budget; previousTotalFen: number }> {
    await em
      .getRepository(Budget)
      .createQueryBuilder()
      .insert()
      .values({ regionCode, year, totalFen: 0, availableFen: 0, committedFen: 0, updatedAt: clock.iso() })
      .orIgnore()
      .execute();
    const budget = (await this.tx.lock(em, Budget, { regionCode, year }))!;
    if (totalFen < budget.committedFen) {
      throw ruleBroken(
        'BUDGET_BELOW_COMMITTED',
        `the ${year} budget of ${regionCode} cannot go below the ${budget.committedFen} fen already committed`,
      );
    }
    const delta = totalFen - budget.totalFen;
    if (delta === 0) return { budget, previousTotalFen: budget.totalFen };
    await this.guarded(
      em,
      Budget,
      { regionCode, year },
      'available_fen + :delta >= 0 AND total_fen = :before',
      { totalFen: () => ':total', availableFen: () => 'available_fen + :delta', updatedAt: clock.iso() },
      { delta, before: budget.totalFen, total: totalFen },
      'INVALID_STATE',
    );
    const [funds, available] = [account.funds(regionCode, year), account.budget(regionCode, year)];
    await this.record(
      em,
      [delta > 0 ? { debit: funds, credit: available, amountFen: delta } : { debit: available, credit: funds, amountFen: -delta }],
      { kind: 'budget.appropriation', refType: 'budget', refId: `${regionCode}-${year}` },
    );
    return { budget: { ...budget, totalFen, availableFen: budget.availableFen + delta }, previousTotalFen: budget.totalFen };
  }

  /** Issuing a voucher commits its face value from the budget; BUDGET_EXHAUSTED when it does not fit. */
  async fundVoucher(
    em: EntityManager,
    voucher: Pick<Voucher, 'id' | 'issuingRegionCode' | 'budgetYear'>,
    amountFen: number,
  ): Promise<void> {
    const { issuingRegionCode: regionCode, budgetYear: year } = voucher;
    await this.guarded(
      em,
      Budget,
      { regionCode, year },
      'available_fen >= :x',
      { availableFen: () => 'available_fen - :x', committedFen: () => 'committed_fen + :x', updatedAt: clock.iso() },
      { x: amountFen },
      'BUDGET_EXHAUSTED',
      `the ${year} budget of ${regionCode} has less than ${amountFen} fen available`,
    );
    await this.guarded(
      em,
      Voucher,
      { id: voucher.id },
      'available_fen = 0 AND face_value_fen = 0',
      { availableFen: () => ':x', faceValueFen: () => ':x' },
      { x: amountFen },
      'INVALID_STATE',
    );
    await this.record(em, [{ debit: account.budget(regionCode, year), credit: account.voucherAvailable(voucher.id), amountFen }], {
      kind: 'voucher.issue',
      refType: 'voucher',
      refId: voucher.id,
    });
  }

  /** Places a hold: available → held. VOUCHER_INSUFFICIENT_BALANCE when the balance moved under us. */
  async hold(em: EntityManager, voucherId: string, amountFen: number, redemptionId: string): Promise<void> {
    await this.guarded(
      em,
      Voucher,
      { id: voucherId },
      "available_fen >= :x AND status = 'active'",
      { availableFen: () => 'available_fen - :x', heldFen: () => 'held_fen + :x', updatedAt: clock.iso() },
      { x: amountFen },
      'VOUCHER_INSUFFICIENT_BALANCE',
      `the voucher has less than ${amountFen} fen available`,
    );
    await this.record(em, [{ debit: account.voucherAvailable(voucherId), credit: account.voucherHeld(voucherId), amountFen }], {
      kind: 'redemption.hold',
      refType: 'redemption',
      refId: redemptionId,
    });
    // No exhaustion check: after a hold something is held, so the voucher stays active.
  }

  /**
   * Captures part or all of a hold: the captured part is spent; the rest goes back to the voucher,
   * or to the budget when the voucher has meanwhile expired or been revoked.
   */
  async capture(em: EntityManager, voucherId: string, heldFen: number, capturedFen: number, redemptionId: string): Promise<void> {
    await this.guarded(
      em,
      Voucher,
      { id: voucherId },
      'held_fen >= :x',
      { heldFen: () => 'held_fen - :x', spentFen: () => 'spent_fen + :x', updatedAt: clock.iso() },
      { x: capturedFen },
      'INVALID_STATE',
    );
    await this.record(em, [{ debit: account.voucherHeld(voucherId), credit: account.voucherSpent(voucherId), amountFen: capturedFen }], {
      kind: 'redemption.capture',
      refType: 'redemption',
      refId: redemptionId,
    });
    await this.releaseHold(em, voucherId, heldFen - capturedFen, redemptionId, 'redemption.capture');
  }

  /** Cancels or expires (part of) a hold: held → available, or → budget when the voucher is closed. */
  async releaseHold(em: EntityManager, voucherId: string, amountFen: number, redemptionId: string, kind: string): Promise<void> {
    if (amountFen > 0) {
      // Locked: a revocation or expiry committing meanwhile must not leave this money on a closed voucher.
      const voucher = (await this.tx.lock(em, Voucher, { id: voucherId }))!;
      const closed = voucher.status === 'expired' || voucher.status === 'revoked';
      await this.guarded(
        em,
        Voucher,
        { id: voucherId },
        'held_fen >= :x',
        {
          heldFen: () => 'held_fen - :x',
          [closed ? 'releasedFen' : 'availableFen']: () => (closed ? 'released_fen + :x' : 'available_fen + :x'),
          updatedAt: clock.iso(),
        },
        { x: amountFen },
        'INVALID_STATE',
      );
      if (closed) {
        await this.returnToBudget(em, voucher, amountFen);
        await this.creditAnnualGrant(em, voucher, amountFen);
      }
      const credit = closed ? account.budget(voucher.issuingRegionCode, voucher.budgetYear) : account.voucherAvailable(voucherId);
      await this.record(em, [{ debit: account.voucherHeld(voucherId), credit, amountFen }], {
        kind,
        refType: 'redemption',
        refId: redemptionId,
      });
    }
    await this.refreshExhausted(em, voucherId);
  }

  /** Expiry or revocation of a voucher the caller has locked: the unused balance goes back to the budget. Returns what was released. */
  async releaseVoucher(
    em: EntityManager,
    voucher: Pick<Voucher, 'id' | 'issuingRegionCode' | 'budgetYear' | 'capSubject' | 'availableFen'>,
    kind: string,
  ): Promise<number> {
    // The caller read `voucher` under its row lock; the guard below still refuses a stale balance.
    const x = voucher.availableFen;
    if (x === 0) return 0;
    await this.guarded(
      em,
      Voucher,
      { id: voucher.id },
      'available_fen = :x',
      { availableFen: () => '0', releasedFen: () => 'released_fen + :x', updatedAt: clock.iso() },
      { x },
      'INVALID_STATE',
    );
    await this.returnToBudget(em, voucher, x);
    await this.creditAnnualGrant(em, voucher, x);
    await this.record(
      em,
      [
        {
          debit: account.voucherAvailable(voucher.id),
          credit: account.budget(voucher.issuingRegionCode, voucher.budgetYear),
          amountFen: x,
        },
      ],
      { kind, refType: 'voucher', refId: voucher.id },
    );
    return x;
  }

  /** A claim approved below what was captured: the difference leaves the voucher's spent balance for the budget. */
  async reduceSpent(
    em: EntityManager,
    voucher: Pick<Voucher, 'id' | 'issuingRegionCode' | 'budgetYear'>,
    amountFen: number,
    claimId: string,
  ): Promise<void> {
    if (amountFen === 0) return;
    await this.guarded(
      em,
      Voucher,
      { id: voucher.id },
      'spent_fen >= :x',
      { spentFen: () => 'spent_fen - :x', releasedFen: () => 'released_fen + :x', updatedAt: clock.iso() },
      { x: amountFen },
      'INVALID_STATE',
    );
    await this.returnToBudget(em, voucher, amountFen);
    await this.record(
      em,
      [{ debit: account.voucherSpent(voucher.id), credit: account.budget(voucher.issuingRegionCode, voucher.budgetYear), amountFen }],
      { kind: 'claim.reduction', refType: 'claim', refId: claimId },
    );
  }

  /** An approved claim becomes a payable of the issuing region to the payee. */
  async recordPayable(em: EntityManager, regionCode: string, payeeId: string, amountFen: number, claimId: string): Promise<void> {
    await this.record(em, [{ debit: account.payments(regionCode), credit: account.payable(regionCode, payeeId), amountFen }], {
      kind: 'claim.approval',
      refType: 'claim',
      refId: claimId,
    });
  }

  /** Settlement paid: each payee's payable moves to paid. */
  async payOut(
    em: EntityManager,
    regionCode: string,
    lines: { payeeId: string; amountFen: number }[],
    settlementId: string,
  ): Promise<void> {
    await this.record(
      em,
      lines.map((l) => ({
        debit: account.payable(regionCode, l.payeeId),
        credit: account.paid(regionCode, l.payeeId),
        amountFen: l.amountFen,
      })),
      { kind: 'settlement.payment', refType: 'settlement', refId: settlementId },
    );
  }

  private async returnToBudget(em: EntityManager, voucher: Pick<Voucher, 'issuingRegionCode' | 'budgetYear'>, x: number): Promise<void> {
    await this.guarded(
      em,
      Budget,
      { regionCode: voucher.issuingRegionCode, year: voucher.budgetYear },
      'committed_fen >= :x',
      { availableFen: () => 'available_fen + :x', committedFen: () => 'committed_fen - :x', updatedAt: clock.iso() },
      { x },
      'INVALID_STATE',
    );
  }

  /** What expiry or revocation gives back no longer counts against the enterprise's annual cap (DOMAIN.md). */
  private async creditAnnualGrant(
    em: EntityManager,
    voucher: Pick<Voucher, 'issuingRegionCode' | 'budgetYear' | 'capSubject'>,
    x: number,
  ): Promise<void> {
    await em
      .getRepository(AnnualGrant)
      .createQueryBuilder()
      .update()
      .set({ grantedFen: () => 'granted_fen - :x' })
      .where({ regionCode: voucher.issuingRegionCode, year: voucher.budgetYear, subject: voucher.capSubject })
      .andWhere('granted_fen >= :x', { x })
      .execute();
  }

  /** exhausted ⇔ nothing available and nothing held; a cancelled hold makes an exhausted voucher active again. */
  private async refreshExhausted(em: EntityManager, voucherId: string): Promise<void> {
    await em
      .getRepository(Voucher)
      .createQueryBuilder()
      .update()
      .set({ status: () => "CASE WHEN available_fen = 0 AND held_fen = 0 THEN 'exhausted' ELSE 'active' END" })
      .where("id = :voucherId AND status IN ('active', 'exhausted')", { voucherId })
      .execute();
  }

  /**
   * One guarded UPDATE; zero rows affected means the guard refused. `set` maps properties to values or
   * to SQL expressions (functions); `guard` and the expressions name columns and bind `params` as :name.
   */
  private async guarded<E extends ObjectLiteral>(
    em: EntityManager,
    entity: EntityTarget<E>,
    key: Partial<E>,
    guard: string,
    set: Record<string, unknown>,
    params: Record<string, unknown>,
    refusal: 'INVALID_STATE' | 'BUDGET_EXHAUSTED' | 'VOUCHER_INSUFFICIENT_BALANCE',
    message = 'the balance changed concurrently; retry',
  ): Promise<void> {
    const { driver } = em.connection;
    const meta = em.connection.getMetadata(entity);
    const named: Record<string, unknown> = { ...params };
    const bind = (prefix: string, property: string, value: unknown) => {
      const column = meta.findColumnWithPropertyName(property)!;
      named[`${prefix}_${property}`] = driver.preparePersistentValue(value, column);
      return `${driver.escape(column.databaseName)} = :${prefix}_${property}`;
    };
    const assignments = Object.entries(set).map(([property, value]) =>
      typeof value === 'function'
        ? `${driver.escape(meta.findColumnWithPropertyName(property)!.databaseName)} = ${value()}`
        : bind('set', property, value),
    );
    const conditions = Object.entries(key).map(([property, value]) => bind('key', property, value));
    const [sql, values] = driver.escapeQueryWithParameters(
      `UPDATE ${driver.escape(meta.tableName)} SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')} AND (${guard})`,
      named,
    );
    if (!(await execute(em, sql, values))) throw new DomainError(refusal, message);
  }

  private async record(em: EntityManager, legs: Leg[], ref: Ref): Promise<void> {
    const createdAt = clock.iso();
    await insertRows(
      em,
      LedgerTransfer,
      legs
        .filter((l) => l.amountFen > 0)
        .map((l) => ({ id: newId(), debitAccount: l.debit, creditAccount: l.credit, amountFen: l.amountFen, ...ref, createdAt })),
    );
  }
}
