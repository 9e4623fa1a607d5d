import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import type { Params } from 'nestjs-pino';
import type { Actor } from '../context/request-context';

/** What pino-http hands a request serializer: its standard view of the request. */
interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
}

/**
 * One line per request with what an operator needs — method, path, status, response time, request id and the
 * caller's user id — and nothing a caller may have sent as a secret: no headers (Authorization, cookies, API keys), no
 * body, no query string.
 */
export function requestLogOptions(level: string): Options {
  return {
    level,
    genReqId: (req) => (req.headers['x-request-id'] as string) ?? randomUUID(),
    serializers: {
      req: (req: SerializedRequest) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // Read when the response finishes, after the guard has set the caller.
    customProps: (req: IncomingMessage) => ({ userId: (req as IncomingMessage & { user?: Actor }).user?.userId }),
  };
}

/** The logger module's parameters; `destination` is stdout unless given (a test reads the lines). */
export const requestLogParams = (level: string, destination?: DestinationStream): Params => ({
  pinoHttp: destination ? [requestLogOptions(level), destination] : requestLogOptions(level),
  // Every path, under either adapter: nestjs-pino's default ('{/*splat}') matches nothing under Fastify's middie here,
  // so the service would log no request at all (the request-log test runs on both).
  forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
});
