import type { ServiceCategory } from '../policies/policy.types';

/**
 * A small, realistic world for demos and first starts: each province's policy follows DOMAIN.md's
 * reference figures (Shanghai 50%, ¥500,000 a year, ¥100,000 for startup teams, quarterly payouts;
 * in Anhui the cities issue), budgets in the tens of millions of yuan, and shared-instrument labs.
 */
const YUAN = 100;

const basePolicy = {
  acceptedProvinceCodes: ['310000', '320000', '330000', '340000'],
  localBonusBp: 0,
  enterpriseAnnualCapFen: 500_000 * YUAN,
  teamAnnualCapFen: 100_000 * YUAN,
  maxVoucherFen: 500_000 * YUAN,
  perRedemptionCapFen: 200_000 * YUAN,
  capByController: true,
  voucherValidityDays: 365,
  holdExpiryDays: 30,
  autoApproveMaxFen: 50_000 * YUAN,
  redemptionModes: ['provider_redeemed', 'enterprise_reimbursed'],
  settlementCycle: 'quarterly',
  relatedPartyBan: true,
};

const ratios = (
  bp: number,
  categories: ServiceCategory[] = ['testing', 'r_and_d', 'design', 'tech_transfer', 'consulting', 'instrument_sharing'],
) => categories.map((category) => ({ category, ratioBp: bp }));

export const DEMO_POLICIES = [
  { ...basePolicy, regionCode: '310000', categories: ratios(5000) },
  { ...basePolicy, regionCode: '320000', categories: ratios(5000), localBonusBp: 500 },
  { ...basePolicy, regionCode: '330000', categories: ratios(5000), settlementCycle: 'monthly' },
  // Anhui: the province subsidises (a fallback for cities without a scheme); Hefei and Wuhu issue their own.
  { ...basePolicy, regionCode: '340000', categories: ratios(4000), maxVoucherFen: 300_000 * YUAN },
  // Hefei's one-off cap of ¥600,000 (the top of Anhui's range) fits its year: a voucher above the annual cap could never be granted.
  {
    ...basePolicy,
    regionCode: '340100',
    categories: ratios(5000),
    localBonusBp: 1000,
    maxVoucherFen: 600_000 * YUAN,
    enterpriseAnnualCapFen: 600_000 * YUAN,
  },
  { ...basePolicy, regionCode: '340200', categories: ratios(5000), maxVoucherFen: 300_000 * YUAN, redemptionModes: ['provider_redeemed'] },
];

export const DEMO_BUDGETS: [string, number][] = [
  ['310000', 50_000_000 * YUAN],
  ['320000', 40_000_000 * YUAN],
  ['330000', 40_000_000 * YUAN],
  ['340000', 10_000_000 * YUAN],
  ['340100', 20_000_000 * YUAN],
  ['340200', 5_000_000 * YUAN],
];

export interface DemoCalendar {
  openingHours: { weekday: number; from: string; to: string }[];
  minNoticeHours: number;
  maxAdvanceDays: number;
  freeCancellationHours: number;
  lateCancellationFeeBp: number;
  requiresQualification: boolean;
}

const everyDay = (from: string, to: string) => [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from, to }));
const weekdays = (from: string, to: string) => [1, 2, 3, 4, 5].map((weekday) => ({ weekday, from, to }));
const terms = { minNoticeHours: 24, maxAdvanceDays: 60, freeCancellationHours: 24, lateCancellationFeeBp: 5000 };

/** The demo bookings: the Suzhou SME's instrument sessions in Shanghai, `days` after today at `hour` (Shanghai), for `hours`. */
export const DEMO_BOOKING_ENTERPRISE = { username: 'suzhou-qichen', voucherFen: 2_000_000, purpose: '电镜表征抗体纳米颗粒' };
export const DEMO_BOOKINGS = [
  { facility: '透射电子显微镜 (TEM) JEM-F200 机时', days: 3, hour: 10, hours: 2 },
  { facility: '透射电子显微镜 (TEM) JEM-F200 机时', days: 7, hour: 14, hours: 3 },
  { facility: '扫描电子显微镜 (SEM) 机时', days: 4, hour: 9, hours: 1 },
];

interface DemoOrg {
  username: string;
  name: string;
  region: string;
  body: string;
  kind?: 'tech_sme' | 'high_tech' | 'startup_team';
  /** The account it is paid into (a lab in 通兑 mode, an enterprise reimbursed in 通用 mode): a payee without one is left out of a batch. */
  bank: { bankName: string; bankAccount: string };
  facilities?: {
    name: string;
    category: ServiceCategory;
    unit: 'hour' | 'sample' | 'item';
    unitPriceFen: number;
    description: string;
    contact?: string;
    /** Hourly instruments booked on the lab's calendar (Asia/Shanghai). */
    calendar?: DemoCalendar;
  }[];
}

