import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { clock, DAY_MS } from '../../src/common/clock';
import { projectRoot } from '../../src/common/paths';
import { DEMO_PASSWORD, PASSWORD } from '../support/accounts';
import { RunningApp, startApp } from '../support/app-under-test';
import { policyBody } from '../support/fixtures';
import { HttpClient } from '../support/http-client';
import { creditCodeIn } from '../support/test-app';

/**
 * The public pages in a real browser (Debian's chromium driven by playwright-core) at a phone's size: what a person
 * sees, a full-page screenshot of each into test-output/browser/, no console error or page error anywhere, nothing
 * wider than the phone (390 and 320 CSS pixels), and no accessibility violation axe-core finds (WCAG 2.0, 2.1 and 2.2
 * A and AA, and axe's best practices: landmarks, heading order) in any state of any page. A summary of what axe found
 * is written to test-output/browser/axe.json. Run with `npm run test:browser`; `npm test` does not pick this up.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(projectRoot, 'test-output', 'browser');
const HOLDER = '合肥微纳新材料科技有限公司';

/** axe-core's own build, evaluated in the page (not a <script>: the pages' CSP allows none, and must keep allowing none). */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** The part of axe's results read here (the test code is compiled without the DOM's types, axe's own refer to them). */
interface AxeRule {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

describe('public pages in a browser, at phone size', () => {
  let service: RunningApp;
  let api: HttpClient;
  let profile: string;
  let browser: BrowserContext;
  let active: string;
  let revoked: string;
  let zj: { id: string; token: string };
  /** Every page state axe looked at, and what it found there: written out at the end. */
  const audited: { state: string; violations: { id: string; impact: string | null; nodes: number }[]; incomplete: string[] }[] = [];

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
  const facility = (p: { token: string }, body: object) => call('POST', '/api/facilities', body, p.token);

  beforeAll(async () => {
    // Without a Chinese font chromium draws boxes, and the screenshots show nothing worth looking at.
    if (!execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim()) {
      throw new Error('no Chinese font for chromium: apt-get install fonts-noto-cjk');
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    service = await startApp({ db: process.env.DB_TYPE === 'mariadb' ? 'mariadb' : 'sqlite', prefix: 'vt_browser' });
    api = new HttpClient(service.baseUrl);

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
    clock.reset();
    if (audited.length) writeFileSync(join(SCREENSHOTS, 'axe.json'), JSON.stringify(audited, null, 2) + '\n');
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await service?.close();
  });

  /**
   * Opens `path` in a new tab, screenshots the whole page as `name`.png, checks it with axe and at a narrow phone's
   * width, hands it to `check`, and fails on any console error or uncaught page error on the way.
   */
  async function visit(path: string, name: string, check: (page: Page) => Promise<void>, expectedStatus = 200) {
    const page = await newPage();
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
      await expectAccessible(page, name);
      await expectTargetsForAFinger(page);
      await check(page);
      // Chromium reports a page answered 404 or 400 as a failed load: there, that one is the point of the test.
      const failed: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found' };
      const expected = failed[expectedStatus]
        ? [`console: Failed to load resource: the server responded with a status of ${expectedStatus} (${failed[expectedStatus]})`]
        : [];
      expect(errors).toEqual(expected);
    } finally {
      await page.close();
    }
  }

  /**
   * A tab that asks the service every time: the catalogue and the notices may be kept a minute (Cache-Control), and
   * each test here changes what they show.
   */
  async function newPage(): Promise<Page> {
    const page = await browser.newPage();
    const cdp = await browser.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    return page;
  }

  /**
   * Nothing wider than the phone: a page that scrolls sideways (or that a phone zooms out to fit) has something
   * overflowing. At 390 CSS pixels, and at 320 (WCAG's reflow width, a small phone), then back.
   */
  async function expectNoSidewaysScroll(page: Page) {
    const viewport = page.viewportSize()!;
    for (const width of [viewport.width, 320]) {
      await page.setViewportSize({ width, height: viewport.height });
      // a string, as the test code is compiled without the DOM's types
      expect({ width, scrollWidth: await page.evaluate<number>('document.documentElement.scrollWidth') }).toEqual({
        width,
        scrollWidth: width,
      });
    }
    await page.setViewportSize(viewport);
  }

  /** axe-core's WCAG A/AA rules and best practices on the page as it is now: each violation by rule, impact and element. */
  async function expectAccessible(page: Page, state: string) {
    if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
    const options = { runOnly: { type: 'tag', values: AXE_TAGS }, resultTypes: ['violations'] };
    const { violations, incomplete } = await page.evaluate<{ violations: AxeRule[]; incomplete: AxeRule[] }>(
      `axe.run(document, ${JSON.stringify(options)})`,
    );
    audited.push({
      state,
      violations: violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
      incomplete: incomplete.map((v) => v.id),
    });
    const found = violations.flatMap((v) =>
      v.nodes.map(
        (n) =>
          `${v.id} [${v.impact}] ${n.target.join(' ')}: ${v.help}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ')})` : ''}`,
      ),
    );
    expect({ state, found }).toEqual({ state, found: [] });
  }

  /**
   * Every link, button and field at least 44×44 CSS pixels where a tap lands (WCAG 2.5.5; axe checks 2.5.8's 24), but a
   * link inside a sentence (2.5.5's inline exception) and the skip link, hidden until focused.
   */
  async function expectTargetsForAFinger(page: Page) {
    const small = await page.evaluate<string[]>(`[...document.querySelectorAll('a[href], button, input, select')]
      .filter((el) => !el.matches('.skip') && !(el.closest('p') && el.closest('p').innerText.trim() !== el.innerText.trim()))
      .map((el) => [el, el.getBoundingClientRect()])
      .filter(([, r]) => r.width < 44 || r.height < 44)
      .map(([el, r]) => el.outerHTML.slice(0, 100) + ' ' + Math.round(r.width) + '×' + Math.round(r.height))`);
    expect(small).toEqual([]);
  }

  /** The contrast ratio of two CSS colours as getComputedStyle gives them (`rgb(…)`), per WCAG's relative luminance. */
  function contrast(a: string, b: string): number {
    const luminance = (color: string) => {
      const [r, g, bl] = color
        .match(/[\d.]+/g)!
        .slice(0, 3)
        .map((v) => Number(v) / 255)
        .map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
    };
    const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
    return (x + 0.05) / (y + 0.05);
  }

  const field = (page: Page, label: string) => page.locator(`dt:text-is("${label}") + dd`);

  /**
   * The element keyboard focus is on, what it is called, and whether one sees where it is: a focus ring drawn (an
   * outline at least 2px wide, matched by :focus-visible) at 3:1 at least against what is behind it (WCAG 2.4.7, 1.4.11).
   */
  const FOCUSED = `(() => {
    const el = document.activeElement;
    const lum = (c) => {
      const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map((v) => v / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const opaque = (c) => { const a = c.match(/[\\d.]+/g); return a && (a.length < 4 || Number(a[3]) === 1); };
    let behind = el.parentElement;
    while (behind && !opaque(getComputedStyle(behind).backgroundColor)) behind = behind.parentElement;
    const bg = behind ? getComputedStyle(behind).backgroundColor : 'rgb(255, 255, 255)';
    const s = getComputedStyle(el);
    const [a, b] = [lum(s.outlineColor), lum(bg)];
    return {
      tag: el.tagName.toLowerCase(),
      name: (el.labels && el.labels[0] ? el.labels[0].innerText : el.innerText || el.value || '').trim(),
      visible: el.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
      contrast: Math.round(((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)) * 10) / 10,
    };
  })()`;
  type Focused = { tag: string; name: string; visible: boolean; contrast: number };

  /** Tabs forward until focus is on what `wanted` accepts (at most `limit` presses), checking each stop shows its focus. */
  async function tabTo(page: Page, wanted: (f: Focused) => boolean, limit = 40): Promise<Focused[]> {
    const stops: Focused[] = [];
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate<Focused>(FOCUSED);
      stops.push(f);
      expect({ ...f, visible: f.visible, contrastAtLeast3: f.contrast >= 3 }).toEqual({ ...f, visible: true, contrastAtLeast3: true });
      if (wanted(f)) return stops;
    }
    throw new Error(`not reached with ${limit} presses of Tab: ${JSON.stringify(stops)}`);
  }

  describe('before anyone is registered', () => {
    it('shows an empty catalogue', async () => {
      await visit('/facilities', 'facilities-empty', async (page) => {
        // nothing was searched for: no conditions to change, nothing to clear
        expect(await page.locator('body').innerText()).toContain('服务目录中暂时还没有服务');
        expect(await page.locator('body').innerText()).not.toContain('共 0 项服务');
        expect(await page.getByRole('link', { name: '清除条件，查看全部服务' }).count()).toBe(0);
      });
    });

    it('shows notices with no entries', async () => {
      await visit('/notices', 'notices-empty', async (page) => {
        expect(await page.locator('body').innerText()).toContain('目前没有公示中的服务机构');
        expect(await page.locator('body').innerText()).toContain('没有新入库的服务机构');
      });
    });
  });

  describe('with vouchers, providers and facilities', () => {
    beforeAll(async () => {
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
      zj = await provider('330100', '浙江大学分析测试中心', 'bureau-zj', 0);
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
    });

    afterEach(() => clock.reset());

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

    it('says 已过期 for a voucher past its last day', async () => {
      clock.travel(400 * DAY_MS);
      await visit(`/verify/${active}`, 'verify-expired', async (page) => {
        expect(await page.locator('.status').innerText()).toBe('已过期');
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
        // a field's edge is what shows where to type or choose: 3:1 against the page and against its own white (WCAG 1.4.11)
        const pageColor = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        for (const id of ['q', 'provinceCode', 'category']) {
          const [edge, inside] = await page.evaluate<string[]>(
            `(() => { const s = getComputedStyle(document.getElementById('${id}')); return [s.borderTopColor, s.backgroundColor]; })()`,
          );
          expect({ id, againstPage: contrast(edge, pageColor) >= 3, againstField: contrast(edge, inside) >= 3 }).toEqual({
            id,
            againstPage: true,
            againstField: true,
          });
        }

        await page.getByRole('searchbox').fill('电子显微镜');
        await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: '搜索' }).click()]);
        expect(await page.locator('ul.list li a.name').allInnerTexts()).toEqual(['扫描电子显微镜 (SEM) 机时', '透射电子显微镜 (TEM) 机时']);
        await page.screenshot({ path: join(SCREENSHOTS, 'facilities-search.png'), fullPage: true });
        await expectAccessible(page, 'facilities-search');
        // a result opened, and back to the same results by the page's own link
        await Promise.all([
          page.waitForURL(/\/facilities\/[^/?]+\?q=/),
          page.getByRole('link', { name: '扫描电子显微镜 (SEM) 机时' }).click(),
        ]);
        await Promise.all([page.waitForURL(/\/facilities\?q=/), page.getByRole('link', { name: '← 返回搜索结果' }).click()]);
        expect(await page.getByRole('searchbox').inputValue()).toBe('电子显微镜');
        expect(await page.locator('ul.list li a.name').allInnerTexts()).toEqual(['扫描电子显微镜 (SEM) 机时', '透射电子显微镜 (TEM) 机时']);

        await page.getByRole('searchbox').fill('');
        await page.getByRole('combobox', { name: '省份' }).selectOption({ label: '浙江省' });
        await Promise.all([page.waitForURL(/provinceCode=330000/), page.getByRole('button', { name: '搜索' }).click()]);
        expect(await page.locator('ul.list li a.name').allInnerTexts()).toEqual(['X射线衍射 (XRD) 物相分析', '新材料中试工艺设计咨询']);
        await page.screenshot({ path: join(SCREENSHOTS, 'facilities-zhejiang.png'), fullPage: true });
        await expectAccessible(page, 'facilities-zhejiang');
      });
    });

    it('says so when a search finds nothing', async () => {
      await visit(`/facilities?q=${encodeURIComponent('核磁共振波谱')}&provinceCode=330000`, 'facilities-no-match', async (page) => {
        expect(await page.locator('ul.list').count()).toBe(0);
        expect(await page.locator('body').innerText()).toContain('没有符合条件的服务：关键词“核磁共振波谱”、浙江省。');
        expect(await page.getByRole('searchbox').inputValue()).toBe('核磁共振波谱');
        // one tap back to everything
        await Promise.all([page.waitForURL(/\/facilities$/), page.getByRole('link', { name: '清除条件，查看全部服务' }).click()]);
        expect(await page.locator('ul.list li').count()).toBe(5);
        expect(await page.getByRole('searchbox').inputValue()).toBe('');
      });
    });

    it('names the filter it cannot read on its 400 page, with a way back', async () => {
      await visit(
        '/facilities?provinceCode=999999',
        'facilities-bad-filter',
        async (page) => {
          expect(await page.locator('h1').innerText()).toBe('请求有误');
          expect(await page.locator('main').innerText()).toContain('链接中的省份无法识别，请重新选择后再搜索。');
          expect(await page.getByRole('link', { name: '浏览服务目录' }).getAttribute('href')).toBe('/facilities');
        },
        400,
      );
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

    it('shows an hourly facility without a calendar, and one priced by the sample', async () => {
      const { items: sem } = await call('GET', '/api/facilities?q=SEM');
      await visit(`/facilities/${sem[0].id}`, 'facility-without-calendar', async (page) => {
        expect(await page.locator('h1').innerText()).toBe('扫描电子显微镜 (SEM) 机时');
        expect(await page.locator('body').innerText()).toContain('本服务未设开放日历，无需预约');
      });
      const { items: xrd } = await call('GET', '/api/facilities?q=XRD');
      await visit(`/facilities/${xrd[0].id}`, 'facility-by-sample', async (page) => {
        expect(await page.locator('h1').innerText()).toBe('X射线衍射 (XRD) 物相分析');
        expect(await page.locator('h2').count()).toBe(0);
      });
    });

    it('answers a facility that does not exist with the 未找到 page', async () => {
      await visit(
        '/facilities/00000000-0000-4000-8000-000000000000',
        'facility-not-found',
        async (page) => {
          expect(await page.locator('h1').innerText()).toBe('未找到该服务');
        },
        404,
      );
    });

    it('shows notices emptied by time: the notice over, the admissions no longer recent', async () => {
      clock.travel(400 * DAY_MS);
      await visit('/notices', 'notices-later', async (page) => {
        expect(await page.locator('ul.list').count()).toBe(0);
      });
    });

    describe('a catalogue of two pages', () => {
      beforeAll(async () => {
        for (let n = 1; n <= 20; n++) {
          await facility(zj, { name: `材料表征服务 第${n}项`, category: 'testing', unit: 'sample', unitPriceFen: 100_000 + n * 1_000 });
        }
      });

      it('pages through the catalogue', async () => {
        await visit('/facilities?page=2', 'facilities-page-2', async (page) => {
          expect(await page.locator('ul.list li').count()).toBe(5);
          expect(await page.getByRole('navigation', { name: '分页' }).innerText()).toContain('第 2 / 2 页');
          expect(await page.title()).toBe('服务目录（第 2 页） · 长三角科技创新券');
        });
        await visit('/facilities?page=3', 'facilities-past-the-end', async (page) => {
          expect(await page.locator('body').innerText()).toContain('第 3 页超出范围');
        });
      });

      it('is searched, filtered and paged with the keyboard alone, focus always shown', async () => {
        const page = await newPage();
        try {
          await page.goto(service.baseUrl + '/facilities');
          // from the top of the page: the skip link, the header's links, then the form's fields in order, then the results
          const stops = await tabTo(page, (f) => f.tag === 'input');
          expect(stops.map((f) => f.name)).toEqual(['跳到正文', '长三角科技创新券', '服务目录', '机构公示', '关键词']);
          // the skip link, shown when focused, passes the header by
          await page.goto(service.baseUrl + '/facilities');
          expect((await tabTo(page, () => true)).map((f) => f.name)).toEqual(['跳到正文']);
          expect((await page.locator('a.skip').boundingBox())!.height).toBeGreaterThanOrEqual(44);
          await page.screenshot({ path: join(SCREENSHOTS, 'facilities-keyboard-skip-link.png') });
          await page.keyboard.press('Enter');
          expect((await tabTo(page, () => true)).map((f) => f.name)).toEqual(['关键词']);
          await page.keyboard.type('表征');
          expect((await tabTo(page, () => true)).map((f) => f.name)).toEqual(['省份']);
          // a closed select takes the arrow keys: 全部省份, 上海市, 江苏省, 浙江省
          for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
          expect(await page.locator('#provinceCode').inputValue()).toBe('330000');
          await page.screenshot({ path: join(SCREENSHOTS, 'facilities-keyboard-province.png') });
          expect((await tabTo(page, () => true)).map((f) => f.name)).toEqual(['类别']);
          expect((await tabTo(page, () => true)).map((f) => [f.tag, f.name])).toEqual([['button', '搜索']]);
          await Promise.all([page.waitForURL(/q=/), page.keyboard.press('Enter')]);
          expect(new URL(page.url()).searchParams.get('q')).toBe('表征');
          expect(new URL(page.url()).searchParams.get('provinceCode')).toBe('330000');
          expect(await page.locator('body').innerText()).toContain('共 20 项服务');

          // Enter in the search box sends the form too
          await page.goto(service.baseUrl + '/facilities');
          await tabTo(page, (f) => f.tag === 'input');
          await page.keyboard.type('材料');
          await Promise.all([page.waitForURL(/q=/), page.keyboard.press('Enter')]);
          expect(await page.locator('body').innerText()).toContain('共 21 项服务');

          // to the next page and back, by the pager's links
          await tabTo(page, (f) => f.name === '下一页');
          await Promise.all([page.waitForURL(/page=2/), page.keyboard.press('Enter')]);
          expect(await page.locator('ul.list li').count()).toBe(1);
          await page.screenshot({ path: join(SCREENSHOTS, 'facilities-keyboard-page-2.png'), fullPage: true });
          await expectAccessible(page, 'facilities-keyboard-page-2');
          await tabTo(page, (f) => f.name === '上一页');
          await Promise.all([page.waitForURL((url) => !url.searchParams.has('page')), page.keyboard.press('Enter')]);
          expect(await page.locator('ul.list li').count()).toBe(20);
          expect(new URL(page.url()).searchParams.get('q')).toBe('材料');
        } finally {
          await page.close();
        }
      });
    });
  });
});
