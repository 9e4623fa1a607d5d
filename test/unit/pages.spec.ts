import { DomainError } from '../../src/common/errors/domain-error';
import { appConfig } from '../../src/config/configuration';
import type { FacilityView } from '../../src/facilities/facility.dto';
import { parseCatalogueQuery } from '../../src/pages/catalogue-query';
import { formatClosure, formatDate, formatInstant, formatInstantDate, formatPercent } from '../../src/pages/labels';
import { notFoundPage } from '../../src/pages/page-error.filter';
import type { CalendarView } from '../../src/bookings/booking.dto';
import { cataloguePage, facilityPage, noticesPage, verifyPage } from '../../src/pages/page-views';
import type { VerificationView } from '../../src/vouchers/voucher.dto';

const verification = (status: VerificationView['status']): VerificationView => ({
  valid: status === 'active',
  serial: 'AH-2026-000042',
  issuingRegionCode: '340100',
  issuingBureau: '合肥市科学技术局',
  status,
  faceValueFen: 8_000_000,
  validUntil: '2027-07-14',
});

describe('the verification page', () => {
  it('says when a revoked voucher was revoked, in Beijing time, and nothing of the kind for the others', () => {
    const revoked = verifyPage(
      { ...verification('revoked'), revokedAt: '2026-07-13T17:00:00.000Z' },
      '合肥微纳*******公司',
      '2026-07-14T02:00:00.000Z',
    );
    expect(revoked).toMatchObject({
      revokedOn: '2026年7月14日',
      statement: '此券由合肥市科学技术局签发，已于2026年7月14日撤销，不能再使用。',
    });
    expect(verifyPage(verification('expired'), '合肥微纳*******公司', '2026-07-14T02:00:00.000Z').revokedOn).toBeNull();
  });

  it.each([
    ['active', '有效'],
    ['exhausted', '已用完'],
    ['expired', '已过期'],
    ['revoked', '已撤销'],
  ] as const)('says %s in Chinese: %s', (status, label) => {
    expect(verifyPage(verification(status), '合肥微纳*******公司', '2026-07-14T02:00:00.000Z').statusLabel).toBe(label);
  });

  it('shows the amount in yuan and in 大写, the date and the place in Chinese, the time of the check in Beijing time', () => {
    expect(verifyPage(verification('active'), '合肥微纳*******公司', '2026-07-14T16:30:00.000Z')).toMatchObject({
      faceValue: '¥80,000.00',
      faceValueCapital: '捌万元整',
      validUntil: '2027年7月14日',
      region: '安徽省 合肥市',
      bureau: '合肥市科学技术局',
      holder: '合肥微纳*******公司',
      checkedAt: '2026年7月15日 00:30',
    });
  });

  it('says which bureau issued it and whether it may still be used, and calls the check 核验', () => {
    const page = (status: VerificationView['status']) =>
      verifyPage(verification(status), '合肥微纳*******公司', '2026-07-14T02:00:00.000Z');
    expect(page('active')).toMatchObject({ title: '科技创新券核验 AH-2026-000042', statement: '此券由合肥市科学技术局签发，当前有效。' });
    expect(page('revoked').statement).toBe('此券由合肥市科学技术局签发，当前已撤销，不能再使用。');
    expect(page('expired').statement).toBe('此券由合肥市科学技术局签发，当前已过期，不能再使用。');
  });
});

describe('the 404 pages', () => {
  it('names the missing record on a record’s page, and says the page does not exist elsewhere', () => {
    // the reader opened a link (no box to type into): compare it with the certificate, or scan the QR code
    expect(notFoundPage('/verify/AAAA').message).toContain(
      '请核对链接中的核验码是否与证书上印的一致（区分大小写），或直接扫描证书上的二维码',
    );
    expect(notFoundPage('/verify/AAAA').message).not.toContain('输入');
    expect(notFoundPage('/facilities/x').heading).toBe('未找到该服务');
    for (const path of ['/', '/verify', '/verify/', '/notice', '/facilities/']) expect(notFoundPage(path).heading).toBe('页面不存在');
    expect(notFoundPage('/verify').message).toContain('二维码');
  });
});

describe('dates for readers in China', () => {
  it('writes calendar dates as they are and instants in Beijing time', () => {
    expect(formatDate('2027-01-05')).toBe('2027年1月5日');
    expect(formatInstant('2026-12-31T16:00:00.000Z')).toBe('2027年1月1日 00:00');
    expect(formatInstantDate('2026-12-31T15:59:59.999Z')).toBe('2026年12月31日');
    expect(formatInstantDate('2026-12-31T16:00:00.000Z')).toBe('2027年1月1日');
  });
});

