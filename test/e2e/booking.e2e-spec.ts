import { translate } from '../../src/common/i18n/messages';
import { DateTime } from 'luxon';
import ical from 'node-ical';
import { clock, DAY_MS } from '../../src/common/clock';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { Sweeps } from '../../src/common/sweeps';
import { appConfig } from '../../src/config/configuration';
import { OrganizationRepository } from '../../src/organizations/organization.repository';
import { issueVoucher, openRegion } from '../support/fixtures';
import { describeRaces } from '../support/races';
import { auth, creditCodeIn, OrgSession, PASSWORD, TestApp } from '../support/test-app';

const HEFEI = '340100';
const PUDONG = '310115';
/** ¥800 a TEM hour; a Hefei voucher pays 50% of it in Shanghai: 40,000 fen an hour. */
const TEM_PRICE = 80_000;
const HOUR_SUBSIDY = 40_000;
const VOUCHER = 1_000_000;

const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '08:00', to: '22:00' }));
const calendarBody = (overrides: Record<string, unknown> = {}) => ({
  openingHours: EVERY_DAY,
  closures: [],
  minNoticeHours: 24,
  maxAdvanceDays: 60,
  freeCancellationHours: 24,
  lateCancellationFeeBp: 5000,
  requiresQualification: false,
  ...overrides,
});

/** An hourly facility of `lab` at TEM_PRICE, with its calendar (calendarBody with `calendar` over it). */
const hourlyFacility = async (t: TestApp, lab: OrgSession, name: string, calendar: Record<string, unknown> = {}) => {
  const id = (
    await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name, category: 'testing', unit: 'hour', unitPriceFen: TEM_PRICE })
      .expect(201)
  ).body.id as string;
  await t.http.put(`/api/facilities/${id}/calendar`).set(auth(lab.token)).send(calendarBody(calendar)).expect(200);
  return id;
};

/** `hour`:00 Shanghai time on the day `days` after today (Shanghai), with its +08:00 offset. */
const at = (days: number, hour: number) =>
  DateTime.fromMillis(clock.now().getTime(), { zone: 'Asia/Shanghai' })
    .startOf('day')
    .plus({ days, hours: hour })
    .toISO({ suppressMilliseconds: true })!;

/** The day of `iso` in Shanghai as Chinese messages write it: 12月8日. */
const zhDay = (iso: string) => DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toFormat('M月d日');
/** The date of `iso` in Shanghai as Chinese messages write it: 2026年12月8日. */
const zhDate = (iso: string) => DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toFormat('yyyy年M月d日');

