import { clock } from '../../src/common/clock';
import { CREDIT_CODE_CHARSET, makeCreditCode } from '../../src/organizations/credit-code';
import { bureauFor, DEMO_PASSWORD, PASSWORD, SECOND_REVIEWERS, STAFF } from '../../test/support/accounts';
import { HttpClient, Reply } from '../../test/support/http-client';
import { Rng } from './prng';
export type Staff = (typeof STAFF)[number] | (typeof SECOND_REVIEWERS)[number];

export interface Org {
  key: string;
  role: 'enterprise' | 'provider';
  id: string;
  token: string;
  creditCode: string;
  /** Its actual controller's credit code, when it names one: a sanction of the controller reaches it. */
  controllerCreditCode?: string;
  regionCode: string;
  provinceCode: string;
}

export interface Facility {
  id: string;
  provider: Org;
  provinceCode: string;
  unit: string;
  category: string;
  unitPriceFen: number;
}

export interface RegionPlan {
  regionCode: string;
  budgetFen: number;
  /** Small budgets run dry during a run, so BUDGET_EXHAUSTED is exercised. */
  small: boolean;
  autoApproveMaxFen: number;
  maxVoucherFen: number;
  /** Approvals at or above it take two bureau users (0: off). */
  dualControlFen: number;
}

export interface World {
  year: number;
  staff: Record<Staff, string>;
  regions: RegionPlan[];
  enterprises: Org[];
  providers: Org[];
  facilities: Facility[];
  /** Providers the simulation may suspend (their facilities then refuse with PROVIDER_NOT_ACTIVE). */
  suspendable: Org[];
  /** Enterprises registered but not verified yet: their applications are refused ENTERPRISE_NOT_VERIFIED until a bureau verifies them. */
  unverified: Org[];
}

const ALL_PROVINCES = ['310000', '320000', '330000', '340000'];

/**
 * Policies differ the way real schemes do: Zhejiang does not accept Jiangsu labs and Jiangsu not Zhejiang's,
 * categories differ, Jiangsu only allows 通兑, Zhejiang allows related parties; Suzhou and Hefei (cities that
 * issue their own vouchers) have small budgets; Shanghai and Anhui take two reviewers above a threshold (Anhui's low
 * enough for claims to reach it). `scale` grows caps and provincial budgets with the run length.
 */
function policies(scale: number) {
  const base = {
    effectiveFrom: clock.today(), // the Beijing day, as the service reads it: a new policy takes effect today at the earliest
    dualControlFen: 0,
    localBonusBp: 0,
    enterpriseAnnualCapFen: 30_000_000 * scale,
    teamAnnualCapFen: 10_000_000 * scale,
    maxVoucherFen: 20_000_000,
    capByController: false,
    voucherValidityDays: 365,
    holdExpiryDays: 30,
    autoApproveMaxFen: 5_000_000,
    redemptionModes: ['provider_redeemed', 'enterprise_reimbursed'],
    settlementCycle: 'quarterly',
    relatedPartyBan: true,
  };
  const cat = (pairs: [string, number][]) => pairs.map(([category, ratioBp]) => ({ category, ratioBp }));
  return [
    {
      budgetFen: 400_000_000 * scale,
      small: false,
      policy: {
        ...base,
        regionCode: '310000',
        perRedemptionCapFen: 300_000,
        dualControlFen: 10_000_000,
        acceptedProvinceCodes: ALL_PROVINCES,
        categories: cat([
          ['testing', 5000],
          ['r_and_d', 5000],
          ['design', 4000],
          ['instrument_sharing', 6000],
        ]),
      },
    },
    {
      budgetFen: 300_000_000 * scale,
      small: false,
      policy: {
        ...base,
        regionCode: '320000',
        localBonusBp: 1000,
        acceptedProvinceCodes: ['310000', '320000', '340000'],
        redemptionModes: ['provider_redeemed'],
        settlementCycle: 'monthly',
        categories: cat([
          ['testing', 4000],
          ['r_and_d', 5000],
          ['consulting', 3000],
        ]),
      },
    },
    {
      budgetFen: 12_000_000,
      small: true,
      policy: {
        ...base,
        regionCode: '320500',
        autoApproveMaxFen: 3_000_000,
        maxVoucherFen: 8_000_000,
        acceptedProvinceCodes: ALL_PROVINCES,
        categories: cat([
          ['testing', 6000],
          ['design', 5000],
          ['r_and_d', 5000],
        ]),
      },
    },
    {
      budgetFen: 300_000_000 * scale,
      small: false,
      policy: {
        ...base,
        regionCode: '330000',
        relatedPartyBan: false,
        acceptedProvinceCodes: ['310000', '330000', '340000'],
        categories: cat([
          ['testing', 5000],
          ['design', 5000],
          ['tech_transfer', 5000],
        ]),
      },
    },
    {
      budgetFen: 200_000_000 * scale,
      small: false,
      policy: {
        ...base,
        regionCode: '340000',
        perRedemptionCapFen: 200_000,
        dualControlFen: 300_000,
        autoApproveMaxFen: 250_000, // below dualControlFen: nothing that takes two reviewers is approved at once
        acceptedProvinceCodes: ALL_PROVINCES,
        categories: cat([
          ['testing', 5000],
          ['r_and_d', 6000],
        ]),
      },
    },
    {
      budgetFen: 20_000_000,
      small: true,
      policy: {
        ...base,
        regionCode: '340100',
        localBonusBp: 500,
        maxVoucherFen: 10_000_000,
        acceptedProvinceCodes: ALL_PROVINCES,
        categories: cat([
          ['testing', 7000],
          ['r_and_d', 6000],
          ['instrument_sharing', 7000],
        ]),
      },
    },
  ];
}

