import { Injectable } from '@nestjs/common';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { catalogued, notFound } from '../common/errors/domain-error';
import { isUniqueViolation } from '../common/persistence/db-errors';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { FacilityRepository } from '../facilities/facility.repository';
import { OrganizationRepository } from '../organizations/organization.repository';
import { AvailabilityQuery, AvailabilityView, CalendarInput, CalendarView, QualificationView, SlotView } from './booking.dto';
import { FacilityCalendar } from './booking.entity';
import { BookingRepository } from './booking.repository';
import {
  daysBetween,
  DEFAULT_LIVE_HOURS_PER_ENTERPRISE,
  hourBookable,
  hourOf,
  HOUR_MS,
  leavesBookingWindow,
  MAX_RANGE_DAYS,
  nextFreeSlots,
  overlappingOpeningHours,
  parseInstant,
  shown,
  slots,
  stored,
  ZONE,
} from './booking.rules';
import { DateTime } from 'luxon';

/** Facility calendars (provider-managed, public to read), availability, and the enterprises qualified on a facility. */
@Injectable()
export class CalendarsService {
  static readonly setRefusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'INVALID_STATE'] as const;
  static readonly qualifyRefusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'DUPLICATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly facilities: FacilityRepository,
    private readonly bookings: BookingRepository,
    private readonly organizations: OrganizationRepository,
  ) {}

  set(actor: Actor, facilityId: string, input: CalendarInput): Promise<Outcome<CalendarView>> {
    if (!leavesBookingWindow(input)) {
      const { minNoticeHours, maxAdvanceDays } = input;
      throw catalogued('VALIDATION_FAILED', 'bookings.noticeBeyondAdvance', {
        minNoticeHours,
        maxAdvanceDays,
        advanceHours: maxAdvanceDays * 24,
      });
    }
    input.openingHours.forEach((o, i) => {
      if (hourOf(o.from) >= hourOf(o.to))
        throw catalogued('VALIDATION_FAILED', 'validation.toAfterFrom', { field: `openingHours[${i}].to` });
    });
    const overlap = overlappingOpeningHours(input.openingHours);
    if (overlap) {
      const [i, j] = overlap;
      throw catalogued('VALIDATION_FAILED', 'bookings.openingOverlap', { field: `openingHours[${j}]`, other: `openingHours[${i}]` });
    }
    const closures = (input.closures ?? []).map((c, i) => {
      const from = parseInstant(c.from);
      const to = parseInstant(c.to);
      if (from === undefined) throw catalogued('VALIDATION_FAILED', 'validation.notDateOrInstant', { field: `closures[${i}].from` });
      if (to === undefined) throw catalogued('VALIDATION_FAILED', 'validation.notDateOrInstant', { field: `closures[${i}].to` });
      if (to <= from) throw catalogued('VALIDATION_FAILED', 'validation.toAfterFrom', { field: `closures[${i}].to` });
      return { from: stored(from), to: stored(to), reason: c.reason.trim() };
    });
    return this.uow.run(async () => {
      const facility = await this.facilities.lockOwnedBy(actor.organizationId, facilityId);
      if (!facility) throw notFound('facility');
      if (facility.unit !== 'hour') return refusedBy(catalogued('INVALID_STATE', 'bookings.noCalendar', { unit: facility.unit }));
      const existing = (await this.bookings.calendars([facility.id]))[0];
      // A first calendar beside open holds ordered without a booking would let the lab capture hours it may give to
      // others: they are captured or cancelled first (a direct hold shares this row's lock, so none is in flight).
      const direct = existing ? [] : await this.bookings.openDirectHolds(facility.id, clock.iso());
      if (direct.length > 0) {
        return refusedBy(catalogued('INVALID_STATE', 'bookings.calendarBesideHolds', { redemption: direct[0].id, holds: direct.length }));
      }
      const calendar: FacilityCalendar = {
        facilityId: facility.id,
        openingHours: input.openingHours.map((o) => ({ weekday: o.weekday, from: o.from, to: o.to })),
        closures,
        minNoticeHours: input.minNoticeHours,
        maxAdvanceDays: input.maxAdvanceDays,
        freeCancellationHours: input.freeCancellationHours,
        lateCancellationFeeBp: input.lateCancellationFeeBp,
        requiresQualification: input.requiresQualification,
        // Left out, the cap the facility has stays: a client that predates the field does not reset a lab's choice.
        maxLiveHoursPerEnterprise:
          input.maxLiveHoursPerEnterprise ?? existing?.maxLiveHoursPerEnterprise ?? DEFAULT_LIVE_HOURS_PER_ENTERPRISE,
        updatedAt: clock.iso(),
      };
      // Booked hours (the one begun included) stay open: the lab cancels those bookings first, which tells their
      // enterprises and gives their holds back; a closure over them left them booked on a shut instrument.
      const booked = await this.bookings.bookedHoursFrom(facility.id, clock.now().getTime() - HOUR_MS);
      const shut = booked.filter((h) => !hourBookable(calendar, Date.parse(h.hourStart)));
      if (shut.length > 0) {
        const bookings = new Set(shut.map((h) => h.bookingId)).size;
        return refusedBy(
          catalogued('INVALID_STATE', 'bookings.calendarShutsBookings', {
            at: shown(shut[0].hourStart),
            booking: shut[0].bookingId,
            bookings,
          }),
        );
      }
      await this.bookings.saveCalendar(calendar);
      this.uow.record({
        action: 'facility.calendar_set',
        entityType: 'facility',
        entityId: facility.id,
        regionCode: facility.regionCode,
        organizationId: facility.providerId,
        summary: { ...calendar, closures: closures.length, openingHours: calendar.openingHours.length },
      });
      return ok(CalendarView.of(calendar));
    });
  }

  async get(facilityId: string): Promise<CalendarView> {
    const calendar = await this.bookings.calendar(facilityId);
    if (!calendar) throw notFound('calendar');
    return CalendarView.of(calendar);
  }

  /** Free and taken one-hour slots of up to 31 days: one read of the calendar, one of the booked hours. */
  async availability(facilityId: string, q: AvailabilityQuery): Promise<AvailabilityView> {
    const days = daysBetween(q.from, q.to);
    if (days < 0) throw catalogued('VALIDATION_FAILED', 'validation.toNotBeforeFrom');
    if (days >= MAX_RANGE_DAYS) throw catalogued('VALIDATION_FAILED', 'bookings.maxRangeDays', { days: MAX_RANGE_DAYS });
    const calendar = await this.bookings.calendar(facilityId);
    if (!calendar) throw notFound('calendar');
    const found = await this.facilities.withStanding(facilityId, clock.iso(), clock.today());
    const from = DateTime.fromISO(q.from, { zone: ZONE }).toMillis();
    const to = DateTime.fromISO(q.to, { zone: ZONE }).plus({ days: 1 }).toMillis();
    const taken = (await this.bookings.takenHours([facilityId], from, to)).get(facilityId)!;
    const all = slots(calendar, q.from, q.to, taken, clock.now().getTime());
    // a retired facility, or one whose provider is suspended or sanctioned, takes no bookings: no slot is free
    const bookable = found !== undefined && found.facility.status === 'active' && found.standing.listed;
    return { slots: bookable ? all : all.map((slot) => ({ ...slot, free: false })) };
  }

  /** The calendar and its next `count` free slots, for the public facility page; null for a facility without a calendar. */
  async nextFree(facilityId: string, count: number): Promise<{ calendar: CalendarView; free: SlotView[] } | null> {
    const calendar = await this.bookings.calendar(facilityId);
    if (!calendar) return null;
    const nowMs = clock.now().getTime();
    const taken = (await this.bookings.takenAround([facilityId], nowMs)).get(facilityId)!;
    return {
      calendar: CalendarView.of(calendar),
      free: nextFreeSlots(calendar, taken, nowMs, count),
    };
  }

  qualify(actor: Actor, facilityId: string, enterpriseId: string): Promise<Outcome<QualificationView>> {
    return this.uow.run(async () => {
      const facility = await this.facilities.lockOwnedBy(actor.organizationId, facilityId);
      if (!facility) throw notFound('facility');
      const enterprise = await this.organizations.get(enterpriseId);
      if (!enterprise || enterprise.type !== 'enterprise') throw notFound('enterprise');
      const q = { facilityId: facility.id, enterpriseId, recordedBy: actor.userId, createdAt: clock.iso() };
      try {
        await this.bookings.qualify(q);
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        throw catalogued('DUPLICATE', 'bookings.alreadyQualified');
      }
      this.uow.record({
        action: 'facility.qualified',
        entityType: 'facility',
        entityId: facility.id,
        regionCode: facility.regionCode,
        organizationId: enterpriseId,
        summary: { enterpriseId, recordedBy: actor.userId },
      });
      return ok({ facilityId: q.facilityId, enterpriseId, createdAt: q.createdAt });
    });
  }
}