describe('instrument booking', () => {
  let t: TestApp;
  let lab: OrgSession;
  let otherLab: OrgSession;
  let temId: string;

  const facility = async (provider: OrgSession, body: Record<string, unknown> = {}) =>
    (
      await t.http
        .post('/api/facilities')
        .set(auth(provider.token))
        .send({ name: 'TEM 机时', category: 'testing', unit: 'hour', unitPriceFen: TEM_PRICE, ...body })
        .expect(201)
    ).body.id as string;
  const setCalendar = (facilityId: string, body = calendarBody(), token = lab.token) =>
    t.http.put(`/api/facilities/${facilityId}/calendar`).set(auth(token)).send(body);
  const enterpriseWithVoucher = async (amount = VOUCHER) => {
    const e = await t.registerEnterprise(HEFEI);
    return { e, v: await issueVoucher(t, e.token, amount) };
  };
  const book = (e: OrgSession, voucherId: string, start: string, end: string, facilityId = temId) =>
    t.http.post('/api/bookings').set(auth(e.token)).send({ facilityId, voucherId, start, end });
  const voucherOf = async (e: OrgSession, id: string) => (await t.http.get(`/api/vouchers/${id}`).set(auth(e.token)).expect(200)).body;
  const hourRows = async (bookingId: string) =>
    Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM booking_hour WHERE booking_id = ?', [bookingId]))[0].n);

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    lab = await t.registerProvider(PUDONG);
    otherLab = await t.registerProvider(PUDONG);
    temId = await facility(lab);
    await setCalendar(temId).expect(200);
  });
  afterEach(() => clock.reset());
  afterAll(() => t.close());

  it('a calendar is public to read, in Shanghai time, and only its provider sets it', async () => {
    const res = await t.http.get(`/api/facilities/${temId}/calendar`).expect(200);
    expect(res.body).toMatchObject({ facilityId: temId, minNoticeHours: 24, lateCancellationFeeBp: 5000, requiresQualification: false });
    expect(res.body.openingHours).toHaveLength(7);
    expect((await setCalendar(temId, calendarBody(), otherLab.token).expect(404)).body.code).toBe('NOT_FOUND');
    const { e } = await enterpriseWithVoucher();
    expect((await setCalendar(temId, calendarBody(), e.token).expect(403)).body.code).toBe('FORBIDDEN');
    await t.http.put(`/api/facilities/${temId}/calendar`).send(calendarBody()).expect(401);
  });

  it('refuses a malformed calendar with a 400 naming the field', async () => {
    const bad = await setCalendar(temId, calendarBody({ openingHours: [{ weekday: 8, from: '09:30', to: '18:00' }] })).expect(400);
    expect(bad.body.message).toMatch(/weekday/);
    expect(bad.body.message).toMatch(/from/);
    const backwards = await setCalendar(temId, calendarBody({ openingHours: [{ weekday: 1, from: '18:00', to: '09:00' }] })).expect(400);
    expect(backwards.body.message).toMatch(/openingHours\[0\]\.to/);
    // one day's hours given twice over (availability listed 11:00–12:00 twice); hours that meet are one day's two spans
    const twice = [
      { weekday: 1, from: '09:00', to: '12:00' },
      { weekday: 2, from: '11:00', to: '14:00' },
      { weekday: 1, from: '11:00', to: '14:00' },
    ];
    const overlap = await setCalendar(temId, calendarBody({ openingHours: twice }))
      .set('Accept-Language', 'zh-CN')
      .expect(400);
    expect(overlap.body.message).toBe('openingHours[2]：与 openingHours[0] 同一天的开放时间重叠，请合并为一段');
    const meeting = [
      { weekday: 1, from: '09:00', to: '12:00' },
      { weekday: 1, from: '12:00', to: '14:00' },
    ];
    await setCalendar(temId, calendarBody({ openingHours: meeting })).expect(200);
    await setCalendar(temId, calendarBody()).expect(200);
    const fee = await setCalendar(temId, calendarBody({ lateCancellationFeeBp: 10_001 })).expect(400);
    expect(fee.body.message).toMatch(/lateCancellationFeeBp/);
    // Luxon read +99:99 as a shift of four days, and a closure could run from year 0 to 9999
    for (const closure of [
      { from: '0000-01-01', to: '9999-12-31' },
      { from: '2026-12-10T00:00:00+99:99', to: '2026-12-11' },
      { from: '2026-02-30', to: '2026-03-02' },
    ]) {
      const res = await setCalendar(temId, calendarBody({ closures: [{ ...closure, reason: '维护' }] }))
        .set('Accept-Language', 'zh-CN')
        .expect(400);
      expect(res.body.message).toMatch(/closures\.0\.(from|to)：必须是 2000–2100 年间的 ISO 8601 日期或时刻/);
    }
    const sampled = await facility(lab, { unit: 'sample', name: 'XRD 测试' });
    expect((await setCalendar(sampled).expect(409)).body.code).toBe('INVALID_STATE');
    expect((await setCalendar(sampled).set('Accept-Language', 'zh-CN').expect(409)).body.message).toBe(
      '该服务按样计价，只有按机时计价的仪器才设开放日历',
    );
  });

  it('a booking of 10–12 holds exactly what the quote said, and the capture of both hours agrees to the fen', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const quote = (
      await t.http.get(`/api/facilities/${temId}/quote`).query({ voucherId: v.id, quantity: 2 }).set(auth(e.token)).expect(200)
    ).body;
    expect(quote).toMatchObject({ feeFen: 2 * TEM_PRICE, subsidyFen: 2 * HOUR_SUBSIDY, selfPayFen: 2 * TEM_PRICE - 2 * HOUR_SUBSIDY });

    const booked = (await book(e, v.id, at(3, 10), at(3, 12)).expect(201)).body;
    expect(booked).toMatchObject({ status: 'booked', facilityId: temId, start: at(3, 10), end: at(3, 12), hours: 2, feeFen: quote.feeFen });
    expect(booked.start).toMatch(/\+08:00$/);
    expect(booked.redemption).toMatchObject({
      status: 'held',
      quantity: 2,
      feeFen: quote.feeFen,
      ratioBp: quote.ratioBp,
      subsidyFen: quote.subsidyFen,
      selfPayFen: quote.selfPayFen,
    });
    // The hold lasts until the booking's end plus the policy's 30 days of hold expiry.
    expect(booked.redemption.expiresAt).toBe(new Date(Date.parse(booked.end) + 30 * DAY_MS).toISOString());
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER - quote.subsidyFen, heldFen: quote.subsidyFen });

    clock.travel(4 * DAY_MS); // past the booking's end whatever the time of day the test starts at
    const used = (await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 2 }).expect(200)).body;
    expect(used).toMatchObject({ status: 'completed', actualHours: 2 });
    expect(used.redemption).toMatchObject({ status: 'captured', capturedQuantity: 2, capturedSubsidyFen: quote.subsidyFen });
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER - quote.subsidyFen, heldFen: 0, spentFen: quote.subsidyFen });
  });

  it('10–12 and 11–13 conflict (409 SLOT_TAKEN, nothing held for the loser); 10–12 and 12–14 do not', async () => {
    const a = await enterpriseWithVoucher();
    const b = await enterpriseWithVoucher();
    await book(a.e, a.v.id, at(4, 10), at(4, 12)).expect(201);
    const clash = await book(b.e, b.v.id, at(4, 11), at(4, 13)).expect(409);
    expect(clash.body.code).toBe('SLOT_TAKEN');
    expect(await voucherOf(b.e, b.v.id)).toMatchObject({ availableFen: VOUCHER, heldFen: 0 });
    expect((await book(b.e, b.v.id, at(4, 9), at(4, 11)).expect(409)).body.code).toBe('SLOT_TAKEN');
    expect(clash.body.message).toBe(`another booking holds part of ${at(4, 11)}–${at(4, 13)}`);
    const zhClash = await book(b.e, b.v.id, at(4, 11), at(4, 13)).set('Accept-Language', 'zh-CN').expect(409);
    expect(zhClash.body).toEqual({
      statusCode: 409,
      code: 'SLOT_TAKEN',
      message: `${zhDay(at(4, 11))} 11:00–13:00 已有其他预约，请另选时段`,
    });
    const adjacent = await book(b.e, b.v.id, at(4, 12), at(4, 14)).expect(201);
    expect(adjacent.body.hours).toBe(2);
    const slots = (
      await t.http
        .get(`/api/facilities/${temId}/availability`)
        .query({ from: at(4, 0).slice(0, 10), to: at(4, 0).slice(0, 10) })
        .expect(200)
    ).body.slots as { start: string; free: boolean }[];
    expect(slots).toHaveLength(14);
    expect(slots.filter((s) => !s.free).map((s) => s.start)).toEqual([at(4, 10), at(4, 11), at(4, 12), at(4, 13)]);
  });

  it('refuses hours outside opening hours, in a closure, too soon, too far ahead, or not whole', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const weekdays = await facility(lab, { name: '共聚焦显微镜' });
    const closureDay = at(6, 0).slice(0, 10);
    await setCalendar(
      weekdays,
      calendarBody({
        openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '09:00', to: '18:00' })),
        closures: [{ from: `${closureDay}T00:00:00+08:00`, to: `${closureDay}T12:00:00+08:00`, reason: '年度维护' }],
      }),
    ).expect(200);
    const refusal = async (start: string, end: string) => {
      const res = await book(e, v.id, start, end, weekdays);
      return { status: res.status, code: res.body.code };
    };
    expect(await refusal(at(5, 8), at(5, 10))).toEqual({ status: 422, code: 'OUTSIDE_OPENING_HOURS' });
    expect(await refusal(at(5, 17), at(5, 19))).toEqual({ status: 422, code: 'OUTSIDE_OPENING_HOURS' });
    expect(await refusal(at(6, 11), at(6, 13))).toEqual({ status: 422, code: 'OUTSIDE_OPENING_HOURS' });
    expect(await refusal(at(0, 0).replace('T00:', 'T23:'), at(1, 10))).toMatchObject({ status: 422 });
    // beyond 60 days is too far ahead (too soon: the next test, on a facility open around the clock)
    expect(await refusal(at(61, 10), at(61, 11))).toEqual({ status: 422, code: 'BOOKING_NOTICE' });
    expect(await refusal(at(6, 13), at(6, 14))).toEqual({ status: 201, code: undefined });
    // in Chinese: the hour in Beijing time, the day's opening hours, the closure's reason, the advance
    const zh = async (start: string, end: string, status: number) =>
      (await book(e, v.id, start, end, weekdays).set('Accept-Language', 'zh-CN').expect(status)).body.message as string;
    expect(await zh(at(5, 8), at(5, 10), 422)).toBe(`该仪器 ${zhDay(at(5, 8))} 08:00 不开放（当天开放时间 09:00–18:00）`);
    expect(await zh(at(6, 11), at(6, 13), 422)).toBe(`该仪器 ${zhDay(at(6, 11))} 11:00 因“年度维护”停机`);
    expect(await zh(at(61, 10), at(61, 11), 422)).toBe('最多可提前 60 天预约');
    expect(await zh(at(7, 10).replace(':00:00', ':30:00'), at(7, 12), 400)).toBe('start：预约须整点开始、整点结束');
    expect(await zh(at(7, 12), at(7, 10), 400)).toBe('end：结束时间须晚于开始时间');
    const sampled = await facility(lab, { unit: 'sample', name: 'XRD 物相分析' });
    const bySample = await book(e, v.id, at(7, 10), at(7, 12), sampled).set('Accept-Language', 'zh-CN').expect(409);
    expect(bySample.body).toMatchObject({ code: 'INVALID_STATE', message: '该服务按样计价，无需预约机时，请直接提交用券订单' });
    expect((await book(e, v.id, at(7, 10), at(7, 12), sampled).expect(409)).body.message).toBe(
      'the facility is sold by the sample; only hourly facilities are booked',
    );
    // whole hours only, and the field is named
    const half = await book(e, v.id, at(7, 10).replace(':00:00', ':30:00'), at(7, 12), weekdays).expect(400);
    expect(half.body.message).toMatch(/^start/);
    expect((await book(e, v.id, at(7, 12), at(7, 10), weekdays).expect(400)).body.message).toMatch(/^end/);
    expect((await book(e, v.id, 'next tuesday', at(7, 10), weekdays).expect(400)).body.message).toMatch(/^start/);
    // an offset no place uses is no instant (it was refused as too soon, BOOKING_NOTICE)
    expect((await book(e, v.id, at(7, 10).replace('+08:00', '+99:00'), at(7, 12), weekdays).expect(400)).body.message).toMatch(/^start/);
    expect(await voucherOf(e, v.id)).toMatchObject({ heldFen: HOUR_SUBSIDY });
  });

  it('books no hour after the voucher’s last valid day (Shanghai time), nor its hold is then captured late', async () => {
    const { e, v } = await enterpriseWithVoucher();
    // Ten days before the last valid day: its evening is bookable, the next morning is not.
    clock.travel(DateTime.fromISO(v.validUntil, { zone: 'Asia/Shanghai' }).minus({ days: 10 }).toMillis() - clock.now().getTime());
    const late = await book(e, v.id, at(10, 19), at(10, 22)).expect(201);
    const beyond = await book(e, v.id, at(11, 10), at(11, 12)).set('Accept-Language', 'zh-CN').expect(422);
    expect(beyond.body).toEqual({
      statusCode: 422,
      code: 'VOUCHER_EXPIRED',
      message: `预约结束时间晚于创新券有效期的最后一天（${zhDate(v.validUntil)}）`,
    });
    expect(await voucherOf(e, v.id)).toMatchObject({ heldFen: 3 * HOUR_SUBSIDY });
    // The session on the last day is recorded the morning after: the hours were within the voucher's validity.
    clock.travel(11 * DAY_MS);
    const used = await t.http.post(`/api/bookings/${late.body.id}/usage`).set(auth(lab.token)).send({ actualHours: 3 }).expect(200);
    expect(used.body).toMatchObject({ status: 'completed', redemption: { status: 'captured', capturedSubsidyFen: 3 * HOUR_SUBSIDY } });
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  it('refuses a too-soon booking with BOOKING_NOTICE inside opening hours', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const allDay = await facility(lab, { name: '全天开放的质谱仪' });
    await setCalendar(allDay, calendarBody({ openingHours: EVERY_DAY.map((o) => ({ ...o, from: '00:00', to: '24:00' })) })).expect(200);
    const soon = DateTime.fromMillis(clock.now().getTime(), { zone: 'Asia/Shanghai' }).startOf('hour').plus({ hours: 2 });
    const res = await book(e, v.id, soon.toISO()!, soon.plus({ hours: 1 }).toISO()!, allDay).expect(422);
    expect(res.body.code).toBe('BOOKING_NOTICE');
    expect(res.body.message).toContain('bookings need 24 hours’ notice');
    const zh = await book(e, v.id, soon.toISO()!, soon.plus({ hours: 1 }).toISO()!, allDay)
      .set('Accept-Language', 'zh-CN')
      .expect(422);
    expect(zh.body).toEqual({ statusCode: 422, code: 'BOOKING_NOTICE', message: '须至少提前 24 小时预约' });
  });

  it('says “1 hour’s notice”, in the singular, when a provider asks for one hour', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const allDay = await facility(lab, { name: '全天开放的拉曼光谱仪' });
    await setCalendar(
      allDay,
      calendarBody({ minNoticeHours: 1, openingHours: EVERY_DAY.map((o) => ({ ...o, from: '00:00', to: '24:00' })) }),
    ).expect(200);
    // the next hour starts less than an hour from now (unless now is exactly on the hour, to the millisecond)
    const next = DateTime.fromMillis(clock.now().getTime(), { zone: 'Asia/Shanghai' }).startOf('hour').plus({ hours: 1 });
    const res = await book(e, v.id, next.toISO()!, next.plus({ hours: 1 }).toISO()!, allDay).expect(422);
    expect(res.body).toMatchObject({ code: 'BOOKING_NOTICE', message: expect.stringContaining('bookings need 1 hour’s notice') });
  });

  it('a facility requiring qualification takes bookings only from enterprises its provider qualified', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const selfOperated = await facility(lab, { name: '聚焦离子束 (FIB) 自主上机' });
    await setCalendar(selfOperated, calendarBody({ requiresQualification: true })).expect(200);
    expect((await book(e, v.id, at(5, 10), at(5, 11), selfOperated).expect(422)).body.code).toBe('NOT_QUALIFIED');
    // An order of its hours without a slot, or their quote, is refused alike: qualification is not the booking's alone.
    const order = () => t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: selfOperated, quantity: 2 });
    const refused = await order().set('Accept-Language', 'zh-CN').expect(422);
    expect(refused.body.code).toBe('NOT_QUALIFIED');
    const quote = () => t.http.get(`/api/facilities/${selfOperated}/quote?voucherId=${v.id}&quantity=2`).set(auth(e.token));
    expect((await quote().expect(422)).body.code).toBe('NOT_QUALIFIED');
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER, heldFen: 0 });
    // The comparison says so too: refused, ranked with the refused, the fee the enterprise's to pay.
    const compared = async () =>
      (
        (await t.http.get('/api/quotes').query({ category: 'testing', voucherId: v.id }).set(auth(e.token)).expect(200)).body.items as {
          facility: { id: string };
          quote: { feeFen: number; subsidyFen: number; selfPayFen: number; refusal?: { code: string } };
        }[]
      ).find((i) => i.facility.id === selfOperated)!.quote;
    expect(await compared()).toMatchObject({ feeFen: TEM_PRICE, subsidyFen: 0, selfPayFen: TEM_PRICE, refusal: { code: 'NOT_QUALIFIED' } });
    await t.http
      .post(`/api/facilities/${selfOperated}/qualified`)
      .set(auth(otherLab.token))
      .send({ enterpriseId: e.organizationId })
      .expect(404);
    await t.http.post(`/api/facilities/${selfOperated}/qualified`).set(auth(e.token)).send({ enterpriseId: e.organizationId }).expect(403);
    await t.http
      .post(`/api/facilities/${selfOperated}/qualified`)
      .set(auth(lab.token))
      .send({ enterpriseId: e.organizationId })
      .expect(201);
    const again = await t.http
      .post(`/api/facilities/${selfOperated}/qualified`)
      .set(auth(lab.token))
      .send({ enterpriseId: e.organizationId });
    expect([again.status, again.body.code]).toEqual([409, 'DUPLICATE']);
    await book(e, v.id, at(5, 10), at(5, 11), selfOperated).expect(201);
    await quote().expect(200);
    expect((await compared()).refusal).toBeUndefined();
    // Qualified, its hours are still taken on the calendar, not ordered beside it.
    expect((await order().expect(422)).body.code).toBe('BOOKING_REQUIRED');
  });

  it('an order of hours without a booking on a facility with a calendar is 422 BOOKING_REQUIRED; its quote still prices the booking', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const order = () => t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: temId, quantity: 3 });
    // It took no slot, no notice, no cap, and let the lab capture hours its calendar gave to another at once.
    const zh = await order().set('Accept-Language', 'zh-CN').expect(422);
    expect(zh.body).toEqual({
      statusCode: 422,
      code: 'BOOKING_REQUIRED',
      message: `该仪器的机时须在其预约日历上预约：请通过 POST /api/bookings 预约（空闲时段见 GET /api/facilities/${temId}/availability）`,
    });
    const en = await order().set('Accept-Language', 'en').expect(422);
    expect(en.body.message).toContain('book them with POST /api/bookings');
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER, heldFen: 0 });
    const quote = await t.http.get(`/api/facilities/${temId}/quote`).query({ voucherId: v.id, quantity: 3 }).set(auth(e.token)).expect(200);
    expect(quote.body).toMatchObject({ feeFen: 3 * TEM_PRICE, subsidyFen: 3 * HOUR_SUBSIDY });
    expect(quote.body.refusal).toBeUndefined();
    // What the rules refuse is said first, as the booking would: another's voucher is 404, a sample facility takes orders.
    const stranger = await t.registerEnterprise(HEFEI);
    await t.http.post('/api/redemptions').set(auth(stranger.token)).send({ voucherId: v.id, facilityId: temId, quantity: 1 }).expect(404);
    const noCalendar = await facility(lab, { name: '无日历的送样测试机时' });
    await t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: noCalendar, quantity: 1 }).expect(201);
  });

  it('a first calendar beside open holds ordered without a booking is 409 naming them; captured or cancelled, it is set', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const sem = await facility(lab, { name: '尚无日历的 SEM 机时' });
    const order = () => t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: sem, quantity: 2 });
    const first = (await order().expect(201)).body.id as string;
    const second = (await order().expect(201)).body.id as string;
    // Left open, the lab could capture them for hours the calendar gives to another enterprise.
    const zh = await setCalendar(sem).set('Accept-Language', 'zh-CN').expect(409);
    expect(zh.body).toMatchObject({ code: 'INVALID_STATE' });
    expect(zh.body.message).toBe(
      `该仪器尚有未经预约直接下单的冻结（冻结编号 ${first}，共 2 笔）：请先核销或取消这些冻结，再设置预约日历，以免日历把这些机时约给他人`,
    );
    expect((await setCalendar(sem).set('Accept-Language', 'en').expect(409)).body.message).toContain(`redemption ${first}; 2 holds in all`);
    await t.http.post(`/api/redemptions/${first}/cancel`).set(auth(lab.token)).expect(200);
    await t.http.post(`/api/redemptions/${second}/capture`).set(auth(lab.token)).send({ actualQuantity: 2 }).expect(200);
    await setCalendar(sem).expect(200);
    expect((await order().expect(422)).body.code).toBe('BOOKING_REQUIRED');
  });

  it('a voucher of a few fen books the hours its enterprise pays for: the hold takes what is left, the late fee is on the whole fee', async () => {
    // As an order would (API: the subsidy is lowered to the voucher's balance); the rest is the enterprise's to pay, so
    // the hours are not had for free, and each booking holds a fen at least: a voucher of 3 fen holds 3 bookings at most.
    const { e, v } = await enterpriseWithVoucher(3);
    const booked = (await book(e, v.id, at(6, 9), at(6, 19)).expect(201)).body;
    expect(booked.redemption).toMatchObject({ feeFen: 10 * TEM_PRICE, subsidyFen: 3, selfPayFen: 10 * TEM_PRICE - 3 });
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: 0, heldFen: 3 });
    expect((await book(e, v.id, at(7, 9), at(7, 10)).expect(422)).body.code).toBe('VOUCHER_INSUFFICIENT_BALANCE');
    // Given up late, it costs the fee's share the lab sets, on the whole fee, not on the 3 fen the voucher covered.
    clock.travel(Date.parse(booked.start) - clock.now().getTime() - 12 * 3_600_000);
    const cancelled = (await t.http.post(`/api/bookings/${booked.id}/cancel`).set(auth(e.token)).expect(200)).body;
    expect(cancelled).toMatchObject({ status: 'cancelled', lateFeeFen: (10 * TEM_PRICE * 5000) / 10000 });
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: 3, heldFen: 0 });
  });

  it('late-fee arithmetic: free before the window, floor(fee × bp / 10000) inside it, none when the provider cancels; the voucher gets all back', async () => {
    const odd = await facility(lab, { name: 'NMR 机时', unitPriceFen: 33_333 });
    await setCalendar(odd, calendarBody({ lateCancellationFeeBp: 5000, freeCancellationHours: 48 })).expect(200);
    const { e, v } = await enterpriseWithVoucher();
    const early = (await book(e, v.id, at(10, 9), at(10, 12), odd).expect(201)).body;
    const late = (await book(e, v.id, at(10, 13), at(10, 16), odd).expect(201)).body;
    const byLab = (await book(e, v.id, at(10, 16), at(10, 19), odd).expect(201)).body;
    expect(late.feeFen).toBe(99_999);

    const freeCancel = (await t.http.post(`/api/bookings/${early.id}/cancel`).set(auth(e.token)).expect(200)).body;
    expect(freeCancel).toMatchObject({ status: 'cancelled', lateFeeFen: 0, closedBy: 'enterprise' });
    expect(freeCancel.redemption.status).toBe('cancelled');

    clock.travel(9 * DAY_MS); // one day before: inside the 48-hour window
    const lateCancel = (await t.http.post(`/api/bookings/${late.id}/cancel`).set(auth(e.token)).expect(200)).body;
    expect(lateCancel).toMatchObject({ status: 'cancelled', lateFeeFen: 49_999 }); // floor(99,999 × 5000 / 10000)
    const labCancel = (await t.http.post(`/api/bookings/${byLab.id}/cancel`).set(auth(lab.token)).expect(200)).body;
    expect(labCancel).toMatchObject({ status: 'cancelled', closedBy: 'provider' });
    expect(labCancel.lateFeeFen).toBeUndefined();

    // The late fee never touches the voucher: everything held came back.
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER, heldFen: 0, spentFen: 0 });
    expect(await hourRows(late.id)).toBe(0);
    const again = await t.http.post(`/api/bookings/${late.id}/cancel`).set(auth(e.token)).expect(409);
    expect(again.body.code).toBe('INVALID_STATE');
  });

  it('usage below the booking captures the hours used and releases the rest; more than booked is refused', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, at(3, 14), at(3, 17)).expect(201)).body;
    const early = await t.http
      .post(`/api/bookings/${booked.id}/usage`)
      .set(auth(lab.token))
      .set('Accept-Language', 'zh-CN')
      .send({ actualHours: 2 })
      .expect(409); // not started yet
    expect(early.body).toMatchObject({ code: 'INVALID_STATE', message: `预约开始（${zhDate(at(3, 14))} 14:00）后方可登记实际用量` });
    clock.travel(3 * DAY_MS + 18 * 3_600_000);
    const over = await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 4 }).expect(422);
    expect(over.body).toMatchObject({ code: 'CAPTURE_EXCEEDS_HOLD', message: 'actualHours 4 exceeds the 3 hours booked' });
    const overZh = await t.http
      .post(`/api/bookings/${booked.id}/usage`)
      .set(auth(lab.token))
      .set('Accept-Language', 'zh-CN')
      .send({ actualHours: 4 })
      .expect(422);
    expect(overZh.body.message).toBe('实际用量 4 小时超过预约的 3 小时');
    await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(e.token)).send({ actualHours: 2 }).expect(403);
    await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(otherLab.token)).send({ actualHours: 2 }).expect(404);
    const used = (await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 2 }).expect(200)).body;
    expect(used).toMatchObject({ status: 'completed', actualHours: 2, hours: 3 });
    expect(used.redemption).toMatchObject({ status: 'captured', quantity: 3, capturedQuantity: 2, capturedSubsidyFen: 2 * HOUR_SUBSIDY });
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER - 2 * HOUR_SUBSIDY, heldFen: 0, spentFen: 2 * HOUR_SUBSIDY });
  });

  it('hours are recorded as used only once they have passed; a no-show from the start', async () => {
    // The instants first: at() reads the clock, which travels below.
    const [nine, halfPastTen, noon, two, five] = [at(15, 9), at(15, 10.5), at(15, 12), at(15, 14), at(15, 17)];
    const travelTo = (iso: string) => clock.travel(Date.parse(iso) - clock.now().getTime());
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, nine, noon).expect(201)).body;
    const other = await enterpriseWithVoucher();
    const missed = (await book(other.e, other.v.id, two, five).expect(201)).body;
    const usage = (id: string, actualHours: number) => t.http.post(`/api/bookings/${id}/usage`).set(auth(lab.token)).send({ actualHours });
    travelTo(halfPastTen); // one hour and a half in
    const tooSoon = await usage(booked.id, 2).set('Accept-Language', 'zh-CN').expect(409);
    expect(tooSoon.body).toMatchObject({
      code: 'INVALID_STATE',
      message: `2 小时的实际用量须在这些机时过去后（${zhDate(nine)} 11:00 起）方可登记`,
    });
    expect((await usage(booked.id, 3).expect(409)).body.message).toBe(`3 hours used can be recorded once they have passed (from ${noon})`);
    expect(await voucherOf(e, v.id)).toMatchObject({ heldFen: 3 * HOUR_SUBSIDY, spentFen: 0 });
    expect((await usage(booked.id, 1).expect(200)).body).toMatchObject({ status: 'completed', actualHours: 1 });
    // A no-show is said from the start: the hours not used need not pass.
    travelTo(two);
    expect((await usage(missed.id, 0).expect(200)).body).toMatchObject({ status: 'completed', actualHours: 0 });
  });

  it('a booking completed early frees the hours after those used: availability shows them free and another enterprise books them', async () => {
    const allDay = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '00:00', to: '24:00' }));
    const furnace = await facility(lab, { name: '高温炉 机时' });
    await setCalendar(furnace, calendarBody({ openingHours: allDay })).expect(200);
    // the instants first: at() reads the clock, which travels below
    const [start, end, nextMorning, nextMorningEnd] = [at(3, 0), at(5, 0), at(4, 10), at(4, 11)];
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, start, end, furnace).expect(201)).body;
    // two hours in, the run is over: the lab records two hours used, and the other 46 are nobody's
    clock.travel(Date.parse(start) - clock.now().getTime() + 2 * 3_600_000 + 60_000);
    await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 2 }).expect(200);
    expect(await hourRows(booked.id)).toBe(2);
    const day = nextMorning.slice(0, 10);
    const slots = (await t.http.get(`/api/facilities/${furnace}/availability`).query({ from: day, to: day }).expect(200)).body.slots;
    expect(slots.find((s: { start: string }) => s.start === nextMorning)).toMatchObject({ free: true });
    const other = await enterpriseWithVoucher();
    await book(other.e, other.v.id, nextMorning, nextMorningEnd, furnace).expect(201);
    // and the calendar feeds, the lab's and the enterprise's, show the two hours it used, not the 48 it booked
    const usedUntil = Date.parse(start) + 2 * 3_600_000;
    for (const token of [lab.token, e.token]) {
      const url = new URL((await t.http.post('/api/calendar/feed').set(auth(token)).expect(201)).body.url).pathname;
      const events = Object.values(ical.sync.parseICS((await t.http.get(url).expect(200)).text)).filter(
        (c): c is ical.VEvent => c?.type === 'VEVENT',
      );
      const event = events.find((c) => c.uid === `${booked.id}@booking`)!;
      expect([event.start.getTime(), event.end!.getTime()]).toEqual([Date.parse(start), usedUntil]);
      expect(event.description).toContain('时长 48 小时（实际使用 2 小时）；状态：已完成');
    }
  });

  it('a dispute over the hours used, settled by the issuing bureau, is what the booking reads: fewer hours, or none', async () => {
    for (const found of [1, 0]) {
      const { e, v } = await enterpriseWithVoucher();
      const booked = (await book(e, v.id, at(20, 9 + 4 * found), at(20, 12 + 4 * found)).expect(201)).body;
      clock.travel(21 * DAY_MS);
      try {
        await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 3 }).expect(200);
        const rid = booked.redemption.id;
        await t.http.post(`/api/redemptions/${rid}/dispute`).set(auth(e.token)).send({ reason: '实际未使用 3 小时' }).expect(200);
        await t.http
          .post(`/api/redemptions/${rid}/resolve`)
          .set(await t.as('bureau-ah'))
          .send({ actualQuantity: found })
          .expect(200);
        const read = (await t.http.get(`/api/bookings/${booked.id}`).set(auth(e.token)).expect(200)).body;
        expect(read).toMatchObject({ status: 'completed', hours: 3, actualHours: found });
        expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER - found * HOUR_SUBSIDY, spentFen: found * HOUR_SUBSIDY });
      } finally {
        clock.reset();
      }
    }
  });

  it('once its time has begun the enterprise cannot cancel it (409, nothing changes); the lab records the hours used', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, at(2, 15), at(2, 17)).expect(201)).body;
    for (const moment of [Date.parse(booked.start), Date.parse(booked.end) + 3_600_000]) {
      clock.travel(moment - clock.now().getTime());
      const refused = await t.http.post(`/api/bookings/${booked.id}/cancel`).set(auth(e.token)).set('Accept-Language', 'zh-CN').expect(409);
      expect(refused.body).toMatchObject({
        code: 'INVALID_STATE',
        message: `该预约已于 ${zhDate(booked.start)} 15:00 开始，不能取消，实际机时由服务机构登记`,
      });
      // in Shanghai time, as the booking reads it (it said the stored UTC instant, …T07:00:00.000Z)
      const en = await t.http.post(`/api/bookings/${booked.id}/cancel`).set(auth(e.token)).expect(409);
      expect(en.body.message).toBe(`the booking started at ${booked.start}; its lab records the hours used`);
      expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER - 2 * HOUR_SUBSIDY, heldFen: 2 * HOUR_SUBSIDY });
    }
    const used = (await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 2 }).expect(200)).body;
    expect(used).toMatchObject({ status: 'completed', actualHours: 2 });
    clock.reset();
  });

  it('a no-show (0 hours) releases the hold, frees the hours and records the late fee outside the voucher', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, at(3, 18), at(3, 20)).expect(201)).body;
    clock.travel(4 * DAY_MS);
    const noShow = (await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 0 }).expect(200)).body;
    expect(noShow).toMatchObject({ status: 'completed', actualHours: 0, lateFeeFen: Math.floor((2 * TEM_PRICE * 5000) / 10000) });
    expect(noShow.redemption.status).toBe('cancelled');
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER, heldFen: 0, spentFen: 0 });
    expect(await hourRows(booked.id)).toBe(0);
    // The enterprise's calendar says so: not 已完成 with 0 hours used, but 未到场 and the fee it owes the lab.
    const feed = new URL((await t.http.post('/api/calendar/feed').set(auth(e.token)).expect(201)).body.url).pathname;
    const event = Object.values(ical.sync.parseICS((await t.http.get(feed).expect(200)).text)).find(
      (c): c is ical.VEvent => c?.type === 'VEVENT' && c.uid === `${booked.id}@booking`,
    )!;
    expect(event.description).toContain(
      `预约编号 ${booked.id}；时长 2 小时；状态：未到场；未到场违约金 ¥800.00（由企业向服务机构支付，不从创新券扣除）；`,
    );
    expect(event.description).not.toContain('已完成');
  });

  it('a booking not completed by its end plus the hold expiry expires with its hold, in the sweep, and frees its hours', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, at(3, 20), at(3, 21)).expect(201)).body;
    // Its hold lasts until its end plus the policy's 30 days: an hour before that it is still booked, an hour after expired.
    clock.travel(Date.parse(booked.end) + 30 * DAY_MS - 3_600_000 - clock.now().getTime());
    expect((await t.http.get(`/api/bookings/${booked.id}`).set(auth(e.token)).expect(200)).body.status).toBe('booked');
    clock.travel(2 * 3_600_000);
    expect((await t.http.get(`/api/bookings/${booked.id}`).set(auth(e.token)).expect(200)).body.status).toBe('expired');
    expect((await t.get(Sweeps).runAll())['hold-expiry']).toBeGreaterThanOrEqual(1);
    const row = (await t.dataSource.query('SELECT status, closed_by FROM booking WHERE id = ?', [booked.id]))[0];
    expect(row).toEqual({ status: 'expired', closed_by: 'system' });
    expect((await t.http.get(`/api/redemptions/${booked.redemption.id}`).set(auth(e.token)).expect(200)).body.status).toBe('expired');
    expect(await hourRows(booked.id)).toBe(0);
    expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER, heldFen: 0 });
    expect(
      (await t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 1 }).expect(409)).body.code,
    ).toBe('INVALID_STATE');
  });

  it('a booking’s hold is closed only through the booking: the redemption routes refuse it', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, at(8, 10), at(8, 11)).expect(201)).body;
    const cancel = await t.http.post(`/api/redemptions/${booked.redemption.id}/cancel`).set(auth(e.token)).expect(409);
    expect(cancel.body.message).toMatch(/booking/);
    await t.http.post(`/api/redemptions/${booked.redemption.id}/capture`).set(auth(lab.token)).send({ actualQuantity: 1 }).expect(409);
    expect((await t.http.get(`/api/bookings/${booked.id}`).set(auth(e.token)).expect(200)).body.status).toBe('booked');
  });

  it('a revoked voucher cancels its bookings with their holds, without a late fee', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, at(8, 12), at(8, 13)).expect(201)).body;
    await t.http
      .post(`/api/vouchers/${v.id}/revoke`)
      .set(await t.as('bureau-ah'))
      .send({ reason: '核查不实' })
      .expect(200);
    const after = (await t.http.get(`/api/bookings/${booked.id}`).set(auth(e.token)).expect(200)).body;
    expect(after).toMatchObject({ status: 'cancelled', closedBy: 'system' });
    expect(after.lateFeeFen).toBeUndefined();
    expect(await hourRows(booked.id)).toBe(0);
  });

  it('who may book, cancel, read and list: role and scope', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const other = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, at(9, 10), at(9, 11)).expect(201)).body;
    await t.http
      .post('/api/bookings')
      .send({ facilityId: temId, voucherId: v.id, start: at(9, 12), end: at(9, 13) })
      .expect(401);
    await t.http
      .post('/api/bookings')
      .set(auth(lab.token))
      .send({ facilityId: temId, voucherId: v.id, start: at(9, 12), end: at(9, 13) })
      .expect(403);
    await t.http
      .post('/api/bookings')
      .set(await t.as('bureau-ah'))
      .send({ facilityId: temId, voucherId: v.id, start: at(9, 12), end: at(9, 13) })
      .expect(403);
    // another enterprise's voucher does not exist for the caller
    await book(other.e, v.id, at(9, 12), at(9, 13)).expect(404);
    await t.http.post(`/api/bookings/${booked.id}/cancel`).set(auth(other.e.token)).expect(404);
    await t.http.post(`/api/bookings/${booked.id}/cancel`).set(auth(otherLab.token)).expect(404);
    await t.http
      .post(`/api/bookings/${booked.id}/cancel`)
      .set(await t.as('bureau-ah'))
      .expect(403);
    await t.http.get(`/api/bookings/${booked.id}`).set(auth(other.e.token)).expect(404);
    await t.http.get(`/api/bookings/${booked.id}`).set(auth(lab.token)).expect(200);
    await t.http
      .get(`/api/bookings/${booked.id}`)
      .set(await t.as('bureau-ah'))
      .expect(200);
    await t.http
      .get(`/api/bookings/${booked.id}`)
      .set(await t.as('bureau-js'))
      .expect(404);
    await t.http
      .get(`/api/bookings/${booked.id}`)
      .set(await t.as('platform'))
      .expect(200);
    const mine = (await t.http.get('/api/bookings').query({ facilityId: temId }).set(auth(e.token)).expect(200)).body;
    expect(mine.items.map((b: { id: string }) => b.id)).toEqual([booked.id]);
    expect((await t.http.get('/api/bookings').set(auth(other.e.token)).expect(200)).body.total).toBe(0);
    const labs = (
      await t.http
        .get('/api/bookings')
        .query({ from: at(9, 0).slice(0, 10), to: at(9, 0).slice(0, 10) })
        .set(auth(lab.token))
        .expect(200)
    ).body;
    expect(labs.items.map((b: { id: string }) => b.id)).toContain(booked.id);
    expect((await t.http.get('/api/bookings').set(auth(otherLab.token)).expect(200)).body.total).toBe(0);
    // a range the wrong way round is 400 naming it, as for availability (it answered an empty list)
    const reversed = await t.http
      .get('/api/bookings')
      .query({ from: '2026-12-12', to: '2026-12-11' })
      .set(auth(lab.token))
      .set('Accept-Language', 'zh-CN')
      .expect(400);
    expect(reversed.body.message).toBe(translate('zh', 'validation.fromAfterTo', { from: '2026-12-12', to: '2026-12-11' }));
  });

  it('availability covers at most 31 days, public, and a facility without a calendar is 404', async () => {
    const from = at(1, 0).slice(0, 10);
    const month = await t.http
      .get(`/api/facilities/${temId}/availability`)
      .query({ from, to: at(31, 0).slice(0, 10) })
      .expect(200);
    expect(month.body.slots).toHaveLength(31 * 14);
    const tooLong = await t.http
      .get(`/api/facilities/${temId}/availability`)
      .query({ from, to: at(32, 0).slice(0, 10) })
      .expect(400);
    expect(tooLong.body.message).toMatch(/^to/);
    expect((await t.http.get(`/api/facilities/${temId}/availability`).query({ from, to: 'soon' }).expect(400)).body.message).toMatch(/to/);
    const bare = await facility(lab, { name: '没有日历的电镜' });
    await t.http.get(`/api/facilities/${bare}/availability`).query({ from, to: from }).expect(404);
  });

  it('an Idempotency-Key replays the booking instead of booking twice', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const body = { facilityId: temId, voucherId: v.id, start: at(11, 10), end: at(11, 12) };
    const first = await t.http.post('/api/bookings').set(auth(e.token)).set('Idempotency-Key', 'book-tem-1').send(body).expect(201);
    const second = await t.http.post('/api/bookings').set(auth(e.token)).set('Idempotency-Key', 'book-tem-1').send(body).expect(201);
    expect(second.body).toEqual(first.body);
    await t.http
      .post('/api/bookings')
      .set(auth(e.token))
      .set('Idempotency-Key', 'book-tem-1')
      .send({ ...body, end: at(11, 13) })
      .expect(409);
    expect(await voucherOf(e, v.id)).toMatchObject({ heldFen: 2 * HOUR_SUBSIDY });
    // A refusal is an answer too: SLOT_TAKEN under a key replays as SLOT_TAKEN, even once the slot is free again.
    const other = await enterpriseWithVoucher();
    const keyed = () =>
      t.http
        .post('/api/bookings')
        .set(auth(other.e.token))
        .set('Idempotency-Key', 'book-tem-2')
        .send({ ...body, voucherId: other.v.id });
    const taken = await keyed();
    expect([taken.status, taken.body.code]).toEqual([409, 'SLOT_TAKEN']);
    await t.http.post(`/api/bookings/${first.body.id}/cancel`).set(auth(e.token)).expect(200);
    const replayed = await keyed();
    expect([replayed.status, replayed.body]).toEqual([409, taken.body]);
    expect(await voucherOf(other.e, other.v.id)).toMatchObject({ heldFen: 0 });
  });

  it('a booking refused by its hold gives its hours back: the slot stays free', async () => {
    const { e } = await enterpriseWithVoucher();
    const poor = await enterpriseWithVoucher(HOUR_SUBSIDY - 1);
    await t.http
      .post('/api/sanctions')
      .set(await t.as('bureau-ah'))
      .send({ creditCode: poor.e.creditCode, reason: '伪造检测报告' })
      .expect(201);
    const refused = await book(poor.e, poor.v.id, at(13, 10), at(13, 11)).expect(422);
    expect(refused.body.code).toBe('SANCTIONED');
    const { v } = { v: await issueVoucher(t, e.token, VOUCHER) };
    await book(e, v.id, at(13, 10), at(13, 11)).expect(201);
  });

  it('what the hold would refuse is said before the hours: a suspended lab’s booked slot is PROVIDER_NOT_ACTIVE, not SLOT_TAKEN', async () => {
    const suspended = await t.registerProvider(PUDONG);
    const nmr = await facility(suspended, { name: 'NMR 机时' });
    await setCalendar(nmr, calendarBody(), suspended.token).expect(200);
    const first = await enterpriseWithVoucher();
    await book(first.e, first.v.id, at(14, 10), at(14, 11), nmr).expect(201);
    await t.http
      .post(`/api/providers/${suspended.organizationId}/suspend`)
      .set(await t.as('bureau-sh'))
      .send({ reason: '检测报告造假，暂停服务' })
      .expect(200);
    const second = await enterpriseWithVoucher();
    const taken = await book(second.e, second.v.id, at(14, 10), at(14, 11), nmr).expect(422);
    expect(taken.body.code).toBe('PROVIDER_NOT_ACTIVE');
    const free = await book(second.e, second.v.id, at(14, 12), at(14, 13), nmr).expect(422);
    expect(free.body).toEqual(taken.body);
  });

  it('a lab suspended or sanctioned is owed no late fee: the enterprise gives up hours it could not serve for nothing', async () => {
    const late = async (provider: OrgSession, name: string, stop: () => Promise<unknown>) => {
      const id = await facility(provider, { name });
      await setCalendar(id, calendarBody(), provider.token).expect(200);
      const { e, v } = await enterpriseWithVoucher();
      const booked = (await book(e, v.id, at(2, 10), at(2, 12), id).expect(201)).body;
      await stop();
      // an hour before the start, inside the window: it owed 80,000 fen to a lab whose captures are refused
      clock.travel(Date.parse(booked.start) - clock.now().getTime() - 3_600_000);
      const cancelled = (await t.http.post(`/api/bookings/${booked.id}/cancel`).set(auth(e.token)).expect(200)).body;
      clock.reset();
      expect(cancelled).toMatchObject({ status: 'cancelled', lateFeeFen: 0 });
      expect(await voucherOf(e, v.id)).toMatchObject({ availableFen: VOUCHER, heldFen: 0 });
    };
    const suspended = await t.registerProvider(PUDONG);
    await late(suspended, 'NMR 机时', async () =>
      t.http
        .post(`/api/providers/${suspended.organizationId}/suspend`)
        .set(await t.as('bureau-sh'))
        .send({ reason: '检测报告造假，暂停服务' })
        .expect(200),
    );
    const sanctioned = await t.registerProvider(PUDONG);
    await late(sanctioned, 'AFM 机时', async () =>
      t.http
        .post('/api/sanctions')
        .set(await t.as('bureau-sh'))
        .send({ creditCode: sanctioned.creditCode, reason: '虚开发票' })
        .expect(201),
    );
  });

  it('the comparison across provinces shows the first free slot of an hourly facility with a calendar', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const items = (await t.http.get('/api/quotes').query({ category: 'testing', voucherId: v.id }).set(auth(e.token)).expect(200)).body
      .items as {
      facility: { id: string };
      firstFreeSlot?: string;
    }[];
    const tem = items.find((i) => i.facility.id === temId)!;
    expect(tem.firstFreeSlot).toMatch(/\+08:00$/);
    // 24 hours' notice: the first free slot is at least a day away, on the hour, inside 08:00–22:00
    const slot = DateTime.fromISO(tem.firstFreeSlot!, { setZone: true });
    expect(slot.toMillis()).toBeGreaterThanOrEqual(clock.now().getTime() + DAY_MS);
    expect(slot.hour).toBeGreaterThanOrEqual(8);
    expect(slot.minute).toBe(0);
    const bare = items.find((i) => i.facility.id !== temId && i.firstFreeSlot === undefined);
    expect(bare).toBeDefined();
  });

  it('each facility of the comparison shows the first slot free on its own calendar, read for the whole page at once', async () => {
    const { e, v } = await enterpriseWithVoucher();
    // The cheapest of the category, so both are on the first page.
    const cheap = { name: '扫描电镜 机时', unitPriceFen: 200 };
    const mine = await facility(lab, cheap);
    const theirs = await facility(otherLab, cheap);
    await setCalendar(mine).expect(200);
    await setCalendar(theirs, calendarBody(), otherLab.token).expect(200);
    const firstFree = async () => {
      const items = (await t.http.get('/api/quotes').query({ category: 'testing', voucherId: v.id }).set(auth(e.token)).expect(200)).body
        .items as { facility: { id: string }; firstFreeSlot?: string }[];
      const of = (id: string) => items.find((i) => i.facility.id === id)!.firstFreeSlot!;
      return { mine: of(mine), theirs: of(theirs) };
    };
    const before = await firstFree();
    expect(before.mine).toBe(before.theirs);
    const next = DateTime.fromISO(before.mine, { setZone: true }).plus({ hours: 1 }).toISO({ suppressMilliseconds: true })!;
    await book(e, v.id, before.mine, next, mine).expect(201);
    const after = await firstFree();
    expect(after.theirs).toBe(before.theirs);
    expect(Date.parse(after.mine)).toBeGreaterThan(Date.parse(before.mine));
    if (DateTime.fromISO(before.mine, { setZone: true }).hour < 21) expect(after.mine).toBe(next);
  });

  it('a new calendar that shuts booked hours is 409 naming the first; once those bookings are cancelled it is taken', async () => {
    const fib = await facility(lab, { name: 'FIB 机时' });
    await setCalendar(fib).expect(200);
    const { e, v } = await enterpriseWithVoucher();
    const first = (await book(e, v.id, at(20, 9), at(20, 11), fib).expect(201)).body;
    const second = (await book(e, v.id, at(20, 14), at(20, 15), fib).expect(201)).body;
    const maintenance = { from: at(20, 0), to: at(21, 0), reason: '年度维护' };
    const refused = await setCalendar(fib, calendarBody({ closures: [maintenance] })).expect(409);
    expect(refused.body).toEqual({
      statusCode: 409,
      code: 'INVALID_STATE',
      message: `the new calendar shuts ${at(20, 9)}, booked (booking ${first.id}; 2 bookings in all): cancel them first, which tells their enterprises and releases their holds`,
    });
    const zh = await setCalendar(fib, calendarBody({ closures: [maintenance] }))
      .set('Accept-Language', 'zh-CN')
      .expect(409);
    expect(zh.body.message).toContain(`（预约编号 ${first.id}，共 2 个预约受影响）：请先取消这些预约`);
    // Shorter opening hours shut them as well; hours that keep them open are taken.
    const mornings = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '08:00', to: '12:00' }));
    expect((await setCalendar(fib, calendarBody({ openingHours: mornings })).expect(409)).body.message).toContain(
      `shuts ${at(20, 14)}, booked (booking ${second.id}; 1 booking in all)`,
    );
    await setCalendar(fib, calendarBody({ closures: [{ ...maintenance, from: at(20, 15) }] })).expect(200);
    for (const b of [first, second]) await t.http.post(`/api/bookings/${b.id}/cancel`).set(auth(lab.token)).expect(200);
    await setCalendar(fib, calendarBody({ closures: [maintenance] })).expect(200);
    expect((await book(e, v.id, at(20, 9), at(20, 10), fib).expect(422)).body.code).toBe('OUTSIDE_OPENING_HOURS');
  });

  it('one enterprise books at most the lab’s maxLiveHoursPerEnterprise hours not yet over (422 LIMIT_REACHED); a week by default', async () => {
    expect((await t.http.get(`/api/facilities/${temId}/calendar`).expect(200)).body.maxLiveHoursPerEnterprise).toBe(168);
    const capped = await facility(lab, { name: '激光共聚焦 机时' });
    await setCalendar(capped, calendarBody({ maxLiveHoursPerEnterprise: 3 })).expect(200);
    // a calendar sent again without the field (a client older than it) keeps the lab's cap
    await setCalendar(capped, calendarBody()).expect(200);
    expect((await t.http.get(`/api/facilities/${capped}/calendar`).expect(200)).body.maxLiveHoursPerEnterprise).toBe(3);
    const { e, v } = await enterpriseWithVoucher();
    const first = (await book(e, v.id, at(3, 9), at(3, 11), capped).expect(201)).body;
    const refused = await book(e, v.id, at(4, 9), at(4, 11), capped).expect(422);
    expect(refused.body).toMatchObject({
      code: 'LIMIT_REACHED',
      message:
        'you have 2 hours booked on this facility that are not over yet; with 2 more you would pass the 3 its provider allows one enterprise: cancel a booking, or book again once one is over',
    });
    const zh = await book(e, v.id, at(4, 9), at(4, 11), capped).set('Accept-Language', 'zh-CN').expect(422);
    expect(zh.body.message).toBe(
      '贵单位在该仪器上已预约且尚未结束的机时为 2 小时，再约 2 小时将超过服务机构规定的每家企业 3 小时上限：请先取消部分预约，或待已有预约结束后再约',
    );
    // nothing was held for the refused one
    expect((await voucherOf(e, v.id)).heldFen).toBe(2 * HOUR_SUBSIDY);
    await book(e, v.id, at(4, 9), at(4, 10), capped).expect(201);
    // the cap is each enterprise's, and each facility's
    const other = await enterpriseWithVoucher();
    await book(other.e, other.v.id, at(5, 9), at(5, 12), capped).expect(201);
    await book(e, v.id, at(5, 13), at(5, 17)).expect(201);
    // a cancelled booking, or one that is over, counts no more
    await t.http.post(`/api/bookings/${first.id}/cancel`).set(auth(e.token)).expect(200);
    await book(e, v.id, at(6, 9), at(6, 11), capped).expect(201);
    await book(e, v.id, at(6, 12), at(6, 13), capped).expect(422);
    clock.travel(Date.parse(at(4, 11)) - clock.now().getTime());
    await book(e, v.id, at(6, 12), at(6, 13), capped).expect(201);
    // the public page says so
    const page = await t.http.get(`/facilities/${capped}`).expect(200);
    expect(page.text).toContain('每家企业已预约且尚未结束的机时合计不超过 3 小时');
  });

  it('enterprises under one actual controller share the cap: a sister’s and the controller’s hours count, an unrelated enterprise’s do not', async () => {
    const capped = await facility(lab, { name: '场发射扫描电镜 机时' });
    await setCalendar(capped, calendarBody({ maxLiveHoursPerEnterprise: 3 })).expect(200);
    const controller = await t.registerEnterprise(HEFEI);
    const sister = async () => {
      const e = await t.registerEnterprise(HEFEI, { controllerCreditCode: controller.creditCode });
      return { e, v: await issueVoucher(t, e.token, VOUCHER) };
    };
    const [a, b] = [await sister(), await sister()];
    await book(a.e, a.v.id, at(3, 9), at(3, 11), capped).expect(201);
    const refused = await book(b.e, b.v.id, at(4, 9), at(4, 11), capped).expect(422);
    expect(refused.body).toMatchObject({
      code: 'LIMIT_REACHED',
      message:
        'you and the enterprises under one actual controller with you have 2 hours booked on this facility that are not over yet (0 of them yours); with 2 more you would pass the 3 its provider allows one enterprise, which enterprises under one controller share: cancel a booking, or book again once one is over',
    });
    const zh = await book(b.e, b.v.id, at(4, 9), at(4, 11), capped).set('Accept-Language', 'zh-CN').expect(422);
    expect(zh.body.message).toBe(
      '贵单位及同一实际控制人下的企业在该仪器上已预约且尚未结束的机时合计 2 小时（其中贵单位 0 小时），再约 2 小时将超过服务机构规定的每家企业 3 小时上限（同一实际控制人下的企业合并计算）：请先取消部分预约，或待已有预约结束后再约',
    );
    expect((await voucherOf(b.e, b.v.id)).heldFen).toBe(0);
    const lastHour = (await book(b.e, b.v.id, at(4, 9), at(4, 10), capped).expect(201)).body;
    // the controller, registered itself, is of the group its credit code heads
    const cv = await issueVoucher(t, controller.token, VOUCHER);
    expect((await book(controller, cv.id, at(5, 9), at(5, 10), capped).expect(422)).body.message).toContain('(0 of them yours)');
    // an enterprise under no controller, or another, books on its own cap
    const unrelated = await enterpriseWithVoucher();
    await book(unrelated.e, unrelated.v.id, at(5, 9), at(5, 12), capped).expect(201);
    const other = await t.registerEnterprise(HEFEI, { controllerCreditCode: unrelated.e.creditCode });
    const ov = await issueVoucher(t, other.token, VOUCHER);
    expect((await book(other, ov.id, at(6, 9), at(6, 10), capped).expect(422)).body.code).toBe('LIMIT_REACHED');
    // a sister's cancelled hours count no more
    await t.http.post(`/api/bookings/${lastHour.id}/cancel`).set(auth(b.e.token)).expect(200);
    await book(controller, cv.id, at(5, 13), at(5, 14), capped).expect(201);
  });

  it('the iCalendar feed is secret, parses, and lists the enterprise’s and the lab’s bookings', async () => {
    const { e, v } = await enterpriseWithVoucher();
    const booked = (await book(e, v.id, at(12, 15), at(12, 17)).expect(201)).body;
    const feedPath = async (token: string) =>
      new URL((await t.http.post('/api/calendar/feed').set(auth(token)).expect(201)).body.url).pathname;
    const enterpriseFeed = await feedPath(e.token);
    const res = await t.http.get(enterpriseFeed).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/calendar/);
    const events = Object.values(ical.sync.parseICS(res.text)).filter((c): c is ical.VEvent => c?.type === 'VEVENT');
    expect(events).toHaveLength(1);
    expect(events[0].uid).toBe(`${booked.id}@booking`);
    expect(events[0].start.getTime()).toBe(Date.parse(booked.start));
    expect(events[0].end!.getTime()).toBe(Date.parse(booked.end));
    // in Chinese: the enterprise's feed names the lab, its place, the voucher
    const nameOf = async (o: OrgSession) =>
      (await t.http.get(`/api/organizations/${o.organizationId}`).set(auth(o.token)).expect(200)).body.name as string;
    const [labName, enterpriseName] = [await nameOf(lab), await nameOf(e)];
    expect(events[0].summary).toBe(`TEM 机时 · ${labName}`);
    expect(events[0].description).toBe(`预约编号 ${booked.id}；时长 2 小时；状态：已预约；服务机构：${labName}；创新券 ${v.serial}`);
    expect(events[0].location).toBe(`${labName}，上海市`);

    // The URL is the service's public address, whatever Host the request named.
    const forged = await t.http.post('/api/calendar/feed').set(auth(e.token)).set('Host', 'evil.example').expect(201);
    expect(forged.body.url.startsWith(`${appConfig().publicBaseUrl}/api/calendar/`)).toBe(true);
    expect(forged.body.url).not.toContain('evil.example');

    // the lab's feed names who comes; with an address in its profile, that is where
    await t.http
      .patch(`/api/organizations/${lab.organizationId}`)
      .set(auth(lab.token))
      .send({ address: '上海市浦东新区张江路 100 号' })
      .expect(200);
    const labFeed = await feedPath(lab.token);
    const labEvents = Object.values(ical.sync.parseICS((await t.http.get(labFeed).expect(200)).text)).filter(
      (c): c is ical.VEvent => c?.type === 'VEVENT',
    );
    expect(labEvents.map((c) => c.uid)).toContain(`${booked.id}@booking`);
    const labEvent = labEvents.find((c) => c.uid === `${booked.id}@booking`)!;
    expect(labEvent.summary).toBe(`TEM 机时 · ${enterpriseName}`);
    expect(labEvent.description).toBe(`预约编号 ${booked.id}；时长 2 小时；状态：已预约；用券企业：${enterpriseName}；创新券 ${v.serial}`);
    expect(labEvent.location).toBe(`${labName}，上海市浦东新区张江路 100 号`);

    // A new URL replaces the old one; unknown tokens are 404; bureaus have no feed.
    const replaced = await feedPath(e.token);
    expect(replaced).not.toBe(enterpriseFeed);
    await t.http.get(enterpriseFeed).expect(404);
    await t.http.get('/api/calendar/not-a-token.ics').expect(404);
    // A password change ends the feed too: whoever had the old password may have made it.
    await t.http.get(replaced).expect(200);
    await t.http
      .post('/api/auth/password')
      .set(auth(e.token))
      .send({ currentPassword: PASSWORD, newPassword: 'Feed-Owner-New-2026' })
      .expect(204);
    await t.http.get(replaced).expect(404);
    await t.http.get(await feedPath(e.token)).expect(200);
    await t.http
      .post('/api/calendar/feed')
      .set(await t.as('bureau-ah'))
      .expect(403);
    await t.http.post('/api/calendar/feed').expect(401);
  });

  it('leaves the ledger balanced', async () => {
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });
});