/** Where organizations register (credit-code region): enterprises of Hangzhou and Chuzhou fall back to their province's policy. */
const ENTERPRISE_REGIONS = [
  '310000',
  '310000',
  '310000',
  '320000',
  '320000',
  '320500',
  '320500',
  '320500',
  '330100',
  '330100',
  '340100',
  '340100',
  '340100',
  '341100',
];
const PROVIDER_REGIONS = ['310000', '310000', '320500', '320100', '330100', '330100', '340100', '340100', '340000'];
const CATEGORIES = ['testing', 'testing', 'r_and_d', 'r_and_d', 'design', 'consulting', 'instrument_sharing', 'tech_transfer'];
const UNITS = ['hour', 'sample', 'item'];

/** The reply, if it has the expected status; else a set-up error naming the step. */
export function expectStatus(what: string, r: Reply, status: number): Reply {
  if (r.status !== status) throw new Error(`world set-up: ${what} answered ${r.status} ${r.text.slice(0, 500)}`);
  return r;
}

/** A user's bearer token, through the API. */
export async function login(http: HttpClient, username: string, password: string): Promise<string> {
  return expectStatus(`login ${username}`, await http.request('POST', '/api/auth/login', { body: { username, password } }), 200).body
    .accessToken as string;
}

/** Bearer tokens of the seeded staff users (second reviewers included), with the service's DEMO_PASSWORD. */
export async function loginStaff(http: HttpClient): Promise<Record<Staff, string>> {
  const password = process.env.DEMO_PASSWORD ?? DEMO_PASSWORD;
  const users = [...STAFF, ...SECOND_REVIEWERS];
  return Object.fromEntries(await Promise.all(users.map(async (s) => [s, await login(http, s, password)]))) as Record<Staff, string>;
}

/** Enterprises left unverified when the world is built: a verification operation of the run verifies them. */
const UNVERIFIED = ['E7', 'E13'];

