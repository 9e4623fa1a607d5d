import { rebuildNetFlows } from '../../migrations/1766700000000-flows-net-of-cuts';
import type { Connection } from 'mysql2/promise';
import { newId } from '../../src/common/ids';
import { clock } from '../../src/common/clock';
import { account } from '../../src/ledger/accounts';
import { CREDIT_CODE_CHARSET, makeCreditCode } from '../../src/organizations/credit-code';
import { HttpClient } from '../../test/support/http-client';
import { Rng } from './prng';
import { bureauFor, PASSWORD } from '../../test/support/accounts';
import { expectStatus, login, loginStaff, Staff } from './sim-world';

const PROVINCES = ['310000', '320000', '330000', '340000'];
const CATEGORIES = ['testing', 'r_and_d', 'design', 'tech_transfer', 'consulting', 'instrument_sharing'];
/** One unit at every bench facility: ¥100, so a 50% hold is 5,000 fen. */
const UNIT_PRICE_FEN = 10_000;
const SUBSIDY_FEN = 5_000;

export interface BenchWorld {
  year: number;
  staff: Record<Staff, string>;
  /** Valid hold targets: an enterprise's token (and user, to log in again) with one of its vouchers and a covered facility. */
  holds: { token: string; username: string; voucherId: string; facilityId: string }[];
  searchPaths: string[];
  /** Zhejiang vouchers that prepared redemptions draw on. */
  settlementVouchers: { id: string; enterpriseId: string }[];
  settlementPolicyId: string;
  /** Every facility with its provider's token (for calendars and booking). */
  facilities: { id: string; providerToken: string }[];
}

/**
 * Through the API: generous policies and budgets for Shanghai (holds) and Zhejiang (settlement), 32 Shanghai
 * enterprises with 4 vouchers of ¥1,000,000 each, 8 providers with 25 facilities each across the four provinces.
 */