describe('closures and fees as a reader in China writes them', () => {
  it.each([
    ['2026-12-14T00:00:00+08:00', '2026-12-17T00:00:00+08:00', '2026年12月14日—16日'],
    ['2026-12-14T00:00:00+08:00', '2026-12-15T00:00:00+08:00', '2026年12月14日'],
    ['2026-11-30T00:00:00+08:00', '2026-12-03T00:00:00+08:00', '2026年11月30日—12月2日'],
    ['2026-12-30T00:00:00+08:00', '2027-01-03T00:00:00+08:00', '2026年12月30日—2027年1月2日'],
    ['2026-12-14T09:00:00+08:00', '2026-12-14T12:00:00+08:00', '2026年12月14日 09:00–12:00'],
    ['2026-12-14T09:00:00+08:00', '2026-12-15T12:00:00+08:00', '2026年12月14日 09:00—15日 12:00'],
  ])('%s to %s: %s', (from, to, shown) => expect(formatClosure(from, to)).toBe(shown));

  it('writes basis points as a percentage', () => {
    expect([5000, 1250, 10000, 1].map(formatPercent)).toEqual(['50%', '12.5%', '100%', '0.01%']);
  });
});

describe('the facility page’s booking conditions', () => {
  const calendar = (overrides: Partial<CalendarView> = {}): CalendarView => ({
    facilityId: 'f1',
    openingHours: [],
    closures: [
      { from: '2026-12-24T00:00:00+08:00', to: '2026-12-26T00:00:00+08:00', reason: '停电检修' },
      { from: '2026-12-14T00:00:00+08:00', to: '2026-12-17T00:00:00+08:00', reason: '设备年度维护保养' },
      { from: '2026-11-01T00:00:00+08:00', to: '2026-11-02T00:00:00+08:00', reason: '已过去' },
    ],
    minNoticeHours: 24,
    maxAdvanceDays: 30,
    freeCancellationHours: 24,
    lateCancellationFeeBp: 2000,
    requiresQualification: true,
    maxLiveHoursPerEnterprise: 40,
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...overrides,
  });
  const facility = {
    id: 'f1',
    name: 'TEM',
    providerName: 'Lab',
    category: 'testing',
    unit: 'hour',
    unitPriceFen: 80_000,
    regionCode: '310000',
    ratingAvg: null,
  };
  const terms = (c: CalendarView) =>
    facilityPage(facility as FacilityView, { calendar: c, free: [] }, '2026-12-03T03:00:00.000Z').schedule!.terms;

  it('says who may operate it, how far ahead to book, what a late cancellation costs, and the closures to come in order', () => {
    expect(terms(calendar())).toEqual({
      qualification: '须经服务机构上机培训认定后方可预约',
      booking:
        '至少提前 24 小时、最多提前 30 天预约，每家企业已预约且尚未结束的机时合计不超过 40 小时（同一实际控制人下的企业合并计算）；开始前 24 小时内取消或未到场，按费用的 20% 收取违约金（由企业自付，不从科技创新券中扣除）',
      closures: ['2026年12月14日—16日 设备年度维护保养', '2026年12月24日—25日 停电检修'],
    });
  });

  it('leaves out what does not apply', () => {
    expect(terms(calendar({ requiresQualification: false, minNoticeHours: 0, lateCancellationFeeBp: 0, closures: [] }))).toEqual({
      qualification: '无需服务机构认定，可直接预约',
      booking:
        '最多提前 30 天预约，每家企业已预约且尚未结束的机时合计不超过 40 小时（同一实际控制人下的企业合并计算）；取消或未到场不收取违约金',
      closures: [],
    });
    expect(terms(calendar({ freeCancellationHours: 0 })).booking).toContain('开始后取消或未到场，按费用的 20% 收取违约金');
  });

  it('tells that an hourly facility without a calendar is ordered without booking, only while it takes orders', () => {
    const page = (f: object, schedule: { calendar: CalendarView; free: [] } | null) =>
      facilityPage({ ...facility, status: 'active', bookable: true, ...f } as FacilityView, schedule, '2026-12-03T03:00:00.000Z');
    expect(page({}, null).withoutCalendar).toBe(true);
    expect(page({}, { calendar: calendar(), free: [] }).withoutCalendar).toBe(false);
    expect(page({ unit: 'sample' }, null).withoutCalendar).toBe(false);
    for (const status of ['retired', 'suspended']) expect(page({ status, bookable: false }, null).withoutCalendar).toBe(false);
  });
});

