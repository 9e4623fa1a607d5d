import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { FenColumn, InstantColumn, IntColumn, JsonColumn, RefColumn, StrColumn } from '../common/persistence/columns';
import { Facility } from '../facilities/facility.entity';
import { Organization } from '../organizations/organization.entity';
import { Redemption } from '../redemptions/redemption.entity';

/** Opening hours of one weekday (1 = Monday … 7 = Sunday), Asia/Shanghai wall-clock, whole hours, `to` exclusive. */
export interface OpeningHours {
  weekday: number;
  from: string;
  to: string;
}

/** A closure: no slot starting in [from, to) is offered (instants). */
export interface Closure {
  from: string;
  to: string;
  reason: string;
}

/** A facility's booking terms, kept by its provider. */
@Entity('facility_calendar')
@Check(
  'chk_facility_calendar_terms',
  'min_notice_hours >= 0 AND max_advance_days >= 1 AND free_cancellation_hours >= 0 AND late_cancellation_fee_bp BETWEEN 0 AND 10000',
)
export class FacilityCalendar {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  @ForeignKey(() => Facility, { name: 'fk_facility_calendar_facility' })
  facilityId: string;
  @JsonColumn() openingHours: OpeningHours[];
  @JsonColumn() closures: Closure[];
  @IntColumn() minNoticeHours: number;
  @IntColumn() maxAdvanceDays: number;
  @IntColumn() freeCancellationHours: number;
  @IntColumn() lateCancellationFeeBp: number;
  @Column({ type: 'boolean' }) requiresQualification: boolean;
  /** The most hours one enterprise may have booked on the facility and not yet over (DEFAULT_LIVE_HOURS_PER_ENTERPRISE). */
  @IntColumn({ default: 168 }) maxLiveHoursPerEnterprise: number;
  @InstantColumn() updatedAt: string;
}

export type BookingStatus = 'booked' | 'cancelled' | 'completed' | 'expired';

/**
 * Whole hours of a facility, held on a voucher by its redemption (quote = hold = booking). The cancellation terms in
 * force when it was booked stay on it. A late fee is owed by the enterprise to the provider outside the voucher.
 */
@Entity('booking')
@Check(
  'chk_booking_amounts',
  'hours > 0 AND fee_fen >= 0 AND (late_fee_fen IS NULL OR late_fee_fen >= 0) AND (actual_hours IS NULL OR actual_hours BETWEEN 0 AND hours)',
)
@Index(['redemptionId'], { unique: true })
@Index(['facilityId', 'startAt'])
@Index(['enterpriseId', 'startAt'])
@Index(['providerId', 'startAt'])
export class Booking {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() @ForeignKey(() => Facility, { name: 'fk_booking_facility' }) facilityId: string;
  @RefColumn() providerId: string;
  @RefColumn() enterpriseId: string;
  @RefColumn() voucherId: string;
  @RefColumn() @ForeignKey(() => Redemption, { name: 'fk_booking_redemption' }) redemptionId: string;
  @StrColumn(6) issuingRegionCode: string;
  @InstantColumn() startAt: string;
  @InstantColumn() endAt: string;
  @IntColumn() hours: number;
  @StrColumn(16) status: BookingStatus;
  @FenColumn() feeFen: number;
  @IntColumn() freeCancellationHours: number;
  @IntColumn() lateCancellationFeeBp: number;
  /** Its hold's expiry (end + the policy's holdExpiryDays): not completed by then, it expires with the hold. */
  @InstantColumn() expiresAt: string;
  @FenColumn({ nullable: true }) lateFeeFen: number | null;
  @IntColumn({ nullable: true }) actualHours: number | null;
  /** Who closed it: enterprise or provider (cancellation, usage), or system (expiry, revocation). */
  @StrColumn(16, { nullable: true }) closedBy: string | null;
  @InstantColumn({ nullable: true }) closedAt: string | null;
  @InstantColumn() createdAt: string;
  @InstantColumn() updatedAt: string;
}

/** One booked facility-hour. Its primary key is what makes two live bookings of one hour impossible. */
@Entity('booking_hour')
@Index(['bookingId'])
export class BookingHour {
  @PrimaryColumn({ type: 'varchar', length: 36 }) facilityId: string;
  @PrimaryColumn({ type: 'varchar', length: 24 }) hourStart: string;
  /** No foreign key: the hours are claimed first in the booking's unit, before the booking row exists. */
  @RefColumn() bookingId: string;
}

/** An enterprise the provider trained to operate a facility that requires it. */
@Entity('facility_qualification')
export class FacilityQualification {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  @ForeignKey(() => Facility, { name: 'fk_facility_qualification_facility' })
  facilityId: string;
  @PrimaryColumn({ type: 'varchar', length: 36 })
  @ForeignKey(() => Organization, { name: 'fk_facility_qualification_enterprise' })
  enterpriseId: string;
  @RefColumn() recordedBy: string;
  @InstantColumn() createdAt: string;
}

/** A user's secret iCalendar feed: only the token's SHA-256 is stored. */
@Entity('calendar_feed')
@Index(['tokenHash'], { unique: true })
export class CalendarFeed {
  @PrimaryColumn({ type: 'varchar', length: 36 }) userId: string;
  @StrColumn(64) tokenHash: string;
  @InstantColumn() createdAt: string;
}
