import { raw, sql } from '../common/persistence/sql';
import type { TimeRule } from '../common/time/time-rule';
import type { Booking, BookingStatus } from './booking.entity';

/** A live booking whose hold expired (its end plus the policy's hold expiry): expired, whether or not the sweep has run. */
export const bookingExpired: TimeRule<Pick<Booking, 'status' | 'expiresAt'>> = {
  holds: (b, now) => b.status === 'booked' && b.expiresAt <= now,
  sql: (alias, now) => sql`(${raw(alias)}.status = 'booked' AND ${raw(alias)}.expires_at <= ${now})`,
};

/** The status a reader sees: a booking whose hold expired reads as expired before the sweep writes it. */
export const effectiveBookingStatus = (b: Pick<Booking, 'status' | 'expiresAt'>, now: string): BookingStatus =>
  bookingExpired.holds(b, now) ? 'expired' : b.status;
