import type { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import getRawBody from 'raw-body';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { catalogued, DomainError } from '../errors/domain-error';
import { languageOf } from '../i18n/messages';
import { toErrorBody } from './error.filter';

/** Far deeper than any DTO; class-transformer recurses per level and overflows the stack near 2,000. */
const MAX_DEPTH = 32;

interface Level {
  node: object;
  /** an object's keys; an array's children are walked by index */
  keys: string[] | undefined;
  next: number;
  /** the key this level is under in its parent */
  key: string;
}

/**
 * The field (`organization.name`) under which JSON nests more than `max` levels deep, walked without recursion, depth
 * first, one level per object on the way down: its memory grows with the depth (at most `max` levels), not with the
 * width. A 10 MB bulk body of five million numbers, each kept as a path of its own, walked for 23 s at 2.4 GB before
 * anyone was authenticated; now in some 50 ms.
 */
function nestedTooDeep(value: unknown, max: number): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const levels: Level[] = [{ node: value, keys: Array.isArray(value) ? undefined : Object.keys(value), next: 0, key: '' }];
  while (levels.length > 0) {
    const top = levels[levels.length - 1];
    const size = top.keys ? top.keys.length : (top.node as unknown[]).length;
    if (top.next >= size) {
      levels.pop();
      continue;
    }
    const key = top.keys ? top.keys[top.next] : top.next;
    top.next++;
    const child = (top.node as Record<string | number, unknown>)[key];
    if (child === null || typeof child !== 'object') continue;
    // the child is levels.length deep
    if (levels.length >= max + 1) {
      const path = [...levels.slice(1).map((l) => l.key), String(key)];
      return path.filter((k) => !/^\d+$/.test(k)).join('.') || 'body';
    }
    levels.push({ node: child, keys: Array.isArray(child) ? undefined : Object.keys(child), next: 0, key: String(key) });
  }
  return undefined;
}

const isUtf8Charset = (charset: string | undefined) => /^utf-?8$/i.test(charset ?? 'utf-8');

/**
 * The text of a body's bytes in `charset`, or null when they are not that charset, or it is none the Encoding Standard
 * knows (utf-7). Decoded strictly: a lenient decoder turns bad bytes into U+FFFD, and a GBK file from Excel sent
 * without its charset was stored as garbage. The standard's labels cover what Chinese Excel saves (gbk, gb18030,
 * gb2312) and UTF-16.
 */
function strictText(bytes: Buffer, charset: string): string | null {
  try {
    return new TextDecoder(charset, { fatal: true }).decode(bytes); // drops a BOM, as iconv-lite did
  } catch {
    return null;
  }
}

/** body-parser's `verify` sees the bytes before they are decoded; throwing makes `entity.verify.failed`. */
function jsonUtf8Only(_req: unknown, _res: unknown, bytes: Buffer, charset: string): void {
  if (!isUtf8Charset(charset) || !isUtf8(bytes)) throw new Error('not UTF-8');
}
function csvStrictly(_req: unknown, _res: unknown, bytes: Buffer, charset: string): void {
  if (strictText(bytes, charset ?? 'utf-8') === null) throw new Error(`not ${charset}`);
}

/** A JSON body that is not UTF-8: it can be nothing else (RFC 8259). */
const jsonNotUtf8 = () => catalogued('VALIDATION_FAILED', 'validation.notUtf8');
const tooLarge = (limit: string) => catalogued('PAYLOAD_TOO_LARGE', 'validation.bodyTooLarge', { limit });
const malformedJson = () => catalogued('VALIDATION_FAILED', 'validation.malformedJson');
/**
 * body-parser's other failures (an aborted request, an unsupported encoding): its type in English, plain words in
 * Chinese; an unknown charset in the words Fastify's parsers use for it.
 */
const unreadableBody = (type?: string) =>
  type === 'charset.unsupported'
    ? catalogued('VALIDATION_FAILED', 'validation.charsetUnsupported')
    : catalogued('VALIDATION_FAILED', 'validation.unreadableBody', { reason: type ?? 'unreadable' });
const tooDeepError = (field: string) => catalogued('VALIDATION_FAILED', 'validation.tooDeep', { field, depth: MAX_DEPTH });
/**
 * A CSV file that is not what it says: saved as UTF-8, or sent with the charset it was saved in (charset=gbk); a charset
 * no decoder knows (charset=klingon) is unsupported, as for JSON.
 */
