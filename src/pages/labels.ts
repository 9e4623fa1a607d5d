import { CATALOGUES } from '../common/i18n/messages';
import { formatDate } from '../documents/drawing';
import type { FacilityUnit } from '../facilities/facility.entity';
import type { ServiceCategory } from '../policies/policy.types';
import type { VoucherStatus } from '../vouchers/voucher.entity';

/** What the public pages call things, in Chinese. */
export const VOUCHER_STATUS_ZH: Record<VoucherStatus, string> = {
  active: '有效',
  exhausted: '已用完',
  expired: '已过期',
  revoked: '已撤销',
};

// Categories and units are named once, in the Chinese catalogue, so the pages and the API's answers agree.
export const CATEGORY_ZH: Record<ServiceCategory, string> = CATALOGUES.zh.categories;

/** Priced per…: 元/小时, 元/样, 元/项. */
export const UNIT_ZH: Record<FacilityUnit, string> = CATALOGUES.zh.units;

// Instants are stored in UTC; readers of these pages are in China.
const TIME_ZONE = 'Asia/Shanghai';
const dateFormat = new Intl.DateTimeFormat('zh-CN', { timeZone: TIME_ZONE, year: 'numeric', month: 'long', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

export { formatDate };

/** An ISO instant as a Beijing date: 2026-12-31T20:00:00Z → 2027年1月1日. */
export const formatInstantDate = (iso: string): string => dateFormat.format(new Date(iso));

/** An ISO instant in Beijing time: 2026-12-08T06:30:00Z → 2026年12月8日 14:30. */
export const formatInstant = (iso: string): string => dateTimeFormat.format(new Date(iso));

/** ISO weekdays, 1 = Monday … 7 = Sunday. */
export const WEEKDAY_ZH = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'] as const;

/** A one-hour slot as its +08:00 text gives it: 2026-12-01T09:00:00+08:00 → 12月1日 周二 09:00–10:00. */
export const formatSlot = (start: string, end: string): string => {
  const [, m, d] = start.slice(0, 10).split('-').map(Number);
  const weekday = new Date(`${start.slice(0, 10)}T00:00:00Z`).getUTCDay() || 7;
  return `${m}月${d}日 ${WEEKDAY_ZH[weekday]} ${start.slice(11, 16)}–${end.slice(11, 16)}`;
};

const shortDate = (date: string, after: string): string => {
  const [y, m, d] = date.split('-').map(Number);
  const [ya, ma] = after.split('-').map(Number);
  return y !== ya ? formatDate(date) : m !== ma ? `${m}月${d}日` : `${d}日`;
};

/**
 * A closure [from, to) as its +08:00 texts give it. Whole days name the days, the last one being the day before `to`:
 * 2026-12-14T00:00+08:00 to 2026-12-17T00:00+08:00 → 2026年12月14日—16日; otherwise the times as well:
 * 2026年12月14日 09:00–12:00, 2026年12月14日 09:00—15日 12:00.
 */
export const formatClosure = (from: string, to: string): string => {
  const [fromDay, fromTime, toDay, toTime] = [from.slice(0, 10), from.slice(11, 16), to.slice(0, 10), to.slice(11, 16)];
  if (fromTime === '00:00' && toTime === '00:00') {
    const lastDay = new Date(Date.parse(`${toDay}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    return lastDay <= fromDay ? formatDate(fromDay) : `${formatDate(fromDay)}—${shortDate(lastDay, fromDay)}`;
  }
  if (fromDay === toDay) return `${formatDate(fromDay)} ${fromTime}–${toTime}`;
  return `${formatDate(fromDay)} ${fromTime}—${shortDate(toDay, fromDay)} ${toTime}`;
};

/** Basis points as a percentage: 5000 → 50%, 1250 → 12.5%. */
export const formatPercent = (bp: number): string => `${Number((bp / 100).toFixed(2))}%`;
