import { randomBytes } from 'node:crypto';
import { createServer, connect, Server, Socket } from 'node:net';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { mariaConnection } from '../support/app-under-test';
import { openRegion } from '../support/fixtures';
import { describeOnServer } from '../support/races';
import { buildService, ServiceNode, startServiceNode, until } from '../support/service-process';
import { auth, OrgSession, TestApp } from '../support/test-app';

const REGION = '340100';

/**
 * A TCP path to the database that can stall like a paused server or a network dropping packets without a reset: while
 * frozen it forwards nothing either way and accepts new connections without answering them, yet closes none.
 */
class StallingProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private frozen = false;
  private server!: Server;
  port = 0;

  async start(target: { host: string; port: number }): Promise<void> {
    this.server = createServer((client) => {
      const pair = { client, upstream: connect(target.port, target.host) };
      this.pairs.add(pair);
      const close = () => {
        client.destroy();
        pair.upstream.destroy();
        this.pairs.delete(pair);
      };
      for (const socket of [client, pair.upstream]) socket.on('error', close).on('close', close);
      if (this.frozen) this.hold(pair);
      else this.link(pair);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Connections open from the service through this path. */
  get connections(): number {
    return this.pairs.size;
  }

  freeze(): void {
    this.frozen = true;
    for (const pair of this.pairs) this.hold(pair);
  }

  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) this.link(pair);
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) [client, upstream].forEach((s) => s.destroy());
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private link({ client, upstream }: { client: Socket; upstream: Socket }): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private hold({ client, upstream }: { client: Socket; upstream: Socket }): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }
}

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
  ms: number;
  id?: string;
}

/** A stalled request shows as status 0 after `patienceMs` rather than holding the test until the stall ends. */
async function ask(url: string, init: RequestInit, patienceMs = 20_000): Promise<Answer> {
  const started = Date.now();
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(patienceMs) });
    const body = (await r.json()) as { code?: string; id?: string };
    return { status: r.status, code: body.code, id: body.id, retryAfter: r.headers.get('retry-after'), ms: Date.now() - started };
  } catch {
    return { status: 0, retryAfter: null, ms: Date.now() - started };
  }
}

/**
 * A database server that stops answering without closing anything (SIGSTOP of mariadbd, a paused VM, a full disk, packets
 * dropped on the way): requests must still answer, 503 with Retry-After within DB_STATEMENT_TIMEOUT_SEC and
 * DB_ACQUIRE_TIMEOUT_SEC, and the node serve again by itself once the server answers. Without the bounds every request
 * and the health check waited for as long as the stall lasted (20 s of a 20 s stall of a private mariadbd under load).
 */
describeOnServer('a database server that stalls', 'SQLite runs in the process: it has no server or network path to stall', () => {
  let t: TestApp;
  let e: OrgSession;
  let proxy: StallingProxy;
  let node: ServiceNode | undefined;

  beforeAll(async () => {
    buildService();
    t = await TestApp.start({ JWT_SECRET: randomBytes(32).toString('hex') });
    await openRegion(t, REGION);
    e = await t.registerEnterprise(REGION);
    proxy = new StallingProxy();
    const { host, port } = mariaConnection();
    await proxy.start({ host, port });
    node = await startServiceNode({
      DB_HOST: '127.0.0.1',
      DB_PORT: String(proxy.port),
      DB_SOCKET: '',
      DB_POOL_SIZE: '2',
      DB_STATEMENT_TIMEOUT_SEC: '3',
      DB_ACQUIRE_TIMEOUT_SEC: '2',
    });
  }, 180_000);
  afterAll(async () => {
    proxy?.thaw();
    node?.process.kill('SIGKILL');
    await proxy?.close();
    await t?.close();
  });

  const apply = (key: string, patienceMs?: number) =>
    ask(
      `${node!.baseUrl}/api/voucher-applications`,
      {
        method: 'POST',
        headers: { ...auth(e.token), 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ amountFen: 100_000, purpose: 'XRD' }),
      },
      patienceMs,
    );
  const applications = async () =>
    Number(
      (
        await t
          .get(Database)
          .rows<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM voucher_application WHERE enterprise_id = ${e.organizationId}`)
      )[0].n,
    );

  it('answers 503 with Retry-After within its bounds while the server stalls, then serves again by itself', async () => {
    expect((await apply('before')).status).toBe(201);
    const before = await applications();

    proxy.freeze();
    const keys = Array.from({ length: 6 }, (_, i) => `stalled-${i}`);
    const [health, live, reads, ...writes] = await Promise.all([
      ask(`${node!.baseUrl}/api/health`, {}),
      ask(`${node!.baseUrl}/api/health/live`, {}),
      ask(`${node!.baseUrl}/api/vouchers`, { headers: auth(e.token) }),
      ...keys.map((key) => apply(key)),
    ]);

    // Readiness says so quickly (a load balancer takes the node out); liveness does not ask the database.
    expect(health).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(health.ms).toBeLessThan(4_000);
    expect(live.status).toBe(200);
    for (const answer of [reads, ...writes]) {
      expect(answer).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE', retryAfter: expect.any(String) });
      // a statement's 3 s and a wait of 2 s for a connection, then a second statement's at most; never the stall's length
      expect(answer.ms).toBeLessThan(10_000);
    }

    proxy.thaw();
    const thawed = Date.now();
    await until('the node to serve again', async () => ((await ask(`${node!.baseUrl}/api/health`, {})).status === 200 ? true : undefined));
    expect(Date.now() - thawed).toBeLessThan(5_000);

    // Every key either ran once or runs now: none is stranded half-done.
    const retried = await Promise.all(keys.map((key) => apply(key)));
    expect(retried.map((r) => r.status)).toEqual(keys.map(() => 201));
    const again = await Promise.all(keys.map((key) => apply(key)));
    expect(again.map((r) => r.id)).toEqual(retried.map((r) => r.id));
    expect(await applications()).toBe(before + keys.length);
    // The connections the stall held were dropped, not kept beside new ones.
    expect(proxy.connections).toBeLessThanOrEqual(2);
    expect((await t.ledgerCheck()).balanced).toBe(true);
  }, 120_000);
});

describe('liveness apart from the database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t?.close());

  it('GET /api/health/live answers 200 without a token', async () => {
    const res = await t.http.get('/api/health/live').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});
