import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { clock, DAY_MS } from '../../src/common/clock';
import { openRegion } from '../support/fixtures';
import { DataSource } from 'typeorm';
import { isMaria, TestApp } from '../support/test-app';

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

  it('pages a filtered search newest first, and reads each filter in an index of its own, never the whole log', async () => {
    const platform = await t.as('platform');
    const all = await search({ action: 'budget.set' });
    expect(all.length).toBeGreaterThanOrEqual(2);
    const second = (await t.http.get('/api/audit').query({ action: 'budget.set', limit: 1, offset: 1 }).set(platform).expect(200)).body;
    expect(second).toMatchObject({ total: all.length, items: [all[1]] });
    const ofBureau = (
      await t.http
        .get('/api/audit')
        .query({ action: 'budget.set', limit: 1 })
        .set(await t.as('bureau-ah'))
        .expect(200)
    ).body;
    expect(ofBureau.items.map((e: EntryBody) => e.seq)).toEqual([all[0].seq]);

    // The statements AuditRepository.list runs for each filter, in a bureau's scope: with 576,000 entries a scan of the
    // log took 1.2-3.5 s a request (docs/performance.md, 2026-12-05).
    const dataSource = t.get(DataSource);
    const filters: [string, string[]][] = [
      ['a.action = ?', ['budget.set']],
      ['a.actor_id = ?', [all[0].actorId!]],
      ['a.at >= ? AND a.at < ?', ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']],
      ['a.action = ? AND a.at >= ? AND a.at < ?', ['budget.set', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']],
    ];
    for (const [filter, values] of filters) {
      const where = `WHERE 1 = 1 AND ${filter} AND a.region_code LIKE '34%'`;
      const statements = [
        `SELECT COUNT(*) AS n FROM audit_entry a ${where}`,
        `SELECT a.seq FROM audit_entry a${isMaria() ? ' IGNORE INDEX FOR ORDER BY (PRIMARY)' : ''} ${where} ORDER BY a.seq DESC LIMIT 50`,
      ];
      for (const statement of statements) {
        if (isMaria()) {
          const [plan] = await dataSource.query<{ type: string; key: string | null; Extra: string }[]>(`EXPLAIN ${statement}`, values);
          expect({ filter, type: plan.type, covered: plan.Extra.includes('Using index') }).toEqual({
            filter,
            type: expect.not.stringMatching(/^(ALL|index)$/),
            covered: true,
          });
        } else {
          const plan = await dataSource.query<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${statement}`, values);
          expect({ filter, plan: plan.map((p) => p.detail).join('; ') }).toEqual({
            filter,
            plan: expect.stringMatching(/^SEARCH a USING (COVERING )?INDEX /),
          });
        }
      }
    }
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
