import { Injectable } from '@nestjs/common';
import { clock } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { catalogued, notFound } from '../../common/errors/domain-error';
import { newId } from '../../common/ids';
import { isUniqueViolation } from '../../common/persistence/db-errors';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy, refusedFor } from '../../common/use-case';
import { FacilityRepository } from '../../facilities/facility.repository';
import { OrganizationRepository } from '../../organizations/organization.repository';
import { RedemptionMode } from '../../policies/policy.types';
import { Redemption } from '../../redemptions/redemption.entity';
import { PlaceHold } from '../../redemptions/use-cases/place-hold';
import { ownVoucher, Quotes } from '../../redemptions/quotes';
import { VoucherRepository } from '../../vouchers/voucher.repository';
import { Booking } from '../booking.entity';
import { BookingRepository } from '../booking.repository';
import {
  calendarRefusal,
  endsAfterDay,
  hourStarts,
  HOUR_MS,
  liveHoursRefusal,
  onTheHour,
  parseInstant,
  shown,
  stored,
} from '../booking.rules';

export interface BookSlotCommand {
  actor: Actor;
  facilityId: string;
  voucherId: string;
  start: string;
  end: string;
  mode?: RedemptionMode;
}

/** A month of hours: the longest booking taken at once. */
export const MAX_BOOKING_HOURS = 744;

function instantOf(field: 'start' | 'end', text: string): number {
  const ms = parseInstant(text);
  if (ms === undefined) throw catalogued('VALIDATION_FAILED', 'validation.notInstant', { field });
  if (!onTheHour(ms)) throw catalogued('VALIDATION_FAILED', 'bookings.onTheHour', { field });
  return ms;
}

export const bookingEntry = (b: Booking, action: string, summary: Record<string, unknown>, regionCode = b.issuingRegionCode) => ({
  action,
  entityType: 'booking',
  entityId: b.id,
  regionCode,
  organizationId: b.enterpriseId,
  // The facility's provider is party to its bookings: it reads their events and receives them by webhook.
  counterpartyId: b.providerId,
  summary,
});

/**
 * An enterprise books whole hours of an hourly facility. The calendar's rules are checked (the hours booked and not
 * yet over, by one enterprise and by those under one controller together, stay within maxLiveHoursPerEnterprise), one
 * row per hour is inserted under the (facility, hour) primary key (if another live booking holds any of those hours the
 * insert fails: 409 SLOT_TAKEN), then the hold for the hours is placed by the very use case behind POST /api/redemptions
 * (one pricing: quote = hold = booking), all in one unit of work.
 */
@Injectable()
export class BookSlot {
  static readonly refusals = [...PlaceHold.ruleRefusals, 'SLOT_TAKEN', 'OUTSIDE_OPENING_HOURS', 'BOOKING_NOTICE', 'LIMIT_REACHED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly facilities: FacilityRepository,
    private readonly bookings: BookingRepository,
    private readonly placeHold: PlaceHold,
    private readonly vouchers: VoucherRepository,
    private readonly organizations: OrganizationRepository,
    private readonly quotes: Quotes,
  ) {}

