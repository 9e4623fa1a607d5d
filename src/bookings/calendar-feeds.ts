import { Injectable } from '@nestjs/common';
import ical, { escape, ICalEventStatus } from 'ical-generator';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/hash';
import { UserRepository } from '../auth/user.repository';
import { clock, isoPlusDays } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { NamesRepository } from '../organizations/names.repository';
import { BookingRepository } from './booking.repository';

const FEED_SUFFIX = '.ics';
/** Bookings from 90 days back on, at most this many: what a calendar app shows. */
const FEED_LIMIT = 2000;
const FEED_HISTORY_DAYS = 90;

/**
 * Secret iCalendar feeds: one per user, listing the bookings of its organization (as enterprise, or of its facilities
 * as provider). Only the token's hash is stored; making a new one replaces (and so revokes) the old URL.
 */
@Injectable()
export class CalendarFeeds {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly bookings: BookingRepository,
    private readonly users: UserRepository,
    private readonly names: NamesRepository,
  ) {}

  /** A new secret path for the actor's feed (`/api/calendar/<token>.ics`). */
  async make(actor: Actor): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    await this.uow.run(async () => {
      await this.bookings.saveFeed({ userId: actor.userId, tokenHash: sha256(token), createdAt: clock.iso() });
      this.uow.record({
        action: 'calendar.feed_made',
        entityType: 'user',
        entityId: actor.userId,
        regionCode: actor.regionCode,
        organizationId: actor.organizationId,
        summary: {},
      });
    });
    return `/api/calendar/${token}${FEED_SUFFIX}`;
  }

  /** The feed behind a secret file name; an unknown token, or a user since disabled, is 404. */
  async render(file: string): Promise<string> {
    if (!file.endsWith(FEED_SUFFIX)) throw notFound('calendar feed');
    const feed = await this.bookings.feedByToken(sha256(file.slice(0, -FEED_SUFFIX.length)));
    const user = feed ? await this.users.get(feed.userId) : undefined;
    if (!user || user.disabledAt || !user.organizationId) throw notFound('calendar feed');
    const bookings = await this.bookings.forFeed(user.organizationId, isoPlusDays(clock.iso(), -FEED_HISTORY_DAYS), FEED_LIMIT);
    const names = await this.names.of([user.organizationId, ...bookings.flatMap((b) => [b.facilityId, b.enterpriseId])]);
    // ical-generator escapes the events' text but writes the calendar's name (NAME, X-WR-CALNAME) as given: escaped
    // here as RFC 5545 TEXT with its own escape(), or a name holding CRLF (stored before they were refused) would write
    // lines of its own, and `,` `;` `\` would make the property invalid.
    const name = escape(`${names.get(user.organizationId) ?? ''} 仪器预约`.trim(), false);
    const calendar = ical({ name, prodId: '//yrd-vouchers//booking//ZH' });
    for (const b of bookings) {
      if (b.status === 'cancelled' || b.status === 'expired') continue;
      const facility = names.get(b.facilityId) ?? b.facilityId;
      calendar.createEvent({
        id: `${b.id}@booking`,
        start: new Date(b.startAt),
        end: new Date(b.endAt),
        summary: b.providerId === user.organizationId ? `${facility} · ${names.get(b.enterpriseId) ?? b.enterpriseId}` : facility,
        description: `booking ${b.id}: ${b.hours} h, ${b.status}`,
        status: ICalEventStatus.CONFIRMED,
      });
    }
    return calendar.toString();
  }
}
