import { createHmac } from 'node:crypto';
import { entryHash } from '../../src/audit/audit-chain';
import { AuditEntry } from '../../src/audit/audit-entry.entity';
import { AuditSealer } from '../../src/audit/audit-sealer';
import { clock, DAY_MS } from '../../src/common/clock';
import { makeCreditCode } from '../../src/organizations/credit-code';
import { OrganizationsService } from '../../src/organizations/organizations.service';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { newId } from '../../src/common/ids';
import { Organization } from '../../src/organizations/organization.entity';
import { Redemption } from '../../src/redemptions/redemption.entity';
import { auth, creditCodeIn, isMaria, PASSWORD, TestApp } from '../support/test-app';

describe('service foundation', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  describe('health, docs, regions', () => {
    it('reports the database up, and how many units of work this process ran, retried and gave up on', async () => {
      const res = await t.http.get('/api/health').expect(200);
      expect(res.body).toEqual({
        status: 'ok',
        database: { type: expect.any(String), status: 'up' },
        clock: { skewMs: expect.any(Number) },
        unitsOfWork: { units: expect.any(Number), retries: expect.any(Number), busy: expect.any(Number), mostAttempts: expect.any(Number) },
      });
      expect(res.body.unitsOfWork.units).toBeGreaterThan(0); // seeding the staff ran some
      expect(Math.abs(res.body.clock.skewMs)).toBeLessThan(2_000);
    });

    it('answers 503 CLOCK_SKEW while this node’s clock is more than 2 s off the database’s, in the caller’s language', async () => {
      try {
        clock.travel(5_000);
        const ahead = await t.http.get('/api/health').expect(503);
        expect(ahead.headers['retry-after']).toBe('30');
        expect(ahead.body).toEqual({
          statusCode: 503,
          code: 'CLOCK_SKEW',
          message: expect.stringMatching(/^this node's clock is -\d+ ms off the database's \(at most 2000 ms\)/),
        });
        expectSkewNear(ahead.body.message, /is (-?\d+) ms off/, -5_000);
        const zh = await t.http.get('/api/health').set('Accept-Language', 'zh-CN').expect(503);
        expectSkewNear(zh.body.message, /^本节点时钟与数据库相差 (-?\d+) 毫秒/, -5_000);
        clock.travel(-10_000);
        expectSkewNear((await t.http.get('/api/health').expect(503)).body.message, /is (-?\d+) ms off/, 5_000);
      } finally {
        clock.reset();
      }
      await t.http.get('/api/health').expect(200);
    });

    it('serves the OpenAPI document describing the contract', async () => {
      const res = await t.http.get('/docs-json').expect(200);
      expect(Object.keys(res.body.paths)).toEqual(
        expect.arrayContaining(['/api/auth/login', '/api/auth/register', '/api/providers/{id}/admit', '/api/regions']),
      );
      const posts = Object.values(res.body.paths as Record<string, { post?: { parameters: { name: string; in: string }[] } }>).flatMap(
        (p) => (p.post ? [p.post] : []),
      );
      expect(posts.length).toBeGreaterThan(15);
      // every POST but those that ignore the key (their answers hold secrets: openapi-completeness names them)
      const offering = posts.filter((post) => post.parameters?.some((p: { name: string }) => p.name === 'Idempotency-Key'));
      expect(offering.length).toBeGreaterThan(posts.length - 10);
    });

    it('lists the four provinces and the cities named in DOMAIN.md', async () => {
      const res = await t.http.get('/api/regions').expect(200);
      const codes = res.body.map((r: { code: string }) => r.code);
      expect(codes).toEqual(
        expect.arrayContaining([
          '310000',
          '320000',
          '330000',
          '340000',
          '340100',
          '340200',
          '320100',
          '320500',
          '330100',
          '330200',
          '330400',
        ]),
      );
      expect(res.body.find((r: { code: string }) => r.code === '340100')).toEqual({
        code: '340100',
        name: '合肥市',
        level: 'city',
        parentCode: '340000',
      });
    });
  });

  describe('login', () => {
    it('logs a bureau in with the demo password', async () => {
      const res = await t.http.post('/api/auth/login').send({ username: 'bureau-ah', password: 'demo-pass-2026' }).expect(200);
      expect(res.body).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: 900,
        user: { username: 'bureau-ah', role: 'bureau', regionCode: '340000' },
      });
      expect(res.body.accessToken).toEqual(expect.any(String));
    });

    it.each([
      ['a wrong password', { username: 'bureau-ah', password: 'wrong-password' }],
      ['an unknown user', { username: 'nobody', password: 'demo-pass-2026' }],
    ])('refuses %s with 401', async (_, body) => {
      const res = await t.http.post('/api/auth/login').send(body).expect(401);
      expect(res.body).toEqual({ statusCode: 401, code: 'UNAUTHENTICATED', message: expect.any(String) });
    });
  });

  describe('registration', () => {
    it('registers a Hefei enterprise waiting for its bureau’s verification, its region the city of its credit code', async () => {
      const creditCode = creditCodeIn('340104');
      const res = await t.http
        .post('/api/auth/register')
        .send({
          username: 'hefei-micronano',
          password: PASSWORD,
          role: 'enterprise',
          organization: { name: '合肥微纳新材料科技有限公司', creditCode, kind: 'startup_team' },
        })
        .expect(201);
      expect(res.body.user).toMatchObject({ username: 'hefei-micronano', role: 'enterprise', organizationId: res.body.organization.id });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.organization).toMatchObject({
        name: '合肥微纳新材料科技有限公司',
        creditCode,
        type: 'enterprise',
        kind: 'startup_team',
        regionCode: '340100',
        provinceCode: '340000',
        status: 'pending_verification',
      });
      const verified = await t.http
        .post(`/api/organizations/${res.body.organization.id}/verify`)
        .set(auth(await t.token('bureau-ah')))
        .send({ certificateNo: 'GR202634001234' })
        .expect(200);
      expect(verified.body).toMatchObject({ id: res.body.organization.id, regionCode: '340100', status: 'active' });
    });

    it('refuses the organization’s own credit code as its controller or related party at registration too', async () => {
      const creditCode = creditCodeIn('340104');
      const register = (organization: object) =>
        t.http
          .post('/api/auth/register')
          .send({
            username: `own-${creditCode.slice(-6)}`,
            password: PASSWORD,
            role: 'enterprise',
            organization: { name: '自我关联公司', creditCode, ...organization },
          })
          .expect(400);
      expect((await register({ controllerCreditCode: creditCode })).body.message).toContain('organization.controllerCreditCode');
      expect((await register({ relatedCreditCodes: [creditCode] })).body.message).toContain('organization.relatedCreditCodes');
    });

    it('registers a Shanghai provider as applied, region the province', async () => {
      const res = await t.http
        .post('/api/auth/register')
        .send({
          username: 'sh-tem-lab',
          password: PASSWORD,
          role: 'provider',
          organization: { name: '上海微观表征公共服务平台', creditCode: creditCodeIn('310115', '12') },
        })
        .expect(201);
      expect(res.body.organization).toMatchObject({
        type: 'provider',
        kind: null,
        regionCode: '310000',
        provinceCode: '310000',
        status: 'applied',
      });
    });

    it('falls back to the province when the city is not in the region list', async () => {
      const s = await t.registerEnterprise('349900');
      const res = await t.http.get(`/api/organizations/${s.organizationId}`).set(auth(s.token)).expect(200);
      expect(res.body).toMatchObject({ regionCode: '340000', provinceCode: '340000' });
    });

    const valid = makeCreditCode('340100', 'MA2T8XQ21');
    const wrongCheck = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
    it.each([
      ['a wrong check character', wrongCheck],
      ['17 characters', valid.slice(0, 17)],
      ['19 characters', valid + '0'],
      ['lower case', valid.toLowerCase()],
      ...['I', 'O', 'Z', 'S', 'V'].map(
        (ch) => [`the forbidden letter ${ch}`, valid.slice(0, 10) + ch + valid.slice(11)] as [string, string],
      ),
      ['a number instead of a string', 91340100],
    ])('rejects a credit code with %s: 400 naming the field', async (_, creditCode) => {
      const res = await t.http
        .post('/api/auth/register')
        .send({ username: 'bad-code', password: PASSWORD, role: 'enterprise', organization: { name: '某公司', creditCode } })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toContain('organization.creditCode');
    });

    it('answers a duplicate credit code or username with 409 DUPLICATE', async () => {
      const creditCode = creditCodeIn('320500');
      const body = (username: string) => ({
        username,
        password: PASSWORD,
        role: 'enterprise',
        organization: { name: '苏州生物医药', creditCode },
      });
      await t.http.post('/api/auth/register').send(body('suzhou-bio')).expect(201);
      expect((await t.http.post('/api/auth/register').send(body('suzhou-bio-2')).expect(409)).body.code).toBe('DUPLICATE');
      const sameUser = { ...body('suzhou-bio'), organization: { name: 'x公司', creditCode: creditCodeIn('320500') } };
      expect((await t.http.post('/api/auth/register').send(sameUser).expect(409)).body.code).toBe('DUPLICATE');
      const zh = (b: object) => t.http.post('/api/auth/register').set('Accept-Language', 'zh-CN').send(b).expect(409);
      expect((await zh(body('suzhou-bio-2'))).body.message).toBe(`统一社会信用代码 ${creditCode} 已注册，请直接登录或联系本单位管理员`);
      expect((await zh(sameUser)).body.message).toBe('用户名 suzhou-bio 已被使用，请更换');
      // Whatever its case, on either database.
      const otherCase = { ...sameUser, username: 'Suzhou-BIO' };
      expect((await zh(otherCase)).body.message).toBe('用户名 Suzhou-BIO 已被使用，请更换');
      if (t.dataSource.options.type === 'better-sqlite3') {
        // SQLite compares bytes: the check folds case, through the index on the folded name rather than a scan.
        const plan: { detail: string }[] = await t.dataSource.query(
          'EXPLAIN QUERY PLAN SELECT 1 AS one FROM app_user WHERE LOWER(username) = ?',
          ['suzhou-bio'],
        );
        expect(plan.map((p) => p.detail).join(' ')).toContain('idx_app_user_username_folded');
      }
    });

    it('refuses an organization registered outside the four provinces, naming its province (400)', async () => {
      const body = {
        username: 'beijing-lab',
        password: PASSWORD,
        role: 'provider',
        organization: { name: '北京某实验室', creditCode: creditCodeIn('110108') },
      };
      const en = await t.http.post('/api/auth/register').send(body).expect(400);
      expect(en.body.message).toBe(
        'organization.creditCode: registered in Beijing (110000), outside Shanghai, Jiangsu, Zhejiang and Anhui, whose schemes this service runs',
      );
      const zh = await t.http.post('/api/auth/register').set('Accept-Language', 'zh-CN').send(body).expect(400);
      expect(zh.body.message).toBe('organization.creditCode：登记地 北京市 不在沪苏浙皖，本服务只受理沪苏浙皖的机构');
    });

    it('rejects unknown fields, also nested ones, naming them', async () => {
      const base = {
        username: 'extra-field',
        password: PASSWORD,
        role: 'enterprise',
        organization: { name: '某公司', creditCode: creditCodeIn('330100') },
      };
      const top = await t.http
        .post('/api/auth/register')
        .send({ ...base, isAdmin: true })
        .expect(400);
      expect(top.body.message).toContain('isAdmin');
      const nested = await t.http
        .post('/api/auth/register')
        .send({ ...base, organization: { ...base.organization, status: 'active' } })
        .expect(400);
      expect(nested.body.message).toContain('status');
    });

    it.each([
      ['malformed JSON', '{"username": ', 'application/json'],
      ['an array for the body', '[1,2]', 'application/json'],
      [
        'a role outside the list',
        JSON.stringify({ username: 'abc', password: PASSWORD, role: 'bureau', organization: { name: 'x', creditCode: 'x' } }),
        'application/json',
      ],
      [
        'an array for the organization',
        JSON.stringify({ username: 'abc', password: PASSWORD, role: 'enterprise', organization: [] }),
        'application/json',
      ],
      [
        'emoji and CJK in the username',
        JSON.stringify({
          username: '企业😀',
          password: PASSWORD,
          role: 'enterprise',
          organization: { name: '企业😀', creditCode: creditCodeIn('340100') },
        }),
        'application/json',
      ],
    ])('answers %s with 400, never 500', async (_, body, type) => {
      const res = await t.http.post('/api/auth/register').set('Content-Type', type).send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
    });

    it('refuses a body over the size limit with 413', async () => {
      const res = await t.http.post('/api/auth/register').send({ username: 'x'.repeat(200_000) });
      expect(res.status).toBe(413);
    });
  });

  describe('tokens', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

    it('refuses a tampered token', async () => {
      const token = await t.token('bureau-ah');
      const [h, , s] = token.split('.');
      const forged = `${h}.${b64({ sub: 'x', username: 'bureau-ah', role: 'platform', org: null, region: null, exp: 9999999999 })}.${s}`;
      const res = await t.http.get('/api/ledger/check').set(auth(forged)).expect(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('refuses alg=none', async () => {
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', username: 'p', role: 'platform', org: null, region: null, exp: 9999999999 })}.`;
      await t.http.get('/api/ledger/check').set(auth(token)).expect(401);
    });

    it('refuses a token signed with another secret', async () => {
      const head = b64({ alg: 'HS256', typ: 'JWT' });
      const body = b64({ sub: 'x', username: 'p', role: 'platform', org: null, region: null, exp: 9999999999 });
      const sig = createHmac('sha256', 'guessed-secret').update(`${head}.${body}`).digest('base64url');
      await t.http
        .get('/api/ledger/check')
        .set(auth(`${head}.${body}.${sig}`))
        .expect(401);
    });

    it('refuses a missing token with 401 and the wrong role with 403', async () => {
      await t.http.get('/api/ledger/check').expect(401);
      const res = await t.http
        .get('/api/ledger/check')
        .set(auth(await t.token('bureau-sh')))
        .expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
      const ok = await t.http
        .get('/api/ledger/check')
        .set(auth(await t.token('platform')))
        .expect(200);
      expect(ok.body.balanced).toBe(true);
    });
  });

  describe('organizations and provider admission', () => {
    it('lets an organization read itself, its region’s bureau and the platform; others get 404', async () => {
      const e = await t.registerEnterprise('340100');
      const other = await t.registerEnterprise('340100');
      const path = `/api/organizations/${e.organizationId}`;
      await t.http.get(path).set(auth(e.token)).expect(200);
      await t.http
        .get(path)
        .set(auth(await t.token('bureau-ah')))
        .expect(200);
      await t.http
        .get(path)
        .set(auth(await t.token('platform')))
        .expect(200);
      await t.http.get(path).set(auth(other.token)).expect(404);
      await t.http
        .get(path)
        .set(auth(await t.token('bureau-sh')))
        .expect(404);
      await t.http.get('/api/organizations/../etc').set(auth(e.token)).expect(404);
      await t.http.get("/api/organizations/1'%20OR%20'1").set(auth(e.token)).expect(404);
    });

    it('admits a provider into a 7-day public notice; it becomes active when the notice ends', async () => {
      const p = await t.registerProvider('320100', {}, false);
      const res = await t.http
        .post(`/api/providers/${p.organizationId}/admit`)
        .set(auth(await t.token('bureau-js')))
        .send({})
        .expect(200);
      expect(res.body.status).toBe('public_notice');
      expect(Date.parse(res.body.noticeEndsAt) - Date.now()).toBeGreaterThan(6.9 * DAY_MS);
      // 7 Beijing days after the day of admission: it ends at the midnight after the last, 7 to 8 days from now
      expect(Date.parse(res.body.noticeEndsAt) - Date.now()).toBeLessThanOrEqual(8 * DAY_MS);
      clock.travel(Date.parse(res.body.noticeEndsAt) - clock.now().getTime());
      try {
        const read = await t.http.get(`/api/organizations/${p.organizationId}`).set(auth(p.token)).expect(200);
        expect(read.body.status).toBe('active');
        expect(await t.get(OrganizationsService).activateNoticesEnded()).toBeGreaterThanOrEqual(1);
      } finally {
        clock.reset();
      }
      const after = await t.http.get(`/api/organizations/${p.organizationId}`).set(auth(p.token)).expect(200);
      expect(after.body.status).toBe('active');
    });

    it('activates at once with noticeDays 0, and suspends with a reason', async () => {
      const p = await t.registerProvider('330100', {}, false);
      const zj = auth(await t.token('bureau-zj'));
      expect((await t.http.post(`/api/providers/${p.organizationId}/admit`).set(zj).send({ noticeDays: 0 }).expect(200)).body.status).toBe(
        'active',
      );
      const again = await t.http
        .post(`/api/providers/${p.organizationId}/admit`)
        .set(zj)
        .set('Accept-Language', 'zh-CN')
        .send({ noticeDays: 0 })
        .expect(409);
      expect(again.body.message).toBe('该服务机构状态正常，只有已申请入库或暂停服务的机构可以准入');
      const s = await t.http.post(`/api/providers/${p.organizationId}/suspend`).set(zj).send({ reason: '虚假使用记录' }).expect(200);
      expect(s.body).toMatchObject({ status: 'suspended', statusReason: '虚假使用记录' });
    });

    it('refuses admission by another province’s bureau (403), by a non-bureau (403), and bad notice days (400)', async () => {
      const p = await t.registerProvider('320500', {}, false);
      const path = `/api/providers/${p.organizationId}/admit`;
      expect(
        (
          await t.http
            .post(path)
            .set(auth(await t.token('bureau-sh')))
            .send({ noticeDays: 0 })
            .expect(403)
        ).body.code,
      ).toBe('FORBIDDEN');
      await t.http.post(path).set(auth(p.token)).send({ noticeDays: 0 }).expect(403);
      await t.http
        .post(path)
        .set(auth(await t.token('platform')))
        .send({ noticeDays: 0 })
        .expect(403);
      await t.http
        .post(path)
        .set(auth(await t.token('bureau-js')))
        .send({ noticeDays: -1 })
        .expect(400);
      await t.http
        .post(path)
        .set(auth(await t.token('bureau-js')))
        .send({ noticeDays: 1.5 })
        .expect(400);
      await t.http
        .post(`/api/providers/${p.organizationId}/suspend`)
        .set(auth(await t.token('bureau-zj')))
        .send({ reason: 'x' })
        .expect(403);
    });

    it('lists organizations within the bureau’s province only', async () => {
      const p = await t.registerProvider('340200', {}, false);
      const shProvider = await t.registerProvider('310000', {}, false);
      const ah = await t.http
        .get('/api/organizations?type=provider&status=applied')
        .set(auth(await t.token('bureau-ah')))
        .expect(200);
      expect(ah.body.items.map((o: { id: string }) => o.id)).toContain(p.organizationId);
      const sh = await t.http
        .get('/api/organizations?type=provider')
        .set(auth(await t.token('bureau-sh')))
        .expect(200);
      expect(sh.body.items.length).toBeGreaterThan(0);
      expect(sh.body.items.map((o: { id: string }) => o.id)).toContain(shProvider.organizationId);
      expect(sh.body.items.every((o: { provinceCode: string }) => o.provinceCode === '310000')).toBe(true);
      await t.http
        .get('/api/organizations?limit=0')
        .set(auth(await t.token('bureau-sh')))
        .expect(400);
    });
  });

  describe('transactions', () => {
    // MariaDB: each pooled connection is put at READ COMMITTED, with row-lock waits of DB_LOCK_WAIT_SEC (5 s), when it
    // opens. SQLite: one connection, one transaction at a time.
    const pooled = 'run at READ COMMITTED and wait at most 5 s for a row lock on every pooled connection';
    it(isMaria() ? pooled : 'run one at a time on the single connection', async () => {
      const running: number[] = [];
      let overlapped = false;
      const db = t.get(Database);
      const levels = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.get(UnitOfWork).run(async () => {
            running.push(i);
            overlapped ||= running.length > 1;
            const level = isMaria()
              ? (await db.rows<{ level: string }>(sql`SELECT CONCAT(@@tx_isolation, ', ', @@innodb_lock_wait_timeout, ' s') AS level`))[0]
                  .level
              : (await db.rows<{ read_uncommitted: number }>(sql`PRAGMA read_uncommitted`))[0].read_uncommitted;
            await new Promise((r) => setTimeout(r, 5));
            running.splice(running.indexOf(i), 1);
            return level;
          }),
        ),
      );
      expect(levels).toEqual(Array(8).fill(isMaria() ? 'READ-COMMITTED, 5 s' : 0));
      expect(overlapped).toBe(isMaria());
    });

    it('refuses a write outside a unit of work', async () => {
      const db = t.get(Database);
      await expect(db.execute(sql`UPDATE budget SET updated_at = updated_at WHERE 1 = 0`)).rejects.toThrow(
        'a write outside a unit of work',
      );
    });

    // Repositories read and write rows from TypeORM's metadata without its query builder: rows must round-trip exactly.
    it('writes and reads rows through the persistence layer exactly as they are', async () => {
      const db = t.get(Database);
      const now = clock.iso();
      const redemption: Redemption = {
        id: newId(),
        voucherId: newId(),
        facilityId: newId(),
        providerId: newId(),
        enterpriseId: newId(),
        payeeId: newId(),
        issuingRegionCode: '340100',
        budgetYear: 2026,
        providerProvinceCode: '310000',
        crossProvince: true,
        mode: 'provider_redeemed',
        quantity: 1_000_000,
        unitPriceFen: 10_000_000,
        feeFen: 10_000_000_000_000,
        ratioBp: 5000,
        subsidyFen: 5_000_000_000_000,
        selfPayFen: 5_000_000_000_000,
        perRedemptionCapFen: null,
        capturedQuantity: null,
        usage: null,
        usageDueAt: null,
        usageDecidedAt: null,
        disputeReason: null,
        capturedFeeFen: null,
        capturedSubsidyFen: null,
        approvedFen: 0,
        status: 'held',
        policyId: newId(),
        expiresAt: now,
        claimId: null,
        capturedAt: null,
        closedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      const organization: Organization = {
        id: newId(),
        name: "合肥“量子”科技 O'Brien %_!",
        creditCode: creditCodeIn('340100'),
        type: 'enterprise',
        kind: 'tech_sme',
        regionCode: '340100',
        provinceCode: '340000',
        status: 'active',
        controllerCreditCode: null,
        relatedCreditCodes: ['91310000MA1FL0000X', '12340100CW1CCKXH06'],
        noticeEndsAt: null,
        statusReason: null,
        createdAt: now,
        updatedAt: now,
        certificateNo: null,
        verifiedAt: null,
        verifiedBy: null,
        contactPerson: '王敏',
        contactPhone: '0551-65123456',
        contactEmail: null,
        address: '合肥市蜀山区望江西路 800 号',
        bankName: '中国工商银行合肥科技支行',
        bankAccount: '130201080920005432',
        bankAccountKey: '130201080920005432',
        profileUpdatedAt: now,
        bankAccountFiledAt: now,
        pendingBankName: null,
        pendingBankAccount: null,
        pendingBankAccountKey: null,
        pendingBankRequestedAt: null,
        pendingBankRequestedBy: null,
      };
      const rollback = new Error('roll back');
      const outcome = await t
        .get(UnitOfWork)
        .run(async () => {
          // The redemption points at rows that do not exist: foreign keys are checked at commit, which never comes.
          await db.rows(isMaria() ? sql`SET SESSION foreign_key_checks = 0` : sql`PRAGMA defer_foreign_keys = ON`);
          try {
            await db.insert(Redemption, [redemption, { ...redemption, id: newId(), crossProvince: false }]);
            await db.insert(Organization, [organization]);
            expect((await db.select(Redemption, 'r', sql`WHERE r.id = ${redemption.id}`))[0]).toEqual(redemption);
            expect({ ...(await db.lock(Redemption, { id: redemption.id })) }).toEqual(redemption);
            const falseOnes = await db.select(
              Redemption,
              'r',
              sql`WHERE r.policy_id = ${redemption.policyId} AND r.cross_province = ${false}`,
            );
            expect(falseOnes.length).toBe(1);
            expect({ ...(await db.lock(Organization, { creditCode: organization.creditCode })) }).toEqual(organization);
            expect(await db.lock(Organization, { id: newId() })).toBeNull();
            await expect(db.insert(Organization, [{ ...organization, kind: undefined } as unknown as Organization])).rejects.toThrow(
              'Organization.kind is undefined',
            );
          } finally {
            if (isMaria()) await db.rows(sql`SET SESSION foreign_key_checks = 1`);
          }
          throw rollback;
        })
        .catch((e: unknown) => e);
      expect(outcome).toBe(rollback);
      expect(await db.select(Redemption, 'r', sql`WHERE r.policy_id = ${redemption.policyId}`)).toEqual([]);
    });
  });

  describe('audit trail', () => {
    it('records registrations and admissions in a chain that verifies', async () => {
      await t.get(AuditSealer).sealAll();
      const entries = await t.dataSource.getRepository(AuditEntry).find({ order: { seq: 'ASC' } });
      expect(entries.length).toBeGreaterThan(10);
      entries.forEach((e, i) => {
        expect(e.seq).toBe(i + 1);
        expect(e.prevHash).toBe(i === 0 ? '0'.repeat(64) : entries[i - 1].hash);
        expect(e.hash).toBe(entryHash(e));
      });
      expect(entries.map((e) => e.action)).toEqual(
        expect.arrayContaining(['organization.registered', 'provider.admitted', 'provider.suspended', 'user.created']),
      );
    });
  });
});

/** The skew is read across a round trip to the database, and both clocks round to the millisecond: 5,000 ms of travel
 * reads as 4,999 as often as 5,001. */
function expectSkewNear(message: string, pattern: RegExp, expectedMs: number): void {
  const match = pattern.exec(message);
  expect(match).not.toBeNull();
  expect(Math.abs(Number(match![1]) - expectedMs)).toBeLessThan(500);
}
