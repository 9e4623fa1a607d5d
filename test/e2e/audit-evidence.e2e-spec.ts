import { clock, DAY_MS } from '../../src/common/clock';
import { openRegion } from '../support/fixtures';
import { TestApp } from '../support/test-app';

const HEFEI = '340100';

interface EntryBody {
  seq: number;
  at: string;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
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
});