describeRaces('instrument booking under concurrency', () => {
  let t: TestApp;
  let lab: OrgSession;
  let temId: string;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    lab = await t.registerProvider(PUDONG);
    temId = await hourlyFacility(t, lab, 'TEM 机时');
  });
  afterAll(() => t.close());

  it('30 enterprises booking one slot at once: exactly one 201, 29 × 409 SLOT_TAKEN, and only the winner holds anything', async () => {
    const parties = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const e = await t.registerEnterprise(HEFEI);
        return { e, v: await issueVoucher(t, e.token, VOUCHER) };
      }),
    );
    const results = await Promise.all(
      parties.map(({ e, v }) =>
        t.http
          .post('/api/bookings')
          .set(auth(e.token))
          .send({ facilityId: temId, voucherId: v.id, start: at(5, 10), end: at(5, 12) }),
      ),
    );
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 201);
    expect(losers).toHaveLength(29);
    for (const r of losers) expect({ status: r.status, code: r.body.code }).toEqual({ status: 409, code: 'SLOT_TAKEN' });
    const held = await Promise.all(
      parties.map(async ({ e, v }) => (await t.http.get(`/api/vouchers/${v.id}`).set(auth(e.token)).expect(200)).body.heldFen),
    );
    expect(held.sort((a, b) => b - a)).toEqual([2 * HOUR_SUBSIDY, ...Array(29).fill(0)]);
    const hours = await t.dataSource.query('SELECT COUNT(*) AS n FROM booking_hour WHERE facility_id = ?', [temId]);
    expect(Number(hours[0].n)).toBe(2);
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  it('a cancellation racing the usage of one booking: exactly one wins, and the hold is closed once (the lab may still cancel once it started)', async () => {
    for (let round = 0; round < 6; round++) {
      const e = await t.registerEnterprise(HEFEI);
      const v = await issueVoucher(t, e.token, VOUCHER);
      const booked = (
        await t.http
          .post('/api/bookings')
          .set(auth(e.token))
          .send({ facilityId: temId, voucherId: v.id, start: at(7 + round, 10), end: at(7 + round, 12) })
          .expect(201)
      ).body;
      clock.travel(Date.parse(booked.start) - clock.now().getTime() + 60_000);
      const [cancel, usage] = await Promise.all([
        t.http.post(`/api/bookings/${booked.id}/cancel`).set(auth(lab.token)),
        t.http.post(`/api/bookings/${booked.id}/usage`).set(auth(lab.token)).send({ actualHours: 1 }),
      ]);
      clock.reset();
      expect([cancel.status, usage.status].sort()).toEqual([200, 409]);
      const voucher = (await t.http.get(`/api/vouchers/${v.id}`).set(auth(e.token)).expect(200)).body;
      if (cancel.status === 200) expect(voucher).toMatchObject({ availableFen: VOUCHER, heldFen: 0, spentFen: 0 });
      else expect(voucher).toMatchObject({ heldFen: 0, spentFen: HOUR_SUBSIDY, availableFen: VOUCHER - HOUR_SUBSIDY });
    }
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });

  it('one enterprise booking eight hours at once under a cap of three: exactly three are booked, five refused', async () => {
    const capped = await hourlyFacility(t, lab, '激光共聚焦 机时', { maxLiveHoursPerEnterprise: 3 });
    const e = await t.registerEnterprise(HEFEI);
    const v = await issueVoucher(t, e.token, VOUCHER);
    const results = await Promise.all(
      [9, 10, 11, 12, 13, 14, 15, 16].map((hour) =>
        t.http
          .post('/api/bookings')
          .set(auth(e.token))
          .send({ facilityId: capped, voucherId: v.id, start: at(9, hour), end: at(9, hour + 1) }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 422, 422, 422, 422, 422]);
    for (const r of results.filter((r) => r.status === 422)) expect(r.body.code).toBe('LIMIT_REACHED');
    const [{ n }] = await t.dataSource.query(
      `SELECT COALESCE(SUM(hours), 0) AS n FROM booking WHERE facility_id = ? AND status = 'booked'`,
      [capped],
    );
    expect(Number(n)).toBe(3);
    expect((await t.http.get(`/api/vouchers/${v.id}`).set(auth(e.token)).expect(200)).body.heldFen).toBe(3 * HOUR_SUBSIDY);
  });

  it('three companies under one controller booking two hours each, six at once, under a cap of four: exactly two bookings among them', async () => {
    const capped = await hourlyFacility(t, lab, '场发射扫描电镜 机时', { maxLiveHoursPerEnterprise: 4 });
    const controllerCreditCode = creditCodeIn('340000');
    const sisters = await Promise.all(
      [0, 1, 2].map(async () => {
        const e = await t.registerEnterprise(HEFEI, { controllerCreditCode });
        return { e, v: await issueVoucher(t, e.token, VOUCHER) };
      }),
    );
    for (let day = 9; day < 12; day++) {
      const results = await Promise.all(
        [8, 10, 12, 14, 16, 18].map((hour, k) => {
          const { e, v } = sisters[k % 3];
          return t.http
            .post('/api/bookings')
            .set(auth(e.token))
            .send({ facilityId: capped, voucherId: v.id, start: at(day, hour), end: at(day, hour + 2) });
        }),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 422, 422, 422, 422]);
      for (const r of results.filter((r) => r.status === 422)) expect(r.body.code).toBe('LIMIT_REACHED');
      const [{ n }] = await t.dataSource.query(
        `SELECT COALESCE(SUM(hours), 0) AS n FROM booking WHERE facility_id = ? AND status = 'booked'`,
        [capped],
      );
      expect(Number(n)).toBe(4);
      // the next round starts with the group's hours given back
      for (const r of results.filter((r) => r.status === 201)) {
        await t.http
          .post(`/api/bookings/${r.body.id}/cancel`)
          .set(auth(sisters.find((s) => s.v.id === r.body.voucherId)!.e.token))
          .expect(200);
      }
    }
  });

  it('bookings and plain holds on one voucher at once queue on the voucher: all taken, no deadlock run again', async () => {
    const e = await t.registerEnterprise(HEFEI);
    const v = await issueVoucher(t, e.token, VOUCHER);
    const plainId = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: 'TEM 代测机时', category: 'testing', unit: 'hour', unitPriceFen: TEM_PRICE })
        .expect(201)
    ).body.id as string;
    const retries = async () => (await t.http.get('/api/health').expect(200)).body.unitsOfWork.retries as number;
    const before = await retries();
    const results = await Promise.all(
      [9, 10, 11, 12, 13, 14].flatMap((hour) => [
        t.http
          .post('/api/bookings')
          .set(auth(e.token))
          // day 4: no other race of this suite books it (the cancellation race's rounds take days 7 on, and keep a
          // used booking's hours)
          .send({ facilityId: temId, voucherId: v.id, start: at(4, hour), end: at(4, hour + 1) }),
        // plain holds of an hourly facility without a calendar (one with a calendar takes bookings only)
        t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: plainId, quantity: 1 }),
      ]),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
    // The booking locks the voucher before the enterprise's row, as a hold does (its redemption's foreign keys
    // read-lock the row): taken the other way round, the two deadlocked and ran again.
    expect((await retries()) - before).toBe(0);
    expect((await t.http.get(`/api/vouchers/${v.id}`).set(auth(e.token)).expect(200)).body.heldFen).toBe(12 * HOUR_SUBSIDY);
  });

  it('overlapping ranges racing (10–12, 11–13, 9–11, 10–11 …): the live bookings never share an hour', async () => {
    const ranges = [
      [10, 12],
      [11, 13],
      [9, 11],
      [10, 11],
      [12, 14],
      [13, 15],
      [8, 10],
      [14, 16],
    ];
    const results = await Promise.all(
      ranges.map(async ([from, to]) => {
        const e = await t.registerEnterprise(HEFEI);
        const v = await issueVoucher(t, e.token, VOUCHER);
        return t.http
          .post('/api/bookings')
          .set(auth(e.token))
          .send({ facilityId: temId, voucherId: v.id, start: at(6, from), end: at(6, to) });
      }),
    );
    expect(results.filter((r) => r.status !== 201 && r.status !== 409)).toEqual([]);
    const won = results.filter((r) => r.status === 201).map((r) => [Date.parse(r.body.start), Date.parse(r.body.end)]);
    for (let i = 0; i < won.length; i++)
      for (let j = i + 1; j < won.length; j++) expect(won[i][1] <= won[j][0] || won[j][1] <= won[i][0]).toBe(true);
    expect(won.length).toBeGreaterThanOrEqual(3);
  });

  it('eight new feed URLs asked at once: every answer 201, and exactly one URL (one of theirs) serves the feed', async () => {
    const e = await t.registerEnterprise(HEFEI);
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.http.post('/api/calendar/feed').set(auth(e.token))));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    const served = await Promise.all(answers.map((a) => t.http.get(new URL(a.body.url).pathname)));
    expect(served.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('twelve bookings made while the lab retires the facility wait for it, and none is taken on the retired facility', async () => {
    const xps = await hourlyFacility(t, lab, 'XPS 机时');
    const parties = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const e = await t.registerEnterprise(HEFEI);
        return { e, v: await issueVoucher(t, e.token, VOUCHER) };
      }),
    );
    // POST /api/facilities/:id/retire held between its row lock and its commit: the same statements, paused
    const retirement = t.dataSource.createQueryRunner();
    await retirement.connect();
    await retirement.startTransaction();
    await retirement.query('SELECT id FROM facility WHERE id = ? FOR UPDATE', [xps]);
    const booked = Promise.all(
      parties.map(({ e, v }, i) =>
        t.http
          .post('/api/bookings')
          .set(auth(e.token))
          .send({ facilityId: xps, voucherId: v.id, start: at(26, 8 + i), end: at(26, 9 + i) }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // every booking is under way (without the lock, each read it active)
    await retirement.query(`UPDATE facility SET status = 'retired' WHERE id = ?`, [xps]);
    await retirement.commitTransaction();
    await retirement.release();
    const results = await booked;
    // each read it as active before and waited only at its hours' foreign key: all twelve were taken, retired or not
    expect(results.map((r) => [r.status, r.body.code])).toEqual(Array(12).fill([409, 'INVALID_STATE']));
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM booking WHERE facility_id = ?', [xps]);
    expect(Number(n)).toBe(0);
    for (const { e, v } of parties) {
      expect((await t.http.get(`/api/vouchers/${v.id}`).set(auth(e.token)).expect(200)).body.heldFen).toBe(0);
    }
  });

  it('a first calendar set while eleven holds are ordered without a booking: a hold stands only where the calendar was refused', async () => {
    const parties = await Promise.all(
      Array.from({ length: 11 }, async () => {
        const e = await t.registerEnterprise(HEFEI);
        return { e, v: await issueVoucher(t, e.token, VOUCHER) };
      }),
    );
    const sem = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: 'SEM 机时', category: 'testing', unit: 'hour', unitPriceFen: TEM_PRICE })
        .expect(201)
    ).body.id as string;
    const [calendar, ...held] = await Promise.all([
      t.http.put(`/api/facilities/${sem}/calendar`).set(auth(lab.token)).send(calendarBody()),
      ...parties.map(({ e, v }) =>
        t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId: v.id, facilityId: sem, quantity: 1 }),
      ),
    ]);
    const standing = held.filter((h) => h.status === 201);
    for (const h of held.filter((h) => h.status !== 201)) expect(h.body.code).toBe('BOOKING_REQUIRED');
    // read plainly, the calendar was missed by holds that then waited for its row lock at their foreign key and committed
    if (calendar.status === 200) expect(standing.map((h) => h.body.id)).toEqual([]);
    else expect([calendar.status, calendar.body.code, standing.length]).toEqual([409, 'INVALID_STATE', 11]);
  });

  it('a closure set while fourteen bookings of its hours are made: a booking stands only where the closure was refused', async () => {
    const parties = await Promise.all(
      Array.from({ length: 14 }, async () => {
        const e = await t.registerEnterprise(HEFEI);
        return { e, v: await issueVoucher(t, e.token, VOUCHER) };
      }),
    );
    const closure = calendarBody({ closures: [{ from: at(25, 0), to: at(26, 0), reason: '年度维护' }] });
    const [calendar, ...booked] = await Promise.all([
      t.http.put(`/api/facilities/${temId}/calendar`).set(auth(lab.token)).send(closure),
      ...parties.map(({ e, v }, i) =>
        t.http
          .post('/api/bookings')
          .set(auth(e.token))
          .send({ facilityId: temId, voucherId: v.id, start: at(25, 8 + i), end: at(25, 9 + i) }),
      ),
    ]);
    const standing = booked.filter((b) => b.status === 201);
    for (const b of booked.filter((b) => b.status !== 201)) expect(b.body.code).toBe('OUTSIDE_OPENING_HOURS');
    if (calendar.status === 200) expect(standing.map((b) => b.body.start)).toEqual([]);
    else expect([calendar.status, calendar.body.code, standing.length > 0]).toEqual([409, 'INVALID_STATE', true]);
    await t.http.put(`/api/facilities/${temId}/calendar`).set(auth(lab.token)).send(calendarBody()).expect(200);
  });
});

