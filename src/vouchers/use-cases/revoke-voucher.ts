import { BookingRepository } from '../../bookings/booking.repository';
import { Injectable } from '@nestjs/common';
import { redemptionEntry } from '../../redemptions/redemption.entry';
import { assertBureauOf } from '../../common/auth/scope';
import { Actor } from '../../common/context/request-context';
import { catalogued, notFound } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../../common/use-case';
import { Voucher } from '../voucher.entity';
import { VoucherRepository } from '../voucher.repository';
import { voucherTransition } from '../voucher.states';
import { voucherPastValidity } from '../voucher.time-rules';
import { clock } from '../../common/clock';
import { RedemptionRepository } from '../../redemptions/redemption.repository';
import { VoucherClosing } from './close-voucher';
import { HoldRelease } from './hold-release';

export interface RevokeVoucherCommand {
  actor: Actor;
  voucherId: string;
  reason: string;
}

/**
 * Revocation by the issuing bureau, often on suspected fraud: its open holds are cancelled and everything unused goes
 * back to the budget, so nothing held on it can still be captured and claimed.
 */
@Injectable()
export class RevokeVoucher {
  static readonly refusals = ['NOT_FOUND', 'FORBIDDEN', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly vouchers: VoucherRepository,
    private readonly closing: VoucherClosing,
    private readonly redemptions: RedemptionRepository,
    private readonly release: HoldRelease,
    private readonly bookings: BookingRepository,
  ) {}

  execute(cmd: RevokeVoucherCommand): Promise<Outcome<Voucher>> {
    return this.uow.run(async () => {
      const voucher = await this.vouchers.lock(cmd.voucherId);
      if (!voucher) throw notFound('voucher');
      assertBureauOf(cmd.actor, voucher.issuingRegionCode, `vouchers of ${voucher.issuingRegionCode}`);
      if (voucher.status === 'revoked') return refusedBy(catalogued('INVALID_STATE', 'vouchers.alreadyRevoked'));
      if (!voucherTransition(voucher.status, 'revoke'))
        return refusedBy(catalogued('INVALID_STATE', 'vouchers.notRevocable', { status: voucher.status }));
      // Past its last day it is expired to every reader, sweep or not: expired in passing (that commits), never revoked.
      if (voucherPastValidity.holds(voucher, clock.today())) {
        await this.closing.close(voucher, 'expired', null);
        return refusedBy(catalogued('INVALID_STATE', 'vouchers.expiredNotRevoked', { validUntil: voucher.validUntil }));
      }
      const revoked = await this.closing.close(voucher, 'revoked', cmd.reason);
      let released = 0;
      for (const r of await this.redemptions.heldOf(voucher.id)) {
        const now = clock.iso();
        if (!(await this.redemptions.close(r.id, { status: 'cancelled', closedAt: now, updatedAt: now }))) continue;
        const to = await this.release.release(r, 'redemption.cancel');
        released += r.subsidyFen;
        this.uow.record(
          redemptionEntry(r, 'redemption.cancelled', {
            releasedFen: r.subsidyFen,
            returnedTo: to,
            by: 'bureau',
            reason: 'voucher revoked',
          }),
        );
        // A booking on the voucher is called off with its hold: no late fee, the enterprise did not cancel.
        const booking = await this.bookings.closeWithHold(r.id, 'cancelled', now);
        if (booking) {
          this.uow.record({
            action: 'booking.cancelled',
            entityType: 'booking',
            entityId: booking,
            regionCode: r.issuingRegionCode,
            organizationId: r.enterpriseId,
            counterpartyId: r.providerId,
            summary: { redemptionId: r.id, by: 'bureau', reason: 'voucher revoked' },
          });
        }
      }
      return ok({ ...revoked, heldFen: revoked.heldFen - released, releasedFen: revoked.releasedFen + released });
    });
  }
}
