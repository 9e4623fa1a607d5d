import { Injectable } from '@nestjs/common';
import { BudgetRepository } from '../../budgets/budget.repository';
import { LedgerService, UncaptureKind } from '../../ledger/ledger.service';
import { VoucherClosing } from './close-voucher';
import { Voucher } from '../voucher.entity';
import { VoucherRepository } from '../voucher.repository';
import { budgetsOf } from '../voucher.rules';
import { Redemption } from '../../redemptions/redemption.entity';

const closed = (v: Voucher) => v.status === 'expired' || v.status === 'revoked';

/** Where a subsidy given back went: to the voucher's available balance while it is open, else to the budget. */
export type ReturnedTo = 'voucher' | 'budget';
const returnedTo = (v: Voucher): ReturnedTo => (closed(v) ? 'budget' : 'voucher');

/**
 * The money side of closing a hold, inside the caller's unit of work, after the redemption left `held`: the voucher
 * is locked (so a revocation committing meanwhile cannot strand the money), what a closed voucher sends back to the
 * budget stops counting against the annual cap (grant row before budget row, the order every unit takes), the
 * ledger moves the money, and the voucher's active/exhausted status follows its balances.
 */
@Injectable()
export class HoldRelease {
  constructor(
    private readonly vouchers: VoucherRepository,
    private readonly closing: VoucherClosing,
    private readonly ledger: LedgerService,
    private readonly budgets: BudgetRepository,
  ) {}

  /** `capturedFen` of the hold is spent; the rest is released. */
  async capture(r: Redemption, capturedFen: number): Promise<ReturnedTo> {
    const voucher = (await this.vouchers.lock(r.voucherId))!;
    if (closed(voucher)) await this.closing.giveBackGrant(voucher, r.subsidyFen - capturedFen);
    await this.ledger.capture(voucher, r.subsidyFen, capturedFen, r.id);
    await this.vouchers.refreshExhausted(voucher.id);
    return returnedTo(voucher);
  }

  /**
   * A disputed capture lowered by the bureau: `x` of what was spent goes back (to the voucher, which is active again if
   * it was exhausted, or to the budget if it closed, given back to the annual grant).
   */
  async uncapture(r: Pick<Redemption, 'id' | 'voucherId'>, x: number, kind?: UncaptureKind): Promise<ReturnedTo> {
    return (await this.uncaptureAll([{ redemption: r, fen: x }], kind))[0];
  }

  /**
   * uncapture for several redemptions at once, on one voucher or several (a claim rejected for good,
   * `claim.final_rejection`): all the rows are locked before any money moves (giveBackGrantsLockBudgets), then each capture goes
   * back, in the order given. Returns where each went, in that order.
   */
  async uncaptureAll(
    back: { redemption: Pick<Redemption, 'id' | 'voucherId'>; fen: number }[],
    kind?: UncaptureKind,
  ): Promise<ReturnedTo[]> {
    const vouchers = await this.vouchers.lockInIdOrder(back.map((b) => b.redemption.voucherId));
    const moves = back.map((b) => ({ ...b, voucher: vouchers.get(b.redemption.voucherId)! }));
    await this.giveBackGrantsLockBudgets(moves.filter((m) => closed(m.voucher)));
    for (const m of moves) await this.ledger.uncapture(m.voucher, m.fen, m.redemption.id, kind);
    for (const id of vouchers.keys()) await this.vouchers.refreshExhausted(id);
    return moves.map((m) => returnedTo(m.voucher));
  }

  /**
   * A claim approved below what its redemptions captured, `fen` given back per voucher: that leaves each voucher's
   * spent balance for the budget (LedgerService.reduceSpent) and, like everything a voucher gives back to the budget,
   * no longer counts against the annual grant. All the rows are locked before any money moves (giveBackGrantsLockBudgets).
   */
  async cutByApproval(cuts: [voucherId: string, fen: number][], claimId: string): Promise<void> {
    const cut = cuts.filter(([, fen]) => fen > 0);
    const vouchers = await this.vouchers.lockInIdOrder(cut.map(([id]) => id));
    const moves = cut.map(([id, fen]) => ({ voucher: vouchers.get(id)!, fen }));
    await this.giveBackGrantsLockBudgets(moves);
    for (const m of moves) await this.ledger.reduceSpent(m.voucher, m.fen, claimId);
  }

  /** The whole hold is released (cancellation or expiry). */
  async release(r: Redemption, kind: 'redemption.cancel' | 'redemption.expired'): Promise<ReturnedTo> {
    const voucher = (await this.vouchers.lock(r.voucherId))!;
    if (closed(voucher)) await this.closing.giveBackGrant(voucher, r.subsidyFen);
    await this.ledger.releaseHold(voucher, r.subsidyFen, r.id, kind);
    await this.vouchers.refreshExhausted(voucher.id);
    return returnedTo(voucher);
  }

  /**
   * Before vouchers, locked in id order, give `fen` each back to the budget: it leaves their annual grants (the rows
   * locked by their guarded updates, in grantRowOrder), then their budgets are locked (by region and year). That is
   * the order every unit takes — vouchers, grant rows, budgets, then the redemptions — also for a claim spanning
   * several vouchers: taken voucher by voucher as the money moved, it would hold the budget while waiting for the next
   * voucher or grant row, and deadlock with issuances, captures and other claims' decisions.
   */
  private async giveBackGrantsLockBudgets(back: { voucher: Voucher; fen: number }[]): Promise<void> {
    await this.closing.giveBackGrants(back);
    const touched = back.filter((b) => b.fen > 0).map((b) => b.voucher);
    for (const budget of budgetsOf(touched)) await this.budgets.lock(budget.regionCode, budget.year);
  }
}
