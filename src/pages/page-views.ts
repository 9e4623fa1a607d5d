import { formatYuan, toChineseCapitalAmount } from '../documents/chinese-amount';
import type { FacilityView } from '../facilities/facility.dto';
import type { PublicNotices } from '../organizations/organizations.service';
import { noticeLastDay } from '../organizations/organization.time-rules';
import { SERVICE_CATEGORIES, ServiceCategory } from '../policies/policy.types';
import { bureauName, PROVINCE_CODES, provinceOfRegion, regionName } from '../regions/regions.data';
import type { VerificationView } from '../vouchers/voucher.dto';
import type { VoucherStatus } from '../vouchers/voucher.entity';
import type { CalendarView, SlotView } from '../bookings/booking.dto';
import {
  CATEGORY_ZH,
  formatClosure,
  formatDate,
  formatInstant,
  formatInstantDate,
  formatPercent,
  formatSlot,
  UNIT_ZH,
  VOUCHER_STATUS_ZH,
  WEEKDAY_ZH,
} from './labels';

/**
 * What each template receives: display strings only, computed here, so the templates hold no logic beyond loops and
 * conditions and show nothing they were not given.
 */
interface Layout {
  title: string;
  /** Pages behind an unguessable link stay out of search engines. */
  noindex?: boolean;
  /** The header's link to this very page, marked for screen readers (aria-current). */
  current?: 'facilities' | 'notices';
}

export interface VerifyPage extends Layout {
  valid: boolean;
  status: VoucherStatus;
  statusLabel: string;
  serial: string;
  holder: string;
  region: string;
  bureau: string;
  faceValue: string;
  faceValueCapital: string;
  validUntil: string;
  /** The day a revoked voucher was revoked. */
  revokedOn: string | null;
  /** Active, but its holder (or the holder's controller) is under a credit sanction: not usable meanwhile. */
  holderSanctioned: boolean;
  checkedAt: string;
  /** Who issued it and whether it may still be used: 此券由合肥市科学技术局签发，当前有效。 */
  statement: string;
}

/** Where a list's page stands among its pages, and the links to its neighbours. */
interface Pager {
  page: number;
  pages: number;
  prevHref: string | null;
  nextHref: string | null;
  /** A page past the last one (a link kept from when there were more): where the last one is. */
  lastHref: string | null;
}

export interface NoticesPage extends Layout, Pager {
  /** The notice's first and last days in Beijing (it ends at the midnight after the last): 公示期：2026年12月5日至2026年12月12日. */
  inNotice: { name: string; region: string; from: string; to: string; bureau: string }[];
  /** All the providers in notice, this page's and the others'. */
  inNoticeTotal: number;
  admitted: { name: string; region: string; admittedOn: string }[];
  /** All those admitted in the last `recentDays`: more than `admitted` lists when there are many. */
  admittedTotal: number;
  recentDays: number;
}

export interface FacilityItem {
  href: string;
  name: string;
  provider: string;
  category: string;
  place: string;
  price: string;
  retired: boolean;
  /** Its provider is suspended or under a credit sanction: shown only to say it cannot be booked. */
  suspended: boolean;
}

export interface CataloguePage extends Layout, Pager {
  q: string;
  provinceCode: string;
  category: string;
  provinces: { code: string; name: string }[];
  categories: { code: string; name: string }[];
  total: number;
  items: FacilityItem[];
  /** What was searched for, as the form shows it (关键词“核磁”、浙江省、检验检测); empty when nothing was. */
  searched: string;
}

export interface FacilityPage extends Layout {
  /** Back to the catalogue's page it was opened from, its search kept (返回搜索结果), else to the catalogue. */
  back: { href: string; label: string };
  facility: FacilityItem & { unit: string; description: string | null; contact: string | null };
  /** "4.5 分（2 条评价）"; null before the first rating. */
  rating: string | null;
  /** Only for a facility with a calendar that takes bookings (FacilityView.bookable). */
  schedule: {
    openingHours: { weekday: string; hours: string }[];
    nextFree: string[];
    /** What an enterprise must know before booking: 上机资格, 预约须知 (notice, advance, late fee), 停机安排. */
    terms: { qualification: string; booking: string; closures: string[] };
  } | null;
  /** An hourly facility taking orders without a calendar: booked by no one, ordered straight away. */
  withoutCalendar: boolean;
}

export interface ErrorPage extends Layout {
  heading: string;
  message: string;
}

export interface PageData {
  verify: VerifyPage;
  notices: NoticesPage;
  facilities: CataloguePage;
  facility: FacilityPage;
  error: ErrorPage;
}

