import { issueVoucher, openRegion } from '../support/fixtures';
import { until } from '../support/service-process';
import { auth, OrgSession, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';
import { verifySignature } from '../../src/webhooks/webhook-signature';

/** Fast retries for the tests: the first after 300 ms, then 600 ms, … (30 s, 60 s, … in production). */
const FAST = {
  // one key for the secrets across the restart below, as every node of a deployment shares one
  MFA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_POLL_MS: '100',
  WEBHOOK_RETRY_BASE_MS: '300',
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_LEASE_MS: '4000',
};

describe('signed webhooks', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let enterprise: OrgSession;
  let otherEnterprise: OrgSession;

  beforeAll(async () => {
    t = await TestApp.start(FAST);
    receiver = await WebhookReceiver.start();
    await openRegion(t, '340000');
    [enterprise, otherEnterprise] = await Promise.all([t.registerEnterprise('340100'), t.registerEnterprise('340100')]);
  });

  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const subscribe = async (token: string, events: string[], url = receiver.url) =>
    (await t.http.post('/api/webhooks').set(auth(token)).send({ url, events }).expect(201)).body as {
      id: string;
      url: string;
      events: string[];
      secret: string;
    };
  const deliveries = async (token: string, id: string) =>
    (await t.http.get(`/api/webhooks/${id}/deliveries`).set(auth(token)).expect(200)).body.items as {
      id: string;
      eventId: string;
      eventType: string;
      status: string;
      attempts: number;
      log: { attempt: number; statusCode: number | null; error: string | null }[];
    }[];

  it('signs each delivery as the contract says; a 500 is retried and the retry delivered; the log shows both attempts', async () => {
    const sub = await subscribe(enterprise.token, ['voucher.issued', 'application.decided']);
    expect(sub.secret).toMatch(/^whsec_/);
    expect(sub.events).toEqual(['voucher.issued', 'application.decided']);
    const listed = await t.http.get('/api/webhooks').set(auth(enterprise.token)).expect(200);
    expect(listed.body.items).toEqual([{ id: sub.id, url: receiver.url, events: sub.events, createdAt: expect.any(String) }]);

    receiver.answer = (r, nth) => (r.body.type === 'voucher.issued' && nth === 1 ? 500 : 200);
    const voucher = await issueVoucher(t, enterprise.token, 300_000);
    const issued = await until(
      'the retried delivery',
      () => {
        const got = receiver.received.filter((r) => r.body.type === 'voucher.issued' && r.body.data.voucherId === voucher.id);
        return got.length === 2 ? got : undefined;
      },
      20_000,
    );
    for (const r of issued) {
      expect(verifySignature(sub.secret, r.rawBody, r.signature, Math.floor(Date.now() / 1000))).toBe(true);
      expect(r.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(r.eventId).toBe(r.body.id);
      expect(Object.keys(r.body).sort()).toEqual(['data', 'id', 'occurredAt', 'type']);
    }
    expect(issued[0].body).toEqual(issued[1].body);
    // the first retry came after the 300 ms base, well within the 60 s API.md allows in production
    expect(issued[1].at - issued[0].at).toBeGreaterThanOrEqual(250);
    await until('the decision’s delivery', () => receiver.received.find((r) => r.body.type === 'application.decided'));

    const log = await until('the delivery log', async () => {
      const items = await deliveries(enterprise.token, sub.id);
      const d = items.find((i) => i.eventType === 'voucher.issued');
      return d?.status === 'delivered' ? items : undefined;
    });
    const d = log.find((i) => i.eventType === 'voucher.issued')!;
    expect(d).toMatchObject({ status: 'delivered', attempts: 2, eventId: issued[0].eventId });
    expect(d.log.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    // only the types subscribed to
    expect(log.map((i) => i.eventType).sort()).toEqual(['application.decided', 'voucher.issued']);
    // another enterprise's subscription hears nothing of this voucher, a bureau's of its region does
    const other = await subscribe(otherEnterprise.token, ['*']);
    const bureau = await subscribe(await t.token('bureau-ah'), ['voucher.issued']);
    const second = await issueVoucher(t, enterprise.token, 100_000);
    await until('the bureau’s delivery', async () =>
      (await deliveries(await t.token('bureau-ah'), bureau.id)).find((i) => i.status === 'delivered') ? true : undefined,
    );
    expect(receiver.received.some((r) => r.body.data.voucherId === second.id)).toBe(true);
    expect(await deliveries(otherEnterprise.token, other.id)).toEqual([]);
    await t.http.delete(`/api/webhooks/${other.id}`).set(auth(otherEnterprise.token)).expect(204);
    await t.http
      .delete(`/api/webhooks/${bureau.id}`)
      .set(auth(await t.token('bureau-ah')))
      .expect(204);
  });

  it('redelivers on request, and keeps another group’s subscription out of reach (404)', async () => {
    const sub = (await t.http.get('/api/webhooks').set(auth(enterprise.token)).expect(200)).body.items[0];
    const [first] = await deliveries(enterprise.token, sub.id);
    const before = receiver.of(first.eventId).length;
    const again = await t.http.post(`/api/webhooks/${sub.id}/deliveries/${first.id}/redeliver`).set(auth(enterprise.token)).expect(200);
    expect(again.body).toMatchObject({ id: first.id, status: 'pending' });
    await until('the redelivery', () => (receiver.of(first.eventId).length === before + 1 ? true : undefined));
    for (const path of [`/api/webhooks/${sub.id}/deliveries`]) {
      expect((await t.http.get(path).set(auth(otherEnterprise.token))).status).toBe(404);
    }
    expect((await t.http.post(`/api/webhooks/${sub.id}/deliveries/${first.id}/redeliver`).set(auth(otherEnterprise.token))).status).toBe(
      404,
    );
    expect((await t.http.delete(`/api/webhooks/${sub.id}`).set(auth(otherEnterprise.token))).status).toBe(404);
    expect((await t.http.get('/api/webhooks').set(auth(otherEnterprise.token)).expect(200)).body.items).toEqual([]);
  });

  it('refuses bad subscriptions with 400 naming the field', async () => {
    const cases: [object, string][] = [
      [{ url: receiver.url, events: ['voucher.exploded'] }, 'events'],
      [{ url: receiver.url, events: [] }, 'events'],
      [{ url: 'ftp://example.org/x', events: ['*'] }, 'url'],
      [{ url: 'not a url', events: ['*'] }, 'url'],
      [{ events: ['*'] }, 'url'],
      [{ url: receiver.url, events: ['*'], extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await t.http.post('/api/webhooks').set(auth(enterprise.token)).send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toContain(field);
    }
  });

  it('refuses private, loopback and link-local targets without WEBHOOK_ALLOW_PRIVATE, and checks again at delivery time', async () => {
    const sub = (await t.http.get('/api/webhooks').set(auth(enterprise.token)).expect(200)).body.items[0];
    await t.restart({ ...FAST, WEBHOOK_ALLOW_PRIVATE: 'false' });
    const token = (await t.login(enterprise.username, (await import('../support/test-app')).PASSWORD)).accessToken;
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://localhost/x',
      'http://10.0.0.8/x',
      'http://192.168.1.20/x',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
      'http://[fd00::1]/x',
    ]) {
      const res = await t.http
        .post('/api/webhooks')
        .set(auth(token))
        .send({ url, events: ['*'] });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^url: /);
    }
    // The subscription made while private targets were allowed now reaches nothing.
    const received = receiver.received.length;
    const voucher = await issueVoucher(t, token, 50_000);
    const refused = await until('the refused attempt', async () => {
      const items = await deliveries(token, sub.id);
      const d = items.find((i) => i.eventType === 'voucher.issued' && i.attempts > 0 && i.log.length > 0 && i.eventId !== undefined);
      return d && d.log.some((a) => a.error?.includes('refused')) ? d : undefined;
    });
    expect(refused.status).toBe('pending');
    expect(refused.log[0]).toMatchObject({ statusCode: null, error: expect.stringContaining('127.0.0.1') });
    expect(receiver.received.slice(received).some((r) => r.body.data.voucherId === voucher.id)).toBe(false);
  });
});