  execute(cmd: BookSlotCommand): Promise<Outcome<{ booking: Booking; redemption: Redemption }>> {
    const startMs = instantOf('start', cmd.start);
    const endMs = instantOf('end', cmd.end);
    if (endMs <= startMs) throw catalogued('VALIDATION_FAILED', 'bookings.endAfterStart');
    const hours = (endMs - startMs) / HOUR_MS;
    if (hours > MAX_BOOKING_HOURS) throw catalogued('VALIDATION_FAILED', 'bookings.maxHours', { hours: MAX_BOOKING_HOURS });
    return this.uow.run(async () => {
      // Shared-locked, before the calendar (the order a new calendar takes them): a booking waiting behind a retirement
      // would else read the facility active from its snapshot and commit on it once retired.
      const facility = await this.facilities.share(cmd.facilityId);
      if (!facility) throw notFound('facility');
      if (facility.unit !== 'hour') return refusedBy(catalogued('INVALID_STATE', 'bookings.notHourly', { unit: facility.unit }));
      const calendar = await this.bookings.calendarForBooking(facility.id);
      if (!calendar) return refusedBy(catalogued('INVALID_STATE', 'bookings.calendarMissing'));
      const refusal = calendarRefusal(calendar, startMs, endMs, clock.now().getTime());
      if (refusal) return refusedBy(catalogued(refusal.code, refusal.key, refusal.params));
      const enterpriseId = cmd.actor.organizationId ?? '-';
      // The voucher is locked here, as PlaceHold locks it below: another's voucher is 404 before any slot is looked at.
      const voucher = ownVoucher(cmd.actor, await this.vouchers.lock(cmd.voucherId));
      if (endsAfterDay(endMs, voucher.validUntil)) {
        return refusedBy(catalogued('VOUCHER_EXPIRED', 'bookings.endsAfterValidity', { validUntil: voucher.validUntil }));
      }
      // Then the rows of the enterprise and of those under one controller with it: they queue the group's bookings, so
      // each counts the hours the one before it booked. After the voucher, in the order a hold takes them (its
      // redemption's foreign keys read-lock the enterprise's row).
      const enterprise = await this.organizations.get(enterpriseId);
      const group = enterprise ? await this.organizations.lockGroupOf(enterprise) : [];
      const live = await this.bookings.liveHoursOf(
        facility.id,
        enterpriseId,
        group.map((o) => o.id),
        clock.iso(),
      );
      const overCap = liveHoursRefusal(live, hours, calendar.maxLiveHoursPerEnterprise);
      if (overCap) return refusedBy(catalogued(overCap.code, overCap.key, overCap.params));
      // What the hold below would refuse (a suspended lab, a sanction, the policy, the balance) is said before the
      // hours are looked at: "taken, choose another" would send the enterprise to hours it could not book either.
      if (facility.status !== 'active') {
        return refusedBy(catalogued('INVALID_STATE', 'redemptions.facilityNotActive', { status: facility.status }));
      }
      // The enterprise's row (locked above) and the lab's under shared locks before they and the sanction list are read,
      // as PlaceHold takes them: a suspension or a sanction in flight is waited for, and none commits before this does.
      await this.organizations.shareParties(voucher.enterpriseId, facility.providerId);
      const evaluated = await this.quotes.evaluate(voucher, facility.id, hours, cmd.mode);
      if (!evaluated.ok) return evaluated;
      if (evaluated.value.evaluation.refusal) return refusedFor(evaluated.value.evaluation.refusal);
      // Then the hours: one row each under the (facility, hour) primary key. A live booking holding any of them makes
      // the insert fail — the database decides, whatever runs concurrently — and the refusal is the committed answer
      // (replayed under its Idempotency-Key) of a unit that wrote nothing else.
      const bookingId = newId();
      try {
        await this.bookings.insertHours(facility.id, bookingId, hourStarts(startMs, endMs).map(stored));
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        return refusedBy(catalogued('SLOT_TAKEN', 'bookings.slotTaken', { start: shown(stored(startMs)), end: shown(stored(endMs)) }));
      }
      const held = await this.placeHold.execute({
        actor: cmd.actor,
        voucherId: cmd.voucherId,
        facilityId: facility.id,
        quantity: hours,
        mode: cmd.mode,
        holdFrom: stored(endMs),
        evaluated: evaluated.value,
        viaBooking: true,
      });
      if (!held.ok) {
        // A refused hold is a committed answer too: the hours claimed above go back in the same unit.
        await this.bookings.releaseHours(bookingId);
        return held;
      }
      const r = held.value;
      const now = clock.iso();
      const booking: Booking = {
        id: bookingId,
        facilityId: facility.id,
        providerId: facility.providerId,
        enterpriseId: r.enterpriseId,
        voucherId: r.voucherId,
        redemptionId: r.id,
        issuingRegionCode: r.issuingRegionCode,
        startAt: stored(startMs),
        endAt: stored(endMs),
        hours,
        status: 'booked',
        feeFen: r.feeFen,
        freeCancellationHours: calendar.freeCancellationHours,
        lateCancellationFeeBp: calendar.lateCancellationFeeBp,
        expiresAt: r.expiresAt,
        lateFeeFen: null,
        actualHours: null,
        closedBy: null,
        closedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await this.bookings.insert(booking);
      this.uow.record(
        bookingEntry(booking, 'booking.created', {
          facilityId: facility.id,
          redemptionId: r.id,
          start: shown(booking.startAt), // in Shanghai time, as every read of a booking shows it
          end: shown(booking.endAt),
          hours,
          feeFen: r.feeFen,
          subsidyFen: r.subsidyFen,
        }),
      );
      return ok({ booking, redemption: r });
    });
  }
}
