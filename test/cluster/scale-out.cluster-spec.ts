// Two API nodes, each on its own node of a 3-node Galera cluster, under the races of the single-database suites and
// the money simulation spread over both. `npm run test:cluster`; prints the figures the README quotes.
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { simulate } from '../../bench/lib/simulation';
import { expectStatus, login, loginStaff, type Staff } from '../../bench/lib/sim-world';
import { MIGRATIONS } from '../../migrations';
import { AppModule } from '../../src/app.module';
import { beijingYear } from '../../src/common/clock';
import { projectRoot } from '../../src/common/paths';
import { SeedService } from '../../src/seed/seed.service';
import { bureauFor, DEMO_PASSWORD, PASSWORD } from '../support/accounts';
import { policyBody } from '../support/fixtures';
import { HttpClient, Reply, RequestOptions } from '../support/http-client';
import { creditCodeIn } from '../support/test-app';
import { ApiNode, startApiNodes, UnitOfWorkCounts } from './api-nodes';
import { startGalera, type GaleraCluster } from './galera';

const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);
const DATABASE = 'vcluster';
const YEAR = beijingYear(Date.now()); // the service's budget year: Beijing's
/** Wuhu and Bengbu: cities the simulation's world leaves alone, so (d) runs beside what (a)–(c) left. */
const WUHU = '340200';
const BENGBU = '340300';
/** Ten more Anhui cities the simulation leaves alone (its Chuzhou enterprises fall back to the province: not 341100). */
/** Xuancheng: (e)'s own city, so it runs alone too (`-t '(e)'`). */
const XUANCHENG = '341800';
const TEN_CITIES = ['340400', '340500', '340600', '340700', '340800', '341000', '341200', '341300', '341500', '341600'];
/** One TEM hour at ¥800 and 50%: a full subsidy is 40,000 fen. */
const FULL_SUBSIDY = 40_000;

interface Figure {
  scenario: string;
  requests: number;
  seconds: number;
  /** Unit-of-work retries and 503 SERVICE_BUSY answers on both nodes during the scenario. */
  retries: number;
  busy: number;
  /** The most attempts a unit on either node has needed so far. */
  mostAttempts: number;
  status5xx: number;
}

