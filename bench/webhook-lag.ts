import { loadavg } from 'node:os';
import { clock } from '../src/common/clock';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp } from '../test/support/app-under-test';
import { HttpClient } from '../test/support/http-client';
import { PASSWORD } from '../test/support/accounts';
import { WebhookReceiver } from '../test/support/webhook-receiver';
import { creditCodeIn } from './lib/webhook-lag-codes';
import { runMain } from './lib/cli';

/**
 * Webhook delivery lag: events at a steady rate (auto-approved applications, three events each), one subscription
 * taking every event, a receiver on 127.0.0.1; lag = receipt − occurredAt (written just before its commit).
 * The service, the load and the receiver share this process and the machine's cores: the figures are an upper bound.
 * `npm run build && node dist/bench/webhook-lag.js -- [--rate 200] [--seconds 10] [--db sqlite|mariadb]`
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      db: { type: 'string', default: 'sqlite' },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  Object.assign(process.env, { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_MS: '200' });
  const app = await startApp({ db: values.db === 'mariadb' ? 'mariadb' : 'sqlite', prefix: 'bench_lag' });
  const receiver = await WebhookReceiver.start();
  const http = new HttpClient(app.baseUrl);
  try {
    const bureau = (await http.request('POST', '/api/auth/login', { body: { username: 'bureau-sh', password: process.env.DEMO_PASSWORD } }))
      .body.accessToken;
    const policy = {
      regionCode: '310000',
      effectiveFrom: clock.today(),
      categories: [{ category: 'testing', ratioBp: 5000 }],
      acceptedProvinceCodes: ['310000'],
      localBonusBp: 0,
      enterpriseAnnualCapFen: 1_000_000_000,
      teamAnnualCapFen: 1_000_000_000,
      maxVoucherFen: 1_000_000,
      voucherValidityDays: 365,
      holdExpiryDays: 30,
      autoApproveMaxFen: 1_000_000,
      redemptionModes: ['provider_redeemed'],
      settlementCycle: 'quarterly',
      relatedPartyBan: false,
    };
    const published = await http.request('POST', '/api/policies', { token: bureau, body: policy });
    if (published.status !== 201) throw new Error(`policy: ${published.status} ${published.text}`);
    await http.request('PUT', `/api/budgets/310000/${clock.year()}`, { token: bureau, body: { totalFen: 100_000_000_000 } });
    const enterprises: string[] = [];
    for (let i = 0; i < 20; i++) {
      const username = `lag-${i}-${Date.now()}`;
      const reg = await http.request('POST', '/api/auth/register', {
        body: { username, password: PASSWORD, role: 'enterprise', organization: { name: username, creditCode: creditCodeIn('310000') } },
      });
      await http.request('POST', `/api/organizations/${reg.body.organization.id}/verify`, {
        token: bureau,
        body: { certificateNo: `B-${i}` },
      });
      enterprises.push((await http.request('POST', '/api/auth/login', { body: { username, password: PASSWORD } })).body.accessToken);
    }
    await http.request('POST', '/api/webhooks', { token: bureau, body: { url: receiver.url, events: ['*'] } });
    const before = receiver.received.length;
    const applications = Math.round((rate / 3) * seconds);
    const started = Date.now();
    const pending: Promise<unknown>[] = [];
    const requestMs: number[] = [];
    for (let i = 0; i < applications; i++) {
      const due = started + (i * 1000 * 3) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      const sent = Date.now();
      const body = { amountFen: 10_000, purpose: 'bench' };
      pending.push(
        http.request('POST', '/api/voucher-applications', { token: enterprises[i % enterprises.length], body }).then((reply) => {
          requestMs.push(Date.now() - sent);
          return reply;
        }),
      );
    }
    const statuses = (await Promise.all(pending)) as { status: number }[];
    const expected = before + statuses.filter((r) => r.status === 201).length * 3; // a refused application writes no event
    const deadline = Date.now() + 60_000;
    while (receiver.received.length < expected && Date.now() < deadline) await sleep(100);
    const lags = receiver.received
      .slice(before)
      .map((r) => r.at - Date.parse(r.body.occurredAt))
      .sort((a, b) => a - b);
    const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))];
    console.log(
      JSON.stringify(
        {
          db: app.db,
          eventsPerSec: rate,
          seconds,
          requests: applications,
          non201: statuses.filter((s) => s.status !== 201).length,
          events: lags.length,
          expected: expected - before,
          lagMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: lags.at(-1) },
          // the service answering slower than the load comes means it is saturated: the lag then measures the backlog
          requestMs: (() => {
            const sorted = [...requestMs].sort((a, b) => a - b);
            return { p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.floor(sorted.length * 0.99)] };
          })(),
          loadavg1m: loadavg()[0],
          unnumbered: (await app.dataSource.query('SELECT COUNT(*) AS n FROM domain_event WHERE seq IS NULL'))[0].n,
          deliveries: await app.dataSource.query('SELECT status, COUNT(*) AS n FROM webhook_delivery GROUP BY status'),
          types: receiver.received
            .slice(before)
            .reduce<Record<string, number>>((n, r) => ({ ...n, [r.body.type]: (n[r.body.type] ?? 0) + 1 }), {}),
        },
        null,
        2,
      ),
    );
  } finally {
    await receiver.close();
    await app.close();
  }
}

runMain(main);
