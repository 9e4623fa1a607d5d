import { backfillPaidSummary } from '../../migrations/1765100000000-stats-summaries';
import { paymentRefKey } from '../../src/settlement/payment-ref.rules';
import { rebuildNetFlows } from '../../migrations/1766700000000-flows-net-of-cuts';
import { rebuildFacilityUsage } from '../../migrations/1767600000000-report-summaries';
import type { Connection } from 'mysql2/promise';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { keyIdOf } from '../../src/audit/audit-checkpoint';
import type { AuditPending } from '../../src/audit/audit-entry.entity';
import { newId } from '../../src/common/ids';
import { account } from '../../src/ledger/accounts';
import { gramsOf } from '../../src/facilities/facility-grams';
import { CREDIT_CODE_CHARSET, makeCreditCode } from '../../src/organizations/credit-code';
import { REGIONS, SERIAL_PREFIX } from '../../src/regions/regions.data';
import { Credentials } from '../../src/auth/credentials';
import { sealAuditBatch } from './audit-seal';
import { Rng } from './prng';

/** A year of the region's data (issue 18), and the fractions of it the benchmark can write. */
export const YEAR = { facilities: 50_000, enterprises: 100_000, vouchers: 300_000, redemptions: 2_000_000, claims: 200_000 };
/** `hundredth` is a smoke size for trying the generator; the growth is read at tenth, half and year. */
export const VOLUMES = { hundredth: 0.01, tenth: 0.1, half: 0.5, year: 1 } as const;
export type VolumeName = keyof typeof VOLUMES;
export type VolumeSizes = typeof YEAR;

export const volumeSizes = (name: VolumeName): VolumeSizes =>
  Object.fromEntries(Object.entries(YEAR).map(([k, n]) => [k, Math.round(n * VOLUMES[name])])) as VolumeSizes;

/** Row counts written, by table. */
export type VolumeCounts = Record<string, number>;

const PROVINCES = ['310000', '320000', '330000', '340000'];
/** Where a province's organizations are registered: its cities (Shanghai's districts issue nothing: the city itself). */
const PLACES: Record<string, string[]> = Object.fromEntries(
  PROVINCES.map((p) => {
    const cities = REGIONS.filter((r) => r.parentCode === p).map((r) => r.code);
    return [p, cities.length > 0 ? cities : [p]];
  }),
);
/** Weights of the four provinces in listings and enterprises (Jiangsu and Zhejiang are the largest economies). */
const PROVINCE_WEIGHTS = { '310000': 3, '320000': 4, '330000': 3.5, '340000': 2 } as const;
/** Redemptions mostly stay at home; the rest cross into the other provinces. */
const HOME_SHARE = 0.7;

