import { Injectable } from '@nestjs/common';
import type { ListScope } from '../common/auth/scope';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { scopeCondition } from '../common/persistence/scope.sql';
import { empty, join, sql } from '../common/persistence/sql';
import { DAY_MS } from '../common/clock';
import { HOUR_MS, MAX_RANGE_DAYS, stored } from './booking.rules';
import { bookingExpired } from './booking.time-rules';
import { holdExpired } from '../redemptions/redemption.time-rules';
import { Booking, BookingHour, BookingStatus, CalendarFeed, FacilityCalendar, FacilityQualification } from './booking.entity';

/** How a live booking ends. */
export type BookingClosing = Pick<Booking, 'status' | 'closedBy' | 'closedAt' | 'updatedAt'> &
  Partial<Pick<Booking, 'lateFeeFen' | 'actualHours'>>;

@Injectable()
export class BookingRepository {
  constructor(private readonly db: Database) {}

  // ---- Calendars ----

  async calendar(facilityId: string): Promise<FacilityCalendar | undefined> {
    return (await this.db.select(FacilityCalendar, 'c', sql`WHERE c.facility_id = ${facilityId}`))[0];
  }

  /**
   * The calendar a booking is made under, share-locked for the rest of its unit: a new calendar (which replaces the
   * row) waits for the bookings in flight, and then sees their hours.
   */
  async calendarForBooking(facilityId: string): Promise<FacilityCalendar | undefined> {
    return (await this.db.select(FacilityCalendar, 'c', sql`WHERE c.facility_id = ${facilityId}${this.db.forShare}`))[0];
  }

  /** The facility's hours of live bookings from `fromMs` on, in time order: what a new calendar must keep open. */
  bookedHoursFrom(facilityId: string, fromMs: number): Promise<{ bookingId: string; hourStart: string }[]> {
    return this.db.rows(
      sql`SELECT h.booking_id AS bookingId, h.hour_start AS hourStart FROM booking_hour h JOIN booking b ON b.id = h.booking_id
          WHERE h.facility_id = ${facilityId} AND h.hour_start >= ${stored(fromMs)} AND b.status = 'booked' ORDER BY h.hour_start`,
    );
  }

  /**
   * The hours booked on the facility and not yet over by the enterprise (`own`) and by it and the other enterprises of
   * its groups together (`group`), read as committed (a locking read: the unit's snapshot may be older than a booking
   * the caller's lock waited for).
   */
  async liveHoursOf(facilityId: string, enterpriseId: string, groupIds: string[], now: string): Promise<{ own: number; group: number }> {
    const ids = [enterpriseId, ...groupIds.filter((id) => id !== enterpriseId)];
    const row = await this.db.row<{ own: unknown; grouped: unknown }>(
      sql`SELECT COALESCE(SUM(CASE WHEN b.enterprise_id = ${enterpriseId} THEN b.hours ELSE 0 END), 0) AS own,
                 COALESCE(SUM(b.hours), 0) AS grouped FROM booking b
          WHERE b.enterprise_id IN (${join(ids)}) AND b.facility_id = ${facilityId} AND b.status = 'booked' AND b.end_at > ${now}${this.db.forShare}`,
    );
    return { own: Number(row?.own ?? 0), group: Number(row?.grouped ?? 0) };
  }

  /**
   * The facility's open holds placed without a booking (ordered before it had a calendar), oldest first: what a first
   * calendar must not be set beside. Read after the facility's row lock, which a direct hold shares before it reads the
   * calendar, so none is in flight.
   */
  openDirectHolds(facilityId: string, now: string): Promise<{ id: string }[]> {
    return this.db.rows(
      sql`SELECT r.id FROM redemption r WHERE r.facility_id = ${facilityId} AND r.status = 'held' AND NOT ${holdExpired.sql('r', now)}
          AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.redemption_id = r.id) ORDER BY r.created_at, r.id`,
    );
  }

  /** Replaces the facility's calendar (the caller holds the facility's row lock, so two replacements queue). */
  async saveCalendar(calendar: FacilityCalendar): Promise<void> {
    await this.db.execute(sql`DELETE FROM facility_calendar WHERE facility_id = ${calendar.facilityId}`);
    await this.db.insert(FacilityCalendar, [calendar]);
  }

  /** Calendars of the given facilities. */
  async calendars(facilityIds: string[]): Promise<FacilityCalendar[]> {
    if (facilityIds.length === 0) return [];
    return this.db.select(FacilityCalendar, 'c', sql`WHERE c.facility_id IN (${join(facilityIds)})`);
  }

  // ---- Bookings and their hours ----

  insert(booking: Booking): Promise<void> {
    return this.db.insert(Booking, [booking]);
  }

  /**
   * One row per booked hour under the (facility, hour) primary key: a concurrent booking of any of these hours fails
   * here with a unique violation (on MariaDB after waiting for the other transaction), whatever the interleaving.
   */
  insertHours(facilityId: string, bookingId: string, hourStarts: string[]): Promise<void> {
    return this.db.insert(
      BookingHour,
      hourStarts.map((hourStart) => ({ facilityId, hourStart, bookingId })),
    );
  }

  /** Gives back hours claimed by a booking that was then refused, in the same unit. */
  async releaseHours(bookingId: string): Promise<void> {
    await this.db.execute(sql`DELETE FROM booking_hour WHERE booking_id = ${bookingId}`);
  }

  async get(id: string): Promise<Booking | undefined> {
    return (await this.db.select(Booking, 'b', sql`WHERE b.id = ${id}`))[0];
  }

  async byRedemption(redemptionId: string): Promise<Booking | undefined> {
    return (await this.db.select(Booking, 'b', sql`WHERE b.redemption_id = ${redemptionId}`))[0];
  }

