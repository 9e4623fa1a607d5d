import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Put, Query, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor, PersonalAccount, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { IdPipe } from '../common/http/id.pipe';
import { IgnoresIdempotencyKey } from '../common/idempotency/idempotency.interceptor';
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
import { ApiBodyExample, ApiFileResponse, Explained, NO_MONEY, READ_ONLY } from '../common/http/explained';
import { appConfig, AppConfig } from '../config/configuration';

const view = ({ booking, redemption }: BookingResult) => BookingView.of(booking, clock.iso(), RedemptionView.of(redemption));

@ApiTags('bookings')
@Controller('facilities')
export class FacilityCalendarsController {
  constructor(private readonly calendars: CalendarsService) {}

  @Put(':id/calendar')
  @Explained({
    summary: 'Set the booking calendar of one of your hourly facilities',
    who: 'A provider user, for its own facilities; another provider’s facility is 404.',
    changes: 'Replaces the facility’s calendar; bookings keep the cancellation terms they were made under.',
    money: NO_MONEY,
    details:
      'Opening hours per weekday (Asia/Shanghai, whole hours), closures, minimum notice, maximum advance, free-cancellation window, late-cancellation fee, whether users must be qualified, and the most hours one enterprise, and the enterprises under one actual controller together, may have booked and not yet over (maxLiveHoursPerEnterprise, 168 when left out). A calendar that would shut hours already booked, or a first calendar beside open holds ordered without a booking (POST /api/redemptions), is 409 INVALID_STATE naming them.',
  })
  @ApiBodyExample(CalendarInput, {
    openingHours: [
      { weekday: 1, from: '09:00', to: '18:00' },
      { weekday: 3, from: '09:00', to: '18:00' },
    ],
    closures: [{ from: '2026-12-24T00:00:00+08:00', to: '2026-12-26T00:00:00+08:00', reason: '年度维护' }],
    minNoticeHours: 24,
    maxAdvanceDays: 60,
    freeCancellationHours: 24,
    lateCancellationFeeBp: 5000,
    requiresQualification: false,
  })
  @Authenticated('provider')
  @ApiOkResponse({ type: CalendarView })
  @Refuses(CalendarsService.setRefusals)
  async set(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('facility')) id: string,
    @Body() body: CalendarInput,
  ): Promise<CalendarView> {
    return unwrap(await this.calendars.set(actor, id, body));
  }

  @Get(':id/calendar')
  @Explained({
    summary: 'The booking calendar of a facility',
    who: 'Anyone, without a token.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: '404 when the facility has no calendar.',
  })
  @Public()
  @ApiOkResponse({ type: CalendarView })
  calendar(@Param('id', new IdPipe('facility')) id: string): Promise<CalendarView> {
    return this.calendars.get(id);
  }

  @Get(':id/availability')
  @Explained({
    summary: 'One-hour slots of a facility from one day to another (at most 31 days)',
    who: 'Anyone, without a token.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Slots inside opening hours and outside closures, instants with the +08:00 offset; `free` when bookable now.',
  })
  @Public()
  @ApiOkResponse({ type: AvailabilityView })
  availability(@Param('id', new IdPipe('facility')) id: string, @Query() q: AvailabilityQuery): Promise<AvailabilityView> {
    return this.calendars.availability(id, q);
  }

  @Post(':id/qualified')
  @Explained({
    summary: 'Record an enterprise as qualified (trained) to operate one of your facilities',
    who: 'A provider user, for its own facilities.',
    changes: 'Records the qualification: a facility whose calendar requires it accepts bookings only from qualified enterprises.',
    money: NO_MONEY,
  })
  @ApiBodyExample(QualificationInput, { enterpriseId: 'c41f8a27-5d9e-4b30-a6c1-0e8f2d7b9a54' })
  @Authenticated('provider')
  @ApiCreatedResponse({ type: QualificationView })
  @Refuses(CalendarsService.qualifyRefusals)
  async qualify(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('facility')) id: string,
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
  @Explained({
    summary: 'Book whole hours of a facility: places the redemption hold for those hours',
    who: 'An enterprise user, on a voucher (创新券) of its own.',
    changes: 'Creates the booking, its hour rows and its redemption (a hold), as POST /api/redemptions with quantity = hours.',
    money: 'The subsidy for the hours moves on the voucher from available to held.',
    details:
      'An hour held by another live booking is 409 SLOT_TAKEN; of concurrent requests for one slot exactly one wins. One enterprise’s hours booked on a facility and not yet over, and those of the enterprises under one actual controller together, stay within its calendar’s maxLiveHoursPerEnterprise (168 by default): 422 LIMIT_REACHED beyond, also when their requests race.',
  })
  @ApiBodyExample(BookingInput, {
    facilityId: '7b2e9d40-1c3a-4f6b-8e25-94d0c7a1b3e2',
    voucherId: '3f6c1a52-8e4b-4c1e-9a57-2b0d6f1e8a11',
    start: '2026-12-01T10:00:00+08:00',
    end: '2026-12-01T12:00:00+08:00',
    mode: 'provider_redeemed',
  })
  @Authenticated('enterprise')
  @ApiCreatedResponse({ type: BookingView })
  @Refuses(BookSlot)
  async book(@CurrentActor() actor: Actor, @Body() body: BookingInput): Promise<BookingView> {
    return view(unwrap(await this.bookSlot.execute({ actor, ...body })));
  }

  @Get()
  @Explained({
    summary: 'Bookings of the caller’s organization, of a bureau’s issuing region, or all',
    who: 'Any signed-in user: an enterprise or provider its own, a bureau those of its issuing region, the platform all.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Optionally of one facility, and overlapping the days from `from` to `to` (Asia/Shanghai); earliest first.',
  })
  @Authenticated()
  @ApiOkResponse({ type: BookingPage })
  list(@CurrentActor() actor: Actor, @Query() q: BookingQuery): Promise<BookingPage> {
    return this.queries.list(actor, q);
  }

  @Get(':id')
  @Explained({
    summary: 'One booking; one whose hold expired reads as expired',
    who: 'Its enterprise and provider, the bureau of its issuing region and the platform; anyone else gets 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: BookingView })
  get(@CurrentActor() actor: Actor, @Param('id', new IdPipe('booking')) id: string): Promise<BookingView> {
    return this.queries.get(actor, id);
  }

  @Post(':id/cancel')
  @Explained({
    summary: 'Call off a booking: the hold is released, the hours freed',
    who: 'The booking’s enterprise, until its start (then 409 INVALID_STATE: the provider records the hours used), or its provider.',
    changes: 'Cancels the booking and its hold and frees its hours; records a late fee when the enterprise cancels late.',
    money:
      'The held subsidy goes back to the voucher (or to the issuing budget if the voucher has closed meanwhile). A late fee, floor(feeFen × lateCancellationFeeBp / 10000), is owed to the provider outside the voucher; none to a lab suspended or sanctioned, which cannot serve the hours.',
  })
  @HttpCode(200)
  @Authenticated('enterprise', 'provider')
  @ApiOkResponse({ type: BookingView })
  @Refuses(CancelBooking)
  async cancel(@CurrentActor() actor: Actor, @Param('id', new IdPipe('booking')) id: string): Promise<BookingView> {
    return view(unwrap(await this.cancelBooking.execute({ actor, bookingId: id })));
  }

  @Post(':id/usage')
  @Explained({
    summary: 'Record the hours used (≤ booked): the hold is captured on them; 0 is a no-show',
    who: 'The provider of the booked facility.',
    changes:
      'Records usage on the booking and captures its redemption; a no-show releases the hold, frees the hours and records the late fee.',
    money:
      'The subsidy of the hours used moves from held to spent (captured); the rest of the hold goes back to the voucher (or the budget).',
  })
  @HttpCode(200)
  @Authenticated('provider')
  @ApiOkResponse({ type: BookingView })
  @Refuses(RecordBookingUsage)
  async usage(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('booking')) id: string,
    @Body() body: UsageInput,
  ): Promise<BookingView> {
    return view(unwrap(await this.recordUsage.execute({ actor, bookingId: id, actualHours: body.actualHours })));
  }
}

