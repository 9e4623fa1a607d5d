import { Injectable } from '@nestjs/common';
import { LedgerService, UncaptureKind } from '../../ledger/ledger.service';
import { VoucherClosing } from './close-voucher';
import { Voucher } from '../voucher.entity';
import { VoucherRepository } from '../voucher.repository';
import { Redemption } from '../../redemptions/redemption.entity';

const closed = (v: Voucher) => v.status === 'expired' || v.status === 'revoked';

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
  ) {}

  /** `capturedFen` of the hold is spent; the rest is released. */
  async capture(r: Redemption, capturedFen: number): Promise<void> {
    const voucher = (await this.vouchers.lock(r.voucherId))!;
    if (closed(voucher)) await this.closing.giveBackGrant(voucher, r.subsidyFen - capturedFen);
    await this.ledger.capture(voucher, r.subsidyFen, capturedFen, r.id);
    await this.vouchers.refreshExhausted(voucher.id);
  }

  /**
   * A disputed capture lowered by the bureau, or a capture whose claim was rejected for good (`claim.final_rejection`):
   * `x` of what was spent goes back (to the voucher, which is active again if it was exhausted, or to the budget if it
   * closed, given back to the annual grant).
   */
  async uncapture(r: Pick<Redemption, 'id' | 'voucherId'>, x: number, kind?: UncaptureKind): Promise<void> {
    const voucher = (await this.vouchers.lock(r.voucherId))!;
    if (closed(voucher)) await this.closing.giveBackGrant(voucher, x);
    await this.ledger.uncapture(voucher, x, r.id, kind);
    await this.vouchers.refreshExhausted(voucher.id);
  }

  /**
   * A claim approved below what the voucher's redemptions captured: `x` leaves the voucher's spent balance for the
   * budget (LedgerService.reduceSpent) and, like everything a voucher gives back to the budget, no longer counts against
   * the annual grant (voucher row locked first, then the grant rows, then the budget row: the order every unit takes).
   */
  async cutByApproval(voucherId: string, x: number, claimId: string): Promise<void> {
    if (x === 0) return;
    const voucher = (await this.vouchers.lock(voucherId))!;
    await this.closing.giveBackGrant(voucher, x);
    await this.ledger.reduceSpent(voucher, x, claimId);
  }

  /** The whole hold is released (cancellation or expiry). */
  async release(r: Redemption, kind: 'redemption.cancel' | 'redemption.expired'): Promise<void> {
    const voucher = (await this.vouchers.lock(r.voucherId))!;
    if (closed(voucher)) await this.closing.giveBackGrant(voucher, r.subsidyFen);
    await this.ledger.releaseHold(voucher, r.subsidyFen, r.id, kind);
    await this.vouchers.refreshExhausted(voucher.id);
  }
}