describe('scale-out: two API nodes on two nodes of a 3-node Galera cluster', () => {
  let cluster: GaleraCluster | undefined;
  let nodes: ApiNode[] = [];
  let context: INestApplicationContext | undefined;
  let a: HttpClient;
  let b: HttpClient;
  let both: HttpClient;
  let staff: Record<Staff, string>;
  const figures: Figure[] = [];
  const replies: Reply[] = []; // of the scenario in progress

  /** A request through one node (or both in turn), kept for the scenario's figures. */
  const send = async (http: HttpClient, method: string, path: string, opts: RequestOptions = {}) => {
    const reply = await http.request(method, path, opts);
    replies.push(reply);
    return reply;
  };
  const totals = async (): Promise<UnitOfWorkCounts> => {
    const counts = await Promise.all(nodes.map((n) => n.counts()));
    return counts.reduce((s, c) => ({
      units: s.units + c.units,
      retries: s.retries + c.retries,
      busy: s.busy + c.busy,
      mostAttempts: Math.max(s.mostAttempts, c.mostAttempts),
    }));
  };
  /** Runs a scenario and records its requests, time, retries and 503s; `requests` overrides the count (the simulation's own). */
  const measured = async <T>(scenario: string, work: () => Promise<T>, requests?: (result: T) => number): Promise<T> => {
    replies.length = 0;
    const before = await totals();
    const started = performance.now();
    const result = await work();
    const seconds = (performance.now() - started) / 1000;
    const after = await totals();
    figures.push({
      scenario,
      requests: requests ? requests(result) : replies.length,
      seconds,
      retries: after.retries - before.retries,
      busy: after.busy - before.busy,
      mostAttempts: after.mostAttempts,
      status5xx: replies.filter((r) => r.status >= 500).length,
    });
    return result;
  };
  const fiveHundreds = () => replies.filter((r) => r.status >= 500).map((r) => `${r.status} ${r.text.slice(0, 200)}`);

  /** The ledger check and the audit chain, asked of each node. */
  const expectCleanOnBothNodes = async () => {
    for (const http of [a, b]) {
      const check = await http.request('GET', '/api/ledger/check', { token: staff.platform });
      expect({ status: check.status, balanced: check.body.balanced, violations: check.body.violations }).toEqual({
        status: 200,
        balanced: true,
        violations: [],
      });
      const audit = await http.request('GET', '/api/audit/verify', { token: staff.platform });
      expect({ status: audit.status, valid: audit.body.valid }).toEqual({ status: 200, valid: true });
    }
  };

  const registered = async (http: HttpClient, role: 'enterprise' | 'provider', region: string) => {
    const username = `${role}-${randomBytes(5).toString('hex')}`;
    const body = {
      username,
      password: PASSWORD,
      role,
      organization: { name: `${role} ${username}`, creditCode: creditCodeIn(region, role === 'provider' ? '12' : '91') },
    };
    const reg = expectStatus(`register ${username}`, await http.request('POST', '/api/auth/register', { body }), 201);
    if (role === 'enterprise') {
      // A new enterprise may apply only once its bureau has verified it; through the other node, read-your-writes included.
      const token = staff[bureauFor(region) as Staff];
      const verify = { token, body: { certificateNo: `CLUSTER-${username}` } };
      const other = http === a ? b : a;
      expectStatus(`verify ${username}`, await other.request('POST', `/api/organizations/${reg.body.organization.id}/verify`, verify), 200);
    }
    return { id: reg.body.organization.id as string, token: await login(http, username, PASSWORD) };
  };
  const openRegion = async (regionCode: string, budgetFen: number, policy: Record<string, unknown> = {}) => {
    const token = staff['bureau-ah'];
    expectStatus(`policy ${regionCode}`, await a.request('POST', '/api/policies', { token, body: policyBody(regionCode, policy) }), 201);
    const budget = await b.request('PUT', `/api/budgets/${regionCode}/${YEAR}`, { token, body: { totalFen: budgetFen } });
    expectStatus(`budget ${regionCode}`, budget, 200);
  };
  const voucherOf = async (http: HttpClient, token: string, amountFen: number) => {
    const r = await http.request('POST', '/api/voucher-applications', { token, body: { amountFen, purpose: 'cluster test' } });
    expect({ status: r.status, application: r.body.status }).toEqual({ status: 201, application: 'approved' });
    return r.body.voucher as { id: string; serial: string };
  };

  beforeAll(async () => {
    log('building the service (npm run build)');
    execFileSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'ignore' });
    let started = Date.now();
    cluster = await startGalera({ log });
    log(`Galera cluster of 3 up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const [db1, db2, db3] = cluster.nodes;
    const admin = await mysql.createConnection({ host: db1.host, port: db1.port, user: 'root', password: '' });
    await admin.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();

    // The audit key of the deployment: the API nodes and this process (a third instance) sign checkpoints with it.
    const auditKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // Both API nodes start at once on the empty database: one migrates, the other waits for it (the migration lease).
    started = Date.now();
    nodes = await startApiNodes(
      [
        { name: 'A', dbHost: db1.host, dbPort: db1.port },
        { name: 'B', dbHost: db2.host, dbPort: db2.port },
      ],
      {
        NODE_ENV: 'production',
        // One set of secrets for both nodes, as a deployment shares them.
        JWT_SECRET: randomBytes(32).toString('hex'),
        MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        AUDIT_SIGNING_KEY: auditKey,
        // Staff sign in with a password alone here: two-factor is tested in the sessions suite, not under load.
        MFA_REQUIRED: 'false',
        // Every client of this test is one loopback address: the per-address limits would stop the set-up, not an attacker.
        REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
        LOGIN_FAILURES_PER_IP_PER_MIN: '1000000',
        DB_TYPE: 'mariadb',
        DB_NAME: DATABASE,
        DB_USER: 'root',
        DB_PASSWORD: '',
        LOG_LEVEL: 'warn',
        SEED_DEMO: 'never',
      },
    );
    log(
      `API nodes A (${nodes[0].baseUrl} → :${db1.port}) and B (${nodes[1].baseUrl} → :${db2.port}) serving after ${Date.now() - started} ms`,
    );

    // This process reaches the database through node 3, as a third service instance would: staff users and the
    // simulation's direct reads of the tables.
    Object.assign(process.env, {
      NODE_ENV: 'test',
      DB_TYPE: 'mariadb',
      DB_HOST: db3.host,
      DB_PORT: String(db3.port),
      DB_NAME: DATABASE,
      DEMO_PASSWORD,
      SEED_DEMO: 'never',
      LOG_LEVEL: 'silent',
      SWEEP_INTERVAL_SEC: '0',
      AUDIT_SIGNING_KEY: auditKey,
    });
    context = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await context.get(SeedService).seedStaff();

    a = new HttpClient(nodes[0].baseUrl);
    b = new HttpClient(nodes[1].baseUrl);
    both = new HttpClient(nodes.map((n) => n.baseUrl));
    staff = await loginStaff(both);
  }, 600_000);

  afterAll(async () => {
    if (figures.length) {
      log('figures (both nodes; retries and 503s from the units of work, 5xx as the clients saw them):');
      const row = (cells: (string | number)[]) => log(cells.map((c, i) => (i ? String(c).padStart(10) : String(c).padEnd(48))).join(''));
      row(['scenario', 'requests', 'seconds', 'req/s', 'retries', 'per 1,000', '503s', '5xx', 'attempts≤']);
      for (const f of figures) {
        const perSec = (f.requests / f.seconds).toFixed(0);
        const per1000 = ((1000 * f.retries) / f.requests).toFixed(1);
        row([f.scenario, f.requests, f.seconds.toFixed(1), perSec, f.retries, per1000, f.busy, f.status5xx, f.mostAttempts]);
      }
    }
    for (const n of nodes) if (n.output.length) log(`node ${n.name} wrote:\n${n.output.join('\n')}`);
    // A 5xx anywhere: what the database nodes saw at the time (a stalled applier, a flow-control pause, a BF abort)
    if (figures.some((f) => f.status5xx > 0) && cluster) log(cluster.logTails());
    await context?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    const started = Date.now();
    await cluster?.stop();
    if (cluster) log(`cluster down in ${Date.now() - started} ms`);
  }, 180_000);

  it('started both nodes at once on the empty database: each migration ran once, the lease is free, reads are causal', async () => {
    const ds = context!.get(DataSource);
    const ran = await ds.query<{ name: string; n: number | string }[]>('SELECT name, COUNT(*) AS n FROM migrations GROUP BY name');
    expect(ran.map((m) => [m.name, Number(m.n)]).sort()).toEqual(MIGRATIONS.map((m) => [m.name, 1]).sort());
    expect(await ds.query('SELECT holder FROM migration_lock')).toEqual([{ holder: null }]);
    // DB_CAUSAL_READS=auto found wsrep on and set wsrep_sync_wait on this process's connections, as on the API nodes'.
    expect(await ds.query('SELECT @@wsrep_on AS wsrepOn, @@wsrep_sync_wait AS syncWait')).toEqual([{ wsrepOn: 1, syncWait: 1 }]);
  });

  it('(a) 200 concurrent applications from 40 enterprises of one city over both nodes: all approved, budget exact, no 5xx', async () => {
    await openRegion(WUHU, 200 * 100_000, { autoApproveMaxFen: 1_000_000 });
    const enterprises = await Promise.all(Array.from({ length: 40 }, (_, i) => registered(i % 2 ? b : a, 'enterprise', WUHU)));

    const results = await measured('(a) 200 applications, one city budget', () =>
      Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          send(i % 2 ? b : a, 'POST', '/api/voucher-applications', {
            token: enterprises[i % 40].token,
            body: { amountFen: 100_000, purpose: '并发申请' },
          }),
        ),
      ),
    );

    expect(fiveHundreds()).toEqual([]);
    expect(results.map((r) => [r.status, r.body.status])).toEqual(Array(200).fill([201, 'approved']));
    const serials = results.map((r) => r.body.voucher.serial as string);
    expect(new Set(serials).size).toBe(200);
    for (const s of serials) expect(s).toMatch(new RegExp(`^AH-${YEAR}-\\d{6}$`));
    for (const http of [a, b]) {
      const budget = await http.request('GET', `/api/budgets/${WUHU}/${YEAR}`, { token: staff.platform });
      expect(budget.body).toEqual({ regionCode: WUHU, year: YEAR, totalFen: 20_000_000, availableFen: 0, committedFen: 20_000_000 });
    }
    await expectCleanOnBothNodes();
  });

  it('(a2) 200 concurrent applications from 40 enterprises of ten Anhui cities over both nodes: serials unique, budgets exact', async () => {
    // Ten budgets instead of one, and one province's serial numbers for all: the counter row would be the hot spot here
    // if every issuance took its number from it (SERIAL_BLOCK_SIZE=1).
    for (const city of TEN_CITIES) await openRegion(city, 20 * 100_000, { autoApproveMaxFen: 1_000_000 });
    const enterprises = await Promise.all(
      Array.from({ length: 40 }, (_, i) => registered(i % 2 ? b : a, 'enterprise', TEN_CITIES[i % 10])),
    );

    const results = await measured('(a2) 200 applications, ten city budgets', () =>
      Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          send(i % 2 ? b : a, 'POST', '/api/voucher-applications', {
            token: enterprises[i % 40].token,
            body: { amountFen: 100_000, purpose: '并发申请' },
          }),
        ),
      ),
    );

    expect(fiveHundreds()).toEqual([]);
    expect(results.map((r) => [r.status, r.body.status])).toEqual(Array(200).fill([201, 'approved']));
    expect(new Set(results.map((r) => r.body.voucher.serial)).size).toBe(200);
    for (const city of TEN_CITIES) {
      const budget = await (city < '341000' ? a : b).request('GET', `/api/budgets/${city}/${YEAR}`, { token: staff.platform });
      expect(budget.body).toMatchObject({ totalFen: 2_000_000, availableFen: 0, committedFen: 2_000_000 });
    }
    await expectCleanOnBothNodes();
  });

  describe('holds on a Shanghai lab', () => {
    let lab: { id: string; token: string };
    let tem: string;

    beforeAll(async () => {
      await openRegion(BENGBU, 1_000_000_000);
      lab = await registered(a, 'provider', '310115');
      expectStatus(
        'admit',
        await b.request('POST', `/api/providers/${lab.id}/admit`, { token: staff['bureau-sh'], body: { noticeDays: 0 } }),
        200,
      );
      const facility = { name: 'TEM 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 };
      tem = expectStatus('facility', await a.request('POST', '/api/facilities', { token: lab.token, body: facility }), 201).body.id;
    });

    it('(b) 100 concurrent holds on one voucher over both nodes: exactly its balance is held, the rest refused, no 5xx', async () => {
      const remainder = 12_345;
      const faceValueFen = 37 * FULL_SUBSIDY + remainder;
      const e = await registered(a, 'enterprise', BENGBU);
      const v = await voucherOf(b, e.token, faceValueFen);

      const results = await measured('(b) 100 holds, one voucher', () =>
        Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            send(i % 2 ? b : a, 'POST', '/api/redemptions', { token: e.token, body: { voucherId: v.id, facilityId: tem, quantity: 1 } }),
          ),
        ),
      );

      expect(fiveHundreds()).toEqual([]);
      const held = results.filter((r) => r.status === 201).map((r) => r.body.subsidyFen as number);
      expect(held.sort((x, y) => y - x)).toEqual([...Array(37).fill(FULL_SUBSIDY), remainder]);
      const refused = results.filter((r) => r.status !== 201).map((r) => [r.status, r.body.code]);
      expect(refused).toEqual(Array(62).fill([422, 'VOUCHER_INSUFFICIENT_BALANCE']));
      for (const http of [a, b]) {
        const voucher = await http.request('GET', `/api/vouchers/${v.id}`, { token: e.token });
        expect(voucher.body).toMatchObject({ faceValueFen, availableFen: 0, heldFen: faceValueFen, spentFen: 0 });
      }
      await expectCleanOnBothNodes();
    });

    it('(c) a hold placed through A is read and captured through B at once, 300 times', async () => {
      const chains = 10;
      const rounds = 30;
      const vouchers = await Promise.all(
        Array.from({ length: chains }, async () => {
          const e = await registered(b, 'enterprise', BENGBU);
          return { token: e.token, id: (await voucherOf(a, e.token, rounds * FULL_SUBSIDY)).id };
        }),
      );
      const misses: string[] = [];

      await measured('(c) hold on A, read + capture on B, ×300', () =>
        Promise.all(
          vouchers.map(async (v) => {
            for (let round = 0; round < rounds; round++) {
              const hold = await send(a, 'POST', '/api/redemptions', {
                token: v.token,
                body: { voucherId: v.id, facilityId: tem, quantity: 1 },
              });
              expect(hold.status).toBe(201);
              const read = await send(b, 'GET', `/api/redemptions/${hold.body.id}`, { token: v.token });
              if (read.status !== 200 || read.body.status !== 'held')
                misses.push(`read ${hold.body.id}: ${read.status} ${read.text.slice(0, 200)}`);
              const capture = await send(b, 'POST', `/api/redemptions/${hold.body.id}/capture`, {
                token: lab.token,
                body: { actualQuantity: 1 },
              });
              if (capture.status !== 200 || capture.body.status !== 'captured')
                misses.push(`capture ${hold.body.id}: ${capture.status} ${capture.text.slice(0, 200)}`);
            }
          }),
        ),
      );

      expect(misses).toEqual([]);
      expect(fiveHundreds()).toEqual([]);
      for (const v of vouchers) {
        const voucher = await a.request('GET', `/api/vouchers/${v.id}`, { token: v.token });
        expect(voucher.body).toMatchObject({ availableFen: 0, heldFen: 0, spentFen: rounds * FULL_SUBSIDY });
      }
      await expectCleanOnBothNodes();
    });

    it('throughput: holds at 32 concurrent requests through one API node, then spread over both', async () => {
      // Cheap holds (100 fen of subsidy each) on 40 vouchers of 10,000 holds each, so no voucher runs dry.
      const cheap = { name: '显微镜 自助机时', category: 'testing', unit: 'hour', unitPriceFen: 200 };
      const facility = expectStatus('facility', await a.request('POST', '/api/facilities', { token: lab.token, body: cheap }), 201).body.id;
      const vouchers = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const e = await registered(i % 2 ? b : a, 'enterprise', BENGBU);
          return { token: e.token, id: (await voucherOf(a, e.token, 1_000_000)).id };
        }),
      );
      const holds = async (http: HttpClient, count: number) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: 32 }, async () => {
            for (let i = next++; i < count; i = next++) {
              const v = vouchers[i % vouchers.length];
              await send(http, 'POST', '/api/redemptions', {
                token: v.token,
                body: { voucherId: v.id, facilityId: facility, quantity: 1 },
              });
            }
          }),
        );
      };

      await measured('holds, 32 at a time, through node A alone', () => holds(a, 3000));
      expect(fiveHundreds()).toEqual([]);
      expect(replies.every((r) => r.status === 201)).toBe(true);
      await measured('holds, 32 at a time, spread over A and B', () => holds(both, 3000));
      expect(fiveHundreds()).toEqual([]);
      expect(replies.every((r) => r.status === 201)).toBe(true);
      await expectCleanOnBothNodes();
    });
  });

  it('(d) the simulation, seed 1, 5,000 operations spread over both nodes: every invariant holds, no 5xx', async () => {
    const report = await measured(
      '(d) simulation seed 1, 5,000 ops, both nodes',
      () =>
        simulate(
          { baseUrls: nodes.map((n) => n.baseUrl), dataSource: context!.get(DataSource), dbName: DATABASE },
          { seed: 1, ops: 5000, db: 'mariadb', log: (line) => log(`simulation: ${line}`) },
        ),
      (r) => r.requests,
    );
    const first = report.failures[0];
    expect(first ? `op ${first.opIndex}: ${first.invariant}\n${first.detail}` : 'no failure').toBe('no failure');
    expect(report.ops).toBe(5000);
    const status5xx = Object.values(report.histogram).flatMap((byStatus) => Object.entries(byStatus).filter(([s]) => Number(s) >= 500));
    expect(status5xx).toEqual([]);
    figures[figures.length - 1].status5xx = status5xx.reduce((n, [, count]) => n + count, 0);
    await expectCleanOnBothNodes();
  });

  it('(e) database node 1 cut off from the cluster: A answers 503, never 500; B serves; A serves once it is back', async () => {
    await openRegion(XUANCHENG, 100_000_000);
    const e = await registered(b, 'enterprise', XUANCHENG);
    const v = await voucherOf(b, e.token, 1_000_000);
    const lab = await registered(b, 'provider', '310115');
    expectStatus(
      'admit',
      await b.request('POST', `/api/providers/${lab.id}/admit`, { token: staff['bureau-sh'], body: { noticeDays: 0 } }),
      200,
    );
    const cheap = { name: '离心机 机时', category: 'testing', unit: 'hour', unitPriceFen: 200 };
    const facility = expectStatus('facility', await b.request('POST', '/api/facilities', { token: lab.token, body: cheap }), 201).body.id;
    const hold = (http: HttpClient, key: string) =>
      send(http, 'POST', '/api/redemptions', { token: e.token, key, body: { voucherId: v.id, facilityId: facility, quantity: 1 } });
    const db1 = await mysql.createConnection({ host: cluster!.nodes[0].host, port: cluster!.nodes[0].port, user: 'root', password: '' });
    const state = async () => {
      const [rows] = await db1.query<mysql.RowDataPacket[]>(
        "SHOW STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_size')",
      );
      return Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
    };
    const until = async (what: string, ok: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 30_000; !(await ok()); await new Promise((r) => setTimeout(r, 200)))
        if (Date.now() > deadline) throw new Error(`not within 30 s: ${what}`);
    };
    try {
      // A partition as node 1 sees it: alone, not primary, refusing every statement with 1047 until it rejoins.
      await db1.query("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'");
      await until('node 1 out of the primary component', async () => (await state()).wsrep_ready === 'OFF');
      const keys = Array.from({ length: 10 }, (_, i) => `isolated-${i}`);
      const answers = await Promise.all([...keys.map((k) => hold(a, k)), ...keys.map((k) => hold(b, `b-${k}`))]);
      expect(answers.map((r) => [r.status, r.status === 201 ? 'ok' : r.body.code])).toEqual([
        ...Array(10).fill([503, 'DATABASE_UNAVAILABLE']),
        ...Array(10).fill([201, 'ok']),
      ]);
      // The clients' retries of A's refused keys through B run each once.
      const retried = await Promise.all(keys.map((k) => hold(b, k)));
      expect(retried.map((r) => r.status)).toEqual(Array(10).fill(201));

      await db1.query("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'");
      const healed = Date.now();
      await until('node 1 Synced in a cluster of 3', async () => {
        const st = await state();
        return st.wsrep_local_state_comment === 'Synced' && st.wsrep_cluster_size === '3';
      });
      // A needs no restart: the same keys through A now replay B's answers, and a new hold goes through.
      await until('A serving again', async () => (await hold(a, 'after-rejoin')).status === 201);
      log(`(e) node 1 rejoined and A served ${((Date.now() - healed) / 1000).toFixed(1)} s after the partition healed`);
      const replayed = await Promise.all(keys.map((k) => hold(a, k)));
      expect(replayed.map((r) => r.body.id)).toEqual(retried.map((r) => r.body.id));
      const voucher = await a.request('GET', `/api/vouchers/${v.id}`, { token: e.token });
      expect(voucher.body).toMatchObject({ heldFen: 21 * 100, availableFen: 1_000_000 - 21 * 100 });
    } finally {
      await db1.query("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'").catch(() => undefined);
      await db1.end();
    }
    await expectCleanOnBothNodes();
  });
});
