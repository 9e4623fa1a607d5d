import { Injectable } from '@nestjs/common';
import { Budget } from '../budgets/budget.entity';
import { BudgetRepository } from '../budgets/budget.repository';
import { clock } from '../common/clock';
import { DomainError, ErrorCode } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { Voucher } from '../vouchers/voucher.entity';
import { VoucherRepository } from '../vouchers/voucher.repository';
import { account } from './accounts';
import { LedgerRepository } from './ledger.repository';

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

type VoucherKey = Pick<Voucher, 'id' | 'issuingRegionCode' | 'budgetYear'>;

/**
 * The one place money moves. Each method changes row balances through the owning repositories' guarded updates and
 * writes the matching balanced transfers, inside the caller's unit of work. Callers lock the rows and check the rules
 * first; a guard that still refuses (the balance moved under a missing lock) throws and rolls the unit back, so the
 * guards are a second line of defence that no concurrency can pass.
 */
/** The ledger kinds a captured subsidy goes back under: a dispute's resolution, or a claim rejected for good. */
export type UncaptureKind = 'redemption.resolve' | 'claim.final_rejection';

@Injectable()
export class LedgerService {
  constructor(
    private readonly budgets: BudgetRepository,
    private readonly vouchers: VoucherRepository,
    private readonly transfers: LedgerRepository,
  ) {}

  /** Sets a locked budget's total; the difference moves between the appropriation and the available budget. */
  async setBudgetTotal(budget: Budget, totalFen: number): Promise<void> {
    const { regionCode, year } = budget;
    const delta = totalFen - budget.totalFen;
    if (delta === 0) return;
    guard(
      await this.budgets.setTotal(regionCode, year, budget.totalFen, totalFen),
      'BUDGET_BELOW_COMMITTED',
      'the budget changed concurrently',
    );
    const [funds, available] = [account.funds(regionCode, year), account.budget(regionCode, year)];
    await this.record(
      [delta > 0 ? { debit: funds, credit: available, amountFen: delta } : { debit: available, credit: funds, amountFen: -delta }],
      { kind: 'budget.appropriation', refType: 'budget', refId: `${regionCode}-${year}` },
    );
  }

  /** Issuing a voucher commits its face value from the budget. */
  async fundVoucher(voucher: VoucherKey, amountFen: number): Promise<void> {
    const { issuingRegionCode: regionCode, budgetYear: year } = voucher;
    guard(
      await this.budgets.commit(regionCode, year, amountFen),
      'BUDGET_EXHAUSTED',
      `the ${year} budget of ${regionCode} has less than ${amountFen} fen available`,
    );
    guard(await this.vouchers.fund(voucher.id, amountFen), 'INVALID_STATE', 'the voucher was funded already');
    await this.record([{ debit: account.budget(regionCode, year), credit: account.voucherAvailable(voucher.id), amountFen }], {
      kind: 'voucher.issue',
      refType: 'voucher',
      refId: voucher.id,
    });
  }

  /** Places a hold: available → held. */
  async hold(voucherId: string, amountFen: number, redemptionId: string): Promise<void> {
    guard(
      await this.vouchers.reserve(voucherId, amountFen),
      'VOUCHER_INSUFFICIENT_BALANCE',
      `the voucher has less than ${amountFen} fen available`,
    );
    await this.record([{ debit: account.voucherAvailable(voucherId), credit: account.voucherHeld(voucherId), amountFen }], {
      kind: 'redemption.hold',
      refType: 'redemption',
      refId: redemptionId,
    });
  }

  /**
   * Captures part or all of a hold on a locked voucher: the captured part is spent; the rest goes back to the voucher,
   * or to the budget when the voucher has meanwhile expired or been revoked. Returns what went back to the budget.
   */
  async capture(voucher: Voucher, heldFen: number, capturedFen: number, redemptionId: string): Promise<number> {
    guard(await this.vouchers.spendHeld(voucher.id, capturedFen), 'INVALID_STATE', 'the voucher holds less than the capture');
    await this.record([{ debit: account.voucherHeld(voucher.id), credit: account.voucherSpent(voucher.id), amountFen: capturedFen }], {
      kind: 'redemption.capture',
      refType: 'redemption',
      refId: redemptionId,
    });
    return this.releaseHold(voucher, heldFen - capturedFen, redemptionId, 'redemption.capture');
  }

  /**
   * Cancels or expires (part of) a hold on a locked voucher: held → available, or → the budget when the voucher is
   * closed (locked by the caller, so a revocation committing meanwhile cannot strand the money). Returns what went
   * back to the budget.
   */
  async releaseHold(voucher: Voucher, amountFen: number, redemptionId: string, kind: string): Promise<number> {
    if (amountFen === 0) return 0;
    const closed = voucher.status === 'expired' || voucher.status === 'revoked';
    guard(
      await this.vouchers.releaseHeld(voucher.id, amountFen, closed ? 'released' : 'available'),
      'INVALID_STATE',
      'the voucher holds less than the release',
    );
    if (closed) await this.returnToBudget(voucher, amountFen);
    const credit = closed ? account.budget(voucher.issuingRegionCode, voucher.budgetYear) : account.voucherAvailable(voucher.id);
    await this.record([{ debit: account.voucherHeld(voucher.id), credit, amountFen }], {
      kind,
      refType: 'redemption',
      refId: redemptionId,
    });
    return closed ? amountFen : 0;
  }

