import type { IncomingHttpHeaders } from 'node:http';

/**
 * What an Express request and a Fastify request both have: the service reads requests only through this, so either
 * adapter (HTTP_ADAPTER) serves the same API.
 */
export interface HttpRequest {
  method: string;
  url: string;
  /** Express and Fastify both keep the URL as it arrived, before any router rewrote `url`. */
  originalUrl?: string;
  headers: IncomingHttpHeaders;
  ip?: string;
  protocol?: string;
  body?: unknown;
  user?: unknown;
  socket?: { remoteAddress?: string };
}

/** What an Express response and a Fastify reply both have (Express's `header` is its `set`). */
export interface HttpReply {
  statusCode: number;
  status(code: number): unknown;
  header(name: string, value: string): unknown;
  type(contentType: string): unknown;
  send(body?: unknown): unknown;
}

/** One header's value (the first, if repeated), as Express's `req.header(name)` gives it. */
export function headerOf(req: Pick<HttpRequest, 'headers'>, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The path without the query string (Express's `req.path`; Fastify has no such field). */
export function pathOf(req: Pick<HttpRequest, 'url' | 'originalUrl'>): string {
  return (req.originalUrl ?? req.url).split('?')[0];
}

/**
 * The query string with its parameters in a canonical order (`''` when there is none): `?b=2&a=1` reads as `?a=1&b=2`,
 * so a retry spelling the same request otherwise is still the same request.
 */
export function canonicalQueryOf(req: Pick<HttpRequest, 'url' | 'originalUrl'>): string {
  const url = req.originalUrl ?? req.url;
  const at = url.indexOf('?');
  if (at < 0) return '';
  const params = new URLSearchParams(url.slice(at + 1));
  params.sort();
  return params.toString();
}

/** Whether the answer already left: Express says `headersSent`, Fastify `sent`. */
export function replySent(res: object): boolean {
  const r = res as { headersSent?: boolean; sent?: boolean; raw?: { headersSent?: boolean } };
  return r.headersSent === true || r.sent === true || r.raw?.headersSent === true;
}