/** 合肥市 under its province: 安徽省 合肥市; a province alone: 上海市. */
const place = (regionCode: string): string => {
  const province = provinceOfRegion(regionCode);
  return province === regionCode ? regionName(regionCode) : `${regionName(province)} ${regionName(regionCode)}`;
};

export function verifyPage(v: VerificationView, maskedHolderName: string, now: string): VerifyPage {
  return {
    title: `科技创新券核验 ${v.serial}`,
    noindex: true,
    valid: v.valid,
    status: v.status,
    statusLabel: v.holderSanctioned ? `${VOUCHER_STATUS_ZH[v.status]}（暂不能使用）` : VOUCHER_STATUS_ZH[v.status],
    serial: v.serial,
    holder: maskedHolderName,
    region: place(v.issuingRegionCode),
    bureau: v.issuingBureau,
    faceValue: formatYuan(v.faceValueFen),
    faceValueCapital: toChineseCapitalAmount(v.faceValueFen),
    validUntil: formatDate(v.validUntil),
    revokedOn: v.revokedAt ? formatInstantDate(v.revokedAt) : null,
    checkedAt: formatInstant(now),
    holderSanctioned: v.holderSanctioned === true,
    statement: v.holderSanctioned
      ? `此券由${v.issuingBureau}签发，在有效期内；持券单位正处于失信惩戒期，惩戒期间不能用券。`
      : v.valid
        ? `此券由${v.issuingBureau}签发，当前有效。`
        : v.revokedAt
          ? `此券由${v.issuingBureau}签发，已于${formatInstantDate(v.revokedAt)}撤销，不能再使用。`
          : `此券由${v.issuingBureau}签发，当前${VOUCHER_STATUS_ZH[v.status]}，不能再使用。`,
  };
}

/** Page `page` of `total` items `pageSize` at a time; `href` links to a page of the same list. */
function pager(page: number, total: number, pageSize: number, href: (page: number) => string): Pager {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return {
    page,
    pages,
    prevHref: page > 1 && page <= pages ? href(page - 1) : null,
    nextHref: page < pages ? href(page + 1) : null,
    lastHref: page > pages && total > 0 ? href(pages) : null,
  };
}

export function noticesPage(notices: PublicNotices, at: { page: number; pageSize: number }, recentDays: number): NoticesPage {
  return {
    title: at.page > 1 ? `服务机构公示（第 ${at.page} 页）` : '服务机构公示',
    current: 'notices',
    recentDays,
    ...pager(at.page, notices.inNotice.total, at.pageSize, (page) => (page > 1 ? `/notices?page=${page}` : '/notices')),
    inNoticeTotal: notices.inNotice.total,
    admittedTotal: notices.admitted.total,
    inNotice: notices.inNotice.items.map((p) => ({
      name: p.name,
      region: place(p.regionCode),
      from: formatInstantDate(p.from),
      // its last day: a notice ends at the midnight after it, which is already the next day
      to: formatDate(noticeLastDay(p.at)),
      // objections go to the bureau that admits: the one of the provider's province
      bureau: bureauName(provinceOfRegion(p.regionCode)),
    })),
    admitted: notices.admitted.items.map((p) => ({ name: p.name, region: place(p.regionCode), admittedOn: formatInstantDate(p.at) })),
  };
}

/** `query`: the search it was found by (`?q=…`), carried to its page for the way back to those results. */
const facilityItem = (f: FacilityView, query = ''): FacilityItem => ({
  href: `/facilities/${f.id}${query}`,
  name: f.name,
  provider: f.providerName,
  category: CATEGORY_ZH[f.category as ServiceCategory] ?? f.category,
  place: place(f.regionCode),
  price: `${formatYuan(f.unitPriceFen)} / ${UNIT_ZH[f.unit]}`,
  retired: f.status === 'retired',
  suspended: f.status === 'suspended',
});

export interface CatalogueFilter {
  q?: string;
  provinceCode?: string;
  category?: string;
  page: number;
}

/** The query of a catalogue search's page: `?q=…&provinceCode=…&page=2`, or '' for the first page of everything. */
const catalogueQuery = (filter: CatalogueFilter, page: number): string => {
  const params = new URLSearchParams();
  if (filter.q) params.set('q', filter.q);
  if (filter.provinceCode) params.set('provinceCode', filter.provinceCode);
  if (filter.category) params.set('category', filter.category);
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `?${query}` : '';
};