  /**
   * booked → closed by one guarded update, its hours from `freeFrom` on freed (those used stay booked); false when it
   * was no longer booked.
   */
  async close(id: string, c: BookingClosing, freeFrom: string): Promise<boolean> {
    const changed = await this.db.execute(
      sql`UPDATE booking SET status = ${c.status}, closed_by = ${c.closedBy}, closed_at = ${c.closedAt}, updated_at = ${c.updatedAt},
          late_fee_fen = ${c.lateFeeFen ?? null}, actual_hours = ${c.actualHours ?? null} WHERE id = ${id} AND status = 'booked'`,
    );
    if (changed !== 1) return false;
    await this.db.execute(sql`DELETE FROM booking_hour WHERE booking_id = ${id} AND hour_start >= ${freeFrom}`);
    return true;
  }

  /**
   * The booking of a hold that expired or was cancelled by its voucher's revocation ends with it, in the same unit,
   * and frees its hours; the booking's id when there was a live one.
   */
  async closeWithHold(redemptionId: string, status: BookingStatus, at: string): Promise<string | null> {
    const booking = await this.byRedemption(redemptionId);
    if (!booking) return null;
    return (await this.close(booking.id, { status, closedBy: 'system', closedAt: at, updatedAt: at }, booking.startAt)) ? booking.id : null;
  }

  /** A dispute over a booking's hours settled at `hours`: the booking reads what the bureau found, not what the lab recorded. */
  async resolveUsage(redemptionId: string, hours: number, at: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE booking SET actual_hours = ${hours}, updated_at = ${at} WHERE redemption_id = ${redemptionId} AND status = 'completed'`,
    );
  }

  /** Each facility's booked hours starting in [fromMs, toMs), as instants in ms: one read for a page of facilities. */
  async takenHours(facilityIds: string[], fromMs: number, toMs: number): Promise<Map<string, Set<number>>> {
    const taken = new Map(facilityIds.map((id) => [id, new Set<number>()]));
    if (facilityIds.length === 0) return taken;
    const rows = await this.db.rows<{ facility_id: string; hour_start: string }>(
      sql`SELECT h.facility_id, h.hour_start FROM booking_hour h WHERE h.facility_id IN (${join(facilityIds)})
          AND h.hour_start >= ${stored(fromMs)} AND h.hour_start < ${stored(toMs)}`,
    );
    for (const r of rows) taken.get(r.facility_id)!.add(Date.parse(r.hour_start));
    return taken;
  }

  /** Each facility's hours taken from an hour ago to the end of the bookable month, which its next free slots skip. */
  takenAround(facilityIds: string[], nowMs: number): Promise<Map<string, Set<number>>> {
    return this.takenHours(facilityIds, nowMs - HOUR_MS, nowMs + (MAX_RANGE_DAYS + 1) * DAY_MS);
  }

  async list(
    scope: ListScope,
    q: { facilityId?: string; from?: string; to?: string; limit: number; offset: number },
  ): Promise<Page<Booking>> {
    const where = sql`WHERE 1 = 1${q.facilityId ? sql` AND b.facility_id = ${q.facilityId}` : empty}${
      q.from ? sql` AND b.end_at > ${q.from}` : empty
    }${q.to ? sql` AND b.start_at < ${q.to}` : empty}${scopeCondition(scope, {
      region: 'b.issuing_region_code',
      orgs: ['b.enterprise_id', 'b.provider_id'],
    })}`;
    return this.db.page(Booking, 'b', where, sql`b.start_at, b.id`, q);
  }

  /**
   * An organization's bookings (as enterprise or as provider) its calendar feed shows: live or completed, ending after
   * `from`. Past the limit the nearest to come are kept first, then the latest gone: cancelled and old ones must not
   * crowd out next week's.
   */
  forFeed(organizationId: string, from: string, now: string, limit: number): Promise<Booking[]> {
    const upcoming = sql`b.end_at >= ${now}`;
    return this.db.select(
      Booking,
      'b',
      sql`WHERE (b.enterprise_id = ${organizationId} OR b.provider_id = ${organizationId}) AND b.end_at >= ${from}
          AND b.status IN ('booked', 'completed') AND NOT ${bookingExpired.sql('b', now)}
          ORDER BY CASE WHEN ${upcoming} THEN 0 ELSE 1 END, CASE WHEN ${upcoming} THEN b.start_at END, b.start_at DESC, b.id LIMIT ${limit}`,
    );
  }

  // ---- Qualifications ----

  /** Records a qualification; the primary key refuses a second one (a unique violation the caller answers). */
  qualify(q: FacilityQualification): Promise<void> {
    return this.db.insert(FacilityQualification, [q]);
  }

  // ---- Calendar feeds ----

  /**
   * Makes or replaces the user's feed token (its hash) in one statement: a delete then an insert let two requests at
   * once both find no row and the second insert fail as a duplicate (409 to a user who only asked for a new URL).
   */
  async saveFeed(feed: CalendarFeed): Promise<void> {
    const insert = sql`INSERT INTO calendar_feed (user_id, token_hash, created_at) VALUES (${feed.userId}, ${feed.tokenHash}, ${feed.createdAt})`;
    await this.db.execute(
      this.db.dialect === 'sqlite'
        ? sql`${insert} ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`
        : sql`${insert} ON DUPLICATE KEY UPDATE token_hash = VALUES(token_hash), created_at = VALUES(created_at)`,
    );
  }

  async feedByToken(tokenHash: string): Promise<CalendarFeed | undefined> {
    return (await this.db.select(CalendarFeed, 'f', sql`WHERE f.token_hash = ${tokenHash}`))[0];
  }
}