@ApiTags('bookings')
@Controller('calendar')
export class CalendarFeedsController {
  constructor(
    private readonly feeds: CalendarFeeds,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  @Post('feed')
  @Explained({
    summary: 'Make (or replace) your secret iCalendar feed URL',
    who: 'An enterprise or provider user, signed in as a person: the feed is the user’s own, so an API key is 403.',
    changes: 'Stores a new feed token for the caller’s organization; a new URL revokes the old one, and so does a password change.',
    money: NO_MONEY,
    details:
      'An enterprise’s feed lists its bookings; a provider’s the bookings of its facilities. An Idempotency-Key is ignored: the URL is the credential, never stored to be replayed; a retry makes a new URL.',
  })
  @Authenticated('enterprise', 'provider')
  @PersonalAccount()
  @IgnoresIdempotencyKey()
  @ApiCreatedResponse({ type: FeedView })
  async make(@CurrentActor() actor: Actor): Promise<FeedView> {
    // The service's public address, not the request's Host header, which the caller (or a proxy) sets.
    return { url: `${this.config.publicBaseUrl}${await this.feeds.make(actor)}` };
  }

  @Get(':feed')
  @Explained({
    summary: 'An iCalendar feed (RFC 5545) by its secret file name (<token>.ics)',
    who: 'Anyone holding the secret URL: the token is the credential; an unknown token is 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Public()
  @ApiProduces('text/calendar')
  @ApiFileResponse('the bookings as iCalendar events (RFC 5545)', 'text/calendar')
  @Header('Content-Type', 'text/calendar; charset=utf-8')
  // a bookings list behind a secret, like any authenticated document: never kept by a browser or a proxy
  @Header('Cache-Control', 'no-store')
  async feed(@Param('feed') feed: string): Promise<StreamableFile> {
    return new StreamableFile(Buffer.from(await this.feeds.render(feed), 'utf8'), { type: 'text/calendar; charset=utf-8' });
  }
}
