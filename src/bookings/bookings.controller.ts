import { Body, Controller, Get, Header, HttpCode, Param, Post, Put, Query, Req, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, CurrentActor, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { IdPipe } from '../common/http/id.pipe';
import { unwrap } from '../common/use-case';
import { RedemptionView } from '../redemptions/redemption.dto';
import {
  AvailabilityQuery,
  AvailabilityView,
  BookingInput,
  BookingPage,
  BookingQuery,
  BookingView,
  CalendarInput,
  CalendarView,
  FeedView,
  QualificationInput,
  QualificationView,
  UsageInput,
} from './booking.dto';
import { BookingsQueries } from './bookings.queries';
import { CalendarFeeds } from './calendar-feeds';
import { CalendarsService } from './calendars.service';
import { BookSlot } from './use-cases/book-slot';
import { BookingResult, CancelBooking, RecordBookingUsage } from './use-cases/close-booking';
import { clock } from '../common/clock';

const view = ({ booking, redemption }: BookingResult) => BookingView.of(booking, clock.iso(), RedemptionView.of(redemption));

@ApiTags('bookings')
@Controller('facilities')
export class FacilityCalendarsController {
  constructor(private readonly calendars: CalendarsService) {}

  @Put(':id/calendar')
  @Authenticated('provider')
  @ApiOperation({
    summary: 'Set the booking calendar of one of your hourly facilities',
    description:
      'Opening hours per weekday (Asia/Shanghai, whole hours), closures, minimum notice, maximum advance, free-cancellation window, late-cancellation fee and whether users must be qualified. Replaces the previous calendar; bookings keep the cancellation terms they were made under.',
  })
  @ApiOkResponse({ type: CalendarView })
  @Refuses(CalendarsService.setRefusals)
  async set(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: CalendarInput): Promise<CalendarView> {
    return unwrap(await this.calendars.set(actor, id, body));
  }

  @Get(':id/calendar')
  @Public()
  @ApiOperation({ summary: 'The booking calendar of a facility', description: 'Public; 404 when the facility has none.' })
  @ApiOkResponse({ type: CalendarView })
  calendar(@Param('id', IdPipe) id: string): Promise<CalendarView> {
    return this.calendars.get(id);
  }

  @Get(':id/availability')
  @Public()
  @ApiOperation({
    summary: 'One-hour slots of a facility from one day to another (at most 31 days)',
    description: 'Slots inside opening hours and outside closures, instants with the +08:00 offset; free when bookable now.',
  })
  @ApiOkResponse({ type: AvailabilityView })
  availability(@Param('id', IdPipe) id: string, @Query() q: AvailabilityQuery): Promise<AvailabilityView> {
    return this.calendars.availability(id, q);
  }

  @Post(':id/qualified')
  @Authenticated('provider')
  @ApiOperation({
    summary: 'Record an enterprise as qualified (trained) to operate one of your facilities',
    description: 'A facility whose calendar requires qualification accepts bookings only from qualified enterprises.',
  })
  @ApiCreatedResponse({ type: QualificationView })
  @Refuses(CalendarsService.qualifyRefusals)
  async qualify(
    @CurrentActor() actor: Actor,
    @Param('id', IdPipe) id: string,
    @Body() body: QualificationInput,
  ): Promise<QualificationView> {
    return unwrap(await this.calendars.qualify(actor, id, body.enterpriseId));
  }
}

@ApiTags('bookings')
@Controller('bookings')
export class BookingsController {
  constructor(
    private readonly bookSlot: BookSlot,
    private readonly cancelBooking: CancelBooking,
    private readonly recordUsage: RecordBookingUsage,
    private readonly queries: BookingsQueries,
  ) {}

  @Post()
  @Authenticated('enterprise')
  @ApiOperation({
    summary: 'Book whole hours of a facility: places the redemption hold for those hours',
    description:
      'Priced and refused exactly as POST /api/redemptions with quantity = hours (the same use case). An hour held by another live booking is 409 SLOT_TAKEN; of concurrent requests for one slot exactly one wins.',
  })
  @ApiCreatedResponse({ type: BookingView })
  @Refuses(BookSlot)
  async book(@CurrentActor() actor: Actor, @Body() body: BookingInput): Promise<BookingView> {
    return view(unwrap(await this.bookSlot.execute({ actor, ...body })));
  }

  @Get()
  @Authenticated()
  @ApiOperation({
    summary: 'Bookings of the caller’s organization (as enterprise or provider), of a bureau’s issuing region, or all for the platform',
    description: 'Optionally of one facility, and overlapping the days from `from` to `to` (Asia/Shanghai); earliest first.',
  })
  @ApiOkResponse({ type: BookingPage })
  list(@CurrentActor() actor: Actor, @Query() q: BookingQuery): Promise<BookingPage> {
    return this.queries.list(actor, q);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({
    summary: 'One booking; one whose hold expired reads as expired',
    description: 'To its enterprise and provider, the bureau of its issuing region and the platform; 404 to anyone else.',
  })
  @ApiOkResponse({ type: BookingView })
  get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<BookingView> {
    return this.queries.get(actor, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Authenticated('enterprise', 'provider')
  @ApiOperation({
    summary: 'Call off a booking (the enterprise or the provider): the hold is released, the hours freed',
    description:
      'The enterprise cancelling later than freeCancellationHours before the start owes lateFeeFen = floor(feeFen × lateCancellationFeeBp / 10000) to the provider, outside the voucher.',
  })
  @ApiOkResponse({ type: BookingView })
  @Refuses(CancelBooking)
  async cancel(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<BookingView> {
    return view(unwrap(await this.cancelBooking.execute({ actor, bookingId: id })));
  }

  @Post(':id/usage')
  @HttpCode(200)
  @Authenticated('provider')
  @ApiOperation({
    summary: 'Record the hours used (≤ booked): the hold is captured on them; 0 is a no-show',
    description: 'A no-show releases the hold, frees the hours and records the late fee, owed outside the voucher.',
  })
  @ApiOkResponse({ type: BookingView })
  @Refuses(RecordBookingUsage)
  async usage(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: UsageInput): Promise<BookingView> {
    return view(unwrap(await this.recordUsage.execute({ actor, bookingId: id, actualHours: body.actualHours })));
  }
}

@ApiTags('bookings')
@Controller('calendar')
export class CalendarFeedsController {
  constructor(private readonly feeds: CalendarFeeds) {}

  @Post('feed')
  @Authenticated('enterprise', 'provider')
  @ApiOperation({
    summary: 'Make (or replace) your secret iCalendar feed URL',
    description: 'An enterprise’s feed lists its bookings; a provider’s the bookings of its facilities. A new URL revokes the old one.',
  })
  @ApiCreatedResponse({ type: FeedView })
  async make(@CurrentActor() actor: Actor, @Req() req: Request): Promise<FeedView> {
    return { url: `${req.protocol}://${req.get('host') ?? 'localhost'}${await this.feeds.make(actor)}` };
  }

  @Get(':feed')
  @Public()
  @ApiProduces('text/calendar')
  @ApiOperation({
    summary: 'An iCalendar feed by its secret file name (<token>.ics)',
    description: 'The token is the credential; unknown is 404.',
  })
  @ApiOkResponse({ description: 'text/calendar (RFC 5545)' })
  @Header('Content-Type', 'text/calendar; charset=utf-8')
  async feed(@Param('feed') feed: string): Promise<StreamableFile> {
    return new StreamableFile(Buffer.from(await this.feeds.render(feed), 'utf8'), { type: 'text/calendar; charset=utf-8' });
  }
}