export async function prepareBenchWorld(http: HttpClient, opts: { enterprises: number; vouchersEach: number }): Promise<BenchWorld> {
  const rng = new Rng(20260101);
  const year = clock.year(); // the service's budget year: Beijing's
  const staff = await loginStaff(http);

  const policy = (regionCode: string) => ({
    regionCode,
    effectiveFrom: clock.today(), // a new policy takes effect today at the earliest
    categories: CATEGORIES.map((category) => ({ category, ratioBp: 5000 })),
    acceptedProvinceCodes: PROVINCES,
    localBonusBp: 0,
    enterpriseAnnualCapFen: 10_000_000_000,
    maxVoucherFen: 1_000_000_000,
    voucherValidityDays: 365,
    holdExpiryDays: 30,
    autoApproveMaxFen: 1_000_000_000,
    redemptionModes: ['provider_redeemed', 'enterprise_reimbursed'],
    settlementCycle: 'quarterly',
    relatedPartyBan: true,
  });
  let settlementPolicyId = '';
  for (const region of PROVINCES) {
    const token = staff[bureauFor(region) as Staff];
    const p = expectStatus(`policy ${region}`, await http.request('POST', '/api/policies', { token, body: policy(region) }), 201);
    if (region === '330000') settlementPolicyId = p.body.id;
    expectStatus(
      `budget ${region}`,
      await http.request('PUT', `/api/budgets/${region}/${year}`, { token, body: { totalFen: 1_000_000_000_000 } }),
      200,
    );
  }

  const register = async (role: 'enterprise' | 'provider', region: string, n: number) => {
    const username = `bench-${role}-${region}-${n}`;
    const creditCode = makeCreditCode(region, rng.chars(CREDIT_CODE_CHARSET, 9), role === 'provider' ? '12' : '91');
    const r = expectStatus(
      `register ${username}`,
      await http.request('POST', '/api/auth/register', {
        body: {
          username,
          password: PASSWORD,
          role,
          organization: { name: `基准${role === 'provider' ? '服务机构' : '企业'} ${region}-${n}`, creditCode },
        },
      }),
      201,
    );
    if (role === 'enterprise') {
      const verify = { token: staff[bureauFor(region) as Staff], body: { certificateNo: `BENCH-${creditCode}` } };
      expectStatus(`verify ${username}`, await http.request('POST', `/api/organizations/${r.body.organization.id}/verify`, verify), 200);
    }
    return {
      id: r.body.organization.id as string,
      username,
      token: await login(http, username, PASSWORD),
      provinceCode: r.body.organization.provinceCode as string,
    };
  };

  const providers = await Promise.all(PROVINCES.flatMap((region) => [0, 1].map((n) => register('provider', region, n))));
  for (const p of providers)
    expectStatus(
      'admit',
      await http.request('POST', `/api/providers/${p.id}/admit`, {
        token: staff[bureauFor(p.provinceCode) as Staff],
        body: { noticeDays: 0 },
      }),
      200,
    );
  const facilities: { id: string; category: string; provinceCode: string; providerToken: string }[] = [];
  for (const p of providers) {
    for (let i = 0; i < 25; i++) {
      const category = CATEGORIES[i % CATEGORIES.length];
      const r = expectStatus(
        'facility',
        await http.request('POST', '/api/facilities', {
          token: p.token,
          body: {
            name: `基准仪器 ${p.provinceCode}-${i}`,
            category,
            unit: 'hour',
            unitPriceFen: UNIT_PRICE_FEN,
            description: '共享大型科研仪器机时',
          },
        }),
        201,
      );
      facilities.push({ id: r.body.id, category, provinceCode: p.provinceCode, providerToken: p.token });
    }
  }

  const enterprises = await Promise.all(Array.from({ length: opts.enterprises }, (_, n) => register('enterprise', '310000', n)));
  const holds: BenchWorld['holds'] = [];
  const testing = facilities.filter((f) => f.category === 'testing');
  for (const e of enterprises) {
    for (let k = 0; k < opts.vouchersEach; k++) {
      const a = expectStatus(
        'application',
        await http.request('POST', '/api/voucher-applications', { token: e.token, body: { amountFen: 100_000_000, purpose: '基准测试' } }),
        201,
      );
      if (a.body.status !== 'approved') throw new Error(`bench set-up: voucher not approved: ${a.text}`);
      holds.push({
        token: e.token,
        username: e.username,
        voucherId: a.body.voucher.id,
        facilityId: testing[holds.length % testing.length].id,
      });
    }
  }
  const zhejiang = await Promise.all(Array.from({ length: 10 }, (_, n) => register('enterprise', '330100', n)));
  const settlementVouchers: BenchWorld['settlementVouchers'] = [];
  for (const e of zhejiang) {
    const a = expectStatus(
      'application',
      await http.request('POST', '/api/voucher-applications', { token: e.token, body: { amountFen: 100_000_000, purpose: '基准结算' } }),
      201,
    );
    settlementVouchers.push({ id: a.body.voucher.id, enterpriseId: e.id });
  }
  const searchPaths = PROVINCES.flatMap((p) => CATEGORIES.map((c) => `/api/facilities?provinceCode=${p}&category=${c}`));
  return {
    year,
    staff,
    holds,
    searchPaths,
    settlementVouchers,
    settlementPolicyId,
    facilities: facilities.map((f) => ({ id: f.id, providerToken: f.providerToken })),
  };
}

async function insertChunks(conn: Connection, table: string, columns: string[], rows: unknown[][], chunk = 2_000): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk)
    await conn.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [rows.slice(i, i + chunk)]);
}

/**
 * `count` captured redemptions at 200 payees (providers across the four provinces) on the Zhejiang vouchers,
 * each in an approved claim of its own, written in bulk with exactly the rows and ledger transfers the service
 * would have written (hold and capture per voucher, a payable per claim), so the ledger check stays clean.
 */
