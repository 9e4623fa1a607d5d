import { verify } from 'jsonwebtoken';
import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import { createSecretKey } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { childPids, freePort, stopProcess, waitUntilServing } from '../../test/support/processes';
import { HoldTarget, readCommittedPool, Replay, replayHold, replaysOf } from './ceiling';
import { processCpuMs } from './service-process';

/**
 * The HTTP floor (issue 18): the fair ceiling's replayed hold behind the least an HTTP service must do around it —
 * node:http in as many processes as the service, the bearer token verified (HS256, as the service), the JSON body
 * parsed and checked, the voucher's owner compared, a JSON answer. No framework, ORM, validation library, request
 * context or pricing. Run as `node http-floor.js` by `startHttpFloor`; what it holds against the fair ceiling is
 * what any service of this shape could reach on the machine, so how far the service falls short of it is its own
 * cost.
 */
interface FloorConfig {
  database: string;
  port: number;
  workers: number;
  poolSize: number;
  jwtSecret: string;
  holds: HoldTarget[];
}

async function serve(config: FloorConfig): Promise<void> {
  const pool = readCommittedPool(config.database, config.poolSize);
  const replays = new Map<string, Replay>((await replaysOf(pool, config.holds)).map((r) => [r.voucherId, r]));
  const key = createSecretKey(Buffer.from(config.jwtSecret));
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const hold = async (req: IncomingMessage, res: ServerResponse, text: string) => {
    let claims: { sub?: string; sid?: string };
    try {
      claims = verify((req.headers.authorization ?? '').replace(/^Bearer /, ''), key, { algorithms: ['HS256'] }) as typeof claims;
    } catch {
      return answer(res, 401, { code: 'UNAUTHENTICATED' });
    }
    let body: { voucherId?: unknown; facilityId?: unknown; quantity?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return answer(res, 400, { code: 'VALIDATION_FAILED' });
    }
    if (typeof body?.voucherId !== 'string' || typeof body.facilityId !== 'string' || !Number.isInteger(body.quantity))
      return answer(res, 400, { code: 'VALIDATION_FAILED' });
    const replay = replays.get(body.voucherId);
    if (!replay || replay.sessionId !== claims.sid || replay.facilityId !== body.facilityId) return answer(res, 404, { code: 'NOT_FOUND' });
    const id = await replayHold(pool, replay);
    answer(res, 201, { id, voucherId: replay.voucherId, facilityId: replay.facilityId, status: 'held', subsidyFen: 1 });
  };
  createServer((req, res) => {
    if (req.method !== 'POST') return answer(res, 200, { status: 'ok' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hold(req, res, Buffer.concat(chunks).toString('utf8')).catch((e: Error) => answer(res, 500, { message: e.message }));
    });
  }).listen(config.port, '127.0.0.1');
}

/** Starts the floor on a free port, its processes run with `nodeArgs` (a CPU profile, say); `close` stops it. */
export async function startHttpFloor(
  config: Omit<FloorConfig, 'port'>,
  nodeArgs: string[] = [],
): Promise<{
  baseUrl: string;
  cpuMs(): number;
  close(): Promise<void>;
}> {
  const port = await freePort();
  const child = fork(__filename, [], {
    execArgv: nodeArgs,
    env: { ...process.env, HTTP_FLOOR_CONFIG: JSON.stringify({ ...config, port }) },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilServing(baseUrl, child);
  return { baseUrl, cpuMs: () => processCpuMs([child.pid!, ...childPids(child.pid!)]), close: () => stopProcess(child) };
}

if (require.main === module) {
  const config = JSON.parse(process.env.HTTP_FLOOR_CONFIG!) as FloorConfig;
  if (cluster.isPrimary) {
    for (let i = 0; i < config.workers; i++) cluster.fork();
  } else {
    process.on('disconnect', () => process.exit(0));
    void serve(config);
  }
}