const csvNotUtf8 = (charset: string) =>
  isUtf8Charset(charset)
    ? catalogued('VALIDATION_FAILED', 'imports.notUtf8')
    : knownCharset(charset)
      ? catalogued('VALIDATION_FAILED', 'imports.notCharset', { charset })
      : catalogued('VALIDATION_FAILED', 'validation.charsetUnsupported');

const knownCharset = (label: string): boolean => {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
};

/** Text bodies sent as text/csv (a province's qualified list, a lab's facilities): larger than JSON bodies may be. */
export const CSV_BODY_LIMIT = '10mb';

/**
 * The bulk loads — a lab's facility import, a province's qualified list — take their JSON form (`{rows:[…]}`) up to the
 * CSV limit too: their documents allow 2,000 and 100,000 rows, which BODY_LIMIT (100 kB) cut at some 700 facilities or
 * 1,500 enterprises with 413. Any other route keeps BODY_LIMIT.
 */
const BULK_PATH = /^\/api\/(facilities\/import|qualified-enterprises\/[^/]+)\/*$/;

/**
 * Whether the caller a request's Authorization names may send a bulk body: an access token whose signature and expiry
 * verify (no database), or a live API key (one indexed read). The body is parsed before the guard checks anyone; a
 * mere `Bearer x` once sufficed, so anyone could have 10 MB parsed only to be answered 401.
 */
export type BulkCaller = (authorization: string | undefined) => Promise<boolean>;

/** The limit a JSON body is read up to: the bulk limit on a bulk route for a caller that proves who it is. */
async function jsonLimitFor(url: string, authorization: string | undefined, limit: string, bulkCaller: BulkCaller): Promise<string> {
  if (!BULK_PATH.test(url.split('?')[0]) || !/^Bearer \S+$/i.test(authorization ?? '')) return limit;
  // a check that cannot be made (the database out of reach) reads the small limit; the guard then answers for itself
  return (await bulkCaller(authorization).catch(() => false)) ? CSV_BODY_LIMIT : limit;
}

/** JSON bodies up to a limit; a parse failure is a 400 in the API's error shape, not Express's HTML page (Express). */
export function jsonBody(bodyLimit: string, bulkCaller: BulkCaller) {
  const parsers = new Map(
    [bodyLimit, CSV_BODY_LIMIT].map((limit) => [limit, express.json({ limit, strict: true, verify: jsonUtf8Only })] as const),
  );
  return async (req: Request, res: Response, next: NextFunction) => {
    const limit = await jsonLimitFor(req.originalUrl ?? req.url, req.headers.authorization, bodyLimit, bulkCaller);
    return parsers.get(limit)!(req, res, (err?: { type?: string; status?: number }) => {
      const tooDeep = err ? undefined : nestedTooDeep(req.body, MAX_DEPTH);
      if (!err && !tooDeep) return next();
      if (err?.type === 'entity.too.large') {
        const body = toErrorBody(tooLarge(limit), undefined, languageOf(req));
        return void res.status(body.statusCode).json(body);
      }
      if (err?.type === 'entity.verify.failed') {
        const body = toErrorBody(jsonNotUtf8(), undefined, languageOf(req));
        return void res.status(body.statusCode).json(body);
      }
      const error = tooDeep ? tooDeepError(tooDeep) : err?.type === 'entity.parse.failed' ? malformedJson() : unreadableBody(err?.type);
      const body = toErrorBody(error, undefined, languageOf(req));
      res.status(body.statusCode).json(body);
    });
  };
}

/** CSV bodies as text (Express). */
export function csvBody() {
  const parse = express.text({ type: ['text/csv', 'application/csv'], limit: CSV_BODY_LIMIT, verify: csvStrictly });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: { type?: string }) => {
      if (!err) return next();
      const error =
        err.type === 'entity.too.large'
          ? tooLarge(CSV_BODY_LIMIT)
          : err.type === 'entity.verify.failed'
            ? csvNotUtf8(charsetOf(req))
            : unreadableBody(err.type);
      const body = toErrorBody(error, undefined, languageOf(req));
      res.status(body.statusCode).json(body);
    });
}

type Done = (err: Error | null, body?: unknown) => void;
interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(type: string | string[], parser: (req: unknown, payload: IncomingMessage, done: Done) => void): void;
}

