import { FirstAdmins } from '../../src/auth/first-admins';
import { describeRaces } from '../support/races';
import { TestApp } from '../support/test-app';

/**
 * `npm run first-admin` makes at most two first admins a group: its admins who sign in and those it made whose setup code
 * is still usable count, and runs for one group take turns on the group's row, so that neither runs before anyone set a
 * password nor runs at once make a third. Each group of the demo world has one admin (bureau-sh … platform).
 */
describe('first admins: at most two a group', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start({ DB_POOL_SIZE: '12' })));
  afterAll(() => t.close());

  /** The group's admins who sign in or wait for their first password: what two must not be passed by. */
  const admins = async (role: string, regionCode: string | null) =>
    Number(
      (
        await t.dataSource.query(
          `SELECT COUNT(*) AS n FROM app_user WHERE role = ? AND ${regionCode === null ? 'region_code IS NULL' : 'region_code = ?'} AND admin = 1 AND disabled_at IS NULL`,
          regionCode === null ? [role] : [role, regionCode],
        )
      )[0].n,
    );

  it('run again before anyone set a password, it makes no third: the admin waiting for its setup code counts', async () => {
    const first = t.get(FirstAdmins);
    const sh = await first.make('sh-first-admin', '310000');
    expect(sh).toMatchObject({ role: 'bureau', regionCode: '310000', setupCode: expect.any(String) });
    // bureau-sh and the one just made: two, though one has no password yet
    await expect(first.make('sh-first-admin-2', '310000')).rejects.toThrow(/2 admins who sign in already or will/);
    expect(await admins('bureau', '310000')).toBe(2);
    await expect(first.make('ops-first-admin', 'platform')).resolves.toMatchObject({ role: 'platform' });
    await expect(first.make('ops-first-admin-2', 'platform')).rejects.toThrow(/the platform has 2 admins/);
    expect(await admins('platform', null)).toBe(2);
  });

  describeRaces('runs at once', () => {
    it('twelve runs for one group at once make one admin, the second of two; the others are refused', async () => {
      const first = t.get(FirstAdmins);
      for (const [group, role, region] of [
        ['320000', 'bureau', '320000'],
        ['330000', 'bureau', '330000'],
      ] as const) {
        const runs = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => first.make(`race-${group}-${i}`, group)));
        const made = runs.filter((r) => r.status === 'fulfilled');
        const refused = runs.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(made).toHaveLength(1);
        for (const r of refused) expect(String(r.reason)).toMatch(/has 2 admins who sign in already or will/);
        expect(await admins(role, region)).toBe(2);
      }
    });
  });
});
