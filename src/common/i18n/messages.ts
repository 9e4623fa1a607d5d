import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { createInstance, TOptions } from 'i18next';
import type { Request } from 'express';
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

/** The caller's language by Express's Accept-Language negotiation (q-values respected); no header or no match is English. */
export function languageOf(req: Pick<Request, 'acceptsLanguages'> | undefined): Language {
  const chosen = req?.acceptsLanguages?.(...LANGUAGES);
  return chosen === 'zh' ? 'zh' : 'en';
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
  languageOf(ctx.switchToHttp().getRequest<Request>()),
);