const INFLATE: Record<string, () => Transform> = { gzip: createGunzip, deflate: createInflate, br: createBrotliDecompress };

/** The body as Express's body parsers see it: inflated per Content-Encoding, refused as they refuse (`body: <type>`). */
function contentStream(payload: IncomingMessage): Readable | DomainError {
  const encoding = (payload.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return payload;
  const inflate = INFLATE[encoding];
  return inflate ? payload.pipe(inflate()) : catalogued('VALIDATION_FAILED', 'validation.encodingUnsupported');
}

/** The charset a Content-Type names, lower-cased; utf-8 when it names none. */
function charsetOf(payload: IncomingMessage): string {
  return /;\s*charset=("?)([^";\s]+)\1/i.exec(payload.headers['content-type'] ?? '')?.[2].toLowerCase() ?? 'utf-8';
}

/**
 * Reads a body up to `limit` bytes (after inflating) with raw-body, as Express's parsers do, rather than through
 * Fastify's `bodyLimit`: Fastify's own refusal would reach the error filter as an unknown error (a 500), where this one
 * is the API's PAYLOAD_TOO_LARGE. The bytes are decoded strictly in their charset (strictText); bytes that are not
 * are `notUtf8`.
 */
function readUpTo(
  payload: IncomingMessage,
  limit: string,
  charset: string,
  notUtf8: (charset: string) => DomainError,
  done: (err: DomainError | null, text?: string) => void,
): void {
  const stream = contentStream(payload);
  if (stream instanceof DomainError) {
    payload.resume(); // drained, so the connection can answer
    return done(stream);
  }
  // The declared length only when nothing inflates it: raw-body then refuses an oversized body before reading it.
  const length = stream === payload ? payload.headers['content-length'] : undefined;
  getRawBody(stream, { limit, length }).then(
    (body: Buffer) => {
      const text = strictText(body, charset);
      done(text === null ? notUtf8(charset) : null, text ?? undefined);
    },
    (e: { type?: string }) => {
      payload.resume();
      if (e.type === 'entity.too.large') done(tooLarge(limit));
      // A body that does not inflate, or a connection that breaks: Express's parsers answered these as unreadable.
      else done(catalogued('VALIDATION_FAILED', 'validation.unreadable'));
    },
  );
}

/**
 * The same bodies under Fastify, with the same limits and the same refusals as jsonBody and csvBody: JSON (UTF-8 only,
 * as Express's parser) up to BODY_LIMIT and no deeper than MAX_DEPTH, CSV as text, and any other type read and left
 * unparsed (Express's parsers skip a type they do not handle; Fastify would answer 415).
 */
export function registerFastifyBodyParsers(app: INestApplication, jsonLimit: string, bulkCaller: BulkCaller): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyLike;
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', (_req, payload, done) => {
    const charset = charsetOf(payload);
    if (!isUtf8Charset(charset)) {
      payload.resume();
      return done(catalogued('VALIDATION_FAILED', 'validation.charsetUnsupported'));
    }
    void jsonLimitFor(payload.url ?? '', payload.headers.authorization, jsonLimit, bulkCaller).then((limit) =>
      readUpTo(payload, limit, charset, jsonNotUtf8, (err, text) => {
        if (err) return done(err);
        if (text === '') return done(null, {}); // as Express's json parser answers an empty body
        let body: unknown;
        try {
          body = JSON.parse(text!);
        } catch {
          return done(malformedJson());
        }
        // Express's parser is strict: only objects and arrays.
        if (body === null || typeof body !== 'object') return done(malformedJson());
        const tooDeep = nestedTooDeep(body, MAX_DEPTH);
        if (tooDeep) return done(tooDeepError(tooDeep));
        done(null, body);
      }),
    );
  });
  fastify.addContentTypeParser(['text/csv', 'application/csv'], (_req, payload, done) =>
    readUpTo(payload, CSV_BODY_LIMIT, charsetOf(payload), csvNotUtf8, done),
  );
  // Read to its end unparsed, so the connection can answer; nothing is kept.
  fastify.addContentTypeParser('*', (_req, payload, done) => {
    payload.on('data', () => undefined);
    payload.on('error', () => done(null, undefined));
    payload.on('end', () => done(null, undefined));
  });
}