/** Realistic vocabularies: large shared instruments (大型科研仪器) and the services around them. */
const INSTRUMENTS: { name: string; category: string; unit: 'hour' | 'sample' | 'item'; yuan: [number, number]; brands: string[] }[] = [
  {
    name: '透射电子显微镜',
    category: 'testing',
    unit: 'hour',
    yuan: [800, 2500],
    brands: ['JEOL JEM-F200', 'FEI Talos F200X', 'Hitachi HT7800'],
  },
  {
    name: '场发射扫描电子显微镜',
    category: 'testing',
    unit: 'hour',
    yuan: [300, 900],
    brands: ['Zeiss Sigma 300', 'Hitachi SU8010', 'JEOL JSM-7800F'],
  },
  { name: '核磁共振波谱仪', category: 'testing', unit: 'hour', yuan: [400, 1500], brands: ['Bruker AVANCE NEO 600', 'JEOL ECZ500R'] },
  {
    name: 'X射线衍射仪',
    category: 'testing',
    unit: 'sample',
    yuan: [100, 400],
    brands: ['Bruker D8 Advance', 'Rigaku SmartLab', 'PANalytical Empyrean'],
  },
  { name: 'X射线光电子能谱仪', category: 'testing', unit: 'sample', yuan: [300, 800], brands: ['Thermo ESCALAB Xi+', 'Kratos AXIS Supra'] },
  {
    name: '液相色谱-质谱联用仪',
    category: 'testing',
    unit: 'sample',
    yuan: [200, 1200],
    brands: ['Agilent 6545 Q-TOF', 'Waters Xevo TQ-S', 'Thermo Orbitrap Exploris'],
  },
  {
    name: '气相色谱-质谱联用仪',
    category: 'testing',
    unit: 'sample',
    yuan: [150, 600],
    brands: ['Agilent 8890-5977B', 'Shimadzu GCMS-QP2020'],
  },
  { name: '电感耦合等离子体质谱仪', category: 'testing', unit: 'sample', yuan: [200, 700], brands: ['Agilent 7900', 'Thermo iCAP RQ'] },
  {
    name: '激光共聚焦显微镜',
    category: 'instrument_sharing',
    unit: 'hour',
    yuan: [200, 600],
    brands: ['Zeiss LSM 980', 'Leica STELLARIS 5', 'Olympus FV3000'],
  },
  { name: '流式细胞仪', category: 'instrument_sharing', unit: 'hour', yuan: [150, 500], brands: ['BD FACSAria III', 'Beckman CytoFLEX S'] },
  {
    name: '原子力显微镜',
    category: 'instrument_sharing',
    unit: 'hour',
    yuan: [200, 600],
    brands: ['Bruker Dimension Icon', 'Oxford Cypher ES'],
  },
  { name: '工业CT检测系统', category: 'testing', unit: 'hour', yuan: [600, 2000], brands: ['YXLON FF35 CT', 'Zeiss METROTOM 1500'] },
  { name: '电磁兼容测试暗室', category: 'testing', unit: 'hour', yuan: [500, 1500], brands: ['3米法半电波暗室', '10米法半电波暗室'] },
  { name: '高低温湿热试验箱', category: 'testing', unit: 'hour', yuan: [50, 200], brands: ['ESPEC PL-3KPH', '伟思富奇 C340'] },
  { name: '三坐标测量机', category: 'testing', unit: 'hour', yuan: [200, 500], brands: ['Hexagon Global S', 'Zeiss CONTURA'] },
  { name: '超算中心计算资源', category: 'instrument_sharing', unit: 'hour', yuan: [5, 30], brands: ['国产异构计算节点', 'GPU A800 节点'] },
  { name: '中试放大生产线', category: 'r_and_d', unit: 'item', yuan: [5000, 50000], brands: ['生物医药中试平台', '新材料中试线'] },
  { name: '新药临床前研究服务', category: 'r_and_d', unit: 'item', yuan: [10000, 120000], brands: ['药效学评价', '药代动力学研究'] },
  { name: '集成电路流片与封测服务', category: 'r_and_d', unit: 'item', yuan: [20000, 200000], brands: ['28nm MPW', '先进封装验证'] },
  { name: '工业设计服务', category: 'design', unit: 'item', yuan: [3000, 60000], brands: ['产品外观设计', '结构与人机设计'] },
  { name: '芯片版图设计服务', category: 'design', unit: 'item', yuan: [8000, 80000], brands: ['模拟版图', '数字后端'] },
  { name: '专利技术转移服务', category: 'tech_transfer', unit: 'item', yuan: [2000, 30000], brands: ['专利评估', '技术许可撮合'] },
  { name: '科技成果评价服务', category: 'tech_transfer', unit: 'item', yuan: [3000, 20000], brands: ['成果评价', '技术交易经纪'] },
  { name: '研发管理咨询', category: 'consulting', unit: 'item', yuan: [2000, 40000], brands: ['IPD 研发体系', '高新技术企业认定辅导'] },
  { name: '检验检测认证咨询', category: 'consulting', unit: 'item', yuan: [1000, 20000], brands: ['CNAS 认可辅导', 'CE/UL 认证咨询'] },
];
const HOSTS = [
  '大学分析测试中心',
  '研究院公共技术平台',
  '检验检测研究院',
  '科技创新服务中心',
  '产业技术研究院',
  '国家重点实验室',
  '新材料测试中心',
  '生物医药公共服务平台',
];
const FEATURES = [
  '含制样',
  '提供数据分析报告',
  '可自主上机（需培训）',
  '支持加急',
  '具备 CMA/CNAS 资质',
  '可开展方法开发',
  '支持远程送样',
  '工作日 8:30–17:30 开放',
  '节假日预约开放',
  '提供技术咨询',
];
/** Substrings of the vocabularies that search with `q` looks for. */
export const SEARCH_TERMS = ['电子显微镜', '色谱', '质谱', '衍射', '共聚焦', '测试中心', '中试', '设计', '含制样', 'CNAS'];
const ENTERPRISE_WORDS = ['智能', '微电子', '生物', '新材料', '精密', '光电', '医疗器械', '储能', '机器人', '数字', '环保', '芯片'];
const ENTERPRISE_KINDS = { tech_sme: 6, high_tech: 3, startup_team: 1 } as const;
/** Face values of vouchers, in yuan, with weights. */
const FACE_YUAN = { 20000: 3, 50000: 4, 100000: 2, 200000: 1 } as const;

const YUAN = 100;
const RATIO_BP = 5000; // the benchmark world's policies: 50% in every category, no local bonus, no per-redemption cap
const CHUNK_VOUCHERS = 2_000;
/** The share of a province's unclaimed redemptions that go to its busiest instruments (as bookings). */
const BUSY_SHARE = 0.15;
const INSERT_ROWS = 2_000;

export interface VolumeInput {
  year: number;
  name: VolumeName;
  /** The Ed25519 key (PKCS#8 PEM) the service signs audit checkpoints with: the generated ones must verify under it. */
  signingKeyPem: string;
  seed?: number;
}

/** Unique 9-character bodies of credit codes: `kind` and a base-31 counter, so generated codes never repeat. */
function codeBody(kind: string, n: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) {
    s = CREDIT_CODE_CHARSET[n % 31] + s;
    n = Math.floor(n / 31);
  }
  return kind + s;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** An instant on day `day` (0-based) of the year, at `minute` past midnight. */
const instantOf = (year: number, day: number, minute: number) =>
  new Date(Date.UTC(year, 0, 1 + day, 0, minute, Math.floor(minute / 7) % 60)).toISOString();
const dateOf = (year: number, day: number) => instantOf(year, day, 0).slice(0, 10);

class Writer {
  readonly counts: VolumeCounts = {};
  constructor(private readonly conn: Connection) {}

