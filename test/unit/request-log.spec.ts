import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { requestContext } from '../../src/common/context/request-context';
import { loggerOptions, requestLog } from '../../src/common/http/request-log';

type Line = Record<string, unknown>;

/** The middleware on a fake request and response, with a real pino logger writing to an array. */
function serve(url: string, headers: Record<string, string> = {}) {
  const lines: Line[] = [];
  const logger = pino(loggerOptions('info'), { write: (line: string) => void lines.push(JSON.parse(line)) });
  const req = { method: 'POST', url, headers } as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: false }) as unknown as ServerResponse & {
    statusCode: number;
    writableFinished: boolean;
  };
  let inside: unknown;
  requestLog(() => logger)(req, res, () => {
    inside = requestContext.getStore();
    logger.warn('written while serving');
  });
  return { lines, res, inside: inside as { request: { id: string } } };
}

describe('the request log', () => {
  it('names the request on every line written while serving it, and writes one line when it ends', () => {
    const { lines, res, inside } = serve('/api/redemptions?secret=1', { 'x-request-id': 'abc-1' });
    expect(inside).toEqual({ request: { id: 'abc-1', method: 'POST', path: '/api/redemptions' } });
    expect(lines[0]).toMatchObject({ level: 40, msg: 'written while serving', req: { id: 'abc-1', path: '/api/redemptions' } });
    (inside as { actor?: { userId: string } }).actor = { userId: 'u-1' }; // the guard's part
    Object.assign(res, { statusCode: 201, writableFinished: true }).emit('close');
    expect(lines[1]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'abc-1', method: 'POST', path: '/api/redemptions' },
      res: { statusCode: 201 },
      responseTime: expect.any(Number),
      userId: 'u-1',
    });
    expect(JSON.stringify(lines)).not.toContain('secret');
    expect(lines).toHaveLength(2);
  });

  it('logs a 5xx as an error and a hang-up before the answer as such; replaces a missing or oversized request id', () => {
    const failed = serve('/api/claims');
    Object.assign(failed.res, { statusCode: 503, writableFinished: true }).emit('close');
    expect(failed.lines[1]).toMatchObject({ level: 50, msg: 'request failed', res: { statusCode: 503 } });
    expect(failed.inside.request.id).toMatch(/^[0-9a-f-]{36}$/);

    const aborted = serve('/api/claims', { 'x-request-id': 'x'.repeat(129) });
    aborted.res.emit('close');
    expect(aborted.lines[1]).toMatchObject({ level: 30, msg: 'request aborted', res: { statusCode: 200 } });
    expect(aborted.inside.request.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
