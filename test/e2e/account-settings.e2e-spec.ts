import { securityClock } from '../../src/common/clock';
import { auth, creditCodeIn, PASSWORD, TestApp } from '../support/test-app';
import { totp } from '../support/totp';

const MINUTE = 60_000;

/** Account rules that depend on the service's settings, each on an app started with them (one app at a time). */
describe('account settings', () => {
  describe('MFA_REQUIRED=true', () => {
    let t: TestApp;
    beforeAll(async () => (t = await TestApp.start({ MFA_REQUIRED: 'true' })));
    afterAll(() => t.close());

    it('lets staff without two-factor reach only enrolment (and me, logout); enrolled, they reach everything', async () => {
      const token = await t.token('bureau-ah');
      const refused = await t.http.get('/api/vouchers').set(auth(token)).expect(403);
      expect(refused.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('two-factor') });
      await t.http.get('/api/auth/me').set(auth(token)).expect(200);
      const { secret } = (await t.http.post('/api/auth/mfa/setup').set(auth(token)).send({}).expect(200)).body;
      await t.http
        .post('/api/auth/mfa/enable')
        .set(auth(token))
        .send({ otp: totp(secret) })
        .expect(204);
      await t.http.get('/api/vouchers').set(auth(token)).expect(200);
      // Enterprises are not asked to enrol.
      const e = await t.registerEnterprise('340100');
      await t.http.get('/api/vouchers').set(auth(e.token)).expect(200);
    });
  });

  describe('REGISTRATIONS_PER_IP_PER_HOUR=3', () => {
    let t: TestApp;
    beforeAll(async () => (t = await TestApp.start({ REGISTRATIONS_PER_IP_PER_HOUR: '3' })));
    afterAll(() => t.close());
    afterEach(() => securityClock.reset());

    it('limits registrations per client address and hour', async () => {
      const register = (n: number) =>
        t.http.post('/api/auth/register').send({
          username: `reg-limit-${n}`,
          password: PASSWORD,
          role: 'enterprise',
          organization: { name: `限流测试${n}`, creditCode: creditCodeIn('340100') },
        });
      for (let n = 0; n < 3; n++) expect((await register(n)).status).toBe(201);
      const limited = await register(3);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      securityClock.travel(61 * MINUTE);
      expect((await register(4)).status).toBe(201);
    });
  });
});