  async insert(table: string, columns: string[], rows: unknown[][], suffix = ''): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_ROWS) {
      await this.conn.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?${suffix}`, [rows.slice(i, i + INSERT_ROWS)]);
    }
    this.counts[table] = (this.counts[table] ?? 0) + rows.length;
  }
}

interface Facility {
  id: string;
  providerId: string;
  providerName: string;
  province: string;
  unit: 'hour' | 'sample' | 'item';
  unitPriceFen: number;
}

interface Voucher {
  id: string;
  enterpriseId: string;
  province: string;
  face: number;
  available: number;
  spent: number;
  day: number;
}

/**
 * Writes a consistent year into the benchmark's database with bulk INSERTs: providers and facilities over all regions,
 * verified enterprises, vouchers (issued from the provinces' budgets), captured redemptions with confirmed usage,
 * approved claims of them, quarterly settlements paid, every ledger transfer the service would have written, and the
 * audit entries chained onto the service's head with the service's hashing and signed checkpoints every 1,000 entries.
 * Vouchers are generated in chunks: memory holds one chunk, the facilities, and one settlement line per payee.
 */
export async function generateVolume(conn: Connection, input: VolumeInput, log: (line: string) => void): Promise<VolumeCounts> {
  const sizes = volumeSizes(input.name);
  const { year } = input;
  const rng = new Rng(input.seed ?? 18);
  const w = new Writer(conn);
  const privateKey = createPrivateKey(input.signingKeyPem);
  const keyId = keyIdOf(createPublicKey(privateKey));
  const now = new Date().toISOString();
  const today = Math.floor((Date.parse(now) - Date.UTC(year, 0, 1)) / 86_400_000); // days of the year so far

  const policies = new Map(
    (
      (await conn.query(`SELECT id, region_code FROM policy WHERE status = 'published' ORDER BY version`)) as unknown as [
        { id: string; region_code: string }[],
      ]
    )[0].map((p) => [p.region_code, p.id]),
  );
  const bureaus = new Map(
    (
      (await conn.query(`SELECT id, region_code FROM app_user WHERE role = 'bureau' ORDER BY username`)) as unknown as [
        { id: string; region_code: string }[],
      ]
    )[0].map((u) => [u.region_code, u.id]),
  );
  for (const p of PROVINCES) {
    if (!policies.has(p) || !bureaus.has(p)) throw new Error(`volume: no policy or bureau user for ${p}; the benchmark world makes them`);
  }

  // Audit entries wait here and are chained in batches, as the sealer chains pending entries.
  let pending: AuditPending[] = [];
  const audit = (
    at: string,
    actor: { id: string | null; role: string },
    action: string,
    entityType: string,
    entityId: string,
    regionCode: string | null,
    organizationId: string | null,
    summary: object,
  ) =>
    pending.push({
      id: '',
      at,
      actorId: actor.id,
      actorRole: actor.role,
      action,
      entityType,
      entityId,
      regionCode,
      organizationId,
      summary: JSON.stringify(summary),
    });
  const sealPending = async () => {
    await sealAuditBatch(conn, pending, { privateKey, keyId }, (table, columns, rows) => w.insert(table, columns, rows));
    pending = [];
  };
  const system = { id: null, role: 'system' };

  // ---- Providers and facilities over every region. ----
  const orgColumns = [
    'id',
    'name',
    'credit_code',
    'type',
    'kind',
    'region_code',
    'province_code',
    'status',
    'related_credit_codes',
    'certificate_no',
    'verified_at',
    'verified_by',
    'notice_ends_at',
    'bank_name',
    'bank_account',
    'created_at',
    'updated_at',
  ];
  // Every organization has the account it is paid into on file: a payee without one is left out of a batch, and a paid
  // line carries the account it was paid into. 18 digits, distinct per organization.
  const BANK_NAME = '中国工商银行模拟支行';
  const bankAccountOf = (role: 'provider' | 'enterprise', i: number) => `6222${role === 'provider' ? 1 : 2}${String(i).padStart(13, '0')}`;
  const facilitiesByProvince = new Map<string, Facility[]>(PROVINCES.map((p) => [p, []]));
  const facilitiesByProvider = new Map<string, Facility[]>();
  const providerCount = Math.max(4, Math.round(sizes.facilities / 10));
  const providers: { id: string; name: string; province: string; region: string; bankAccount: string }[] = [];
  for (let i = 0; i < providerCount; i++) {
    const province = rng.weighted(PROVINCE_WEIGHTS);
    const region = rng.pick(PLACES[province])!;
    const cityName = REGIONS.find((r) => r.code === region)!.name.replace(/[市省]$/, '');
    providers.push({
      id: newId(),
      name: `${cityName}${rng.pick(ENTERPRISE_WORDS)}${rng.pick(HOSTS)}${i}`,
      province,
      region,
      bankAccount: bankAccountOf('provider', i),
    });
  }
  // Each organization has the admin user its registration made (so that whatever tells an organization something
  // has someone to tell). Nobody logs in as them: one hash of a password nobody keeps serves them all.
  const userColumns = ['id', 'username', 'password_hash', 'role', 'organization_id', 'region_code', 'admin', 'created_at', 'activated_at'];
  const passwordHash = await new Credentials().hash(randomBytes(18).toString('base64'));
  let userRows: unknown[][] = [];
  const adminOf = (role: 'provider' | 'enterprise', i: number, organizationId: string, at: string) => {
    const id = newId();
    const username = `volume-${role}-${i}`;
    audit(at, system, 'user.created', 'user', id, null, organizationId, { username, role, admin: true });
    return [id, username, passwordHash, role, organizationId, null, true, at, at];
  };
  const providerRows: unknown[][] = [];
  for (const [i, p] of providers.entries()) {
    const at = instantOf(year - 1, rng.int(0, 360), rng.int(0, 1439));
    providerRows.push([
      p.id,
      p.name,
      makeCreditCode(p.region, codeBody('P', i), '12'),
      'provider',
      null,
      p.region,
      p.province,
      'active',
      '[]',
      null,
      null,
      null,
      at,
      BANK_NAME,
      bankAccountOf('provider', i),
      at,
      at,
    ]);
    userRows.push(adminOf('provider', i, p.id, at));
    audit(at, { id: bureaus.get(p.province)!, role: 'bureau' }, 'provider.admitted', 'organization', p.id, p.region, p.id, {
      noticeDays: 0,
    });
  }
  await w.insert('organization', orgColumns, providerRows);
  await w.insert('app_user', userColumns, userRows);
  userRows = [];
  const facilityColumns = [
    'id',
    'provider_id',
    'name',
    'category',
    'unit',
    'unit_price_fen',
    'description',
    'province_code',
    'region_code',
    'status',
    'rating_count',
    'rating_sum',
    'created_at',
    'updated_at',
  ];
  let facilityRows: unknown[][] = [];
  // The search index the service keeps beside every facility it writes (facility-grams.ts).
  let gramRows: unknown[][] = [];
  for (let i = 0; i < sizes.facilities; i++) {
    const p = providers[i % providers.length];
    const kind = rng.pick(INSTRUMENTS)!;
    const brand = rng.pick(kind.brands)!;
    const priceFen = rng.int(kind.yuan[0], kind.yuan[1]) * YUAN;
    const at = instantOf(year - 1, rng.int(0, 360), rng.int(0, 1439));
    const f: Facility = {
      id: newId(),
      providerId: p.id,
      providerName: p.name,
      province: p.province,
      unit: kind.unit,
      unitPriceFen: priceFen,
    };
    facilitiesByProvince.get(p.province)!.push(f);
    facilitiesByProvider.set(p.id, [...(facilitiesByProvider.get(p.id) ?? []), f]);
    const features = [rng.pick(FEATURES), rng.pick(FEATURES)].filter((x, k, all) => all.indexOf(x) === k).join('，');
    const [name, description] = [`${kind.name}（${brand}）`, `${p.name}${kind.name}，型号 ${brand}；${features}。`];
    for (const gram of gramsOf(name, description)) gramRows.push([gram, kind.category, p.province, f.id]);
    facilityRows.push([f.id, p.id, name, kind.category, kind.unit, priceFen, description, p.province, p.region, 'active', 0, 0, at, at]);
    audit(at, { id: null, role: 'provider' }, 'facility.created', 'facility', f.id, p.region, p.id, {
      name: `${kind.name}（${brand}）`,
      unitPriceFen: priceFen,
    });
    if (facilityRows.length === 10_000) {
      await w.insert('facility', facilityColumns, facilityRows);
      await w.insert('facility_gram', ['gram', 'category', 'province_code', 'facility_id'], gramRows);
      [facilityRows, gramRows] = [[], []];
    }
  }
  await w.insert('facility', facilityColumns, facilityRows);
  await w.insert('facility_gram', ['gram', 'category', 'province_code', 'facility_id'], gramRows);
  // The busiest instruments: the first hourly 1% of each province's, with a calendar (08:00–20:00 Shanghai, every
  // day) and a share of the province's redemptions booked on them as completed bookings.
  const busy = new Set<string>();
  for (const list of facilitiesByProvince.values()) {
    const hourly = list.filter((f) => f.unit === 'hour');
    for (const f of hourly.slice(0, Math.max(1, Math.round(hourly.length / 100)))) busy.add(f.id);
  }
  const busyByProvince = new Map(PROVINCES.map((p) => [p, facilitiesByProvince.get(p)!.filter((f) => busy.has(f.id))]));
  const openingHours = JSON.stringify([1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '08:00', to: '20:00' })));
  await w.insert(
    'facility_calendar',
    [
      'facility_id',
      'opening_hours',
      'closures',
      'min_notice_hours',
      'max_advance_days',
      'free_cancellation_hours',
      'late_cancellation_fee_bp',
      'requires_qualification',
      'updated_at',
    ],
    [...busy].map((id) => [id, openingHours, '[]', 0, 90, 24, 5000, false, now]),
  );
  await sealPending();
  log(`${providers.length} providers, ${sizes.facilities} facilities, ${busy.size} of them busy with bookings`);

  // ---- Verified enterprises. ----
  const enterprises: { id: string; province: string; region: string }[] = [];
  let enterpriseRows: unknown[][] = [];
  for (let i = 0; i < sizes.enterprises; i++) {
    const province = rng.weighted(PROVINCE_WEIGHTS);
    const region = rng.pick(PLACES[province])!;
    const id = newId();
    const code = makeCreditCode(region, codeBody('E', i), '91');
    const cityName = REGIONS.find((r) => r.code === region)!.name.replace(/[市省]$/, '');
    const at = instantOf(year - 1, rng.int(0, 360), rng.int(0, 1439));
    const name = `${cityName}${rng.pick(ENTERPRISE_WORDS)}${rng.pick(ENTERPRISE_WORDS)}科技有限公司${i}`;
    enterpriseRows.push([
      id,
      name,
      code,
      'enterprise',
      rng.weighted(ENTERPRISE_KINDS),
      region,
      province,
      'active',
      '[]',
      `KJZXQY-${code}`,
      at,
      bureaus.get(province)!,
      null,
      BANK_NAME,
      bankAccountOf('enterprise', i),
      at,
      at,
    ]);
    enterprises.push({ id, province, region });
    audit(at, system, 'organization.registered', 'organization', id, region, id, { role: 'enterprise', name });
    userRows.push(adminOf('enterprise', i, id, at));
    if (enterpriseRows.length === 10_000) {
      await w.insert('organization', orgColumns, enterpriseRows);
      await w.insert('app_user', userColumns, userRows);
      [enterpriseRows, userRows] = [[], []];
      await sealPending();
    }
  }
  await w.insert('organization', orgColumns, enterpriseRows);
  await w.insert('app_user', userColumns, userRows);
  await sealPending();
  log(`${sizes.enterprises} enterprises`);

  // ---- Serial numbers: reserved from the counters, as the service's blocks are. ----
  const serialNext = new Map<string, number>();
  for (const p of PROVINCES) {
    const prefix = SERIAL_PREFIX[p];
    await conn.query(
      'INSERT INTO serial_counter (prefix, year, last_value) VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE last_value = last_value',
      [prefix, year],
    );
    await conn.beginTransaction();
    const [[c]] = (await conn.query('SELECT last_value FROM serial_counter WHERE prefix = ? AND year = ? FOR UPDATE', [
      prefix,
      year,
    ])) as unknown as [{ last_value: number }[]];
    await conn.query('UPDATE serial_counter SET last_value = last_value + ? WHERE prefix = ? AND year = ?', [sizes.vouchers, prefix, year]);
    await conn.commit();
    serialNext.set(p, Number(c.last_value) + 1);
  }

  // ---- Vouchers, redemptions, claims, chunk by chunk. ----
  const quarterOf = (day: number) => Math.min(3, Math.floor(new Date(Date.UTC(year, 0, 1 + day)).getUTCMonth() / 3));
  // Claims decided in a quarter that has ended are settled in that quarter's batch and paid 20 days after it.
  const quarterEnd = (q: number) => Math.round((Date.UTC(year, 3 * (q + 1), 1) - Date.UTC(year, 0, 1)) / 86_400_000);
  const settlements = new Map<string, { id: string; province: string; quarter: number; lines: Map<string, number>; total: number }>();
  const settlementOf = (province: string, decidedDay: number) => {
    const q = quarterOf(decidedDay);
    if (quarterEnd(q) + 20 > today) return undefined;
    const key = `${province}:${q}`;
    let s = settlements.get(key);
    if (!s) settlements.set(key, (s = { id: newId(), province, quarter: q, lines: new Map(), total: 0 }));
    return s;
  };
  const grants = new Map<string, number>();
  const committed = new Map<string, number>(PROVINCES.map((p) => [p, 0]));
  const payeeOf = new Map(providers.map((p) => [p.id, p]));

  const redemptionColumns = [
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
    'per_redemption_cap_fen',
    'captured_quantity',
    'captured_fee_fen',
    'captured_subsidy_fen',
    'approved_fen',
    'status',
    'policy_id',
    'expires_at',
    'claim_id',
    'captured_at',
    'closed_at',
    'created_at',
    'updated_at',
    'usage_status',
    'usage_due_at',
    'usage_decided_at',
  ];
  const claimColumns = [
    'id',
    'claimant_id',
    'issuing_region_code',
    'claimed_fen',
    'approved_fen',
    'status',
    'evidence',
    'redemption_ids',
    'settlement_id',
    'reviewed_by',
    'invoice_key',
    'created_at',
    'decided_at',
  ];
  const transferColumns = ['id', 'debit_account', 'credit_account', 'amount_fen', 'kind', 'ref_type', 'ref_id', 'created_at'];
  const voucherColumns = [
    'id',
    'serial',
    'verification_code',
    'issuing_region_code',
    'budget_year',
    'enterprise_id',
    'application_id',
    'policy_id',
    'cap_subject',
    'face_value_fen',
    'available_fen',
    'held_fen',
    'spent_fen',
    'released_fen',
    'status',
    'valid_from',
    'valid_until',
    'created_at',
    'updated_at',
  ];
  const applicationColumns = [
    'id',
    'enterprise_id',
    'issuing_region_code',
    'policy_id',
    'year',
    'amount_fen',
    'approved_fen',
    'purpose',
    'status',
    'voucher_id',
    'created_at',
    'decided_at',
  ];

  const bookingColumns = [
    'id',
    'facility_id',
    'provider_id',
    'enterprise_id',
    'voucher_id',
    'redemption_id',
    'issuing_region_code',
    'start_at',
    'end_at',
    'hours',
    'status',
    'fee_fen',
    'free_cancellation_hours',
    'late_cancellation_fee_bp',
    'expires_at',
    'late_fee_fen',
    'actual_hours',
    'closed_by',
    'closed_at',
    'created_at',
    'updated_at',
  ];
  /** Booked hours of the busy facilities, as `facility|ms`: a slot is booked once, as the (facility, hour) key demands. */
  const taken = new Set<string>();
  /** `hours` free consecutive opening hours on one of the few days after `day`, or nothing when the tries all collide. */
  const freeSlot = (facilityId: string, day: number, hours: number): { startMs: number; day: number } | undefined => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const d = day + 1 + rng.int(0, 3);
      // 08:00 Shanghai is 00:00 UTC: the slot starts at a whole hour between 08:00 and 20:00 − hours.
      const startMs = Date.UTC(year, 0, 1 + d, rng.int(0, 12 - hours));
      const hourKeys = Array.from({ length: hours }, (_, k) => `${facilityId}|${startMs + k * 3_600_000}`);
      if (hourKeys.some((k) => taken.has(k))) continue;
      for (const k of hourKeys) taken.add(k);
      return { startMs, day: d };
    }
    return undefined;
  };

  let redemptionsLeft = sizes.redemptions;
  let claimsLeft = sizes.claims;
  let claimNo = 0;
  for (let first = 0; first < sizes.vouchers; first += CHUNK_VOUCHERS) {
    const n = Math.min(CHUNK_VOUCHERS, sizes.vouchers - first);
    const share = n / (sizes.vouchers - first);
    const chunkRedemptions = Math.round(redemptionsLeft * share);
    const chunkClaims = Math.round(claimsLeft * share);
    redemptionsLeft -= chunkRedemptions;
    claimsLeft -= chunkClaims;

    const vouchers: Voucher[] = [];
    const byProvince = new Map<string, Voucher[]>(PROVINCES.map((p) => [p, []]));
    const applications: unknown[][] = [];
    const transfers: unknown[][] = [];
    for (let i = 0; i < n; i++) {
      const e = enterprises[rng.int(0, enterprises.length - 1)];
      const face = Number(rng.weighted(FACE_YUAN)) * YUAN;
      // Issued in the first three quarters, so that a year's use follows.
      const v: Voucher = {
        id: newId(),
        enterpriseId: e.id,
        province: e.province,
        face,
        available: face,
        spent: 0,
        day: rng.int(0, Math.max(1, today - 60)),
      };
      vouchers.push(v);
      byProvince.get(v.province)!.push(v);
      const at = instantOf(year, v.day, rng.int(480, 1000));
      const applicationId = newId();
      applications.push([
        applicationId,
        e.id,
        v.province,
        policies.get(v.province),
        year,
        face,
        face,
        '研发测试服务费用补贴',
        'approved',
        v.id,
        at,
        at,
      ]);
      (v as Voucher & { applicationId: string; at: string }).applicationId = applicationId;
      (v as Voucher & { at: string }).at = at;
      transfers.push([
        newId(),
        account.budget(v.province, year),
        account.voucherAvailable(v.id),
        face,
        'voucher.issue',
        'voucher',
        v.id,
        at,
      ]);
      audit(at, { id: null, role: 'enterprise' }, 'application.submitted', 'voucher_application', applicationId, v.province, e.id, {
        amountFen: face,
      });
      audit(at, system, 'application.approved', 'voucher_application', applicationId, v.province, e.id, { approvedFen: face, auto: true });
      audit(at, system, 'voucher.issued', 'voucher', v.id, v.province, e.id, { faceValueFen: face });
      grants.set(`${v.province}|ent:${e.id}`, (grants.get(`${v.province}|ent:${e.id}`) ?? 0) + face);
      committed.set(v.province, committed.get(v.province)! + face);
    }

    const redemptions: unknown[][] = [];
    const claims: unknown[][] = [];
    const bookings: unknown[][] = [];
    const bookingHours: unknown[][] = [];
    /** One captured redemption of voucher `v` at facility `f`; returns its id and subsidy, or nothing when the voucher is used up. */
    const redeem = (v: Voucher, f: Facility, claimId?: string) => {
      if (v.available === 0) return undefined;
      let quantity = f.unit === 'item' ? 1 : rng.int(1, 8);
      let fee = f.unitPriceFen * quantity;
      while (quantity > 1 && Math.floor((fee * RATIO_BP) / 10_000) > v.available) fee = f.unitPriceFen * --quantity;
      const subsidy = Math.min(Math.floor((fee * RATIO_BP) / 10_000), v.available);
      if (subsidy === 0) return undefined;
      v.available -= subsidy;
      v.spent += subsidy;
      const day = rng.int(v.day, Math.max(v.day, today - 35));
      const held = instantOf(year, day, rng.int(480, 1080));
      let capturedDay = Math.min(day + rng.int(0, 5), today - 30);
      let captured = instantOf(year, capturedDay, rng.int(480, 1080));
      const id = newId();
      // On a busy instrument the hold was a booking: completed, its hours kept, captured half an hour after its end.
      const slot = busy.has(f.id) ? freeSlot(f.id, day, quantity) : undefined;
      if (slot) {
        const bookingId = newId();
        const start = new Date(slot.startMs).toISOString();
        const endMs = slot.startMs + quantity * 3_600_000;
        capturedDay = slot.day;
        captured = new Date(endMs + 1_800_000).toISOString();
        const expires = instantOf(year, day + 30, 0);
        bookings.push([
          bookingId,
          f.id,
          f.providerId,
          v.enterpriseId,
          v.id,
          id,
          v.province,
          start,
          new Date(endMs).toISOString(),
          quantity,
          'completed',
          fee,
          24,
          5000,
          expires,
          null,
          quantity,
          'provider',
          captured,
          held,
          captured,
        ]);
        for (let k = 0; k < quantity; k++) bookingHours.push([f.id, new Date(slot.startMs + k * 3_600_000).toISOString(), bookingId]);
        const entry = { facilityId: f.id, redemptionId: id, start, end: new Date(endMs).toISOString(), hours: quantity, feeFen: fee };
        audit(held, { id: null, role: 'enterprise' }, 'booking.booked', 'booking', bookingId, v.province, v.enterpriseId, entry);
        audit(captured, { id: null, role: 'provider' }, 'booking.used', 'booking', bookingId, v.province, v.enterpriseId, {
          actualHours: quantity,
          hours: quantity,
          lateFeeFen: null,
        });
      }
      const provider = payeeOf.get(f.providerId)!;
      redemptions.push([
        id,
        v.id,
        f.id,
        f.providerId,
        v.enterpriseId,
        f.providerId,
        v.province,
        year,
        f.province,
        f.province !== v.province,
        'provider_redeemed',
        quantity,
        f.unitPriceFen,
        fee,
        RATIO_BP,
        subsidy,
        fee - subsidy,
        null,
        quantity,
        fee,
        subsidy,
        claimId ? subsidy : null,
        'captured',
        policies.get(v.province),
        instantOf(year, day + 30, 0),
        claimId ?? null,
        captured,
        captured,
        held,
        captured,
        'confirmed',
        instantOf(year, day + 12, 0),
        instantOf(year, day + 7, 600),
      ]);
      transfers.push([
        newId(),
        account.voucherAvailable(v.id),
        account.voucherHeld(v.id),
        subsidy,
        'redemption.hold',
        'redemption',
        id,
        held,
      ]);
      transfers.push([
        newId(),
        account.voucherHeld(v.id),
        account.voucherSpent(v.id),
        subsidy,
        'redemption.capture',
        'redemption',
        id,
        captured,
      ]);
      audit(held, { id: null, role: 'enterprise' }, 'redemption.held', 'redemption', id, v.province, v.enterpriseId, {
        facilityId: f.id,
        quantity,
        feeFen: fee,
        subsidyFen: subsidy,
      });
      audit(captured, { id: null, role: 'provider' }, 'redemption.captured', 'redemption', id, v.province, provider.id, {
        capturedQuantity: quantity,
        capturedSubsidyFen: subsidy,
      });
      return { id, subsidy, capturedDay };
    };
    const providerFacility = (province: string) => {
      const busyHere = busyByProvince.get(province)!;
      if (busyHere.length > 0 && rng.chance(BUSY_SHARE)) return busyHere[rng.int(0, busyHere.length - 1)];
      const list = facilitiesByProvince.get(province)!;
      return list[rng.int(0, list.length - 1)];
    };
    const otherProvince = (home: string) => (rng.chance(HOME_SHARE) ? home : rng.pick(PROVINCES.filter((p) => p !== home))!);

    // Claims: each a provider's claim on the captured redemptions of one issuing province, approved in full.
    let made = 0;
    for (let c = 0; c < chunkClaims; c++) {
      const issuing = rng.weighted(PROVINCE_WEIGHTS);
      const pool = byProvince.get(issuing)!;
      if (pool.length === 0) continue;
      const anchor = providerFacility(otherProvince(issuing));
      const sameProvider = facilitiesByProvider.get(anchor.providerId)!;
      const claimId = newId();
      const size = Math.min(rng.int(5, 11), chunkRedemptions - made);
      const ids: string[] = [];
      let fen = 0;
      let lastCaptured = 0;
      for (let k = 0; k < size; k++) {
        const r = redeem(pool[rng.int(0, pool.length - 1)], rng.pick(sameProvider)!, claimId);
        if (!r) continue;
        ids.push(r.id);
        fen += r.subsidy;
        lastCaptured = Math.max(lastCaptured, r.capturedDay);
      }
      made += ids.length;
      if (ids.length === 0) continue;
      const decidedDay = Math.min(today - 1, lastCaptured + rng.int(8, 40));
      const submitted = instantOf(year, Math.max(lastCaptured + 7, decidedDay - rng.int(1, 10)), 600);
      const decided = instantOf(year, decidedDay, 900);
      const s = settlementOf(issuing, decidedDay);
      if (s) {
        s.lines.set(anchor.providerId, (s.lines.get(anchor.providerId) ?? 0) + fen);
        s.total += fen;
      }
      claimNo++;
      claims.push([
        claimId,
        anchor.providerId,
        issuing,
        fen,
        fen,
        'approved',
        JSON.stringify({ contractNo: `HT-${year}-${claimNo}`, invoiceNo: `${44000000 + claimNo}` }),
        JSON.stringify(ids),
        s?.id ?? null,
        bureaus.get(issuing),
        `inv:${44000000 + claimNo}`,
        submitted,
        decided,
      ]);
      transfers.push([
        newId(),
        account.payments(issuing),
        account.payable(issuing, anchor.providerId),
        fen,
        'claim.approval',
        'claim',
        claimId,
        decided,
      ]);
      audit(submitted, { id: null, role: 'provider' }, 'claim.submitted', 'claim', claimId, issuing, anchor.providerId, {
        claimedFen: fen,
        redemptions: ids.length,
      });
      audit(decided, { id: bureaus.get(issuing)!, role: 'bureau' }, 'claim.approved', 'claim', claimId, issuing, anchor.providerId, {
        approvedFen: fen,
      });
    }
    // The rest: captured, not yet claimed.
    for (let guard = 0; made < chunkRedemptions && guard < chunkRedemptions * 4; guard++) {
      const v = vouchers[rng.int(0, vouchers.length - 1)];
      if (redeem(v, providerFacility(otherProvince(v.province)))) made++;
    }
    if (made < chunkRedemptions) redemptionsLeft += chunkRedemptions - made;

    await w.insert('voucher_application', applicationColumns, applications);
    const voucherRows = vouchers.map((v) => {
      const x = v as Voucher & { applicationId: string; at: string };
      const serial = `${SERIAL_PREFIX[v.province]}-${year}-${pad(serialNext.get(v.province)!, 6)}`;
      serialNext.set(v.province, serialNext.get(v.province)! + 1);
      return [
        v.id,
        serial,
        rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 22),
        v.province,
        year,
        v.enterpriseId,
        x.applicationId,
        policies.get(v.province),
        `ent:${v.enterpriseId}`,
        v.face,
        v.available,
        0,
        v.spent,
        0,
        'active',
        dateOf(year, v.day),
        dateOf(year + 1, v.day),
        x.at,
        x.at,
      ];
    });
    await w.insert('voucher', voucherColumns, voucherRows);
    await w.insert('claim', claimColumns, claims);
    await w.insert('redemption', redemptionColumns, redemptions);
    await w.insert('ledger_transfer', transferColumns, transfers);
    await w.insert('booking', bookingColumns, bookings);
    await w.insert('booking_hour', ['facility_id', 'hour_start', 'booking_id'], bookingHours);
    await sealPending();
    if ((first / CHUNK_VOUCHERS) % 10 === 0)
      log(`vouchers ${first + n}/${sizes.vouchers}, redemptions ${w.counts.redemption ?? 0}, claims ${w.counts.claim ?? 0}`);
  }

  // ---- The provinces' budgets commit what their vouchers were issued with; annual grants count it. ----
  for (const [province, fen] of committed) {
    const [res] = (await conn.query(
      'UPDATE budget SET available_fen = available_fen - ?, committed_fen = committed_fen + ? WHERE region_code = ? AND year = ? AND available_fen >= ?',
      [fen, fen, province, year, fen],
    )) as unknown as [{ affectedRows: number }];
    if (res.affectedRows !== 1) throw new Error(`volume: the ${year} budget of ${province} cannot commit ${fen} fen`);
  }
  const grantRows = [...grants].map(([key, fen]) => {
    const [region, subject] = key.split('|');
    return [region, year, subject, fen];
  });
  await w.insert(
    'annual_grant',
    ['region_code', 'year', 'subject', 'granted_fen'],
    grantRows,
    ' ON DUPLICATE KEY UPDATE granted_fen = granted_fen + VALUES(granted_fen)',
  );

  // ---- Quarterly settlements, paid: one line per payee, and the payables paid out. ----
  const settlementRows: unknown[][] = [];
  const lineRows: unknown[][] = [];
  const payouts: unknown[][] = [];
  for (const s of settlements.values()) {
    const end = quarterEnd(s.quarter);
    const created = instantOf(year, end + 5, 600);
    const paid = instantOf(year, end + 20, 600);
    settlementRows.push([
      s.id,
      s.province,
      `${year}-Q${s.quarter + 1}`,
      dateOf(year, end - 1),
      'paid',
      s.total,
      `PAY-${year}Q${s.quarter + 1}-${s.province}`,
      paymentRefKey(`PAY-${year}Q${s.quarter + 1}-${s.province}`),
      bureaus.get(s.province),
      created,
      paid,
    ]);
    for (const [payeeId, fen] of s.lines) {
      const payee = payeeOf.get(payeeId)!;
      lineRows.push([newId(), s.id, payeeId, payee.name, payee.province, s.province, fen, BANK_NAME, payee.bankAccount, paid]);
      payouts.push([
        newId(),
        account.payable(s.province, payeeId),
        account.paid(s.province, payeeId),
        fen,
        'settlement.payment',
        'settlement',
        s.id,
        paid,
      ]);
    }
    audit(created, { id: bureaus.get(s.province)!, role: 'bureau' }, 'settlement.created', 'settlement', s.id, s.province, null, {
      totalFen: s.total,
      lines: s.lines.size,
    });
    audit(paid, { id: bureaus.get(s.province)!, role: 'bureau' }, 'settlement.paid', 'settlement', s.id, s.province, null, {
      paymentRef: `PAY-${year}Q${s.quarter + 1}-${s.province}`,
    });
  }
  await w.insert(
    'settlement',
    [
      'id',
      'region_code',
      'period_label',
      'period_end',
      'status',
      'total_fen',
      'payment_ref',
      'payment_ref_key',
      'created_by',
      'created_at',
      'paid_at',
    ],
    settlementRows,
  );
  await w.insert(
    'settlement_line',
    [
      'id',
      'settlement_id',
      'payee_id',
      'payee_name',
      'payee_province_code',
      'issuing_province_code',
      'amount_fen',
      'payee_bank_name',
      'payee_bank_account',
      'paid_at',
    ],
    lineRows,
  );
  await w.insert('ledger_transfer', transferColumns, payouts);
  // The statistics' paid summary, as the payments would have kept it (the same rule as the migration's backfill).
  await backfillPaidSummary(
    async (q, p) => ((await conn.query(q, p)) as unknown as [Record<string, unknown>[]])[0],
    'mysql',
    settlementRows.map((r) => r[0] as string),
  );
  await rebuildNetFlows(async (q, p) => ((await conn.query(q, p)) as unknown as [Record<string, unknown>[]])[0]);
  // The annual report's facility usage, as the captures would have kept it (the migration's rebuild; no disputes here).
  await rebuildFacilityUsage(async (q, p) => ((await conn.query(q, p)) as unknown as [Record<string, unknown>[]])[0]);
  await sealPending();
  log(`settlements ${settlementRows.length} with ${lineRows.length} lines`);
  return w.counts;
}
