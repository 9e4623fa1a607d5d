import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { notFound } from '../../src/common/errors/domain-error';
import { CATALOGUES, hasMessage, LANGUAGES, translate } from '../../src/common/i18n/messages';
import { projectRoot } from '../../src/common/paths';

const HAN = /[\u4e00-\u9fff]/;

/** Every TypeScript file under src. */
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** The record names the service passes to notFound('…') as a literal. */
const namedInSource = [
  ...new Set(
    sources(join(projectRoot, 'src')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bnotFound\('([^']+)'\)/g)].map((m) => m[1])),
  ),
].sort();

describe('the names of missing records', () => {
  it('finds the names the service uses', () => {
    expect(namedInSource).toEqual(expect.arrayContaining(['voucher', 'booking', 'calendar', 'calendar feed', 'notification']));
  });

  it.each(namedInSource)('"%s" has a name in both catalogues, and a 404 says it in Chinese', (name) => {
    for (const lng of LANGUAGES) expect([lng, hasMessage(lng, `records.${name}`)]).toEqual([lng, true]);
    expect(translate('zh', `records.${name}`)).toMatch(HAN);
    const error = notFound(name);
    expect(error.options.localized?.('zh')).toBe(`未找到${translate('zh', `records.${name}`)}`);
    expect(error.options.localized?.('en')).toBe(`${name} not found`);
  });

  it('every name in the catalogues is one notFound translates', () => {
    for (const name of Object.keys(CATALOGUES.zh.records))
      expect([name, notFound(name).options.localized]).toEqual([name, expect.any(Function)]);
  });

  it('names what the reviewer missed: 预约, 开放日历, 日历订阅, 通知, 年度预算', () => {
    expect(['booking', 'calendar', 'calendar feed', 'notification', 'budget'].map((n) => notFound(n).options.localized?.('zh'))).toEqual([
      '未找到预约',
      '未找到开放日历',
      '未找到日历订阅',
      '未找到通知',
      '未找到年度预算',
    ]);
  });
});
