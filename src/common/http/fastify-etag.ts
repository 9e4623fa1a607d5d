import type { INestApplication } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Express's weak ETag of a body (the `etag` package): its length and the start of its SHA-1. */
export function weakEtag(body: string | Buffer): string {
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const hash = createHash('sha1').update(body).digest('base64').slice(0, 27);
  return `W/"${length.toString(16)}-${hash}"`;
}

/** Whether `If-None-Match` names `etag` (the `fresh` package's rules, without dates: the service sends none). */
export function fresh(headers: IncomingHttpHeaders, etag: string): boolean {
  const noneMatch = headers['if-none-match'];
  if (!noneMatch || /(?:^|,)\s*?no-cache\s*?(?:,|$)/.test(headers['cache-control'] ?? '')) return false;
  if (noneMatch === '*') return true;
  return noneMatch.split(',').some((m) => {
    const tag = m.trim();
    return tag === etag || `W/${tag}` === etag || tag === `W/${etag}`;
  });
}

interface OnSendFastify {
  addHook(
    name: 'onSend',
    hook: (
      req: { method: string; headers: IncomingHttpHeaders },
      reply: {
        statusCode: number;
        getHeader(name: string): unknown;
        header(name: string, value: string): unknown;
        code(c: number): unknown;
      },
      payload: unknown,
    ) => Promise<unknown>,
  ): void;
}

/**
 * What Express does in `res.send` and Fastify does not: a weak ETag on every body sent whole, and 304 to a GET or HEAD
 * whose If-None-Match names it. The public pages count on it (a verification page is `no-cache`: a cache asks again
 * every time, cheaply); API clients may too. Streams (PDFs) get none, as under Express.
 */
export function registerFastifyEtags(app: INestApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as OnSendFastify;
  fastify.addHook('onSend', async (req, reply, payload) => {
    if ((typeof payload !== 'string' && !Buffer.isBuffer(payload)) || reply.getHeader('etag') !== undefined) return payload;
    const etag = weakEtag(payload);
    reply.header('ETag', etag);
    const cacheable = (req.method === 'GET' || req.method === 'HEAD') && reply.statusCode >= 200 && reply.statusCode < 300;
    if (!cacheable || !fresh(req.headers, etag)) return payload;
    reply.code(304);
    return '';
  });
}
