import express, { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';
import { languageOf } from '../i18n/messages';
import { toErrorBody } from './error.filter';
import { counted } from '../i18n/plural';

/** Far deeper than any DTO; class-transformer recurses per level and overflows the stack near 2,000. */
const MAX_DEPTH = 32;

/** The field (`organization.name`) under which JSON nests more than `max` levels deep, walked without recursion. */
function nestedTooDeep(value: unknown, max: number): string | undefined {
  const pending: [unknown, string[]][] = [[value, []]];
  while (pending.length > 0) {
    const [node, path] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (path.length > max) return path.filter((key) => !/^\d+$/.test(key)).join('.') || 'body';
    for (const [key, child] of Object.entries(node)) pending.push([child, [...path, key]]);
  }
  return undefined;
}

/** JSON bodies up to a limit; a parse failure is a 400 in the API's error shape, not Express's HTML page. */
export function jsonBody(limit: string) {
  const parse = express.json({ limit, strict: true });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: { type?: string; status?: number }) => {
      const tooDeep = err ? undefined : nestedTooDeep(req.body, MAX_DEPTH);
      if (!err && !tooDeep) return next();
      if (err?.type === 'entity.too.large') {
        const body = toErrorBody(new DomainError('PAYLOAD_TOO_LARGE', `body: larger than ${limit}`), undefined, languageOf(req));
        return void res.status(body.statusCode).json(body);
      }
      const message = tooDeep
        ? `${tooDeep}: nested more than ${counted(MAX_DEPTH, 'level')} deep`
        : err?.type === 'entity.parse.failed'
          ? 'body: malformed JSON'
          : `body: ${err?.type ?? 'unreadable'}`;
      const body = toErrorBody(new DomainError('VALIDATION_FAILED', message), undefined, languageOf(req));
      res.status(body.statusCode).json(body);
    });
}

/** Text bodies sent as text/csv (a province's qualified list, a lab's facilities): larger than JSON bodies may be. */
export const CSV_BODY_LIMIT = '10mb';

export function csvBody() {
  const parse = express.text({ type: ['text/csv', 'application/csv'], limit: CSV_BODY_LIMIT });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: { type?: string }) => {
      if (!err) return next();
      const error =
        err.type === 'entity.too.large'
          ? new DomainError('PAYLOAD_TOO_LARGE', `body: larger than ${CSV_BODY_LIMIT}`)
          : new DomainError('VALIDATION_FAILED', `body: ${err.type ?? 'unreadable'}`);
      const body = toErrorBody(error, undefined, languageOf(req));
      res.status(body.statusCode).json(body);
    });
}
