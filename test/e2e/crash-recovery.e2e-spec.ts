import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { issueVoucher, openRegion } from '../support/fixtures';
import { buildService, ServiceNode, startServiceNode } from '../support/service-process';
import { auth, TestApp } from '../support/test-app';

const HOLDS = 40;

/**
 * A crash between the work and its stored response can no longer strand an Idempotency-Key: both commit in one
 * transaction. Forty keyed holds go to a real API process, which is killed (SIGKILL) while they run; a fresh
 * process then gets every request again with the same key, and each either replays the first answer or runs now —
 * exactly once, never 409 "still in progress".
 */
describe('an API process killed in the middle of keyed requests', () => {
  let t: TestApp;
  let node: ServiceNode | undefined;

  beforeAll(async () => {
    buildService();
    t = await TestApp.start({ JWT_SECRET: randomBytes(32).toString('hex') });
  }, 180_000);
  afterAll(async () => {
    node?.process.kill('SIGKILL');
    await t.close();
  });

  it('leaves every key to replay or run exactly once on retry', async () => {
    await openRegion(t, '340100', { budgetFen: 1_000_000_000 });
    const e = await t.registerEnterprise('340100');
    const lab = await t.registerProvider('310115');
    const facilityId = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: 'XRD 机时', category: 'testing', unit: 'hour', unitPriceFen: 20_000 })
        .expect(201)
    ).body.id;
    const voucher = await issueVoucher(t, e.token, 10_000_000);
    type Answer = { status: number; body: { id?: string; code?: string } };
    const send = (base: string, i: number): Promise<Answer> =>
      fetch(`${base}/api/redemptions`, {
        method: 'POST',
        headers: { ...auth(e.token), 'content-type': 'application/json', 'idempotency-key': `crash-${i}` },
        body: JSON.stringify({ voucherId: voucher.id, facilityId, quantity: 1 }),
      }).then(
        async (r): Promise<Answer> => ({ status: r.status, body: (await r.json()) as Answer['body'] }),
        (): Answer => ({ status: 0, body: {} }), // the connection died with the process
      );

    node = await startServiceNode();
    const inFlight = Array.from({ length: HOLDS }, (_, i) => send(node!.baseUrl, i));
    await sleep(40);
    node.process.kill('SIGKILL');
    const before = await Promise.all(inFlight);
    await node.exited;

    node = await startServiceNode();
    const after = await Promise.all(Array.from({ length: HOLDS }, (_, i) => send(node!.baseUrl, i)));
    expect(after.map((r) => r.status)).toEqual(Array(HOLDS).fill(201));
    // Answered before the crash: the retry replays that very answer.
    before.forEach((r, i) => {
      if (r.status === 201) expect(after[i].body.id).toBe(r.body.id);
    });
    const ids = new Set(after.map((r) => r.body.id));
    expect(ids.size).toBe(HOLDS);
    const rows = await t.get(Database).rows<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM redemption WHERE voucher_id = ${voucher.id}`);
    expect(Number(rows[0].n)).toBe(HOLDS);
    const v = (await t.http.get(`/api/vouchers/${voucher.id}`).set(auth(e.token)).expect(200)).body;
    expect(v.heldFen).toBe(HOLDS * 10_000);
    console.info(`crash recovery: ${before.filter((r) => r.status === 201).length} of ${HOLDS} holds answered before the kill`);
    expect((await t.ledgerCheck()).violations).toEqual([]);
  }, 120_000);
});
