import { AuditEntry, AuditPending } from '../../src/audit/audit-entry.entity';
import { AuditSealer } from '../../src/audit/audit-sealer';
import { beijingDate, clock, isoPlusDays } from '../../src/common/clock';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { newId } from '../../src/common/ids';
import { SanctionRepository } from '../../src/oversight/sanction.repository';
import { auth, creditCodeIn, isMaria, OrgSession, TestApp } from '../support/test-app';

const day = (offset: number) => beijingDate(isoPlusDays(clock.iso(), offset)); // business days are Beijing's

describe('oversight', () => {
  let t: TestApp;
  let anhuiEnterprise: OrgSession;
  beforeAll(async () => {
    t = await TestApp.start();
    anhuiEnterprise = await t.registerEnterprise('340100');
  });
  afterAll(() => t.close());

  const record = async (bureau: string, body: Record<string, unknown>) =>
    (
      await t.http
        .post('/api/sanctions')
        .set(await t.as(bureau))
        .send(body)
        .expect(201)
    ).body;
  const verify = async () =>
    (
      await t.http
        .get('/api/audit/verify')
        .set(await t.as('platform'))
        .expect(200)
    ).body;

  it('describes its routes in the OpenAPI document', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/api/sanctions', '/api/sanctions/{id}/lift', '/api/audit', '/api/audit/verify']),
    );
    expect(res.body.paths['/api/sanctions'].post.tags).toEqual(['oversight']);
  });

  describe('the shared sanction list', () => {
    it('records a sanction by an Anhui bureau that every province’s bureau sees', async () => {
      const until = day(365);
      const s = await record('bureau-ah', { creditCode: anhuiEnterprise.creditCode, reason: '伪造检测报告骗取补贴', until });
      expect(s).toEqual({
        id: expect.any(String),
        creditCode: anhuiEnterprise.creditCode,
        reason: '伪造检测报告骗取补贴',
        until,
        status: 'active',
        inForce: true,
        recordedRegionCode: '340000',
        createdAt: expect.any(String),
        liftedAt: null,
        liftReason: null,
      });
      for (const reader of ['bureau-sh', 'bureau-js', 'platform']) {
        const list = await t.http
          .get(`/api/sanctions?creditCode=${anhuiEnterprise.creditCode}`)
          .set(await t.as(reader))
          .expect(200);
        expect(list.body.items.map((i: { id: string }) => i.id)).toContain(s.id);
      }
    });

    it('allows a second active sanction for the same code, for another reason', async () => {
      const code = creditCodeIn('320500');
      await record('bureau-js', { creditCode: code, reason: '关联交易套取补贴' });
      await record('bureau-zj', { creditCode: code, reason: '虚开发票' });
      const list = await t.http
        .get(`/api/sanctions?creditCode=${code}&status=active`)
        .set(await t.as('bureau-sh'))
        .expect(200);
      expect(list.body.total).toBe(2);
      expect(list.body.items.map((i: { until: string | null }) => i.until)).toEqual([null, null]);
    });

    it('shows an organization only the sanctions against itself', async () => {
      const other = creditCodeIn('310000');
      await record('bureau-sh', { creditCode: other, reason: '学术不端' });
      const own = await t.http.get('/api/sanctions').set(auth(anhuiEnterprise.token)).expect(200);
      expect(own.body.total).toBeGreaterThanOrEqual(1);
      expect(own.body.items.every((i: { creditCode: string }) => i.creditCode === anhuiEnterprise.creditCode)).toBe(true);
      const peek = await t.http.get(`/api/sanctions?creditCode=${other}`).set(auth(anhuiEnterprise.token)).expect(200);
      expect(peek.body).toEqual({ items: [], total: 0 });
      const provider = await t.registerProvider('330100');
      expect((await t.http.get('/api/sanctions').set(auth(provider.token)).expect(200)).body.total).toBe(0);
      // a company whose actual controller is sanctioned reads that sanction too: what binds it, and until when
      const controlled = await t.registerEnterprise('310000', { controllerCreditCode: other });
      const binding = await t.http.get('/api/sanctions').set(auth(controlled.token)).expect(200);
      expect(binding.body.items.map((i: { creditCode: string; reason: string }) => [i.creditCode, i.reason])).toEqual([
        [other, '学术不端'],
      ]);
      const named = await t.http.get(`/api/sanctions?creditCode=${other}`).set(auth(controlled.token)).expect(200);
      expect(named.body.total).toBe(1);
      const stranger = await t.http.get(`/api/sanctions?creditCode=${anhuiEnterprise.creditCode}`).set(auth(controlled.token)).expect(200);
      expect(stranger.body).toEqual({ items: [], total: 0 });
    });

    it('records why a sanction was lifted (信用修复), shows it beside the sanction and in its audit entry', async () => {
      const s = await record('bureau-ah', { creditCode: creditCodeIn('340100'), reason: '虚报检测费用' });
      const lifted = await t.http
        .post(`/api/sanctions/${s.id}/lift`)
        .set(await t.as('bureau-ah-2'))
        .send({ reason: '已完成信用修复：退回违规补贴并公开承诺（皖科信〔2026〕12号）' })
        .expect(200);
      expect(lifted.body).toMatchObject({ status: 'lifted', liftReason: '已完成信用修复：退回违规补贴并公开承诺（皖科信〔2026〕12号）' });
      const listed = await t.http
        .get(`/api/sanctions?creditCode=${s.creditCode}`)
        .set(await t.as('bureau-sh'))
        .expect(200);
      expect(listed.body.items[0].liftReason).toBe(lifted.body.liftReason);
      const audit = await t.http
        .get(`/api/audit?entityType=sanction&entityId=${s.id}`)
        .set(await t.as('platform'))
        .expect(200);
      expect(audit.body.items.find((e: { action: string }) => e.action === 'sanction.lifted').summary).toMatchObject({
        reason: lifted.body.liftReason,
      });
      // Without one it is lifted as before (liftReason null); a blank one is refused, naming the field.
      const other = await record('bureau-ah', { creditCode: creditCodeIn('340100'), reason: '虚报检测费用' });
      const blank = await t.http
        .post(`/api/sanctions/${other.id}/lift`)
        .set(await t.as('bureau-ah'))
        .set('Accept-Language', 'zh-CN')
        .send({ reason: '   ' })
        .expect(400);
      expect(blank.body.message).toMatch(/^reason：/);
      expect(
        (
          await t.http
            .post(`/api/sanctions/${other.id}/lift`)
            .set(await t.as('bureau-ah'))
            .expect(200)
        ).body.liftReason,
      ).toBeNull();
    });

    it('lifts a sanction once: by its recording bureau, then 409 INVALID_STATE', async () => {
      const s = await record('bureau-js', { creditCode: creditCodeIn('320100'), reason: '虚假使用记录' });
      const path = `/api/sanctions/${s.id}/lift`;
      expect(
        (
          await t.http
            .post(path)
            .set(await t.as('bureau-sh'))
            .expect(403)
        ).body.code,
      ).toBe('FORBIDDEN');
      const lifted = await t.http
        .post(path)
        .set(await t.as('bureau-js'))
        .expect(200);
      expect(lifted.body).toMatchObject({ id: s.id, status: 'lifted', inForce: false, liftedAt: expect.any(String) });
      expect(
        (
          await t.http
            .post(path)
            .set(await t.as('bureau-js'))
            .expect(409)
        ).body.code,
      ).toBe('INVALID_STATE');
      const again = await t.http
        .post(path)
        .set(await t.as('bureau-js'))
        .set('Accept-Language', 'zh-CN')
        .expect(409);
      expect(again.body.message).toMatch(/^该惩戒已于 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d 解除$/);
      const liftedList = await t.http
        .get(`/api/sanctions?creditCode=${s.creditCode}&status=lifted`)
        .set(await t.as('platform'))
        .expect(200);
      expect(liftedList.body.items.map((i: { id: string }) => i.id)).toEqual([s.id]);
      await t.http
        .post(`/api/sanctions/${newId()}/lift`)
        .set(await t.as('bureau-js'))
        .expect(404);
      await t.http
        .post('/api/sanctions/not-an-id/lift')
        .set(await t.as('bureau-js'))
        .expect(404);
    });

    it('accepts a sanction that ends today', async () => {
      const s = await record('bureau-zj', { creditCode: creditCodeIn('330400'), reason: '逾期未整改', until: day(0) });
      expect(s).toMatchObject({ until: day(0), inForce: true });
    });

    it.each([
      ['a credit code with a wrong check character', { creditCode: '91340100MA2T8XQ21A', reason: 'x' }, 'creditCode'],
      ['a lower-case credit code', { creditCode: '91340100ma2t8xq21c', reason: 'x' }, 'creditCode'],
      ['an until date in the past', { reason: 'x', until: '2020-01-01' }, 'until'],
      ['an until date that does not exist', { reason: 'x', until: '2030-02-30' }, 'until'],
      ['an empty reason', { reason: '' }, 'reason'],
      ['a reason over 500 characters', { reason: '失'.repeat(501) }, 'reason'],
      ['an unknown field', { reason: 'x', amountFen: 1 }, 'amountFen'],
    ])('refuses %s with 400 naming the field', async (_, body, field) => {
      const res = await t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-sh'))
        .send({ creditCode: creditCodeIn('310000'), ...body })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toContain(field);
    });

    it('lets only bureaus record or lift (403) and nobody anonymous (401)', async () => {
      const body = { creditCode: creditCodeIn('340200'), reason: '冒名申报' };
      const provider = await t.registerProvider('340200');
      for (const headers of [auth(anhuiEnterprise.token), auth(provider.token), await t.as('platform')]) {
        expect((await t.http.post('/api/sanctions').set(headers).send(body).expect(403)).body.code).toBe('FORBIDDEN');
      }
      const s = await record('bureau-ah', body);
      await t.http
        .post(`/api/sanctions/${s.id}/lift`)
        .set(await t.as('platform'))
        .expect(403);
      await t.http.post(`/api/sanctions/${s.id}/lift`).set(auth(anhuiEnterprise.token)).expect(403);
      expect((await t.http.post('/api/sanctions').send(body).expect(401)).body.code).toBe('UNAUTHENTICATED');
      await t.http.get('/api/sanctions').expect(401);
    });

    it('replays a recording sent twice with the same Idempotency-Key', async () => {
      const body = { creditCode: creditCodeIn('310000'), reason: '重复提交测试' };
      const headers = { ...(await t.as('bureau-sh')), 'Idempotency-Key': `sanction-${body.creditCode}` };
      const first = await t.http.post('/api/sanctions').set(headers).send(body).expect(201);
      const again = await t.http.post('/api/sanctions').set(headers).send(body).expect(201);
      expect(again.body).toEqual(first.body);
      expect((await t.http.get(`/api/sanctions?creditCode=${body.creditCode}`).set(headers).expect(200)).body.total).toBe(1);
    });

    it('tells other modules which organizations a sanction binds on a day, on their own code or their controller’s, honouring until and lifting', async () => {
      const [forever, untilTenDays, lifted, clean] = ['310000', '320000', '330000', '340000'].map((r) => creditCodeIn(r));
      await record('bureau-sh', { creditCode: forever, reason: '永久' });
      await record('bureau-js', { creditCode: untilTenDays, reason: '十天', until: day(10) });
      const l = await record('bureau-zj', { creditCode: lifted, reason: '已解除' });
      await t.http
        .post(`/api/sanctions/${l.id}/lift`)
        .set(await t.as('bureau-zj'))
        .expect(200);
      type Org = { creditCode: string; controllerCreditCode: string | null };
      const alone = (creditCode: string): Org => ({ creditCode, controllerCreditCode: null });
      // companies controlled by each: a sanctioned party is not cleared by registering a company it controls
      const [underForever, underUntil, underLifted, underClean] = [forever, untilTenDays, lifted, clean].map(
        (controllerCreditCode): Org => ({
          creditCode: creditCodeIn('310000'),
          controllerCreditCode,
        }),
      );
      const among = (orgs: Org[], today: string) => t.get(SanctionRepository).boundAmong(orgs, today);
      const orgs = [forever, untilTenDays, lifted, clean].map(alone).concat([underForever, underUntil, underLifted, underClean]);
      const codes = (...os: { creditCode: string }[]) => new Set(os.map((o) => o.creditCode));
      expect(await among(orgs, clock.today())).toEqual(codes(alone(forever), alone(untilTenDays), underForever, underUntil));
      expect(await among(orgs, day(10))).toEqual(codes(alone(forever), alone(untilTenDays), underForever, underUntil));
      expect(await among(orgs, day(11))).toEqual(codes(alone(forever), underForever));
      expect(await among([], clock.today())).toEqual(new Set());
    });
  });

  describe('the audit log', () => {
    const entriesOf = async (headers: Record<string, string>, query: string) =>
      (await t.http.get(`/api/audit?${query}`).set(headers).expect(200)).body;

    it('records a sanction and its lifting, readable by the recording bureau and the sanctioned organization', async () => {
      const s = await record('bureau-ah', { creditCode: anhuiEnterprise.creditCode, reason: '项目经费挪用' });
      await t.http
        .post(`/api/sanctions/${s.id}/lift`)
        .set(await t.as('bureau-ah'))
        .expect(200);
      const query = `entityType=sanction&entityId=${s.id}`;
      const ah = await entriesOf(await t.as('bureau-ah'), query);
      expect(ah.items.map((e: { action: string }) => e.action)).toEqual(['sanction.lifted', 'sanction.recorded']);
      expect(ah.items[0].seq).toBeGreaterThan(ah.items[1].seq);
      expect(ah.items[1]).toMatchObject({
        entityType: 'sanction',
        regionCode: '340000',
        organizationId: anhuiEnterprise.organizationId,
        actorRole: 'bureau',
        summary: { creditCode: anhuiEnterprise.creditCode, reason: '项目经费挪用', until: null },
      });
      expect(ah.items[0].prevHash).toBe(ah.items[1].hash);
      // The organization reads the entries and their hashes, not their places in the chain: the gap between its two
      // seqs counted everyone else's audited acts between them (the event feed's cursors are sealed for the same reason).
      const own = await entriesOf(auth(anhuiEnterprise.token), query);
      expect(own.total).toBe(2);
      expect(own.items.map((e: { hash: string }) => e.hash)).toEqual(ah.items.map((e: { hash: string }) => e.hash));
      for (const e of own.items) {
        expect(e).not.toHaveProperty('seq');
        expect(e).not.toHaveProperty('prevHash');
      }
      expect((await entriesOf(await t.as('bureau-sh'), query)).total).toBe(0);
      expect((await entriesOf(await t.as('platform'), query)).total).toBe(2);
    });

    it('shows an Anhui registration to bureau-ah, the platform and the enterprise itself, not to bureau-sh', async () => {
      const query = `entityType=organization&entityId=${anhuiEnterprise.organizationId}`;
      const registered = (body: { items: { action: string }[] }) => body.items.some((e) => e.action === 'organization.registered');
      expect(registered(await entriesOf(await t.as('bureau-ah'), query))).toBe(true);
      expect(registered(await entriesOf(await t.as('platform'), query))).toBe(true);
      expect(registered(await entriesOf(auth(anhuiEnterprise.token), query))).toBe(true);
      expect(await entriesOf(await t.as('bureau-sh'), query)).toEqual({ items: [], total: 0 });
      const stranger = await t.registerEnterprise('340100');
      expect((await entriesOf(auth(stranger.token), query)).total).toBe(0);

      const sh = await entriesOf(await t.as('bureau-sh'), 'limit=500');
      expect(sh.items.every((e: { regionCode: string }) => e.regionCode.startsWith('31'))).toBe(true);
      const own = await entriesOf(auth(anhuiEnterprise.token), 'limit=500');
      expect(own.items.every((e: { organizationId: string }) => e.organizationId === anhuiEnterprise.organizationId)).toBe(true);
    });

    it('pages newest first and refuses bad paging', async () => {
      const page = await entriesOf(await t.as('platform'), 'limit=3&offset=1');
      expect(page.items).toHaveLength(3);
      expect(page.total).toBeGreaterThan(3);
      expect(page.items[0].seq).toBe(page.total - 1);
      expect(page.items[0].seq - page.items[2].seq).toBe(2);
      await t.http
        .get('/api/audit?limit=0')
        .set(await t.as('platform'))
        .expect(400);
      await t.http
        .get('/api/audit?entityType=')
        .set(await t.as('platform'))
        .expect(400);
      await t.http.get('/api/audit').expect(401);
    });

    it('lets only the platform verify the chain', async () => {
      await t.http
        .get('/api/audit/verify')
        .set(await t.as('bureau-sh'))
        .expect(403);
      await t.http.get('/api/audit/verify').set(auth(anhuiEnterprise.token)).expect(403);
      await t.http.get('/api/audit/verify').expect(401);
    });

    it('verifies the whole chain, and finds a row edited in the database', async () => {
      await t.get(AuditSealer).sealAll();
      const count = await t.dataSource.getRepository(AuditEntry).count();
      expect(await verify()).toEqual({ valid: true, entries: count });

      const seq = Math.ceil(count / 2);
      const original = await t.dataSource.getRepository(AuditEntry).findOneByOrFail({ seq });
      await t.dataSource.query('UPDATE audit_entry SET summary = ? WHERE seq = ?', ['{"edited":true}', seq]);
      try {
        expect(await verify()).toEqual({
          valid: false,
          entries: seq - 1,
          firstBrokenId: String(seq),
          reason: `entry ${seq} does not match its hash: it was changed after it was chained`,
        });
      } finally {
        await t.dataSource.query('UPDATE audit_entry SET summary = ? WHERE seq = ?', [original.summary, seq]);
      }
      expect(await verify()).toEqual({ valid: true, entries: count });
    });

    it('finds entries removed from the end of the chain', async () => {
      const { entries } = await verify();
      const last = await t.dataSource.getRepository(AuditEntry).findOneByOrFail({ seq: entries });
      await t.dataSource.getRepository(AuditEntry).delete({ seq: entries });
      try {
        expect(await verify()).toEqual({
          valid: false,
          entries: entries - 1,
          firstBrokenId: String(entries),
          reason: `the head names entry ${entries}, but the chain ends at entry ${entries - 1}`,
        });
      } finally {
        await t.dataSource.getRepository(AuditEntry).insert(last);
      }
      expect((await verify()).valid).toBe(true);
    });

    it(`keeps one chain without forks or gaps under 200 concurrent recordings and 20 racing sealers (${isMaria() ? 'concurrent on MariaDB' : 'serialised on SQLite'})`, async () => {
      const bureaus = await Promise.all(['bureau-sh', 'bureau-js', 'bureau-zj', 'bureau-ah'].map((u) => t.as(u)));
      const before = await verify();
      const sealer = t.get(AuditSealer);
      // The sealers stand in for API nodes sealing at once: each takes whatever has committed so far.
      const [results, sealed] = await Promise.all([
        Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            t.http
              .post('/api/sanctions')
              .set(bureaus[i % 4])
              .send({ creditCode: creditCodeIn('310000'), reason: `并发记录 ${i}` }),
          ),
        ),
        Promise.all(Array.from({ length: 20 }, async (_, i) => (await new Promise((r) => setTimeout(r, i * 5)), sealer.sealAll()))),
      ]);
      expect(results.map((r) => r.status)).toEqual(Array(200).fill(201));
      expect(await verify()).toEqual({ valid: true, entries: before.entries + 200 });
      expect(sealed.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(200);
      expect(await t.dataSource.getRepository(AuditPending).count()).toBe(0);
      const reasons = (await t.dataSource.getRepository(AuditEntry).find({ where: { action: 'sanction.recorded' } })).map(
        (e) => JSON.parse(e.summary).reason,
      );
      expect(new Set(reasons.filter((r: string) => r.startsWith('并发记录'))).size).toBe(200);
    });

    it('writes entries as pending in their own transaction (none if it rolls back) and seals them in order', async () => {
      const uow = t.get(UnitOfWork);
      const sealer = t.get(AuditSealer);
      await sealer.sealAll();
      const draft = (n: number) => ({ action: 'test.step', entityType: 'test', entityId: `sealing-${n}`, summary: { n } });
      await uow.run(async () => {
        uow.record(draft(1));
        uow.record(draft(2));
      });
      await expect(
        uow.run(async () => {
          uow.record(draft(3));
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      // Committed entries are pending or, if the sealer's timer came first, chained already; the rolled-back one is nowhere.
      const written = [
        ...(await t.dataSource.getRepository(AuditPending).findBy({ entityType: 'test' })),
        ...(await t.dataSource.getRepository(AuditEntry).findBy({ entityType: 'test' })),
      ];
      expect(written.map((e) => e.entityId).sort()).toEqual(['sealing-1', 'sealing-2']);

      const { entries } = await verify(); // seals first
      const chained = await t.dataSource.getRepository(AuditEntry).find({ where: { entityType: 'test' }, order: { seq: 'ASC' } });
      expect(chained.map((e) => [e.entityId, e.seq])).toEqual([
        ['sealing-1', entries - 1],
        ['sealing-2', entries],
      ]);
      expect(await t.dataSource.getRepository(AuditPending).count()).toBe(0);
    });
  });
});
