import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { createInstance, TOptions } from 'i18next';
import type { IncomingHttpHeaders } from 'node:http';
import en from '../../i18n/en/messages.json';
import zh from '../../i18n/zh/messages.json';

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
