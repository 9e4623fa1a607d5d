import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { createInstance, TOptions } from 'i18next';
import type { IncomingHttpHeaders } from 'node:http';
import en from '../../i18n/en/messages.json';
import zh from '../../i18n/zh/messages.json';
import { formatYuan } from '../../documents/chinese-amount';
import { regionName } from '../../regions/regions.data';
import { beijingTime } from '../clock';
import { counted } from './plural';

/** The languages messages are written in: Chinese for `Accept-Language: zh*`, English otherwise (API.md v2). */
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/** One catalogue per language, each a JSON file under src/i18n/<lang>/messages.json. */
export const CATALOGUES: Record<Language, typeof en> = { en, zh };

const i18n = createInstance();
// Resources are in memory, so initialisation is synchronous: messages are ready before the first request.
void i18n.init({
  resources: { en: { translation: en }, zh: { translation: zh } },
  lng: 'en',
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  initAsync: false,
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** "2026-12-08 12:00" in Beijing for an instant; a plain date (2026-12-08) as given. */
const beijingParts = (value: unknown) => {
  const [date, time = ''] = beijingTime(String(value)).split(' ');
  const [y, m, d] = date.split('-').map(Number);
  return { year: `${y}年`, day: `${m}月${d}日`, time };
};

/** A term by its catalogue group in `lng`; one the group does not name reads as given. */
const named = (group: string, term: string, lng: string | undefined) => i18n.t(`${group}.${term}`, { lng, defaultValue: term });

/** Appends `time` to `text` when there is one. */
const withTime = (text: string, time: string) => (time ? `${text} ${time}` : text);

/** 2026年12月8日 12:00 for an instant (Beijing time); 2026年12月8日 for a date. */
export const zhDateTime = (value: unknown): string => {
  const p = beijingParts(value);
  return withTime(p.year + p.day, p.time);
};

/**
 * Formats the catalogues' parameters take, so one set of parameters reads in either language: the code passes figures
 * as the English text shows them (fen, ISO 8601 instants and dates) and the Chinese catalogue writes
 * `{{amountFen, yuan}}`, `{{start, dateTime}}`. English counts take `{{n, counted(one: hour; other: hours)}}`.
 */
const FORMATS: Record<string, (value: unknown, lng: string | undefined, options: Record<string, unknown>) => string> = {
  /** ¥1,234.56 for 123456 fen. */
  yuan: (value) => formatYuan(Number(value)),
  dateTime: zhDateTime,
  /** 12月8日 12:00, for a day people know the year of (a booking's). */
  dayTime: (value) => {
    const p = beijingParts(value);
    return withTime(p.day, p.time);
  },
  /** 14:00 when the instant falls on the day of the parameter named by `from`, else 12月9日 14:00. */
  until: (value, _lng, options) => {
    const p = beijingParts(value);
    const from = beijingParts(options[String(options.from)]);
    return from.year + from.day === p.year + p.day ? p.time : withTime(p.day, p.time);
  },
  /** A term by its catalogue group, in the caller's language: `named(in: units)` reads sample as 样; an unknown one as given. */
  named: (value, lng, options) => named(String(options.in), String(value), lng),
  /**
   * Terms listed with English commas (as the English text shows them), each named by its group and listed the way the
   * caller's language lists: `namedList(in: redemptionModes)`; an empty list reads as the catalogue's `none`.
   */
  namedList: (value, lng, options) => {
    const terms = String(value).split(', ').filter(Boolean);
    if (terms.length === 0) return i18n.t('none', { lng });
    return terms.map((t) => named(String(options.in), t, lng)).join(i18n.t('listSeparator', { lng }));
  },
  /** A quantity in the facility's unit, named by the parameter `of`: 5 小时. English messages say "units" themselves. */
  quantity: (value, lng, options) => `${String(value)} ${named('units', String(options[String(options.of)]), lng)}`,
  /** A ratio in basis points as a percentage: 5000 → 50%, 1234 → 12.34%. */
  percent: (value) => `${Number(value) / 100}%`,
  /** A list written with English commas, as Chinese lists it: 08:00–12:00、13:00–20:00. */
  list: (value) => String(value).split(', ').join('、'),
  /** A size limit as the body parser writes it, as people read it: 100kb → 100 KB. */
  size: (value) => String(value).replace(/^(\d+)\s*([kmg]?b)$/i, (_, n: string, unit: string) => `${n} ${unit.toUpperCase()}`),
  /** A region's name by its code: 340100 → 合肥市. */
  region: (value) => regionName(String(value)),
  /** Regions' codes listed with English commas, by name as Chinese lists them: 340100, 320500 → 合肥市、苏州市. */
  regions: (value) => String(value).split(', ').map(regionName).join('、'),
  /** An English count with its noun: `counted(one: hour’s; other: hours’)`. */
  counted: (value, _lng, options) => counted(Number(value), String(options.one), String(options.other)),
};
for (const [name, format] of Object.entries(FORMATS)) i18n.services.formatter?.add(name, format);

/**
 * The caller's language by Accept-Language, negotiated as Express's `acceptsLanguages('en', 'zh')` does (read from the
 * header, so the same under either adapter): the highest q wins, then the more specific range (`zh-CN` over `*`),
 * then the earlier one in the header; `zh-CN` matches `zh`; q=0 refuses. No header or no match is English.
 */
export function languageOf(req: { headers?: IncomingHttpHeaders } | undefined): Language {
  const header = req?.headers?.['accept-language'];
  if (!header) return 'en';
  let best: { lng: Language; q: number; s: number; o: number } | undefined;
  header.split(',').forEach((part, o) => {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!range || !(q > 0)) return;
    for (const lng of LANGUAGES) {
      // specificity as the negotiator counts it: exact 4, language prefix 2 (zh-CN for zh), wildcard 0
      const s = range === lng ? 4 : range.split('-')[0] === lng ? 2 : range === '*' ? 0 : -1;
      if (s < 0) continue;
      if (!best || q > best.q || (q === best.q && (s > best.s || (s === best.s && o < best.o)))) best = { lng, q, s, o };
    }
  });
  return best?.lng ?? 'en';
}

export function translate(lng: Language, key: string, params: TOptions = {}): string {
  return i18n.t(key, { ...params, lng });
}

/** Whether the catalogue of `lng` holds `key` itself (no fallback to English). */
export function hasMessage(lng: Language, key: string): boolean {
  return i18n.exists(key, { lng, fallbackLng: false });
}

/** The caller's language as a route parameter, for answers that carry a message outside an error (a quote's refusal). */
export const CallerLanguage = createParamDecorator((_: unknown, ctx: ExecutionContext): Language =>
  languageOf(ctx.switchToHttp().getRequest<{ headers: IncomingHttpHeaders }>()),
);
