import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DestinationStream, Logger } from 'pino';
import { PinoLogger, type Params } from 'nestjs-pino';
import { ContextStore, requestContext } from '../context/request-context';

/**
 * A caller's X-Request-Id is kept when it is 1–128 printable ASCII characters, else replaced: it only has to tell one
 * request from another, and control bytes would reach the operators' terminals through the log.
 */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * A calendar feed's path holds its secret token (`/api/calendar/<token>.ics`); `feed` is the route that makes one.
 * Whatever follows `/calendar/` is replaced, so a mangled path (`/api//calendar/…`, `…/<token>.ics/x`) hides it too.
 */
const FEED_PATH = /(\/calendar\/)(?!feed\/?$).*?(\.ics)?$/i;

/**
 * A voucher's verification code (`/verify/<code>`, `/api/vouchers/verify/<code>`) opens its holder's certificate to
 * whoever has it, as a printed QR code does: it is not written where operators and log shippers read it either.
 */
const VERIFY_PATH = /(\/verify\/).+$/i;

/** The path as logged: a feed's token and a verification code are credentials, so a placeholder stands for each. */
export const loggedPath = (path: string): string => path.replace(FEED_PATH, '$1<token>$2').replace(VERIFY_PATH, '$1<code>');

/** The application logger's options: every line logged while a request is served names it (`req: {id, method, path}`). */
export const loggerOptions = (level: string) => ({
  level,
  mixin: () => {
    const request = requestContext.getStore()?.request;
    return request ? { req: request } : {};
  },
});

/**
 * The logger module's parameters: the application's pino logger (`destination` is stdout unless given: a test reads
 * the lines) with the request mixin. nestjs-pino's own per-request middleware stays unmounted (`forRoutes: []`):
 * `requestLog` below writes the request lines.
 */
export const requestLogParams = (level: string, destination?: DestinationStream): Params => {
  // pino-http only builds the logger here; its request and response serializers would rewrite our `req` and `res`
  const options = { ...loggerOptions(level), wrapSerializers: false };
  return { pinoHttp: destination ? [options, destination] : options, forRoutes: [] };
};

/**
 * The request context of each request, and one line when it ends with what an operator needs — method, path, status,
 * response time, request id and the caller's user id — and nothing a caller may have sent as a secret: no headers
 * (Authorization, cookies, API keys), no body, no query string, no calendar feed's token.
 *
 * By hand rather than pino-http's middleware, which made a child logger per request and ran nestjs-pino's own
 * AsyncLocalStorage beside ours: 16 µs of CPU a request against 3 µs here (docs/performance.md, 2026-12-01). This is
 * one listener, the one context the service already needed, and one line.
 */
export function requestLog(logger: () => Logger | undefined = () => PinoLogger.root) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const store: ContextStore = { request: { id, method: req.method ?? '', path: loggedPath(query < 0 ? url : url.slice(0, query)) } };
    res.once('close', () => {
      const log = logger(); // nestjs-pino sets its root logger when the application is built; a listener must not throw
      if (!log) return;
      const line = {
        req: store.request,
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
        userId: store.actor?.userId,
      };
      // a client that hung up before the answer was written is an ordinary access-log line (nginx's 499); a 5xx an error
      if (!res.writableFinished) log.info(line, 'request aborted');
      else if (res.statusCode >= 500) log.error(line, 'request failed');
      else log.info(line, 'request completed');
    });
    requestContext.run(store, next);
  };
}
