import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUES, hasMessage, LANGUAGES, translate } from '../../src/common/i18n/messages';

/** Every .ts file under `dir`. */
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });

/** The catalogue keys the code names: catalogued('CODE', 'key', …), cataloguedRefusal('CODE', 'key', …), and `key: 'group.name'`. */
const USED = [
  ...new Set(
    sources(join(__dirname, '../../src')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [
        ...[...text.matchAll(/\bcatalogued(?:Refusal)?\(\s*'[A-Z_]+',\s*'([\w.]+)'/g)].map((m) => m[1]),
        ...[...text.matchAll(/\bkey: '([a-z]\w*\.[\w.]+)'/g)].map((m) => m[1]),
      ];
    }),
  ),
].sort();

/** The dotted keys of a catalogue with their messages. */
const entries = (o: object, prefix = ''): [string, string][] =>
  Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? entries(v as object, `${prefix}${k}.`) : [[`${prefix}${k}`, String(v)] as [string, string]],
  );

/** The parameters a message interpolates, without their formats: "{{at, dayTime}}" → at. */
const paramsOf = (message: string): string[] => [...new Set([...message.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]))].sort();

describe('catalogued messages', () => {
  it('the code names catalogued messages (the scan finds them)', () => {
    expect(USED.length).toBeGreaterThan(40);
    expect(USED).toEqual(expect.arrayContaining(['bookings.slotTaken', 'capture.relatedParty', 'claims.duplicateInvoice']));
  });

  it.each(USED)('%s is in both catalogues with the same parameters', (key) => {
    for (const lng of LANGUAGES) expect([lng, key, hasMessage(lng, key)]).toEqual([lng, key, true]);
    const message = (lng: 'en' | 'zh') => new Map(entries(CATALOGUES[lng])).get(key) ?? '';
    expect(paramsOf(message('zh'))).toEqual(paramsOf(message('en')));
    expect(message('zh')).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('formats of the catalogues’ parameters', () => {
  const zh = (message: string, params: Record<string, unknown>) => translate('zh', '-', { defaultValue: message, ...params });

  it('writes amounts in yuan with thousands separators and two decimals', () => {
    expect(zh('{{f, yuan}}', { f: 10_495_000 })).toBe('¥104,950.00');
    expect(zh('{{f, yuan}}', { f: 80_000 })).toBe('¥800.00');
  });

  it('writes instants in Beijing time and dates as given, the Chinese way', () => {
    expect(zh('{{d, dateTime}}', { d: '2026-12-31' })).toBe('2026年12月31日');
    expect(zh('{{t, dateTime}}', { t: '2026-12-08T02:00:00.000Z' })).toBe('2026年12月8日 10:00');
    expect(zh('{{t, dayTime}}', { t: '2026-12-08T12:00:00+08:00' })).toBe('12月8日 12:00');
  });

  it('writes the end of a span as a time on the same day, with its day on another', () => {
    const span = '{{start, dayTime}}–{{end, until(from: start)}}';
    expect(zh(span, { start: '2026-12-08T12:00:00+08:00', end: '2026-12-08T14:00:00+08:00' })).toBe('12月8日 12:00–14:00');
    expect(zh(span, { start: '2026-12-08T20:00:00+08:00', end: '2026-12-09T00:00:00+08:00' })).toBe('12月8日 20:00–12月9日 00:00');
  });

  it('names units, statuses and regions in Chinese, and counts English nouns', () => {
    expect(zh('{{u, named(in: units)}}', { u: 'sample' })).toBe('样');
    expect(zh('{{s, named(in: organizationStates)}}', { s: 'suspended' })).toBe('已暂停服务');
    expect(zh('{{r, region}}', { r: '340100' })).toBe('合肥市');
    expect(translate('zh', 'validation.unreadableBody', { reason: 'request.size.invalid' })).toBe(
      'body：无法读取请求内容（请求长度与 Content-Length 不符）',
    );
    expect(translate('en', 'validation.unreadableBody', { reason: 'request.size.invalid' })).toBe('body: request.size.invalid');
    expect(zh('{{l, size}}', { l: '100kb' })).toBe('100 KB');
    expect(translate('en', 'bookings.minNotice', { hours: 1 })).toBe('bookings need 1 hour’s notice');
    expect(translate('en', 'bookings.minNotice', { hours: 24 })).toBe('bookings need 24 hours’ notice');
    expect(translate('zh', 'bookings.minNotice', { hours: 24 })).toBe('须至少提前 24 小时预约');
  });
});