describe('the iCalendar feed beyond its limit', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start({ CALENDAR_FEED_MAX_EVENTS: '2' })));
  afterEach(() => clock.reset());
  afterAll(() => t.close());

  it('lists the nearest bookings to come; cancelled and expired ones take no place', async () => {
    await openRegion(t, HEFEI);
    const lab = await t.registerProvider(PUDONG);
    const facilityId = await hourlyFacility(t, lab, 'TEM 机时');
    const e = await t.registerEnterprise(HEFEI);
    const v = await issueVoucher(t, e.token, VOUCHER);
    const book = async (days: number) =>
      (
        await t.http
          .post('/api/bookings')
          .set(auth(e.token))
          .send({ facilityId, voucherId: v.id, start: at(days, 9), end: at(days, 10) })
          .expect(201)
      ).body.id as string;
    // Days from today: `at` counts from the clock's day, which the test moves.
    const [firstOver, allOver, secondExpired] = [at(5, 12), at(9, 12), at(36, 12)].map(Date.parse);
    const travelTo = (ms: number) => clock.travel(ms - clock.now().getTime());
    const cancelled = [await book(2), await book(3), await book(4)];
    for (const id of cancelled) await t.http.post(`/api/bookings/${id}/cancel`).set(auth(e.token)).expect(200);
    const [soon, next, later] = [await book(5), await book(6), await book(7)];
    const url = new URL((await t.http.post('/api/calendar/feed').set(auth(e.token)).expect(201)).body.url).pathname;
    const listed = async () =>
      Object.values(ical.sync.parseICS((await t.http.get(url).expect(200)).text))
        .filter((c): c is ical.VEvent => c?.type === 'VEVENT')
        .map((c) => c.uid)
        .sort();
    expect(await listed()).toEqual([`${soon}@booking`, `${next}@booking`].sort());
    // Once the first is over, the two to come are kept before it.
    travelTo(firstOver);
    expect(await listed()).toEqual([`${next}@booking`, `${later}@booking`].sort());
    // All gone: the first used, the second's hold expired (30 days after its end), the third's not yet. The latest
    // still standing are listed, never the expired or the cancelled.
    travelTo(allOver);
    await t.http.post(`/api/bookings/${soon}/usage`).set(auth(lab.token)).send({ actualHours: 1 }).expect(200);
    travelTo(secondExpired);
    expect(await listed()).toEqual([`${soon}@booking`, `${later}@booking`].sort());
  });
});

