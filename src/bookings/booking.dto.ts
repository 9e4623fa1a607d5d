import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate, isRealDate, IsOmittable } from '../common/http/validators';
import { PageQuery } from '../common/http/paging';
import { OneLine } from '../common/http/text';
import { REDEMPTION_MODES, RedemptionMode } from '../policies/policy.types';
import { RedemptionView } from '../redemptions/redemption.dto';
import type { Booking, BookingStatus, FacilityCalendar } from './booking.entity';
import { DEFAULT_LIVE_HOURS_PER_ENTERPRISE, shown } from './booking.rules';
import { effectiveBookingStatus } from './booking.time-rules';

const WHOLE_HOUR = /^([01]\d|2[0-4]):00$/;
/**
 * A date or instant as ISO 8601 writes it, in the years 2000–2100, with an offset the world uses (at most ±14:00):
 * Luxon read `+99:99` as a shift of four days, and `0000-01-01` as a closure from year 0.
 */
const INSTANT_TEXT = /^(20\d\d|2100)-\d{2}-\d{2}(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?(Z|[+-](0\d|1[0-4]):[0-5]\d)?)?$/;
export const IsInstantText = () =>
  ValidateBy({
    name: 'isInstantText',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && INSTANT_TEXT.test(value) && isRealDate(value.slice(0, 10)),
      defaultMessage: (a) => `${a?.property} must be an ISO 8601 date or instant in 2000–2100, with an offset of at most ±14:00`,
    },
  });
export const BOOKING_STATUSES: BookingStatus[] = ['booked', 'cancelled', 'completed', 'expired'];

export class OpeningHoursInput {
  @ApiProperty({ minimum: 1, maximum: 7, example: 1, description: '1 = Monday … 7 = Sunday (ISO 8601)' })
  @IsInt()
  @Min(1)
  @Max(7)
  weekday: number;
  @ApiProperty({ example: '09:00', description: 'a whole hour, Asia/Shanghai' })
  @Matches(WHOLE_HOUR, { message: '$property must be a whole hour HH:00', context: { catalogue: 'wholeHour' } })
  from: string;
  @ApiProperty({ example: '18:00', description: 'a whole hour after `from` (24:00 for midnight), exclusive' })
  @Matches(WHOLE_HOUR, { message: '$property must be a whole hour HH:00', context: { catalogue: 'wholeHour' } })
  to: string;
}

export class ClosureInput {
  @ApiProperty({ example: '2026-12-24T00:00:00+08:00', description: 'ISO 8601; without an offset, Asia/Shanghai' })
  @IsInstantText()
  from: string;
  @ApiProperty({ example: '2026-12-26T00:00:00+08:00', description: 'exclusive' })
  @IsInstantText()
  to: string;
  @ApiProperty({ example: '年度维护', maxLength: 200 }) @IsString() @Length(1, 200) @OneLine() reason: string;
}

