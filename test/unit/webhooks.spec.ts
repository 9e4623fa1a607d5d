import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { nextAttemptAt, RETRY_RULE, retryDelayMs } from '../../src/webhooks/webhook-backoff';
import { signatureHeader, verifySignature } from '../../src/webhooks/webhook-signature';
import type { DomainEvent } from '../../src/events/event.repository';
import { checkTarget, isPrivateAddress, TargetRefused } from '../../src/webhooks/webhook-target';
import type { WebhookSubscription } from '../../src/webhooks/webhook.repository';
import { freeSlot, liveUrlKey, MAX_WEBHOOKS_PER_OWNER, receives, targetOf } from '../../src/webhooks/webhook.rules';

describe('webhook signature (Yrd-Signature: t=…,v1=…)', () => {
  const secret = 'whsec_test';
  const body = '{"id":"e1","type":"voucher.issued","occurredAt":"2026-11-30T08:00:00.000Z","data":{"serial":"AH-2026-000042"}}';

  it('is the hex HMAC-SHA256 of "<t>.<raw body>" under the secret, as API.md fixes it', () => {
    const expected = createHmac('sha256', secret).update(`1764489600.${body}`).digest('hex');
    expect(signatureHeader(secret, body, 1764489600)).toBe(`t=1764489600,v1=${expected}`);
    // A fixed vector, so that a change of the scheme cannot pass unnoticed.
    expect(signatureHeader('k', 'b', 1)).toBe(`t=1,v1=${createHmac('sha256', 'k').update('1.b').digest('hex')}`);
  });

  it('carries one v1 per secret during a rotation, the newest first; either secret verifies it', () => {
    const hmac = (k: string) => createHmac('sha256', k).update(`1000.${body}`).digest('hex');
    const header = signatureHeader(['whsec_new', secret], body, 1000);
    expect(header).toBe(`t=1000,v1=${hmac('whsec_new')},v1=${hmac(secret)}`);
    expect(verifySignature('whsec_new', body, header, 1000)).toBe(true);
    expect(verifySignature(secret, body, header, 1000)).toBe(true);
    expect(verifySignature('whsec_other', body, header, 1000)).toBe(false);
  });

  it('verifies on the receiver’s side and refuses a changed body, another secret, an old timestamp or a mangled header', () => {
    const header = signatureHeader(secret, body, 1000);
    expect(verifySignature(secret, body, header, 1000)).toBe(true);
    expect(verifySignature(secret, body, header, 1299)).toBe(true);
    expect(verifySignature(secret, body, header, 1301)).toBe(false);
    expect(verifySignature(secret, body.replace('42', '43'), header, 1000)).toBe(false);
    expect(verifySignature('whsec_other', body, header, 1000)).toBe(false);
    expect(verifySignature(secret, body, header.replace('t=1000', 't=1001'), 1000)).toBe(false);
    expect(verifySignature(secret, body, 'v1=abc', 1000)).toBe(false);
    expect(verifySignature(secret, body, 'garbage', 1000)).toBe(false);
    // a second v1 (a rotated secret's) is accepted when one of them matches
    expect(verifySignature(secret, body, `${header},v1=${'0'.repeat(64)}`, 1000)).toBe(true);
  });

  it('verifies whatever body and secret it signed (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 2 ** 31 }), (b, s, t) => {
        expect(verifySignature(s, b, signatureHeader(s, b, t), t)).toBe(true);
      }),
    );
  });
});

describe('webhook retries: exponential backoff for at least 24 hours', () => {
  it('retries first within 60 s, then doubles, capped at 6 h, with at most 10% jitter', () => {
    expect(retryDelayMs(RETRY_RULE, 1, 0)).toBe(30_000);
    expect(retryDelayMs(RETRY_RULE, 1, 0.999)).toBeLessThan(60_000);
    expect(retryDelayMs(RETRY_RULE, 2, 0)).toBe(60_000);
    expect(retryDelayMs(RETRY_RULE, 5, 0)).toBe(480_000);
    expect(retryDelayMs(RETRY_RULE, 20, 0)).toBe(6 * 3_600_000);
    expect(retryDelayMs(RETRY_RULE, 1000, 0.5)).toBe(Math.floor(6 * 3_600_000 * 1.05));
  });

  it('keeps retrying a delivery that always fails for at least 24 h, then gives it up, after 14 attempts', () => {
    const created = 0;
    let now = created;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = nextAttemptAt(RETRY_RULE, created, now, attempts, 0);
      if (next === null) break;
      expect(next).toBeGreaterThan(now);
      now = next;
    }
    expect(now - created).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(now - created).toBeLessThan(30 * 3_600_000);
    expect(attempts).toBe(14);
  });

  it('never gives up before 24 h, whatever the jitter (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 40, maxLength: 40 }), (randoms) => {
        let now = 0;
        for (let attempt = 1; attempt <= 40; attempt++) {
          const next = nextAttemptAt(RETRY_RULE, 0, now, attempt, randoms[attempt - 1]);
          if (next === null) {
            expect(now).toBeGreaterThanOrEqual(RETRY_RULE.windowMs);
            return;
          }
          now = next;
        }
        throw new Error('still retrying after 40 attempts');
      }),
    );
  });
});

