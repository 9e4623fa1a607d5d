import type { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
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

/** JSON bodies up to a limit; a parse failure is a 400 in the API's error shape, not Express's HTML page (Express). */
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

/** CSV bodies as text (Express). */
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

/** `100kb`, `10mb`, `512`: a size as Express's body parsers read it, in bytes. */
export function sizeInBytes(limit: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(limit.trim());
  if (!m) throw new Error(`not a size: ${limit}`);
  return Math.floor(Number(m[1]) * 1024 ** ['b', 'kb', 'mb', 'gb'].indexOf((m[2] ?? 'b').toLowerCase()));
}

type Done = (err: Error | null, body?: unknown) => void;
interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string | string[],
    parser: (req: { headers: IncomingMessage['headers'] }, payload: IncomingMessage, done: Done) => void,
  ): void;
}

/**
 * Reads a body up to `limit` bytes itself rather than through Fastify's `bodyLimit`: Fastify's own refusal would reach
 * the error filter as an unknown error (a 500), where this one is the API's PAYLOAD_TOO_LARGE.
 */
function readUpTo(
  payload: IncomingMessage,
  limit: number,
  limitText: string,
  done: (err: DomainError | null, text?: string) => void,
): void {
  if (Number(payload.headers['content-length']) > limit) {
    payload.resume(); // drained, so the connection can answer
    return done(new DomainError('PAYLOAD_TOO_LARGE', `body: larger than ${limitText}`));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  payload.on('data', (chunk: Buffer) => {
    if (failed) return;
    size += chunk.length;
    if (size > limit) {
      failed = true;
      return done(new DomainError('PAYLOAD_TOO_LARGE', `body: larger than ${limitText}`));
    }
    chunks.push(chunk);
  });
  payload.on('error', (e) => {
    if (!failed) done(new DomainError('VALIDATION_FAILED', `body: ${e.message}`));
    failed = true;
  });
  payload.on('end', () => {
    if (!failed) done(null, Buffer.concat(chunks).toString('utf8'));
  });
}

/**
 * The same bodies under Fastify, with the same limits and the same refusals as jsonBody and csvBody: JSON up to
 * BODY_LIMIT and no deeper than MAX_DEPTH, CSV as text, and any other type read and left unparsed (Express's parsers
 * skip a type they do not handle; Fastify would answer 415).
 */
export function registerFastifyBodyParsers(app: INestApplication, jsonLimit: string): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyLike;
  fastify.removeAllContentTypeParsers();
  const jsonBytes = sizeInBytes(jsonLimit);
  fastify.addContentTypeParser('application/json', (_req, payload, done) =>
    readUpTo(payload, jsonBytes, jsonLimit, (err, text) => {
      if (err) return done(err);
      if (text === '') return done(null, {}); // as Express's json parser answers an empty body
      let body: unknown;
      try {
        body = JSON.parse(text!);
      } catch {
        return done(new DomainError('VALIDATION_FAILED', 'body: malformed JSON'));
      }
      // Express's parser is strict: only objects and arrays.
      if (body === null || typeof body !== 'object') return done(new DomainError('VALIDATION_FAILED', 'body: malformed JSON'));
      const tooDeep = nestedTooDeep(body, MAX_DEPTH);
      if (tooDeep) return done(new DomainError('VALIDATION_FAILED', `${tooDeep}: nested more than ${counted(MAX_DEPTH, 'level')} deep`));
      done(null, body);
    }),
  );
  const csvBytes = sizeInBytes(CSV_BODY_LIMIT);
  fastify.addContentTypeParser(['text/csv', 'application/csv'], (_req, payload, done) => readUpTo(payload, csvBytes, CSV_BODY_LIMIT, done));
  fastify.addContentTypeParser('*', (_req, payload, done) => readUpTo(payload, jsonBytes, jsonLimit, (err) => done(err, undefined)));
}