export class CalendarInput {
  @ApiProperty({ type: [OpeningHoursInput] })
  @IsArray()
  @ArrayMaxSize(70)
  @IsObject({ each: true, message: 'openingHours must be objects {weekday, from, to}' })
  @ValidateNested({ each: true })
  @Type(() => OpeningHoursInput)
  openingHours: OpeningHoursInput[];
  @ApiPropertyOptional({ type: [ClosureInput] })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(500)
  @IsObject({ each: true, message: 'closures must be objects {from, to, reason}' })
  @ValidateNested({ each: true })
  @Type(() => ClosureInput)
  closures?: ClosureInput[];
  @ApiProperty({ example: 24, minimum: 0, maximum: 8760, description: 'less than maxAdvanceDays × 24, or nothing could be booked' })
  @IsInt()
  @Min(0)
  @Max(8760)
  minNoticeHours: number;
  @ApiProperty({ example: 60, minimum: 1, maximum: 366 }) @IsInt() @Min(1) @Max(366) maxAdvanceDays: number;
  @ApiProperty({ example: 24, minimum: 0, maximum: 8760 }) @IsInt() @Min(0) @Max(8760) freeCancellationHours: number;
  @ApiProperty({ example: 5000, minimum: 0, maximum: 10000, description: 'of the booking’s fee, owed outside the voucher' })
  @IsInt()
  @Min(0)
  @Max(10000)
  lateCancellationFeeBp: number;
  @ApiProperty({ example: false }) @IsBoolean() requiresQualification: boolean;
  @ApiPropertyOptional({
    example: DEFAULT_LIVE_HOURS_PER_ENTERPRISE,
    minimum: 1,
    maximum: 8784,
    default: DEFAULT_LIVE_HOURS_PER_ENTERPRISE,
    description:
      'the most hours one enterprise may have booked on the facility and not yet over, and the enterprises under one actual controller together (422 LIMIT_REACHED beyond); left out, the facility keeps its cap (168 for a new calendar)',
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(8784)
  maxLiveHoursPerEnterprise?: number;
}

export class CalendarView {
  @ApiProperty() facilityId: string;
  @ApiProperty({ type: [OpeningHoursInput] }) openingHours: OpeningHoursInput[];
  @ApiProperty({ type: [ClosureInput] }) closures: ClosureInput[];
  @ApiProperty() minNoticeHours: number;
  @ApiProperty() maxAdvanceDays: number;
  @ApiProperty() freeCancellationHours: number;
  @ApiProperty() lateCancellationFeeBp: number;
  @ApiProperty() requiresQualification: boolean;
  @ApiProperty() maxLiveHoursPerEnterprise: number;
  @ApiProperty() updatedAt: string;

  static of(c: FacilityCalendar): CalendarView {
    return {
      facilityId: c.facilityId,
      openingHours: c.openingHours,
      closures: c.closures.map((x) => ({ from: shown(x.from), to: shown(x.to), reason: x.reason })),
      minNoticeHours: c.minNoticeHours,
      maxAdvanceDays: c.maxAdvanceDays,
      freeCancellationHours: c.freeCancellationHours,
      lateCancellationFeeBp: c.lateCancellationFeeBp,
      requiresQualification: c.requiresQualification,
      maxLiveHoursPerEnterprise: c.maxLiveHoursPerEnterprise,
      updatedAt: c.updatedAt,
    };
  }
}

export class AvailabilityQuery {
  @ApiProperty({ example: '2026-12-01', description: 'first day (Asia/Shanghai)' }) @IsCalendarDate() from: string;
  @ApiProperty({ example: '2026-12-31', description: 'last day, inclusive; at most 31 days in all' }) @IsCalendarDate() to: string;
}

export class SlotView {
  @ApiProperty({ example: '2026-12-01T09:00:00+08:00' }) start: string;
  @ApiProperty({ example: '2026-12-01T10:00:00+08:00' }) end: string;
  @ApiProperty({
    description:
      'nobody holds it, the notice and advance rules let it be booked now, and the facility takes bookings (not retired, its provider neither suspended nor sanctioned)',
  })
  free: boolean;
}

export class AvailabilityView {
  @ApiProperty({ type: [SlotView], description: 'one-hour slots inside opening hours, outside closures' }) slots: SlotView[];
}

export class BookingInput {
  @ApiProperty() @IsUUID() facilityId: string;
  @ApiProperty({ description: 'a voucher of the calling enterprise' }) @IsUUID() voucherId: string;
  @ApiProperty({ example: '2026-12-01T10:00:00+08:00', description: 'on the hour; ISO 8601, without an offset Asia/Shanghai' })
  @IsString()
  @IsInstantText()
  start: string;
  @ApiProperty({ example: '2026-12-01T12:00:00+08:00', description: 'on the hour, after start' })
  @IsString()
  @IsInstantText()
  end: string;
  @ApiPropertyOptional({ enum: REDEMPTION_MODES }) @IsOmittable() @IsIn(REDEMPTION_MODES) mode?: RedemptionMode;
}

export class UsageInput {
  @ApiProperty({ example: 2, minimum: 0, description: 'hours used, at most those booked; 0 is a no-show (hold released, late fee)' })
  @IsInt()
  @Min(0)
  @Max(10_000)
  actualHours: number;
}

export class QualificationInput {
  @ApiProperty({ description: 'the enterprise trained to operate the facility' }) @IsUUID() enterpriseId: string;
}

export class QualificationView {
  @ApiProperty() facilityId: string;
  @ApiProperty() enterpriseId: string;
  @ApiProperty() createdAt: string;
}

export class BookingQuery extends PageQuery {
  @ApiPropertyOptional() @IsOmittable() @IsUUID() facilityId?: string;
  @ApiPropertyOptional({ example: '2026-12-01', description: 'bookings ending after this day starts (Asia/Shanghai)' })
  @IsOmittable()
  @IsCalendarDate()
  from?: string;
  @ApiPropertyOptional({ example: '2026-12-31', description: 'bookings starting before this day ends (Asia/Shanghai)' })
  @IsOmittable()
  @IsCalendarDate()
  to?: string;
}

export class BookingView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: BOOKING_STATUSES, description: 'a booking whose hold expired reads as expired' }) status: BookingStatus;
  @ApiProperty() facilityId: string;
  @ApiProperty() enterpriseId: string;
  @ApiProperty() providerId: string;
  @ApiProperty() voucherId: string;
  @ApiProperty() redemptionId: string;
  @ApiProperty({ example: '2026-12-01T10:00:00+08:00' }) start: string;
  @ApiProperty({ example: '2026-12-01T12:00:00+08:00' }) end: string;
  @ApiProperty() hours: number;
  @ApiProperty({ description: 'unit price × hours: the fee of the hold' }) feeFen: number;
  @ApiProperty() freeCancellationHours: number;
  @ApiProperty() lateCancellationFeeBp: number;
  @ApiPropertyOptional({
    description: 'owed by the enterprise to the provider after a late cancellation or a no-show; never from the voucher',
  })
  lateFeeFen?: number;
  @ApiPropertyOptional() actualHours?: number;
  @ApiPropertyOptional({ description: 'enterprise, provider or system' }) closedBy?: string;
  @ApiPropertyOptional() closedAt?: string;
  @ApiProperty({ description: 'not completed by then, it expires with its hold' }) expiresAt: string;
  @ApiPropertyOptional({ type: RedemptionView, description: 'the hold, in answers to POSTs' }) redemption?: RedemptionView;
  @ApiProperty() createdAt: string;

  static of(b: Booking, now: string, redemption?: RedemptionView): BookingView {
    const optional = { lateFeeFen: b.lateFeeFen, actualHours: b.actualHours, closedBy: b.closedBy, closedAt: b.closedAt, redemption };
    return {
      id: b.id,
      status: effectiveBookingStatus(b, now),
      facilityId: b.facilityId,
      enterpriseId: b.enterpriseId,
      providerId: b.providerId,
      voucherId: b.voucherId,
      redemptionId: b.redemptionId,
      start: shown(b.startAt),
      end: shown(b.endAt),
      hours: b.hours,
      feeFen: b.feeFen,
      freeCancellationHours: b.freeCancellationHours,
      lateCancellationFeeBp: b.lateCancellationFeeBp,
      expiresAt: b.expiresAt,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== null && v !== undefined)),
      createdAt: b.createdAt,
    };
  }
}

export class BookingPage {
  @ApiProperty({ type: [BookingView] }) items: BookingView[];
  @ApiProperty() total: number;
}

export class FeedView {
  @ApiProperty({ example: 'https://vouchers.example.cn/api/calendar/3q2+7w….ics', description: 'secret: whoever has it reads the feed' })
  url: string;
}