describe('webhook targets: the SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::7f00:1',
    '::ffff:0:7f00:1',
    '2002:7f00:1::',
    '64:ff9b:1::a9fe:a9fe',
  ])('refuses %s', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '202.96.209.133', '2400:3200::1', '::ffff:8.8.8.8'])('allows %s', (ip) =>
    expect(isPrivateAddress(ip)).toBe(false),
  );

  it('refuses private literals, localhost, other schemes and credentials; allows them all with allowPrivate but the scheme', async () => {
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://[::1]/x',
      'http://169.254.169.254/latest/meta-data',
      'http://localhost/x',
      'http://10.0.0.5/',
    ]) {
      await expect(checkTarget(url, false)).rejects.toBeInstanceOf(TargetRefused);
      await expect(checkTarget(url, true)).resolves.toMatchObject({ url: new URL(url) });
    }
    await expect(checkTarget('ftp://8.8.8.8/x', true)).rejects.toThrow('http or https');
    await expect(checkTarget('https://user:pw@8.8.8.8/x', true)).rejects.toThrow('credentials');
    await expect(checkTarget('not-a-url', true)).rejects.toThrow('absolute URL');
    await expect(checkTarget('https://8.8.8.8/hook', false)).resolves.toMatchObject({ address: '8.8.8.8', family: 4 });
  });

  it('refuses what the URL parser would tidy silently (spaces, control and format characters) and port 0', async () => {
    for (const url of [
      ' https://8.8.8.8/x',
      'https://8.8.8.8/x ',
      'https://8.8.8.8/a b',
      'https://8.8.8.8/x\u0000',
      'https://8.8.8.8/\tx',
      'https://8.8.8.8/x\u200b',
    ])
      await expect(checkTarget(url, true)).rejects.toThrow('must not contain spaces or control characters');
    await expect(checkTarget('https://8.8.8.8:0/x', true)).rejects.toMatchObject({ reason: 'port', message: 'port 0 cannot be called' });
    await expect(checkTarget('https://8.8.8.8:8443/x', true)).resolves.toMatchObject({ address: '8.8.8.8' });
  });
});

describe('webhook rules', () => {
  const event = (e: Partial<DomainEvent>): DomainEvent => ({
    id: 'e',
    seq: 1,
    type: 'voucher.issued',
    occurredAt: '2026-11-30T08:00:00.000Z',
    entityType: 'voucher',
    entityId: 'v',
    regionCode: null,
    organizationId: null,
    counterpartyId: null,
    data: {},
    ...e,
  });
  const subscription = (s: Partial<WebhookSubscription>): WebhookSubscription => ({
    id: 's',
    ownerRole: 'bureau',
    organizationId: null,
    regionCode: '340000',
    url: 'https://8.8.8.8/x',
    events: ['*'],
    secret: '',
    previousSecret: null,
    previousSecretUntil: null,
    createdBy: 'u',
    createdAt: '2026-11-30T08:00:00.000Z',
    deletedAt: null,
    slot: 1,
    ...s,
  });

  it('a bureau receives its region’s events and the shared credit list recorded anywhere; an organization its own', () => {
    const ah = subscription({});
    expect(receives(ah, event({ regionCode: '340100' }))).toBe(true);
    expect(receives(ah, event({ regionCode: '320500' }))).toBe(false);
    for (const type of ['sanction.recorded', 'sanction.lifted', 'relation.recorded'])
      expect([type, receives(ah, event({ type, regionCode: '320000' }))]).toEqual([type, true]);
    const lab = subscription({ ownerRole: 'provider', organizationId: 'lab-a', regionCode: null });
    // a payee's own copy of a settlement event reaches it; the batch's (no organization) does not
    expect(receives(lab, event({ type: 'settlement.paid', organizationId: 'lab-a' }))).toBe(true);
    expect(receives(lab, event({ type: 'settlement.paid', regionCode: '340000' }))).toBe(false);
    expect(receives(lab, event({ type: 'booking.created', organizationId: 'e-1', counterpartyId: 'lab-a' }))).toBe(true);
  });

  it('gives the lowest free slot up to the cap, and none beyond it (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: MAX_WEBHOOKS_PER_OWNER })), (taken) => {
        const slot = freeSlot(taken);
        if (taken.length === MAX_WEBHOOKS_PER_OWNER) expect(slot).toBeNull();
        else {
          expect(taken).not.toContain(slot);
          for (let lower = 1; lower < slot!; lower++) expect(taken).toContain(lower);
        }
      }),
    );
  });

  it('knows a URL however its scheme and host are cased, and tells owners apart', () => {
    const lab = { ownerRole: 'provider', organizationId: 'lab-a', regionCode: null };
    expect(liveUrlKey(lab, 'HTTPS://Example.org:443/hook')).toBe(liveUrlKey(lab, 'https://example.org/hook'));
    expect(liveUrlKey(lab, 'https://example.org/hook')).not.toBe(liveUrlKey(lab, 'https://example.org/Hook'));
    expect(liveUrlKey(lab, 'https://example.org/hook')).not.toBe(
      liveUrlKey({ ...lab, organizationId: 'lab-b' }, 'https://example.org/hook'),
    );
  });

  it('knows a URL without the fragment it never sends, an empty query, or unreserved characters escaped', () => {
    for (const same of ['https://example.org/a#1', 'https://example.org/a?', 'https://example.org/%61', 'https://example.org/b/../a'])
      expect(targetOf(same)).toBe('https://example.org/a');
    expect(targetOf('https://example.org/a%2fb?x=%7e%2f')).toBe('https://example.org/a%2Fb?x=~%2F');
    expect(targetOf('https://example.org/a?x=1')).not.toBe(targetOf('https://example.org/a?x=2'));
  });

  it('writes a URL one way: written again, it is the same (property)', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        expect(targetOf(targetOf(url))).toBe(targetOf(url));
      }),
    );
  });
});