  /** Expiry or revocation of a locked voucher: its available balance goes back to the budget. Returns what was released. */
  async releaseVoucher(voucher: Voucher, kind: string): Promise<number> {
    const x = voucher.availableFen;
    if (x === 0) return 0;
    guard(await this.vouchers.releaseAvailable(voucher.id, x), 'INVALID_STATE', 'the balance changed concurrently; retry');
    await this.returnToBudget(voucher, x);
    await this.record(
      [
        {
          debit: account.voucherAvailable(voucher.id),
          credit: account.budget(voucher.issuingRegionCode, voucher.budgetYear),
          amountFen: x,
        },
      ],
      {
        kind,
        refType: 'voucher',
        refId: voucher.id,
      },
    );
    return x;
  }

  /**
   * A capture lowered after a dispute (`redemption.resolve`) or annulled by a claim's final rejection
   * (`claim.final_rejection`), on a locked voucher: `x` of what was spent goes back to the voucher, or to the budget when
   * the voucher has meanwhile expired or been revoked. Returns what went back to the budget.
   */
  async uncapture(voucher: Voucher, x: number, redemptionId: string, kind: UncaptureKind = 'redemption.resolve'): Promise<number> {
    if (x === 0) return 0;
    const closed = voucher.status === 'expired' || voucher.status === 'revoked';
    guard(
      await this.vouchers.unspend(voucher.id, x, closed ? 'released' : 'available'),
      'INVALID_STATE',
      'the voucher spent less than the correction',
    );
    if (closed) await this.returnToBudget(voucher, x);
    const credit = closed ? account.budget(voucher.issuingRegionCode, voucher.budgetYear) : account.voucherAvailable(voucher.id);
    await this.record([{ debit: account.voucherSpent(voucher.id), credit, amountFen: x }], {
      kind,
      refType: 'redemption',
      refId: redemptionId,
    });
    return closed ? x : 0;
  }

  /** A claim approved below what was captured: the difference leaves the voucher's spent balance for the budget. */
  async reduceSpent(voucher: VoucherKey, amountFen: number, claimId: string): Promise<void> {
    if (amountFen === 0) return;
    guard(await this.vouchers.unspend(voucher.id, amountFen, 'released'), 'INVALID_STATE', 'the voucher spent less than the reduction');
    await this.returnToBudget(voucher, amountFen);
    await this.record(
      [{ debit: account.voucherSpent(voucher.id), credit: account.budget(voucher.issuingRegionCode, voucher.budgetYear), amountFen }],
      { kind: 'claim.reduction', refType: 'claim', refId: claimId },
    );
  }

  /** An approved claim becomes a payable of the issuing region to the payee. */
  async recordPayable(regionCode: string, payeeId: string, amountFen: number, claimId: string): Promise<void> {
    await this.record([{ debit: account.payments(regionCode), credit: account.payable(regionCode, payeeId), amountFen }], {
      kind: 'claim.approval',
      refType: 'claim',
      refId: claimId,
    });
  }

  /** Settlement paid: each payee's payable moves to paid. */
  async payOut(regionCode: string, lines: { payeeId: string; amountFen: number }[], settlementId: string): Promise<void> {
    await this.record(
      lines.map((l) => ({
        debit: account.payable(regionCode, l.payeeId),
        credit: account.paid(regionCode, l.payeeId),
        amountFen: l.amountFen,
      })),
      { kind: 'settlement.payment', refType: 'settlement', refId: settlementId },
    );
  }

  private async returnToBudget(voucher: Pick<Voucher, 'issuingRegionCode' | 'budgetYear'>, x: number): Promise<void> {
    guard(
      await this.budgets.uncommit(voucher.issuingRegionCode, voucher.budgetYear, x),
      'INVALID_STATE',
      'the budget committed less than the return',
    );
  }

  private async record(legs: Leg[], ref: Ref): Promise<void> {
    const createdAt = clock.iso();
    await this.transfers.insert(
      legs
        .filter((l) => l.amountFen > 0)
        .map((l) => ({ id: newId(), debitAccount: l.debit, creditAccount: l.credit, amountFen: l.amountFen, ...ref, createdAt })),
    );
  }
}

/** A guarded update that refused: the unit of work rolls back with the guard's code. */
function guard(held: boolean, code: ErrorCode, message: string): void {
  if (!held) throw new DomainError(code, message);
}
