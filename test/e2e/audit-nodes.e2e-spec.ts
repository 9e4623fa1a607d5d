import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { createTestingApp, whenReady } from '../../src/common/http/adapter';
import { issueVoucher, openRegion } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { auth, OrgSession, TestApp } from '../support/test-app';

const HEFEI = '340100';
/** One TEM hour at ¥800 and 50%. */
const SUBSIDY = 40_000;

/**
 * Two API nodes on one database, each with its own sealer (as behind a load balancer), and the same audit key. Their
 * sealers race for the chain head while money moves through both.
 */
describeRaces('the audit chain written by two nodes at once', () => {
  let t: TestApp;
  let second: INestApplication;
  let lab: OrgSession;
  let temId: string;

  beforeAll(async () => {
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    // The settings nodes share: the audit key, and the secrets that let either node accept the other's tokens.
    t = await TestApp.start({
      AUDIT_SIGNING_KEY: key,
      JWT_SECRET: randomBytes(32).toString('hex'),
      MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AUDIT_SEAL_DELAY_MS: '0',
    });
    // The environment still names the first node's database and settings: the second node opens the same.
    second = createTestingApp(await Test.createTestingModule({ imports: [AppModule] }).compile(), { logger: false });
    configureApp(second);
    await second.init();
    await whenReady(second);
    await openRegion(t, HEFEI, { budgetFen: 1_000_000_000 });
    lab = await t.registerProvider('310115');
    temId = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: 'TEM 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  it('keeps one chain without forks or gaps through 240 holds and cancels spread over both nodes, and it verifies on each', async () => {
    const enterprises = await Promise.all(Array.from({ length: 6 }, () => t.registerEnterprise(HEFEI)));
    const vouchers = await Promise.all(enterprises.map((e) => issueVoucher(t, e.token, 20 * SUBSIDY)));
    const node = (i: number) => request((i % 2 === 0 ? t.app : second).getHttpServer());

    const holds = await Promise.all(
      Array.from({ length: 180 }, (_, i) =>
        node(i)
          .post('/api/redemptions')
          .set(auth(enterprises[i % 6].token))
          .send({ voucherId: vouchers[i % 6].id, facilityId: temId, quantity: 1 }),
      ),
    );
    expect(holds.filter((r) => r.status >= 500)).toEqual([]);
    const held = holds.filter((r) => r.status === 201).map((r) => r.body);
    expect(held).toHaveLength(120); // 20 per voucher
    const cancels = await Promise.all(
      held.slice(0, 60).map((h, i) =>
        node(i + 1)
          .post(`/api/redemptions/${h.id}/cancel`)
          .set(auth(enterprises.find((e) => e.organizationId === h.enterpriseId)!.token))
          .send({}),
      ),
    );
    expect(cancels.map((r) => r.status)).toEqual(Array(60).fill(200));

    const platform = await t.token('platform');
    for (const app of [t.app, second]) {
      const verified = await request(app.getHttpServer()).get('/api/audit/verify').set(auth(platform)).expect(200);
      expect(verified.body).toMatchObject({ valid: true });
    }
    const [{ pending }] = await t.dataSource.query('SELECT COUNT(*) AS pending FROM audit_pending');
    expect(Number(pending)).toBe(0);
    const [chain] = await t.dataSource.query('SELECT COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last FROM audit_entry');
    expect({ first: Number(chain.first), last: Number(chain.last) }).toEqual({ first: 1, last: Number(chain.n) });
    const [head] = await t.dataSource.query('SELECT seq FROM audit_head WHERE id = 1');
    expect(Number(head.seq)).toBe(Number(chain.n));

    // Every hold and every cancel is in the chain once, findable by its redemption.
    const rows: { action: string; entity_id: string }[] = await t.dataSource.query(
      "SELECT action, entity_id FROM audit_entry WHERE action IN ('redemption.held', 'redemption.cancelled')",
    );
    const heldIds = rows.filter((r) => r.action === 'redemption.held').map((r) => r.entity_id);
    const cancelledIds = rows.filter((r) => r.action === 'redemption.cancelled').map((r) => r.entity_id);
    expect(heldIds.sort()).toEqual(held.map((h) => h.id).sort());
    expect(cancelledIds.sort()).toEqual(
      held
        .slice(0, 60)
        .map((h) => h.id)
        .sort(),
    );
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });
});