export function cataloguePage(filter: CatalogueFilter, result: { items: FacilityView[]; total: number }, pageSize: number): CataloguePage {
  const href = (page: number) => `/facilities${catalogueQuery(filter, page)}`;
  const found = catalogueQuery(filter, filter.page);
  return {
    // each page of results titled apart (WCAG 2.4.2): a tab, the history and a screen reader tell page 2 from page 1
    title: filter.page > 1 ? `服务目录（第 ${filter.page} 页）` : '服务目录',
    current: 'facilities',
    q: filter.q ?? '',
    provinceCode: filter.provinceCode ?? '',
    category: filter.category ?? '',
    provinces: PROVINCE_CODES.map((code) => ({ code, name: regionName(code) })),
    categories: SERVICE_CATEGORIES.map((code) => ({ code, name: CATEGORY_ZH[code] })),
    total: result.total,
    items: result.items.map((f) => facilityItem(f, found)),
    searched: [
      filter.q && `关键词“${filter.q}”`,
      filter.provinceCode && regionName(filter.provinceCode),
      filter.category && (CATEGORY_ZH[filter.category as ServiceCategory] ?? filter.category),
    ]
      .filter(Boolean)
      .join('、'),
    ...pager(filter.page, result.total, pageSize, href),
  };
}

/** Opening hours by weekday, Monday first, a day's periods in order: 周一 09:00–12:00、13:00–18:00. */
const openingHours = (calendar: CalendarView) =>
  [1, 2, 3, 4, 5, 6, 7].flatMap((weekday) => {
    const periods = calendar.openingHours.filter((o) => o.weekday === weekday).sort((a, b) => a.from.localeCompare(b.from));
    return periods.length ? [{ weekday: WEEKDAY_ZH[weekday], hours: periods.map((o) => `${o.from}–${o.to}`).join('、') }] : [];
  });

/** Closures still to come (or under way) shown on the page: enough for the months one may book ahead. */
const CLOSURES_SHOWN = 10;

/**
 * The booking terms of a calendar in an enterprise's words: whether it may operate the instrument itself, how far ahead
 * it books, what a late cancellation or a no-show costs (booking.rules.ts: later than the free window before the
 * start, the fee's share, owed outside the voucher), and the closures not yet over.
 */
const bookingTerms = (c: CalendarView, now: string) => {
  const advance =
    `${c.minNoticeHours > 0 ? `至少提前 ${c.minNoticeHours} 小时、` : ''}最多提前 ${c.maxAdvanceDays} 天预约，` +
    `每家企业已预约且尚未结束的机时合计不超过 ${c.maxLiveHoursPerEnterprise} 小时（同一实际控制人下的企业合并计算）`;
  const when = c.freeCancellationHours > 0 ? `开始前 ${c.freeCancellationHours} 小时内取消或未到场` : '开始后取消或未到场';
  const late =
    c.lateCancellationFeeBp > 0
      ? `${when}，按费用的 ${formatPercent(c.lateCancellationFeeBp)} 收取违约金（由企业自付，不从科技创新券中扣除）`
      : '取消或未到场不收取违约金';
  const nowMs = Date.parse(now);
  return {
    qualification: c.requiresQualification ? '须经服务机构上机培训认定后方可预约' : '无需服务机构认定，可直接预约',
    booking: `${advance}；${late}`,
    closures: c.closures
      .filter((x) => Date.parse(x.to) > nowMs)
      .sort((a, b) => Date.parse(a.from) - Date.parse(b.from))
      .slice(0, CLOSURES_SHOWN)
      .map((x) => `${formatClosure(x.from, x.to)} ${x.reason}`),
  };
};

export function facilityPage(
  f: FacilityView,
  schedule: { calendar: CalendarView; free: SlotView[] } | null,
  now: string,
  foundBy: CatalogueFilter = { page: 1 },
): FacilityPage {
  const query = catalogueQuery(foundBy, foundBy.page);
  return {
    title: f.name,
    back: query ? { href: `/facilities${query}`, label: '返回搜索结果' } : { href: '/facilities', label: '返回服务目录' },
    facility: { ...facilityItem(f), unit: UNIT_ZH[f.unit], description: f.description, contact: f.contact },
    rating: f.ratingAvg === null ? null : `${f.ratingAvg.toFixed(1)} 分（${f.ratingCount} 条评价）`,
    schedule: schedule && {
      openingHours: openingHours(schedule.calendar),
      nextFree: schedule.free.map((s) => formatSlot(s.start, s.end)),
      terms: bookingTerms(schedule.calendar, now),
    },
    withoutCalendar: f.unit === 'hour' && f.bookable && !schedule,
  };
}
