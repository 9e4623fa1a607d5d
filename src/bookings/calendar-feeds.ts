import { Inject, Injectable } from '@nestjs/common';
import ical, { escape, ICalEventStatus } from 'ical-generator';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/hash';
import { SessionRepository } from '../auth/session.repository';
import { UserRepository } from '../auth/user.repository';
import { clock, isoPlusDays, securityClock } from '../common/clock';
import { appConfig, AppConfig } from '../config/configuration';
import { Actor } from '../common/context/request-context';
import { catalogued, notFound } from '../common/errors/domain-error';
import { formatYuan } from '../documents/chinese-amount';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { NamesRepository } from '../organizations/names.repository';
import { OrganizationRepository } from '../organizations/organization.repository';
import { provinceOfRegion, regionName } from '../regions/regions.data';
import { VoucherRepository } from '../vouchers/voucher.repository';
import type { BookingStatus } from './booking.entity';
import { BookingRepository } from './booking.repository';
import { usedEnd } from './booking.rules';

const FEED_SUFFIX = '.ics';
/** Bookings from 90 days back on (at most CALENDAR_FEED_MAX_EVENTS): what a calendar app shows. */
const FEED_HISTORY_DAYS = 90;
/** What a booking's status reads as in the feed (cancelled and expired ones are left out of it). */
const STATUS_ZH: Record<BookingStatus, string> = { booked: '已预约', completed: '已完成', cancelled: '已取消', expired: '已过期' };

/**
 * A booking's status and hours as the feed reads them. A no-show is recorded `completed` with 0 hours: it reads as
 * 未到场, with the late fee it owes the lab (never paid from the voucher), not as 已完成 with 0 hours used.
 */
const hoursAndStatus = (b: { status: BookingStatus; hours: number; actualHours: number | null; lateFeeFen: number | null }): string[] => {
  if (b.status === 'completed' && b.actualHours === 0) {
    const fee = b.lateFeeFen ? [`未到场违约金 ${formatYuan(b.lateFeeFen)}（由企业向服务机构支付，不从创新券扣除）`] : [];
    return [`时长 ${b.hours} 小时`, '状态：未到场', ...fee];
  }
  const used = b.status === 'completed' && b.actualHours !== null && b.actualHours < b.hours ? `（实际使用 ${b.actualHours} 小时）` : '';
  return [`时长 ${b.hours} 小时${used}`, `状态：${STATUS_ZH[b.status]}`];
};

/** Where the lab is: its address when its profile gives one, else its city: 上海电镜测试中心，上海市张江路 100 号. */
const locationOf = (provider: { name: string; regionCode: string; address: string | null } | undefined, fallback: string): string => {
  if (!provider) return fallback;
  if (provider.address) return `${provider.name}，${provider.address}`;
  const province = provinceOfRegion(provider.regionCode);
  const place = province === provider.regionCode ? regionName(province) : `${regionName(province)}${regionName(provider.regionCode)}`;
  return `${provider.name}，${place}`;
};

/**
 * Secret iCalendar feeds: one per user, listing the bookings of its organization (as enterprise, or of its facilities
 * as provider). Only the token's hash is stored; making a new one replaces (and so revokes) the old URL.
 */
@Injectable()
export class CalendarFeeds {
  constructor(
    @Inject(appConfig.KEY) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly bookings: BookingRepository,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly names: NamesRepository,
    private readonly organizations: OrganizationRepository,
    private readonly vouchers: VoucherRepository,
  ) {}

  /** A new secret path for the actor's feed (`/api/calendar/<token>.ics`). */
  async make(actor: Actor): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    await this.uow.run(async () => {
      // The user's row, locked, then the session again: a password change or two-factor enabled since the request was
      // let in ended its session, and a feed stamped after them would outlive it.
      await this.users.lock(actor.userId);
      if (!(await this.sessions.live(actor.sessionId))) throw catalogued('UNAUTHENTICATED', 'auth.sessionEnded');
      // A credential: made on the security clock, as the password change that ends it (render).
      await this.bookings.saveFeed({ userId: actor.userId, tokenHash: sha256(token), createdAt: securityClock.iso() });
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

  /**
   * The feed behind a secret file name; an unknown token, a user since disabled, or a feed made before the user's last
   * password change or the enabling of two-factor (whoever had the password alone may have made it) is 404.
   */
  async render(file: string): Promise<string> {
    if (!file.endsWith(FEED_SUFFIX)) throw notFound('calendar feed');
    const feed = await this.bookings.feedByToken(sha256(file.slice(0, -FEED_SUFFIX.length)));
    const user = feed ? await this.users.get(feed.userId) : undefined;
    const endedAt = [user?.passwordChangedAt, user?.mfaEnabledAt].filter((at): at is string => !!at);
    if (!user || user.disabledAt || !user.organizationId || endedAt.some((at) => feed!.createdAt < at)) throw notFound('calendar feed');
    const now = clock.iso();
    const bookings = await this.bookings.forFeed(
      user.organizationId,
      isoPlusDays(now, -FEED_HISTORY_DAYS),
      now,
      this.config.calendarFeedMaxEvents,
    );
    const names = await this.names.of([user.organizationId, ...bookings.flatMap((b) => [b.facilityId, b.enterpriseId])]);
    // An organization's bookings name few labs and, but for a lab's own feed, few vouchers: each read once.
    const providers = await this.byId([...new Set(bookings.map((b) => b.providerId))], (id) => this.organizations.get(id));
    const serials = await this.byId([...new Set(bookings.map((b) => b.voucherId))], async (id) => (await this.vouchers.get(id))?.serial);
    // ical-generator escapes the events' text but writes the calendar's name (NAME, X-WR-CALNAME) as given: escaped
    // here as RFC 5545 TEXT with its own escape(), or a name holding CRLF (stored before they were refused) would write
    // lines of its own, and `,` `;` `\` would make the property invalid.
    const name = escape(`${names.get(user.organizationId) ?? ''} 仪器预约`.trim(), false);
    const calendar = ical({ name, prodId: '//yrd-vouchers//booking//ZH' });
    for (const b of bookings) {
      const facility = names.get(b.facilityId) ?? b.facilityId;
      const provider = providers.get(b.providerId);
      const providerName = provider?.name ?? b.providerId;
      const enterpriseName = names.get(b.enterpriseId) ?? b.enterpriseId;
      // The lab's feed names who comes; the enterprise's names the lab.
      const ownFacility = b.providerId === user.organizationId;
      calendar.createEvent({
        id: `${b.id}@booking`,
        start: new Date(b.startAt),
        // completed early: the hours it used, as availability shows them (the later ones are free again)
        end: new Date(usedEnd(b)),
        summary: `${facility} · ${ownFacility ? enterpriseName : providerName}`,
        description: [
          `预约编号 ${b.id}`,
          ...hoursAndStatus(b),
          ownFacility ? `用券企业：${enterpriseName}` : `服务机构：${providerName}`,
          `创新券 ${serials.get(b.voucherId) ?? b.voucherId}`,
        ].join('；'),
        location: locationOf(provider, providerName),
        status: ICalEventStatus.CONFIRMED,
      });
    }
    return calendar.toString();
  }

  /** Each id's value, read once. */
  private async byId<T>(ids: string[], read: (id: string) => Promise<T | undefined>): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    for (const id of ids) {
      const value = await read(id);
      if (value !== undefined) found.set(id, value);
    }
    return found;
  }
}
