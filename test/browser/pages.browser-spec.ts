import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { clock } from '../../src/common/clock';
import { projectRoot } from '../../src/common/paths';
import { DEMO_PASSWORD, PASSWORD } from '../support/accounts';
import { RunningApp, startApp } from '../support/app-under-test';
import { policyBody } from '../support/fixtures';
import { HttpClient } from '../support/http-client';
import { creditCodeIn } from '../support/test-app';

/**
 * The public pages in a real browser (Debian's chromium driven by playwright-core) at a phone's size: what a person
 * sees, a full-page screenshot of each into test-output/browser/, and no console error or page error anywhere.
 * Run with `npm run test:browser`; `npm test` does not pick this up.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(projectRoot, 'test-output', 'browser');
const HOLDER = '合肥微纳新材料科技有限公司';

describe('public pages in a browser, at phone size', () => {
  let service: RunningApp;
  let api: HttpClient;
  let profile: string;
  let browser: BrowserContext;
  let active: string;
  let revoked: string;

  async function call(method: string, path: string, body?: unknown, token?: string) {
    const res = await api.request(method, path, { body, token });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  }
  const login = async (username: string, password = DEMO_PASSWORD): Promise<string> =>
    (await call('POST', '/api/auth/login', { username, password })).accessToken;

  /** Registers an organization through the API and returns its id and a token of its first user. */
  async function register(role: 'enterprise' | 'provider', region: string, name: string) {
    const username = `${role}-${Math.random().toString(36).slice(2, 10)}`;
    const organization = { name, creditCode: creditCodeIn(region, role === 'provider' ? '12' : '91') };
    const { organization: org } = await call('POST', '/api/auth/register', { username, password: PASSWORD, role, organization });
    return { id: org.id as string, token: await login(username, PASSWORD) };
  }

  async function provider(region: string, name: string, bureau: string, noticeDays: number) {
    const p = await register('provider', region, name);
    await call('POST', `/api/providers/${p.id}/admit`, { noticeDays }, await login(bureau));
    return p;
  }

  beforeAll(async () => {
    // Without a Chinese font chromium draws boxes, and the screenshots show nothing worth looking at.
    if (!execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim()) {
      throw new Error('no Chinese font for chromium: apt-get install fonts-noto-cjk');
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    service = await startApp({ db: process.env.DB_TYPE === 'mariadb' ? 'mariadb' : 'sqlite', prefix: 'vt_browser' });
    api = new HttpClient(service.baseUrl);

    // A voucher of Anhui's for the Hefei enterprise, and one revoked.
    const ah = await login('bureau-ah');
    await call('POST', '/api/policies', policyBody('340000'), ah);
    await call('PUT', `/api/budgets/340000/${clock.year()}`, { totalFen: 1_000_000_000 }, ah);
    const enterprise = await register('enterprise', '340100', HOLDER);
    // A new enterprise waits for its bureau's verification before it may apply.
    await call('POST', `/api/organizations/${enterprise.id}/verify`, { certificateNo: '2026340100000123' }, ah);
    const apply = async (amountFen: number) =>
      (await call('POST', '/api/voucher-applications', { amountFen, purpose: '透射电镜表征' }, enterprise.token)).voucher;
    active = (await apply(5_000_000)).verificationCode;
    const toRevoke = await apply(1_000_000);
    await call('POST', `/api/vouchers/${toRevoke.id}/revoke`, { reason: '重复申报' }, ah);
    revoked = toRevoke.verificationCode;

    // A provider in public notice; two admitted at once, with facilities.
    await provider('320500', '苏州纳米检测技术有限公司', 'bureau-js', 7);
    const sh = await provider('310000', '上海微观表征公共服务平台', 'bureau-sh', 0);
    const zj = await provider('330100', '浙江大学分析测试中心', 'bureau-zj', 0);
    const facility = (p: { token: string }, body: object) => call('POST', '/api/facilities', body, p.token);
    const tem = await facility(sh, {
      name: '透射电子显微镜 (TEM) 机时',
      category: 'testing',
      unit: 'hour',
      unitPriceFen: 80_000,
      description: 'JEOL JEM-F200 场发射透射电镜，点分辨率 0.19 nm，含常规制样与能谱分析。',
    });
    // open on weekdays and Saturday mornings, bookable from now on
    const weekdays = [1, 2, 3, 4, 5].flatMap((weekday) => [
      { weekday, from: '09:00', to: '12:00' },
      { weekday, from: '13:00', to: '18:00' },
    ]);
    await call(
      'PUT',
      `/api/facilities/${tem.id}/calendar`,
      {
        openingHours: [...weekdays, { weekday: 6, from: '09:00', to: '12:00' }],
        closures: [],
        minNoticeHours: 0,
        maxAdvanceDays: 30,
        freeCancellationHours: 24,
        lateCancellationFeeBp: 0,
        requiresQualification: false,
      },
      sh.token,
    );
    await facility(sh, { name: '扫描电子显微镜 (SEM) 机时', category: 'instrument_sharing', unit: 'hour', unitPriceFen: 45_000 });
    // a name with no place to break: it must wrap, not push the page sideways
    await facility(sh, {
      name: 'FIBSEMDualBeamHelios5UXNanofabricationWorkstation',
      category: 'design',
      unit: 'item',
      unitPriceFen: 2_000_000,
    });
    await facility(zj, { name: 'X射线衍射 (XRD) 物相分析', category: 'testing', unit: 'sample', unitPriceFen: 30_000 });
    await facility(zj, { name: '新材料中试工艺设计咨询', category: 'consulting', unit: 'item', unitPriceFen: 1_200_000 });

    profile = mkdtempSync(join(tmpdir(), 'pages-browser-'));
    // A persistent context is how Playwright takes a profile directory of our own (it refuses --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await service?.close();
  });

  /**
   * Opens `path` in a new tab, screenshots the whole page as `name`.png, hands it to `check`, and fails on any console
   * error or uncaught page error on the way.
   */
  async function visit(path: string, name: string, check: (page: Page) => Promise<void>, expectedStatus = 200) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    try {
      const response = await page.goto(service.baseUrl + path);
      expect(response?.status()).toBe(expectedStatus);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      await expectNoSidewaysScroll(page);
      await check(page);
      // Chromium reports a page answered 404 as a failed load: there, that one is the point of the test.
      const expected =
        expectedStatus === 404 ? ['console: Failed to load resource: the server responded with a status of 404 (Not Found)'] : [];
      expect(errors).toEqual(expected);
    } finally {
      await page.close();
    }
  }

  /** Nothing wider than the phone: a page that scrolls sideways (or that a phone zooms out to fit) has something overflowing. */
  async function expectNoSidewaysScroll(page: Page) {
    // a string, as the test code is compiled without the DOM's types
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(page.viewportSize()!.width);
  }

  const field = (page: Page, label: string) => page.locator(`dt:text-is("${label}") + dd`);

  it('verifies an active voucher, the holder’s name masked', async () => {
    await visit(`/verify/${active}`, 'verify-active', async (page) => {
      expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
      expect(await page.locator('.status').innerText()).toBe('有效');
      expect(await field(page, '持券单位').innerText()).toBe('合肥微纳*******公司');
      expect(await field(page, '券面金额').innerText()).toContain('¥50,000.00');
      expect(await field(page, '发券机构').innerText()).toBe('安徽省科学技术厅');
      expect(await page.locator('body').innerText()).not.toContain(HOLDER);
    });
  });

  it('says 已撤销 for a revoked voucher', async () => {
    await visit(`/verify/${revoked}`, 'verify-revoked', async (page) => {
      expect(await page.locator('.status').innerText()).toBe('已撤销');
      expect(await page.locator('body').innerText()).toContain('不能再使用');
    });
  });

  it('answers an unknown code with the 无效 / 未找到 page', async () => {
    await visit(
      '/verify/AAAAAAAAAAAAAAAAAAAAAA',
      'verify-not-found',
      async (page) => {
        expect(await page.locator('h1').innerText()).toBe('无效 / 未找到');
      },
      404,
    );
  });

  it('lists the provider in public notice and the ones admitted', async () => {
    await visit('/notices', 'notices', async (page) => {
      const sections = page.locator('ul.list');
      expect(await sections.count()).toBe(2);
      const [inNotice, admitted] = [await sections.nth(0).innerText(), await sections.nth(1).innerText()];
      expect(inNotice).toContain('苏州纳米检测技术有限公司');
      expect(inNotice).toMatch(/公示期：\d{4}年\d{1,2}月\d{1,2}日至\d{4}年\d{1,2}月\d{1,2}日\n/);
      expect(admitted).toContain('上海微观表征公共服务平台');
      expect(admitted).toContain('浙江大学分析测试中心');
    });
  });

  it('searches the catalogue by words and filters it by province', async () => {
    await visit('/facilities', 'facilities', async (page) => {
      expect(await page.locator('ul.list li').count()).toBe(5);
      // each field named where one sees it, and the name is the field's label
      for (const label of ['关键词', '省份', '类别']) expect(await page.getByLabel(label, { exact: true }).isVisible()).toBe(true);
      expect(await page.locator('form.search label').allInnerTexts()).toEqual(['关键词', '省份', '类别']);
      expect(await page.locator('body').innerText()).toContain('¥800.00 / 小时');

      await page.getByRole('searchbox').fill('电子显微镜');
      await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: '搜索' }).click()]);
      expect(await page.locator('ul.list li a.name').allInnerTexts()).toEqual(['扫描电子显微镜 (SEM) 机时', '透射电子显微镜 (TEM) 机时']);
      await page.screenshot({ path: join(SCREENSHOTS, 'facilities-search.png'), fullPage: true });

      await page.getByRole('searchbox').fill('');
      await page.getByRole('combobox', { name: '省份' }).selectOption({ label: '浙江省' });
      await Promise.all([page.waitForURL(/provinceCode=330000/), page.getByRole('button', { name: '搜索' }).click()]);
      expect(await page.locator('ul.list li a.name').allInnerTexts()).toEqual(['X射线衍射 (XRD) 物相分析', '新材料中试工艺设计咨询']);
      await page.screenshot({ path: join(SCREENSHOTS, 'facilities-zhejiang.png'), fullPage: true });
    });
  });

  it('shows a facility’s details, its rating (none yet), opening hours and next free slots', async () => {
    const { items } = await call('GET', '/api/facilities?q=TEM');
    await visit(`/facilities/${items[0].id}`, 'facility', async (page) => {
      expect(await page.locator('h1').innerText()).toBe('透射电子显微镜 (TEM) 机时');
      expect(await field(page, '类别').innerText()).toBe('检验检测');
      expect(await field(page, '单价').innerText()).toBe('¥800.00 / 小时');
      expect(await field(page, '服务机构').innerText()).toBe('上海微观表征公共服务平台');
      expect(await field(page, '用户评价').innerText()).toBe('暂无评价');
      expect(await field(page, '周一').innerText()).toBe('09:00–12:00、13:00–18:00');
      expect(await field(page, '周六').innerText()).toBe('09:00–12:00');
      const slots = page.locator('h2:has-text("近期可预约时段") + ul.plain li');
      expect(await slots.allInnerTexts()).toHaveLength(5);
      for (const slot of await slots.allInnerTexts()) expect(slot).toMatch(/^\d+月\d+日 周[一二三四五六] \d\d:00–\d\d:00$/);
      // read, not tapped: no link, no card's border
      expect(await slots.locator('a').count()).toBe(0);
      expect(await page.evaluate<string>('getComputedStyle(document.querySelector("ul.plain li")).borderTopStyle')).toBe('none');
      expect(await page.locator('body').innerText()).toContain('本页仅供查看，不能在此预约');
    });
  });
});