export async function prepareApprovedClaims(
  conn: Connection,
  world: BenchWorld,
  count: number,
  /** Another seed gives other payees (their credit codes are unique), for a second batch in the same database. */
  seed = 7,
): Promise<{ payees: number; totalFen: number }> {
  const now = new Date().toISOString();
  const rng = new Rng(seed);
  const [[reviewer]] = (await conn.query("SELECT id FROM app_user WHERE username = 'bureau-zj'")) as unknown as [{ id: string }[]];
  const payees = Array.from({ length: 200 }, (_, i) => {
    const province = PROVINCES[i % 4];
    return {
      id: newId(),
      facilityId: newId(),
      province,
      creditCode: makeCreditCode(province, rng.chars(CREDIT_CODE_CHARSET, 9), '12'),
      name: `结算服务机构 ${i}`,
    };
  });
  await conn.beginTransaction();
  await insertChunks(
    conn,
    'organization',
    [
      'id',
      'name',
      'credit_code',
      'type',
      'kind',
      'region_code',
      'province_code',
      'status',
      'related_credit_codes',
      'created_at',
      'updated_at',
    ],
    payees.map((p) => [p.id, p.name, p.creditCode, 'provider', null, p.province, p.province, 'active', '[]', now, now]),
  );
  await insertChunks(
    conn,
    'facility',
    [
      'id',
      'provider_id',
      'name',
      'category',
      'unit',
      'unit_price_fen',
      'province_code',
      'region_code',
      'status',
      'created_at',
      'updated_at',
    ],
    payees.map((p) => [
      p.facilityId,
      p.id,
      `${p.name} 检测`,
      'testing',
      'sample',
      UNIT_PRICE_FEN,
      p.province,
      p.province,
      'active',
      now,
      now,
    ]),
  );
  const redemptions: unknown[][] = [];
  const claims: unknown[][] = [];
  const payables: unknown[][] = [];
  const perVoucher = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const v = world.settlementVouchers[i % world.settlementVouchers.length];
    const p = payees[i % payees.length];
    const [rid, cid] = [newId(), newId()];
    perVoucher.set(v.id, (perVoucher.get(v.id) ?? 0) + SUBSIDY_FEN);
    redemptions.push([
      rid,
      v.id,
      p.facilityId,
      p.id,
      v.enterpriseId,
      p.id,
      '330000',
      world.year,
      p.province,
      p.province !== '330000',
      'provider_redeemed',
      1,
      UNIT_PRICE_FEN,
      UNIT_PRICE_FEN,
      5000,
      SUBSIDY_FEN,
      UNIT_PRICE_FEN - SUBSIDY_FEN,
      1,
      UNIT_PRICE_FEN,
      SUBSIDY_FEN,
      SUBSIDY_FEN,
      'captured',
      'confirmed', // the enterprise confirmed the service: only confirmed usage is claimed
      world.settlementPolicyId,
      now,
      cid,
      now,
      now,
      now,
      now,
    ]);
    claims.push([
      cid,
      p.id,
      '330000',
      SUBSIDY_FEN,
      SUBSIDY_FEN,
      'approved',
      JSON.stringify({ contractNo: `HT-${i}`, invoiceNo: `INV-${i}` }),
      JSON.stringify([rid]),
      reviewer.id,
      now,
      now,
    ]);
    payables.push([newId(), account.payments('330000'), account.payable('330000', p.id), SUBSIDY_FEN, 'claim.approval', 'claim', cid, now]);
  }
  // Claims first: a redemption's claim_id is a foreign key.
  await insertChunks(
    conn,
    'claim',
    [
      'id',
      'claimant_id',
      'issuing_region_code',
      'claimed_fen',
      'approved_fen',
      'status',
      'evidence',
      'redemption_ids',
      'reviewed_by',
      'created_at',
      'decided_at',
    ],
    claims,
  );
  await insertChunks(
    conn,
    'redemption',
    [
      'id',
      'voucher_id',
      'facility_id',
      'provider_id',
      'enterprise_id',
      'payee_id',
      'issuing_region_code',
      'budget_year',
      'provider_province_code',
      'cross_province',
      'mode',
      'quantity',
      'unit_price_fen',
      'fee_fen',
      'ratio_bp',
      'subsidy_fen',
      'self_pay_fen',
      'captured_quantity',
      'captured_fee_fen',
      'captured_subsidy_fen',
      'approved_fen',
      'status',
      'usage_status',
      'policy_id',
      'expires_at',
      'claim_id',
      'captured_at',
      'closed_at',
      'created_at',
      'updated_at',
    ],
    redemptions,
  );
  // The captures' flows, as the capture use case would have kept them.
  await rebuildNetFlows(async (q, p) => ((await conn.query(q, p)) as unknown as [Record<string, unknown>[]])[0]);
  const transfer = ['id', 'debit_account', 'credit_account', 'amount_fen', 'kind', 'ref_type', 'ref_id', 'created_at'];
  await insertChunks(conn, 'ledger_transfer', transfer, payables);
  for (const [voucherId, fen] of perVoucher) {
    const [res] = (await conn.query(
      'UPDATE voucher SET available_fen = available_fen - ?, spent_fen = spent_fen + ? WHERE id = ? AND available_fen >= ?',
      [fen, fen, voucherId, fen],
    )) as unknown as [{ affectedRows: number }];
    if (res.affectedRows !== 1) throw new Error(`bench set-up: voucher ${voucherId} cannot carry ${fen} fen`);
    await insertChunks(conn, 'ledger_transfer', transfer, [
      [newId(), account.voucherAvailable(voucherId), account.voucherHeld(voucherId), fen, 'redemption.hold', 'voucher', voucherId, now],
      [newId(), account.voucherHeld(voucherId), account.voucherSpent(voucherId), fen, 'redemption.capture', 'voucher', voucherId, now],
    ]);
  }
  await conn.commit();
  return { payees: payees.length, totalFen: count * SUBSIDY_FEN };
}

