import { Injectable } from '@nestjs/common';
import { clock } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { FacilityRepository } from '../../facilities/facility.repository';
import { catalogued, notFound } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../../common/use-case';
import { Redemption } from '../../redemptions/redemption.entity';
import { CancelHold, CaptureHold } from '../../redemptions/use-cases/close-hold';
import { Booking } from '../booking.entity';
import { BookingClosing, BookingRepository } from '../booking.repository';
import { HOUR_MS, lateCancellation, lateFeeFen, shown, stored } from '../booking.rules';
import { bookingEntry } from './book-slot';

export interface BookingResult {
  booking: Booking;
  redemption: Redemption;
}

/** The booking, if the actor is one of `parties` to it; anyone else's is 404. */
async function partyTo(bookings: BookingRepository, actor: Actor, id: string, parties: ('enterpriseId' | 'providerId')[]) {
  const b = await bookings.get(id);
  if (!b || !actor.organizationId || !parties.some((p) => b[p] === actor.organizationId)) throw notFound('booking');
  return b;
}

/** The booking's own close must follow its hold's: a concurrent closer lost at the hold already. */
async function closeAfterHold(bookings: BookingRepository, b: Booking, c: BookingClosing, freeFrom: string): Promise<void> {
  if (!(await bookings.close(b.id, c, freeFrom))) throw catalogued('INVALID_STATE', 'bookings.closedMeanwhile');
}

/**
 * Either side calls a booking off: its hold is cancelled through the redemption use case (everything back to the
 * voucher) and its hours are freed. The enterprise cancelling later than the free-cancellation window before the start
 * owes the late fee — recorded on the booking, owed to the provider outside the voucher, which it never touches — unless
 * the lab may no longer serve it (suspended or sanctioned).
 */
@Injectable()
export class CancelBooking {
  static readonly refusals = ['NOT_FOUND', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly bookings: BookingRepository,
    private readonly cancelHold: CancelHold,
    private readonly facilities: FacilityRepository,
  ) {}

  execute(cmd: { actor: Actor; bookingId: string }): Promise<Outcome<BookingResult>> {
    return this.uow.run(async () => {
      const b = await partyTo(this.bookings, cmd.actor, cmd.bookingId, ['enterpriseId', 'providerId']);
      // Once its time has begun the enterprise cannot take the booking back: the lab records what was used (0 for a
      // no-show). The lab may still cancel, giving up its own fee (an instrument that broke down).
      if (cmd.actor.role === 'enterprise' && b.status === 'booked' && clock.iso() >= b.startAt) {
        return refusedBy(catalogued('INVALID_STATE', 'bookings.started', { start: shown(b.startAt) }));
      }
      // The hold first (its voucher locked, its status guarded): an expired one expires the booking with it.
      const cancelled = await this.cancelHold.execute({ actor: cmd.actor, redemptionId: b.redemptionId, viaBooking: true });
      if (!cancelled.ok) {
        const current = await this.bookings.get(b.id);
        return current && current.status !== 'booked'
          ? refusedBy(catalogued('INVALID_STATE', 'bookings.notBooked', { status: current.status }))
          : cancelled;
      }
      const now = clock.iso();
      const byEnterprise = cmd.actor.role === 'enterprise';
      const late = byEnterprise && lateCancellation(Date.parse(b.startAt), Date.parse(now), b.freeCancellationHours);
      // A lab suspended or sanctioned (its captures refused, its slots shown taken) cannot serve the hours given up.
      const owed = late && (await this.facilities.withStanding(b.facilityId, now, clock.today()))?.standing.listed === true;
      const fee = owed ? lateFeeFen(b.feeFen, b.lateCancellationFeeBp) : 0;
      const closing: BookingClosing = {
        status: 'cancelled',
        closedBy: cmd.actor.role,
        closedAt: now,
        updatedAt: now,
        lateFeeFen: byEnterprise ? fee : null,
      };
      await closeAfterHold(this.bookings, b, closing, b.startAt);
      this.uow.record(
        bookingEntry(b, 'booking.cancelled', { by: cmd.actor.role, late, lateFeeFen: fee, releasedFen: cancelled.value.subsidyFen }),
      );
      return ok({ booking: { ...b, ...closing }, redemption: cancelled.value });
    });
  }
}

/**
 * The provider records the hours used, at most those booked: the hold is captured on them through the redemption use
 * case. Zero is a no-show: the hold is released, the hours freed and the late fee owed (outside the voucher).
 */
@Injectable()
export class RecordBookingUsage {
  static readonly refusals = [
    'VALIDATION_FAILED',
    'NOT_FOUND',
    'INVALID_STATE',
    'CAPTURE_EXCEEDS_HOLD',
    'SANCTIONED',
    'PROVIDER_NOT_ACTIVE',
    'RELATED_PARTY',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly bookings: BookingRepository,
    private readonly captureHold: CaptureHold,
    private readonly cancelHold: CancelHold,
  ) {}

  execute(cmd: { actor: Actor; bookingId: string; actualHours: number }): Promise<Outcome<BookingResult>> {
    return this.uow.run(async () => {
      const b = await partyTo(this.bookings, cmd.actor, cmd.bookingId, ['providerId']);
      if (b.status !== 'booked') return refusedBy(catalogued('INVALID_STATE', 'bookings.notBooked', { status: b.status }));
      if (clock.iso() < b.startAt) return refusedBy(catalogued('INVALID_STATE', 'bookings.usageBeforeStart', { start: shown(b.startAt) }));
      if (cmd.actualHours > b.hours) {
        return refusedBy(catalogued('CAPTURE_EXCEEDS_HOLD', 'bookings.exceedsBooked', { actual: cmd.actualHours, booked: b.hours }));
      }
      // Hours are recorded once they have passed: two hours used five seconds into a booking would move the subsidy of
      // hours nobody has had yet. A no-show may be recorded from the start.
      const usedUntil = stored(Date.parse(b.startAt) + cmd.actualHours * HOUR_MS);
      if (clock.iso() < usedUntil) {
        return refusedBy(catalogued('INVALID_STATE', 'bookings.usageNotElapsed', { hours: cmd.actualHours, until: shown(usedUntil) }));
      }
      const noShow = cmd.actualHours === 0;
      const closed = noShow
        ? await this.cancelHold.execute({ actor: cmd.actor, redemptionId: b.redemptionId, viaBooking: true })
        : await this.captureHold.execute({
            actor: cmd.actor,
            redemptionId: b.redemptionId,
            actualQuantity: cmd.actualHours,
            viaBooking: true,
          });
      if (!closed.ok) return closed;
      const now = clock.iso();
      const fee = noShow ? lateFeeFen(b.feeFen, b.lateCancellationFeeBp) : null;
      const closing: BookingClosing = {
        status: 'completed',
        closedBy: 'provider',
        closedAt: now,
        updatedAt: now,
        actualHours: cmd.actualHours,
        lateFeeFen: fee,
      };
      // Used hours stay booked; the rest are freed (all of a no-show's, like a cancellation's): a booking completed
      // early no longer holds the hours after those used.
      await closeAfterHold(this.bookings, b, closing, usedUntil);
      this.uow.record(
        bookingEntry(b, noShow ? 'booking.no_show' : 'booking.used', {
          actualHours: cmd.actualHours,
          hours: b.hours,
          lateFeeFen: fee,
          capturedFen: noShow ? 0 : closed.value.capturedSubsidyFen,
        }),
      );
      return ok({ booking: { ...b, ...closing }, redemption: closed.value });
    });
  }
}