describeRaces('a group’s rows locked among many organizations', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  it('two sisters lock their group while a third unit holds their controller’s row: they queue, neither deadlocks', async () => {
    // Sisters' credit codes sort before their controller's: a lock taken index by index reaches each sister's own row
    // before the controller's, and the controller's before the other sister's.
    const [codeA, codeB, codeC] = [creditCodeIn('340000'), creditCodeIn('340000'), creditCodeIn('340000')].sort();
    const controller = await t.registerEnterprise(HEFEI, { creditCode: codeC });
    const [a, b] = [
      await t.registerEnterprise(HEFEI, { creditCode: codeA, controllerCreditCode: codeC }),
      await t.registerEnterprise(HEFEI, { creditCode: codeB, controllerCreditCode: codeC }),
    ];
    // Enough organizations that the optimizer reads the three indexes (an index merge) rather than the whole table.
    const columns = await t.dataSource.query<{ name: string }[]>(
      `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'organization' ORDER BY ordinal_position`,
    );
    const filler: Record<string, string> = {
      id: 'UUID()',
      credit_code: "CONCAT('X', LPAD(s.seq, 17, '0'))",
      name: "CONCAT('填充 ', s.seq)",
      // an account is on file for one organization at most (unique key)
      bank_account: 'NULL',
      bank_account_key: 'NULL',
    };
    const names = columns.map((c) => c.name);
    await t.dataSource.query(
      `INSERT INTO organization (${names.join(', ')}) SELECT ${names.map((n) => filler[n] ?? `o.${n}`).join(', ')}
       FROM seq_1_to_30000 s CROSS JOIN (SELECT * FROM organization WHERE id = ?) o`,
      [controller.organizationId],
    );
    await t.dataSource.query('ANALYZE TABLE organization');

    const holder = t.dataSource.createQueryRunner();
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      await holder.startTransaction();
      await holder.query('SELECT id FROM organization WHERE id = ? FOR UPDATE', [controller.organizationId]);
      const repo = t.get(OrganizationRepository);
      const uow = t.get(UnitOfWork);
      // one attempt each: a deadlock reaches the test as the database's error instead of being run again
      const lockGroup = (e: OrgSession) =>
        uow.attempt(async () =>
          (await repo.lockGroupOf({ id: e.organizationId, creditCode: e.creditCode, controllerCreditCode: codeC })).map((o) => o.id).sort(),
        );
      const first = lockGroup(a);
      await pause(300);
      const second = lockGroup(b);
      await pause(300);
      await holder.commitTransaction();
      const group = [a, b, controller].map((o) => o.organizationId).sort();
      expect(await Promise.allSettled([first, second])).toEqual([
        { status: 'fulfilled', value: group },
        { status: 'fulfilled', value: group },
      ]);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  });
});