/** `count` paid settlement lines over all 16 issuing × payee province pairs, in 1,000 paid settlements. Returns their ids for removal. */
export async function preparePaidLines(conn: Connection, world: BenchWorld, count: number): Promise<string[]> {
  const rng = new Rng(11);
  const now = new Date().toISOString();
  const [[creator]] = (await conn.query("SELECT id FROM app_user WHERE username = 'platform'")) as unknown as [{ id: string }[]];
  // Payees are real providers of each province: a settlement line's payee is a foreign key.
  const [providers] = (await conn.query("SELECT id, province_code AS province FROM organization WHERE type = 'provider'")) as unknown as [
    { id: string; province: string }[],
  ];
  const payeesOf = new Map(PROVINCES.map((p) => [p, providers.filter((o) => o.province === p).map((o) => o.id)]));
  const settlements = Array.from({ length: 1_000 }, (_, i) => ({
    id: newId(),
    region: PROVINCES[i % 4],
    lines: [] as unknown[][],
    total: 0,
  }));
  for (let i = 0; i < count; i++) {
    const s = settlements[i % settlements.length];
    const amount = rng.int(1_000, 500_000);
    const day = `${world.year}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}T08:00:00.000Z`;
    const province = PROVINCES[rng.int(0, 3)];
    const payees = payeesOf.get(province)!;
    s.lines.push([newId(), s.id, payees[i % payees.length], `清算收款方 ${i % 997}`, province, s.region, amount, day]);
    s.total += amount;
  }
  await conn.beginTransaction();
  await insertChunks(
    conn,
    'settlement',
    ['id', 'region_code', 'period_label', 'status', 'total_fen', 'payment_ref', 'created_by', 'created_at', 'paid_at'],
    settlements.map((s) => [s.id, s.region, `${world.year}-Q1`, 'paid', s.total, `BENCH-${s.id.slice(0, 8)}`, creator.id, now, now]),
  );
  await insertChunks(
    conn,
    'settlement_line',
    ['id', 'settlement_id', 'payee_id', 'payee_name', 'payee_province_code', 'issuing_province_code', 'amount_fen', 'paid_at'],
    settlements.flatMap((s) => s.lines),
  );
  await conn.commit();
  return settlements.map((s) => s.id);
}

export async function removeSettlements(conn: Connection, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await conn.query('DELETE FROM settlement_line WHERE settlement_id IN (?)', [chunk]);
    await conn.query('DELETE FROM settlement WHERE id IN (?)', [chunk]);
  }
}

/** The bench's calendars: around the clock, no notice, a year ahead. */
export const BENCH_CALENDAR = {
  openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '00:00', to: '24:00' })),
  minNoticeHours: 0,
  maxAdvanceDays: 366,
  freeCancellationHours: 24,
  lateCancellationFeeBp: 5000,
  requiresQualification: false,
};
const HOUR_MS = 3_600_000;

/**
 * Calendars on every facility the holds do not order from (a facility with a calendar refuses a direct hold:
 * BOOKING_REQUIRED), and `count` one-hour bookings of the busy one (the first of them) in its next hours, through the
 * API with the holds' vouchers; returns them and the first hour free after the bookings, from which the load books on.
 */
export async function prepareBookings(
  http: HttpClient,
  world: BenchWorld,
  count: number,
): Promise<{ busyId: string; otherIds: string[]; freeFromMs: number }> {
  const held = new Set(world.holds.map((h) => h.facilityId));
  const bookable = world.facilities.filter((f) => !held.has(f.id));
  for (const f of bookable)
    expectStatus(
      'calendar',
      await http.request('PUT', `/api/facilities/${f.id}/calendar`, { token: f.providerToken, body: BENCH_CALENDAR }),
      200,
    );
  const [busyId, ...otherIds] = bookable.map((f) => f.id);
  const firstHour = (Math.floor(Date.now() / HOUR_MS) + 2) * HOUR_MS;
  for (let i = 0; i < count; i++) {
    const h = world.holds[i % world.holds.length];
    const start = firstHour + i * HOUR_MS;
    const body = {
      facilityId: busyId,
      voucherId: h.voucherId,
      start: new Date(start).toISOString(),
      end: new Date(start + HOUR_MS).toISOString(),
    };
    expectStatus('booking', await http.request('POST', '/api/bookings', { token: h.token, body }), 201);
  }
  return { busyId, otherIds, freeFromMs: firstHour + count * HOUR_MS };
}
