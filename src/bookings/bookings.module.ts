import { Module } from '@nestjs/common';
import { RedemptionsModule } from '../redemptions/redemptions.module';
import { BookingsController, CalendarFeedsController, FacilityCalendarsController } from './bookings.controller';
import { BookingsQueries } from './bookings.queries';
import { CalendarFeeds } from './calendar-feeds';
import { CalendarsService } from './calendars.service';
import { BookSlot } from './use-cases/book-slot';
import { CancelBooking, RecordBookingUsage } from './use-cases/close-booking';

/** Instrument booking (issue 15): calendars, availability, bookings carrying their holds, qualifications, iCalendar feeds. */
@Module({
  imports: [RedemptionsModule],
  controllers: [FacilityCalendarsController, BookingsController, CalendarFeedsController],
  providers: [CalendarsService, BookingsQueries, CalendarFeeds, BookSlot, CancelBooking, RecordBookingUsage],
  exports: [CalendarsService, BookSlot],
})
export class BookingsModule {}
