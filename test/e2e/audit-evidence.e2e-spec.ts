import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { clock, DAY_MS } from '../../src/common/clock';
import { openRegion } from '../support/fixtures';
import { TestApp } from '../support/test-app';

const HEFEI = '340100';

interface EntryBody {
  seq: number;
  at: string;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  entityType: string;
  entityId: string;
  regionCode: string | null;
  organizationId: string | null;
  summary: unknown;
  hash: string;
  prevHash: string;
  hashAlg: string;
}

/** What an auditor reads of the audit log: entries found by action, actor and day. */
describe('the audit log as an auditor searches it', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    clock.reset();
    await t.close();
  });

  const search = async (query: Record<string, string>, as = 'platform'): Promise<EntryBody[]> =>
    (
      await t.http
        .get('/api/audit')
        .query({ limit: 500, ...query })
        .set(await t.as(as))
        .expect(200)
    ).body.items;

  it('finds the entries of one action, one actor and a span of Beijing days', async () => {
    const today = clock.today();
    await openRegion(t, HEFEI); // policy.published and budget.set, by the Anhui bureau
    const bureauId = (
      await t.http
        .get('/api/auth/me')
        .set(await t.as('bureau-ah'))
        .expect(200)
    ).body.user.id as string;
    clock.travel(2 * DAY_MS);
    const later = clock.today();
    await t.http
      .put(`/api/budgets/${HEFEI}/${clock.year()}`)
      .set(await t.as('bureau-ah'))
      .send({ totalFen: 2_000_000_000 })
      .expect(200);

    const budgetSets = await search({ action: 'budget.set' });
    expect(budgetSets.map((e) => e.action)).toEqual(['budget.set', 'budget.set']);
    expect(budgetSets.every((e) => e.actorId === bureauId)).toBe(true);

    const byBureau = await search({ actorId: bureauId });
    expect(byBureau.length).toBeGreaterThanOrEqual(3);
    expect(byBureau.every((e) => e.actorId === bureauId)).toBe(true);
    expect(byBureau.map((e) => e.action)).toEqual(expect.arrayContaining(['policy.published', 'budget.set']));

    // Days are Beijing days, both ends included.
    const onTheFirstDay = await search({ actorId: bureauId, from: today, to: today });
    expect(onTheFirstDay.map((e) => e.action).sort()).toEqual(['budget.set', 'policy.published']);
    const since = await search({ action: 'budget.set', from: later });
    expect(since).toHaveLength(1);
    expect(since[0].seq).toBe(budgetSets[0].seq);
    expect(await search({ action: 'budget.set', to: today })).toEqual([budgetSets[1]]);

    const backwards = await t.http
      .get('/api/audit')
      .query({ from: later, to: today })
      .set(await t.as('platform'))
      .expect(400);
    expect(backwards.body.code).toBe('VALIDATION_FAILED');
  });

  it('lets an auditor recompute the whole chain offline from the exported entries, as the README describes, and check every checkpoint', async () => {
    const platform = await t.as('platform');
    const entries: EntryBody[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = (await t.http.get('/api/audit').query({ limit: 500, offset }).set(platform).expect(200)).body;
      entries.push(...page.items);
      if (offset + 500 >= page.total) break;
    }
    entries.sort((a, b) => a.seq - b.seq);
    expect(entries.length).toBeGreaterThan(10);
    // README, "Audit integrity": hashAlg over JSON.stringify of the fields in this order, the summary as JSON text.
    let prevHash = '0'.repeat(64);
    entries.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(prevHash);
      const fields = [e.seq, e.prevHash, e.at, e.actorId, e.actorRole, e.action, e.entityType, e.entityId, e.regionCode, e.organizationId];
      expect(
        createHash(e.hashAlg)
          .update(JSON.stringify([...fields, JSON.stringify(e.summary)]))
          .digest('hex'),
      ).toBe(e.hash);
      prevHash = e.hash;
    });
    const { keyId, publicKeyPem } = (await t.http.get('/api/audit/public-key').expect(200)).body;
    const checkpoints = (await t.http.get('/api/audit/checkpoints').set(platform).expect(200)).body.items;
    expect(checkpoints.length).toBeGreaterThan(0);
    for (const cp of checkpoints) {
      expect(cp.keyId).toBe(keyId);
      expect(entries[cp.seq - 1].hash).toBe(cp.hash);
      const message = Buffer.from(`yrd-audit-checkpoint:${cp.seq}:${cp.hash}`, 'utf8');
      expect(verifySignature(null, message, createPublicKey(publicKeyPem), Buffer.from(cp.signature, 'base64'))).toBe(true);
    }
  });
});