export const DEMO_ENTERPRISES: DemoOrg[] = [
  {
    username: 'hefei-micronano',
    name: '合肥微纳新材料科技有限公司',
    region: '340104',
    body: 'MA2T8XQ21',
    kind: 'tech_sme',
    bank: { bankName: '中国工商银行合肥科技支行', bankAccount: '1302010809200054321' },
  },
  {
    username: 'suzhou-qichen',
    name: '苏州启辰生物医药有限公司',
    region: '320506',
    body: 'MA1W3KD70',
    kind: 'high_tech',
    bank: { bankName: '中国银行苏州工业园区支行', bankAccount: '5423186000001127' },
  },
  {
    username: 'jiaxing-qinghe',
    name: '嘉兴青禾智能科技创业团队',
    region: '330402',
    body: 'MA2B7N4P3',
    kind: 'startup_team',
    bank: { bankName: '浙江嘉兴农村商业银行科创支行', bankAccount: '2010003355667788' },
  },
  {
    username: 'shanghai-xinyue',
    name: '上海芯跃集成电路设计有限公司',
    region: '310115',
    body: 'MA1H9R2L6',
    kind: 'high_tech',
    bank: { bankName: '招商银行上海张江支行', bankAccount: '1219085321100017' },
  },
];

export const DEMO_PROVIDERS: DemoOrg[] = [
  {
    username: 'sh-microscopy',
    bank: { bankName: '招商银行上海张江支行', bankAccount: '1219085321100288' },
    name: '上海微观表征公共服务平台',
    region: '310115',
    body: '42500173X',
    facilities: [
      {
        name: '透射电子显微镜 (TEM) JEM-F200 机时',
        category: 'testing',
        unit: 'hour',
        unitPriceFen: 800 * YUAN,
        description: '场发射透射电镜，原子级分辨率成像与能谱分析',
        contact: '李老师 021-5080 1234 tem@micro-sh.example.cn',
        calendar: { openingHours: everyDay('09:00', '21:00'), ...terms, requiresQualification: false },
      },
      {
        name: '扫描电子显微镜 (SEM) 机时',
        category: 'testing',
        unit: 'hour',
        unitPriceFen: 400 * YUAN,
        description: '形貌观察与元素面分布',
        calendar: { openingHours: everyDay('08:00', '20:00'), ...terms, freeCancellationHours: 12, requiresQualification: false },
      },
    ],
  },
  {
    username: 'nj-materials-lab',
    bank: { bankName: '中国建设银行南京新街口支行', bankAccount: '32050159360000004412' },
    name: '南京先进材料检测中心',
    region: '320102',
    body: '46600281K',
    facilities: [
      {
        name: 'X 射线衍射 (XRD) 物相分析',
        category: 'testing',
        unit: 'sample',
        unitPriceFen: 300 * YUAN,
        description: '粉末与薄膜样品物相鉴定',
        contact: '样品接收 025-8368 0000',
      },
    ],
  },
  {
    username: 'hz-design-center',
    bank: { bankName: '杭州银行科技支行', bankAccount: '330104016000123456' },
    name: '杭州工业设计创新中心',
    region: '330106',
    body: '47005912M',
    facilities: [
      { name: '产品结构与外观设计', category: 'design', unit: 'item', unitPriceFen: 20_000 * YUAN, description: '含三维建模与样机评审' },
    ],
  },
  {
    username: 'hf-science-facility',
    bank: { bankName: '中国工商银行合肥科技支行', bankAccount: '1302010809200077889' },
    name: '合肥大科学装置共享服务中心',
    region: '340111',
    body: '48503366N',
    facilities: [
      {
        name: '600MHz 核磁共振波谱仪 (NMR) 机时',
        category: 'r_and_d',
        unit: 'hour',
        unitPriceFen: 600 * YUAN,
        description: '液体核磁，结构解析',
        // Self-operated after training: only users the centre qualified may book it.
        calendar: { openingHours: weekdays('08:00', '18:00'), ...terms, lateCancellationFeeBp: 3000, requiresQualification: true },
      },
      { name: '稳态强磁场实验装置 机时', category: 'r_and_d', unit: 'hour', unitPriceFen: 5_000 * YUAN, description: '极端条件物性测量' },
    ],
  },
];