/** Builds the world through the HTTP API only; the same seed gives the same organizations, codes and facilities. */
export async function buildWorld(http: HttpClient, seed: number, ops: number): Promise<World> {
  const rng = Rng.derive(seed, -1);
  const scale = Math.max(1, Math.ceil(ops / 2000));
  const year = clock.year(); // the service's budget year: Beijing's
  const staff = await loginStaff(http);

  const plans = policies(scale);
  for (const p of plans) {
    const token = staff[bureauFor(p.policy.regionCode) as Staff];
    expectStatus(`policy ${p.policy.regionCode}`, await http.request('POST', '/api/policies', { token, body: p.policy }), 201);
    expectStatus(
      `budget ${p.policy.regionCode}`,
      await http.request('PUT', `/api/budgets/${p.policy.regionCode}/${year}`, { token, body: { totalFen: p.budgetFen } }),
      200,
    );
  }

  const code = (region: string, registrar: string) => makeCreditCode(region, rng.chars(CREDIT_CODE_CHARSET, 9), registrar);
  type Draft = { key: string; role: 'provider' | 'enterprise'; region: string; creditCode: string; extra: Record<string, unknown> };
  const drafts: Draft[] = [
    ...PROVIDER_REGIONS.map((region, i) => ({
      key: `P${i}`,
      role: 'provider' as const,
      region,
      creditCode: code(region, '12'),
      extra: {},
    })),
    ...ENTERPRISE_REGIONS.map((region, i) => ({
      key: `E${i}`,
      role: 'enterprise' as const,
      region,
      creditCode: code(region, '91'),
      extra: { kind: i % 5 === 4 ? 'startup_team' : i % 3 === 0 ? 'high_tech' : 'tech_sme' },
    })),
  ];
  // Related parties: a Shanghai enterprise owns a Shanghai lab, a Hangzhou one a Hangzhou lab (allowed by Zhejiang's
  // policy), and a Hefei enterprise shares its actual controller's code with a Hefei lab.
  const byKey = new Map(drafts.map((d) => [d.key, d]));
  byKey.get('E2')!.extra.relatedCreditCodes = [byKey.get('P0')!.creditCode];
  byKey.get('E9')!.extra.relatedCreditCodes = [byKey.get('P4')!.creditCode];
  byKey.get('E12')!.extra.controllerCreditCode = byKey.get('P6')!.creditCode;

  const orgs = await Promise.all(
    drafts.map(async (d): Promise<Org> => {
      const username = `sim${seed}-${d.key.toLowerCase()}`;
      const reg = expectStatus(
        `register ${username}`,
        await http.request('POST', '/api/auth/register', {
          body: {
            username,
            password: PASSWORD,
            role: d.role,
            organization: { name: `模拟${d.role === 'provider' ? '服务机构' : '企业'} ${d.key}`, creditCode: d.creditCode, ...d.extra },
          },
        }),
        201,
      );
      const o = reg.body.organization;
      return {
        key: d.key,
        role: d.role,
        id: o.id,
        token: await login(http, username, PASSWORD),
        creditCode: d.creditCode,
        ...(d.extra.controllerCreditCode ? { controllerCreditCode: d.extra.controllerCreditCode as string } : {}),
        regionCode: o.regionCode,
        provinceCode: o.provinceCode,
      };
    }),
  );
  const enterprises = orgs.filter((o) => o.role === 'enterprise');
  for (const e of enterprises.filter((x) => !UNVERIFIED.includes(x.key))) {
    const token = staff[bureauFor(e.provinceCode) as Staff];
    const body = { certificateNo: `SIM-${e.creditCode.slice(8, 17)}` };
    expectStatus(`verify ${e.key}`, await http.request('POST', `/api/organizations/${e.id}/verify`, { token, body }), 200);
  }
  const providers = orgs.filter((o) => o.role === 'provider');
  for (const p of providers) {
    const token = staff[bureauFor(p.provinceCode) as Staff];
    expectStatus(`admit ${p.key}`, await http.request('POST', `/api/providers/${p.id}/admit`, { token, body: { noticeDays: 0 } }), 200);
  }
  // Every organization may be paid (a lab in 通兑 mode, an enterprise reimbursed in 通用 mode), and a batch line whose
  // payee has no bank account is held back at payment: each puts one on file before any batch is prepared, once its bureau
  // verified or admitted it (an unvetted organization cannot: 409 INVALID_STATE); an unverified enterprise is never paid.
  for (const [i, o] of orgs.entries()) {
    if (UNVERIFIED.includes(o.key)) continue;
    const body = {
      bankName: '中国工商银行模拟支行',
      bankAccount: `6222${String(seed % 1e6).padStart(6, '0')}${String(i).padStart(6, '0')}`,
    };
    expectStatus(`bank account of ${o.key}`, await http.request('PATCH', `/api/organizations/${o.id}`, { token: o.token, body }), 200);
  }
  const facilities: Facility[] = [];
  for (const p of providers) {
    for (let i = 0; i < 2; i++) {
      const body = {
        name: `${p.key} 仪器 ${i}`,
        category: rng.pick(CATEGORIES)!,
        unit: rng.pick(UNITS)!,
        unitPriceFen: rng.int(5, 80) * 10_000,
      };
      const r = expectStatus(`facility of ${p.key}`, await http.request('POST', '/api/facilities', { token: p.token, body }), 201);
      facilities.push({
        id: r.body.id,
        provider: p,
        provinceCode: r.body.provinceCode,
        unit: body.unit,
        category: body.category,
        unitPriceFen: body.unitPriceFen,
      });
    }
  }
  return {
    year,
    staff,
    regions: plans.map((p) => ({
      regionCode: p.policy.regionCode,
      budgetFen: p.budgetFen,
      small: p.small,
      autoApproveMaxFen: p.policy.autoApproveMaxFen,
      maxVoucherFen: p.policy.maxVoucherFen,
      dualControlFen: p.policy.dualControlFen,
    })),
    enterprises,
    unverified: enterprises.filter((e) => UNVERIFIED.includes(e.key)),
    providers,
    facilities,
    suspendable: providers.filter((p) => p.key === 'P8'),
  };
}
