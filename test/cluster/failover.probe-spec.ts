// Probe (not CI): two API nodes on two Galera nodes under a steady mixed load while node 1 (under A) is killed,
// restarted, killed mid-transaction and isolated. `npx jest --runInBand --testRegex 'failover\.probe-spec\.ts$'`
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import * as mysql from 'mysql2/promise';
import { loginStaff, login, expectStatus, type Staff } from '../../bench/lib/sim-world';
import { AppModule } from '../../src/app.module';
import { beijingYear } from '../../src/common/clock';
import { projectRoot } from '../../src/common/paths';
import { SeedService } from '../../src/seed/seed.service';
import { bureauFor, DEMO_PASSWORD, PASSWORD } from '../support/accounts';
import { policyBody } from '../support/fixtures';
import { HttpClient } from '../support/http-client';
import { creditCodeIn } from '../support/test-app';
import { ApiNode, startApiNodes } from './api-nodes';
import { startGalera, type GaleraCluster } from './galera';

const log = (line: string) => process.stderr.write(`[probe ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
const DATABASE = 'vgalera';
const YEAR = beijingYear(Date.now());
const BENGBU = '340300';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLIENT_TIMEOUT_MS = 90_000;

interface Answer {
  node: string;
  status: number; // 0: no answer (network error or client timeout)
  retryAfter: string | null;
  ms: number;
  at: number;
  body: any;
  phase: string;
  op: string;
}

describe('failover probe', () => {
  let cluster: GaleraCluster;
  let nodes: ApiNode[] = [];
  let context: INestApplicationContext | undefined;
  let staff: Record<Staff, string>;
  let phase = 'setup';
  const answers: Answer[] = [];

  const call = async (node: ApiNode, method: string, path: string, token?: string, body?: unknown, key?: string, op = path) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (key) headers['idempotency-key'] = key;
    const t0 = Date.now();
    let a: Answer;
    try {
      const res = await fetch(node.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      a = {
        node: node.name,
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        ms: Date.now() - t0,
        at: t0,
        body: parsed,
        phase,
        op,
      };
    } catch (e) {
      a = { node: node.name, status: 0, retryAfter: null, ms: Date.now() - t0, at: t0, body: String(e), phase, op };
    }
    answers.push(a);
    return a;
  };

  /** A keyed POST: on 503 or no answer, the same key again on the other node, then alternating, until an answer or 60 s. */
  const keyed = async (first: number, path: string, token: string, body: unknown, op: string) => {
    const key = randomUUID();
    const started = Date.now();
    let i = first;
    const tries: Answer[] = [];
    for (;;) {
      const a = await call(nodes[i % 2], 'POST', path, token, body, key, op);
      tries.push(a);
      if (a.status !== 503 && a.status !== 0 && a.status < 500) return { key, final: a, tries };
      if (Date.now() - started > 60_000) return { key, final: a, tries };
      i++;
      await sleep(200);
    }
  };

  beforeAll(async () => {
    execFileSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'ignore' });
    cluster = await startGalera({ log });
    const [db1, db2, db3] = cluster.nodes;
    const admin = await mysql.createConnection({ host: db1.host, port: db1.port, user: 'root', password: '' });
    await admin.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const auditKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    nodes = await startApiNodes(
      [
        { name: 'A', dbHost: db1.host, dbPort: db1.port, port: 3170 },
        { name: 'B', dbHost: db2.host, dbPort: db2.port, port: 3171 },
      ],
      {
        NODE_ENV: 'production',
        JWT_SECRET: randomBytes(32).toString('hex'),
        MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        AUDIT_SIGNING_KEY: auditKey,
        MFA_REQUIRED: 'false',
        REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
        LOGIN_FAILURES_PER_IP_PER_MIN: '1000000',
        DB_TYPE: 'mariadb',
        DB_NAME: DATABASE,
        DB_USER: 'root',
        DB_PASSWORD: '',
        LOG_LEVEL: 'warn',
        SEED_DEMO: 'never',
        ...(process.env.PROBE_ENV ? JSON.parse(process.env.PROBE_ENV) : {}),
      },
    );
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
    await context.close();
    context = undefined;
    staff = await loginStaff(new HttpClient(nodes.map((n) => n.baseUrl)));
  }, 600_000);

  afterAll(async () => {
    for (const n of nodes) writeFileSync(`/tmp/probe-node-${n.name}.log`, n.output.join('\n'));
    await Promise.all(nodes.map((n) => n.stop()));
    await cluster?.stop();
  }, 180_000);

  it('runs the scenarios', async () => {
    const [A, B] = nodes;
    const a = new HttpClient(A.baseUrl);
    const b = new HttpClient(B.baseUrl);
    const token = staff['bureau-ah'];
    expectStatus(
      'policy',
      await a.request('POST', '/api/policies', { token, body: policyBody(BENGBU, { autoApproveMaxFen: 30_000_000, confirmDays: 7 }) }),
      201,
    );
    expectStatus('budget', await b.request('PUT', `/api/budgets/${BENGBU}/${YEAR}`, { token, body: { totalFen: 10_000_000_000 } }), 200);
    const register = async (http: HttpClient, role: 'enterprise' | 'provider', region: string) => {
      const username = `${role}-${randomBytes(5).toString('hex')}`;
      const body = {
        username,
        password: PASSWORD,
        role,
        organization: { name: `${role} ${username}`, creditCode: creditCodeIn(region, role === 'provider' ? '12' : '91') },
      };
      const reg = expectStatus(`register ${username}`, await http.request('POST', '/api/auth/register', { body }), 201);
      if (role === 'enterprise')
        expectStatus(
          'verify',
          await http.request('POST', `/api/organizations/${reg.body.organization.id}/verify`, {
            token: staff[bureauFor(region) as Staff],
            body: { certificateNo: `P-${username}` },
          }),
          200,
        );
      return { id: reg.body.organization.id as string, token: await login(http, username, PASSWORD) };
    };
    const lab = await register(a, 'provider', '310115');
    expectStatus(
      'admit',
      await b.request('POST', `/api/providers/${lab.id}/admit`, { token: staff['bureau-sh'], body: { noticeDays: 0 } }),
      200,
    );
    const facility = expectStatus(
      'facility',
      await a.request('POST', '/api/facilities', {
        token: lab.token,
        body: { name: '显微镜', category: 'testing', unit: 'hour', unitPriceFen: 200 },
      }),
      201,
    ).body.id;
    const enterprises = await Promise.all(Array.from({ length: 16 }, (_, i) => register(i % 2 ? b : a, 'enterprise', BENGBU)));
    const vouchers = await Promise.all(
      enterprises.map(async (e, i) => {
        const r = await (i % 2 ? b : a).request('POST', '/api/voucher-applications', {
          token: e.token,
          body: { amountFen: 1_000_000, purpose: 'probe' },
        });
        expect(r.body.status).toBe('approved');
        return { id: r.body.voucher.id as string, token: e.token, enterprise: e };
      }),
    );
    log('world ready');
    // Read-your-writes of a session: logged in through one node, used at once through the other.
    const misses: string[] = [];
    for (let i = 0; i < 40; i++) {
      const [via, use] = i % 2 ? [a, b] : [b, a];
      const t = await login(via, i % 4 < 2 ? 'bureau-ah-2' : 'platform', DEMO_PASSWORD);
      const r = await use.request('GET', `/api/budgets/${BENGBU}/${YEAR}`, { token: t });
      if (r.status !== 200) misses.push(`${i % 2 ? 'A→B' : 'B→A'} ${r.status} ${r.text.slice(0, 120)}`);
    }
    log(`login on one node, used at once on the other, 40 times: ${misses.length} misses ${JSON.stringify(misses.slice(0, 3))}`);

    // The load: 12 clients, 6 on each node; keyed POSTs retried on the other node after a 503 or no answer.
    const held: { id: string; token: string }[] = [];
    const captured: { id: string; token: string }[] = [];
    const effects = { hold: [] as any[], capture: [] as any[], confirm: [] as any[], claim: [] as any[], apply: [] as any[] };
    let running = true;
    let invoice = 0;
    const worker = async (w: number) => {
      while (running) {
        const r = Math.random();
        const v = vouchers[Math.floor(Math.random() * vouchers.length)];
        if (r < 0.4 || (r < 0.65 && !held.length) || (r < 0.8 && !captured.length && !held.length)) {
          const k = await keyed(w, '/api/redemptions', v.token, { voucherId: v.id, facilityId: facility, quantity: 1 }, 'hold');
          effects.hold.push(k);
          if (k.final.status === 201) held.push({ id: k.final.body.id, token: v.token });
        } else if (r < 0.65 && held.length) {
          const h = held.splice(Math.floor(Math.random() * held.length), 1)[0];
          const k = await keyed(w, `/api/redemptions/${h.id}/capture`, lab.token, { actualQuantity: 1 }, 'capture');
          effects.capture.push(k);
          if (k.final.status === 200) captured.push(h);
        } else if (r < 0.8 && captured.length) {
          const c = captured.splice(Math.floor(Math.random() * captured.length), 1)[0];
          const k1 = await keyed(w, `/api/redemptions/${c.id}/confirm`, c.token, {}, 'confirm');
          effects.confirm.push(k1);
          const body = {
            redemptionIds: [c.id],
            evidence: { contractNo: `C-${c.id}`, invoiceNo: `INV-${++invoice}-${randomBytes(3).toString('hex')}` },
          };
          const k2 = await keyed(w, '/api/claims', lab.token, body, 'claim');
          effects.claim.push(k2);
        } else {
          const k = await keyed(w, '/api/voucher-applications', v.token, { amountFen: 1_000, purpose: 'probe load' }, 'apply');
          effects.apply.push(k);
        }
      }
    };
    // health of A, every 500 ms
    const health: { at: number; status: number; phase: string }[] = [];
    const healthLoop = (async () => {
      while (running) {
        const t0 = Date.now();
        const s = await fetch(`${A.baseUrl}/api/health`, { signal: AbortSignal.timeout(10_000) }).then(
          (r) => r.status,
          () => 0,
        );
        health.push({ at: t0, status: s, phase });
        await sleep(500);
      }
    })();
    const workers = Array.from({ length: 12 }, (_, w) => worker(w));

    const summary = (p: string) => {
      const rows = answers.filter((x) => x.phase === p);
      for (const n of ['A', 'B']) {
        const mine = rows.filter((x) => x.node === n);
        const by: Record<string, number> = {};
        for (const x of mine) {
          const k =
            x.status === 503 || x.status === 0 || x.status >= 500
              ? `${x.status}${x.status ? ':' + (x.body?.code ?? '') : ''}${x.status === 503 && !x.retryAfter ? '(no Retry-After)' : ''}`
              : String(x.status);
          by[k] = (by[k] ?? 0) + 1;
        }
        const maxMs = Math.max(0, ...mine.map((x) => x.ms));
        log(`  ${p} node ${n}: ${mine.length} requests ${JSON.stringify(by)} max ${maxMs} ms`);
      }
      const hs = health.filter((h) => h.phase === p).map((h) => h.status);
      log(`  ${p} A health: ${hs.join(' ')}`);
    };
    const firstOk = (node: string, after: number) =>
      answers.filter((x) => x.node === node && x.at >= after && x.status > 0 && x.status < 500).sort((x, y) => x.at - y.at)[0]?.at;
    const nodeSql = async (i: number, q: string) => {
      const c = await mysql.createConnection({ host: cluster.nodes[i].host, port: cluster.nodes[i].port, user: 'root', password: '' });
      try {
        return await c.query(q);
      } finally {
        await c.end();
      }
    };

    phase = 'baseline';
    await sleep(8_000);
    summary('baseline');

    const only = process.env.PROBE_ONLY;
    if (!only) {
      phase = '1-kill9';
      log('(1) kill -9 database node 1 (under A)');
      const killedAt = Date.now();
      cluster.kill(0);
      await sleep(15_000);
      summary('1-kill9');

      phase = '2-rejoin';
      log('(2) restart node 1');
      const restartAt = Date.now();
      await cluster.restart(0);
      const syncedAt = Date.now();
      log(`  node 1 Synced after ${((syncedAt - restartAt) / 1000).toFixed(1)} s (down ${((syncedAt - killedAt) / 1000).toFixed(1)} s)`);
      await sleep(8_000);
      const ok = firstOk('A', syncedAt);
      log(`  A first answered < 500 ${ok ? ((ok - syncedAt) / 1000).toFixed(1) : 'never'} s after node 1 Synced`);
      summary('2-rejoin');

      phase = '3-inflight';
      log('(3) 40 keyed holds at once through A, kill -9 node 1 20 ms in');
      const burst = Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          keyed(
            0,
            '/api/redemptions',
            vouchers[i % vouchers.length].token,
            { voucherId: vouchers[i % vouchers.length].id, facilityId: facility, quantity: 1 },
            'burst-hold',
          ),
        ),
      );
      await sleep(20);
      cluster.kill(0);
      const burstResult = await burst;
      effects.hold.push(...burstResult);
      burstResult.forEach(
        (k, i) => k.final.status === 201 && held.push({ id: k.final.body.id, token: vouchers[i % vouchers.length].token }),
      );
      const firstStatuses: Record<string, number> = {};
      for (const k of burstResult)
        firstStatuses[`${k.tries[0].status}:${k.tries[0].body?.code ?? ''}`] =
          (firstStatuses[`${k.tries[0].status}:${k.tries[0].body?.code ?? ''}`] ?? 0) + 1;
      const replayed = burstResult.filter((k) => k.tries.length > 1 && k.final.status === 201);
      log(
        `  burst first answers ${JSON.stringify(firstStatuses)}; finals ${JSON.stringify(burstResult.map((k) => k.final.status).reduce((m: any, s) => ((m[s] = (m[s] ?? 0) + 1), m), {}))}; retried then 201: ${replayed.length}`,
      );
      await sleep(5_000);
      summary('3-inflight');
      const restart3 = Date.now();
      await cluster.restart(0);
      log(`  node 1 back Synced in ${((Date.now() - restart3) / 1000).toFixed(1)} s`);
      phase = '3-rejoin';
      await sleep(5_000);
      summary('3-rejoin');
    }
    if (only === 'inflight') {
      // Kills at several points of a burst, hunting a COMMIT that replicated but whose answer was lost.
      for (const delay of [40, 80, 120, 180, 260, 400]) {
        phase = `inflight-${delay}`;
        const sent = Date.now();
        const burst = Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            keyed(
              0,
              '/api/redemptions',
              vouchers[i % 16].token,
              { voucherId: vouchers[i % 16].id, facilityId: facility, quantity: 1 },
              'burst-hold',
            ),
          ),
        );
        await sleep(delay);
        const killed = Date.now();
        cluster.kill(0);
        const result = await burst;
        effects.hold.push(...result);
        let lostAnswers = 0;
        for (const [i, k] of result.entries()) {
          if (k.tries.length < 2 || k.final.status !== 201) continue;
          const red = (await b.request('GET', `/api/redemptions/${k.final.body.id}`, { token: vouchers[i % 16].token })).body;
          if (Date.parse(red.createdAt) < killed) lostAnswers++;
        }
        const first: Record<string, number> = {};
        for (const k of result) first[`${k.tries[0].status}`] = (first[`${k.tries[0].status}`] ?? 0) + 1;
        log(
          `  kill ${killed - sent} ms into 40 holds on A: first answers ${JSON.stringify(first)}, finals ${result.filter((k) => k.final.status === 201).length}×201, committed before the kill but answered 503 (replayed on B): ${lostAnswers}`,
        );
        await cluster.restart(0);
      }
    }
    if (only === 'freeze') {
      phase = 'freeze';
      log('SIGSTOP node 1 for 25 s');
      cluster.kill(0, 'SIGSTOP');
      await sleep(25_000);
      summary('freeze');
      phase = 'thaw';
      cluster.kill(0, 'SIGCONT');
      const thawed = Date.now();
      await sleep(15_000);
      const ok = firstOk('A', thawed);
      log(`  A first answered < 500 ${ok ? ((ok - thawed) / 1000).toFixed(1) : 'never'} s after SIGCONT`);
      summary('thaw');
    }
    phase = '4-partition';
    log('(4) isolate node 1 from the group (gmcast.isolate=1): nodes 2 and 3 keep quorum');
    const isolatedAt = Date.now();
    let how = 'isolate';
    try {
      await nodeSql(0, "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'");
    } catch (e) {
      log(`  gmcast.isolate failed (${(e as Error).message}): SIGSTOP instead`);
      how = 'stop';
      cluster.kill(0, 'SIGSTOP');
    }
    await sleep(20_000);
    if (how === 'isolate')
      log(
        `  node 1 says: ${JSON.stringify((await nodeSql(0, "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_status','wsrep_ready','wsrep_local_state_comment','wsrep_cluster_size')"))[0])}`,
      );
    summary('4-partition');
    phase = '4-heal';
    if (how === 'isolate') await nodeSql(0, "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'");
    else cluster.kill(0, 'SIGCONT');
    const healAt = Date.now();
    for (let i = 0; i < 120; i++) {
      const st = await nodeSql(0, "SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment','wsrep_cluster_size')").catch(
        () => undefined,
      );
      const m = st ? Object.fromEntries((st[0] as any[]).map((r) => [r.Variable_name, r.Value])) : {};
      if (m.wsrep_local_state_comment === 'Synced' && m.wsrep_cluster_size === '3') break;
      await sleep(500);
    }
    const healedAt = Date.now();
    log(`  node 1 rejoined in ${((healedAt - healAt) / 1000).toFixed(1)} s (isolated ${((healAt - isolatedAt) / 1000).toFixed(1)} s)`);
    await sleep(8_000);
    const ok4 = firstOk('A', healedAt);
    log(`  A first answered < 500 ${ok4 ? ((ok4 - healedAt) / 1000).toFixed(1) : 'never'} s after node 1 Synced`);
    summary('4-heal');

    running = false;
    await Promise.all(workers);
    await healthLoop;

    // Every key left unanswered is asked again (its answer, or its first run), through B.
    phase = 'resolve';
    for (const list of Object.values(effects))
      for (const k of list)
        if (k.final.status === 503 || k.final.status === 0 || k.final.status >= 500) {
          const op = k.tries[0].op;
          log(`  resolving ${op} ${k.key} (last ${k.final.status} ${k.final.body?.code ?? ''})`);
        }

    // Effects against answers
    const count = async (path: string, tok: string) => (await b.request('GET', path, { token: tok })).body.total as number;
    let holdRows = 0;
    for (const e of enterprises) holdRows += await count('/api/redemptions?limit=1', e.token);
    const holdKeys201 = effects.hold.filter((k) => k.final.status === 201);
    const holdIds = new Set(holdKeys201.map((k) => k.final.body.id));
    log(
      `holds: ${holdKeys201.length} keys answered 201 (${holdIds.size} distinct ids), ${holdRows} redemptions in the database; non-201 finals ${JSON.stringify(effects.hold.filter((k) => k.final.status !== 201).map((k) => `${k.final.status}:${k.final.body?.code}`))}`,
    );
    let appRows = 0;
    for (const e of enterprises) appRows += await count('/api/voucher-applications?limit=1', e.token);
    const apps201 = effects.apply.filter((k) => k.final.status === 201).length;
    log(
      `applications: ${apps201} keys answered 201, ${appRows - 16} in the database (besides the 16 set-up ones); other finals ${JSON.stringify(effects.apply.filter((k) => k.final.status !== 201).map((k) => `${k.final.status}:${k.final.body?.code}`))}`,
    );
    const claimRows = await count('/api/claims?limit=1', lab.token);
    const claims201 = effects.claim.filter((k) => k.final.status === 201).length;
    log(
      `claims: ${claims201} keys answered 201, ${claimRows} in the database; other finals ${JSON.stringify(effects.claim.filter((k) => k.final.status !== 201).map((k) => `${k.final.status}:${k.final.body?.code}`))}`,
    );
    log(
      `captures: ${effects.capture.filter((k) => k.final.status === 200).length} 200; other ${JSON.stringify(effects.capture.filter((k) => k.final.status !== 200).map((k) => `${k.final.status}:${k.final.body?.code}`))}`,
    );
    log(
      `confirms: other than 200 ${JSON.stringify(effects.confirm.filter((k) => k.final.status !== 200).map((k) => `${k.final.status}:${k.final.body?.code}`))}`,
    );

    // Vouchers: face = available + held + spent, and held/spent against the redemptions
    for (const v of vouchers.slice(0, 16)) {
      const vb = (await b.request('GET', `/api/vouchers/${v.id}`, { token: v.token })).body;
      const reds: any[] = [];
      for (let offset = 0; ; offset += 100) {
        const page = (await b.request('GET', `/api/redemptions?limit=100&offset=${offset}`, { token: v.token })).body;
        if (!page.items) throw new Error(JSON.stringify(page));
        reds.push(...page.items);
        if (reds.length >= page.total) break;
      }
      const mine = reds.filter((r) => r.voucherId === v.id);
      const heldSum = mine.filter((r) => r.status === 'held').reduce((s, r) => s + r.subsidyFen, 0);
      const spentSum = mine.filter((r) => r.status === 'captured').reduce((s, r) => s + (r.capturedSubsidyFen ?? r.subsidyFen), 0);
      if (vb.faceValueFen !== vb.availableFen + vb.heldFen + vb.spentFen || vb.heldFen !== heldSum || vb.spentFen !== spentSum)
        log(`VOUCHER MISMATCH ${v.id}: ${JSON.stringify(vb)} held sum ${heldSum} spent sum ${spentSum}`);
    }
    for (const [n, http] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const check = await http.request('GET', '/api/ledger/check', { token: staff.platform });
      const audit = await http.request('GET', '/api/audit/verify', { token: staff.platform });
      log(
        `node ${n}: ledger ${check.status} ${JSON.stringify(check.body).slice(0, 300)}; audit ${audit.status} ${JSON.stringify(audit.body).slice(0, 300)}`,
      );
    }
    const all5xx = answers.filter((x) => x.status >= 500 && x.status !== 503);
    const no503RA = answers.filter((x) => x.status === 503 && !x.retryAfter);
    const hung = answers.filter((x) => x.status === 0);
    log(
      `TOTAL ${answers.length} requests; 503 ${answers.filter((x) => x.status === 503).length}; other 5xx ${all5xx.length} ${JSON.stringify(all5xx.slice(0, 5).map((x) => [x.node, x.phase, x.op, x.status, x.body]))}; 503 without Retry-After ${no503RA.length}; no answer ${hung.length} ${JSON.stringify(hung.slice(0, 3).map((x) => [x.node, x.phase, x.op, x.ms, x.body]))}; slowest ${Math.max(...answers.map((x) => x.ms))} ms`,
    );
    const slow = answers.filter((x) => x.ms > 5000);
    log(
      `answers slower than 5 s: ${slow.length}: ${JSON.stringify(slow.slice(0, 10).map((x) => [x.node, x.phase, x.op, x.status, x.ms]))}`,
    );
  }, 900_000);
});
