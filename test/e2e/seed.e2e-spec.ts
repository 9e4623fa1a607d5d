import { SeedService } from '../../src/seed/seed.service';
import { auth, DEMO_PASSWORD, TestApp } from '../support/test-app';

describe('demo world', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    await t.get(SeedService).seed();
  });
  afterAll(() => t.close());

  it('lets every demo user log in with the demo password', async () => {
    for (const username of ['bureau-sh', 'bureau-js', 'bureau-zj', 'bureau-ah', 'platform', 'hefei-micronano', 'sh-microscopy']) {
      await t.http.post('/api/auth/login').send({ username, password: DEMO_PASSWORD }).expect(200);
    }
  });

  it('lists a Shanghai TEM at ¥800/hour to the public', async () => {
    const res = await t.http.get('/api/facilities').query({ provinceCode: '310000', category: 'testing' }).expect(200);
    expect(res.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: expect.stringContaining('TEM'), unitPriceFen: 80_000, unit: 'hour' })]),
    );
  });

  it('gives the Hefei SME a ¥40,000 voucher from Hefei’s budget', async () => {
    const token = await t.token('hefei-micronano');
    const res = await t.http.get('/api/vouchers').set(auth(token)).expect(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ issuingRegionCode: '340100', faceValueFen: 4_000_000, availableFen: 4_000_000, status: 'active' }),
    ]);
  });

  it('gives the TEM and two other hourly instruments booking calendars, and the Suzhou SME booked sessions on them', async () => {
    const all = (await t.http.get('/api/facilities').query({ limit: 500 }).expect(200)).body.items as {
      id: string;
      name: string;
      unit: string;
    }[];
    const withCalendar = [];
    for (const f of all.filter((x) => x.unit === 'hour')) {
      if ((await t.http.get(`/api/facilities/${f.id}/calendar`)).status === 200) withCalendar.push(f.name);
    }
    expect(withCalendar).toHaveLength(3);
    expect(withCalendar).toEqual(
      expect.arrayContaining([expect.stringContaining('TEM'), expect.stringContaining('SEM'), expect.stringContaining('NMR')]),
    );
    const bookings = (
      await t.http
        .get('/api/bookings')
        .set(auth(await t.token('suzhou-qichen')))
        .expect(200)
    ).body;
    expect(bookings.total).toBe(3);
    expect(bookings.items.every((b: { status: string }) => b.status === 'booked')).toBe(true);
    const lab = (
      await t.http
        .get('/api/bookings')
        .set(auth(await t.token('sh-microscopy')))
        .expect(200)
    ).body;
    expect(lab.total).toBe(3);
  });

  it('is idempotent: seeding again adds nothing', async () => {
    const count = async () =>
      (
        await t.http
          .get('/api/organizations?limit=500')
          .set(auth(await t.token('platform')))
          .expect(200)
      ).body.total;
    const before = await count();
    await t.get(SeedService).seed();
    expect(await count()).toBe(before);
  });
});