describe('the notices page', () => {
  it('names the bureau of the provider’s province for objections, and the notice’s first and last days in Beijing', () => {
    const provider = { name: '苏州纳米所测试分析平台', regionCode: '320500' };
    const page = noticesPage(
      {
        inNotice: { items: [{ ...provider, from: '2026-07-12T16:30:00.000Z', at: '2026-07-19T16:30:00.000Z' }], total: 1 },
        admitted: { items: [], total: 0 },
      },
      { page: 1, pageSize: 100 },
      30,
    );
    expect(page.inNotice).toEqual([
      { name: '苏州纳米所测试分析平台', region: '江苏省 苏州市', from: '2026年7月13日', to: '2026年7月20日', bureau: '江苏省科学技术厅' },
    ]);
  });

  it('pages through the providers in notice, and links past the last page to it', () => {
    const lists = (inNotice: number) => ({ inNotice: { items: [], total: inNotice }, admitted: { items: [], total: 0 } });
    expect(noticesPage(lists(250), { page: 2, pageSize: 100 }, 30)).toMatchObject({
      title: '服务机构公示（第 2 页）',
      pages: 3,
      prevHref: '/notices',
      nextHref: '/notices?page=3',
      lastHref: null,
    });
    expect(noticesPage(lists(100), { page: 1, pageSize: 100 }, 30)).toMatchObject({ pages: 1, prevHref: null, nextHref: null });
    expect(noticesPage(lists(150), { page: 5, pageSize: 100 }, 30)).toMatchObject({
      prevHref: null,
      nextHref: null,
      lastHref: '/notices?page=2',
    });
  });
});

describe('the catalogue page', () => {
  const facility = {
    id: 'f1',
    name: 'TEM',
    providerName: 'Lab',
    category: 'testing',
    unit: 'hour',
    unitPriceFen: 80_000,
    regionCode: '310000',
  };
  const result = (total: number) => ({ items: [facility as FacilityView], total });

  it('links to the pages before and after with the same filters', () => {
    const page = cataloguePage({ q: '电镜', provinceCode: '310000', page: 2 }, result(45), 20);
    expect(page.pages).toBe(3);
    expect(page.prevHref).toBe('/facilities?q=%E7%94%B5%E9%95%9C&provinceCode=310000');
    expect(page.nextHref).toBe('/facilities?q=%E7%94%B5%E9%95%9C&provinceCode=310000&page=3');
  });

  it('has no links where there is nothing to go to, and one page when nothing is found', () => {
    expect(cataloguePage({ page: 1 }, result(20), 20)).toMatchObject({ pages: 1, prevHref: null, nextHref: null });
    expect(cataloguePage({ page: 1 }, { items: [], total: 0 }, 20)).toMatchObject({ pages: 1, prevHref: null, nextHref: null });
    // past the last page: no pager saying 第 9 / 3 页, but the last page's address
    expect(cataloguePage({ page: 9 }, result(45), 20)).toMatchObject({ prevHref: null, nextHref: null, lastHref: '/facilities?page=3' });
    expect(cataloguePage({ page: 3 }, result(45), 20).lastHref).toBeNull();
    expect(cataloguePage({ page: 2 }, { items: [], total: 0 }, 20).lastHref).toBeNull();
  });

  it('prices in yuan per unit, with the category in Chinese', () => {
    expect(cataloguePage({ page: 1 }, result(1), 20).items[0]).toMatchObject({
      price: '¥800.00 / 小时',
      category: '检验检测',
      place: '上海市',
    });
  });
});

describe('the catalogue filters', () => {
  it('reads empty fields as any and drops parameters it does not know', () => {
    const query = parseCatalogueQuery({ q: '', provinceCode: ' ', category: 'testing', page: '', from: 'singlemessage' });
    expect({ ...query }).toEqual({ q: undefined, provinceCode: undefined, category: 'testing', page: 1 });
  });

  it.each(['0', '-1', '1.5', 'x', ['2', '3']])('reads page %j as the first page', (page) =>
    expect(parseCatalogueQuery({ page }).page).toBe(1),
  );

  it.each([{ provinceCode: '310100' }, { category: 'astrology' }, { page: '10001' }, { q: ['a', 'b'] }, { q: 'x'.repeat(101) }])(
    'refuses %j',
    (raw) => expect(() => parseCatalogueQuery(raw)).toThrow(DomainError),
  );
});

describe('PUBLIC_BASE_URL', () => {
  const saved = { PORT: process.env.PORT, PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('follows PORT when unset', () => {
    process.env.PORT = '4123';
    delete process.env.PUBLIC_BASE_URL;
    expect(appConfig().publicBaseUrl).toBe('http://localhost:4123');
  });

  it('is taken as given otherwise, without a trailing slash', () => {
    process.env.PUBLIC_BASE_URL = 'https://vouchers.example.gov.cn/';
    expect(appConfig().publicBaseUrl).toBe('https://vouchers.example.gov.cn');
  });
});
