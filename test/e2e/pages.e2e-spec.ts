import type { Response } from 'superagent';
import { beijingDate, clock, DAY_MS } from '../../src/common/clock';
import { formatDate } from '../../src/documents/drawing';
import { appConfig, AppConfig } from '../../src/config/configuration';
import { formatClosure } from '../../src/pages/labels';
import { bureauFor, issueVoucher, openRegion, submittedClaim } from '../support/fixtures';
import { OpenApiDoc } from '../support/openapi';
import { auth, OrgSession, TestApp } from '../support/test-app';

// pdf-parse 1.x (pdf.js underneath) ships no type declarations.
const pdfParse = require('pdf-parse') as (data: Buffer) => Promise<{ text: string }>;

const HOLDER = '合肥微纳新材料科技有限公司';
const MASKED = '合肥微纳*******公司';

/** The visible text of a page, tags and whitespace taken out, for plain `toContain` checks. */
const text = (html: string) => html.replace(/<[^>]*>/g, '').replace(/\s+/g, '');

/** Every public page answers HTML in UTF-8 with its own CSP: inline styles, no scripts, nothing from elsewhere. */
function expectPage(res: Response, cacheControl: string) {
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['cache-control']).toBe(cacheControl);
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  expect(res.text).toMatch(/^<!doctype html>\n<html lang="zh-CN">/);
  expect(res.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
}

/** Collects a binary response body (a PDF: superagent leaves it unparsed). */
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('public pages: verification, notices, the facility catalogue', () => {
  let t: TestApp;
  let holder: OrgSession;
  let voucher: { id: string; serial: string; verificationCode: string; validUntil: string };

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, '340000');
    holder = await t.registerEnterprise('340100', { name: HOLDER });
    voucher = await issueVoucher(t, holder.token, 5_000_000);
  });
  afterAll(() => t.close());

  describe('GET /verify/:verificationCode', () => {
    it('shows an active voucher: 有效, serial, region, face value, valid until, the holder masked', async () => {
      const res = await t.http.get(`/verify/${voucher.verificationCode}`).expect(200);
      expectPage(res, 'no-cache');
      const page = text(res.text);
      expect(page).toContain('有效');
      expect(page).toContain(voucher.serial);
      expect(page).toContain('安徽省科学技术厅');
      expect(page).toContain('¥50,000.00');
      expect(page).toContain('伍万元整');
      const [y, m, d] = voucher.validUntil.split('-').map(Number);
      expect(page).toContain(`${y}年${m}月${d}日`);
      expect(page).toContain(MASKED);
      expect(res.text).toContain('<meta name="robots" content="noindex">');
    });

    it('is the same page with a slash after the code (a QR reader or a chat app may add one), as the catalogue and the notices are', async () => {
      const res = await t.http.get(`/verify/${voucher.verificationCode}/`).expect(200);
      expect(text(res.text)).toContain(voucher.serial);
      for (const path of ['/facilities/', '/notices/']) await t.http.get(path).expect(200);
    });

    it.each([['。'], ['.'], ['）'], ['，'], [')'], ['!']])(
      'is the same page with a %s after the code (a link pasted with the sentence’s stop)',
      async (stop) => {
        const res = await t.http.get(`/verify/${voucher.verificationCode}${encodeURIComponent(stop)}`).expect(200);
        expect(text(res.text)).toContain(voucher.serial);
      },
    );

    it('names the bureau that issued the voucher, and calls the check 核验 (验证 reads as a CAPTCHA)', async () => {
      const res = await t.http.get(`/verify/${voucher.verificationCode}`).expect(200);
      const page = text(res.text);
      expect(page).toContain('此券由安徽省科学技术厅签发，当前有效。');
      expect(page).not.toContain('平台签发');
      expect(res.text).toContain(`<title>科技创新券核验 ${voucher.serial} · 长三角科技创新券</title>`);
      expect(res.text).toContain('<h1>科技创新券核验</h1>');
      expect(res.text).not.toContain('验证');
    });

    it('shows nothing private: not the full name, the credit code, or any record id', async () => {
      const res = await t.http.get(`/verify/${voucher.verificationCode}`).expect(200);
      for (const secret of [HOLDER, holder.creditCode, holder.organizationId, voucher.id]) expect(res.text).not.toContain(secret);
    });

    it('says 已撤销 once the bureau revokes the voucher', async () => {
      const small = await issueVoucher(t, holder.token, 100_000);
      await t.http
        .post(`/api/vouchers/${small.id}/revoke`)
        .set(await t.as(bureauFor('340100')))
        .send({ reason: '虚报材料' })
        .expect(200);
      const page = text((await t.http.get(`/verify/${small.verificationCode}`).expect(200)).text);
      expect(page).toContain('已撤销');
      const today = formatDate(beijingDate(clock.iso()));
      expect(page).toContain(`撤销日期${today}`);
      expect(page).toContain(`此券由安徽省科学技术厅签发，已于${today}撤销，不能再使用。`);
      const api = (await t.http.get(`/api/vouchers/verify/${small.verificationCode}`).expect(200)).body;
      expect(beijingDate(api.revokedAt)).toBe(beijingDate(clock.iso()));
      expect(page).not.toContain('虚报材料'); // the bureau's reason is not public
    });

    it('says an active voucher cannot be used while its holder is under a credit sanction, and again once it is lifted', async () => {
      const sanctioned = await t.registerEnterprise('340100', { name: '合肥某某检测服务有限公司' });
      const own = await issueVoucher(t, sanctioned.token, 100_000);
      const bureau = await t.as(bureauFor('340100'));
      const sanction = await t.http
        .post('/api/sanctions')
        .set(bureau)
        .send({ creditCode: sanctioned.creditCode, reason: '虚报材料' })
        .expect(201);
      const page = text((await t.http.get(`/verify/${own.verificationCode}`).expect(200)).text);
      expect(page).toContain('有效（暂不能使用）');
      expect(page).toContain('此券由安徽省科学技术厅签发，在有效期内；持券单位正处于失信惩戒期，惩戒期间不能用券。');
      expect(page).not.toContain('虚报材料'); // the reason stays with the sanction list
      const api = (await t.http.get(`/api/vouchers/verify/${own.verificationCode}`).expect(200)).body;
      expect(api).toMatchObject({ valid: true, status: 'active', holderSanctioned: true });
      // Another holder's voucher says nothing of it.
      expect((await t.http.get(`/api/vouchers/verify/${voucher.verificationCode}`).expect(200)).body.holderSanctioned).toBeUndefined();

      await t.http.post(`/api/sanctions/${sanction.body.id}/lift`).set(bureau).send({ reason: '已整改' }).expect(200);
      const after = text((await t.http.get(`/verify/${own.verificationCode}`).expect(200)).text);
      expect(after).toContain('此券由安徽省科学技术厅签发，当前有效。');
      expect((await t.http.get(`/api/vouchers/verify/${own.verificationCode}`).expect(200)).body.holderSanctioned).toBeUndefined();
    });

    it.each([
      ['an unknown code', 'AAAAAAAAAAAAAAAAAAAAAA'],
      ['a malformed code', 'not-a-code!'],
      ['markup', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
    ])('answers %s with the 无效 / 未找到 page and 404', async (_, code) => {
      const res = await t.http.get(`/verify/${code}`).expect(404);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(text(res.text)).toContain('无效/未找到');
      expect(res.text).not.toContain('<script>');
    });

    it('tells the reader, who opened a link and typed nothing, to compare the code with the certificate or scan its QR code', async () => {
      const page = text((await t.http.get('/verify/AAAAAAAAAAAAAAAAAAAAAA').expect(404)).text);
      expect(page).toContain('没有找到与此核验码对应的科技创新券');
      expect(page).toContain('请核对链接中的核验码是否与证书上印的一致（区分大小写），或直接扫描证书上的二维码');
      expect(page).not.toContain('输入');
      expect(page).not.toContain('验证码');
    });

    // Codes are base64url, so case-sensitive, on MariaDB too (its utf8mb4_unicode_ci column alone compares without case).
    it('takes a code with its letters’ case changed for another code', async () => {
      const code: string = voucher.verificationCode;
      const swapped = [...code].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
      expect(swapped).not.toBe(code); // 128 random bits hold a letter
      expect(text((await t.http.get(`/verify/${swapped}`).expect(404)).text)).toContain('（区分大小写）');
    });

    it('leaves the JSON verification where it was', async () => {
      const res = await t.http.get(`/api/vouchers/verify/${voucher.verificationCode}`).expect(200);
      expect(res.body).toMatchObject({ valid: true, serial: voucher.serial, status: 'active' });
    });

    it('is what the certificate’s QR code and link open: PUBLIC_BASE_URL/verify/code', async () => {
      const res = await t.http
        .get(`/api/vouchers/${voucher.id}/certificate`)
        .set(auth(holder.token))
        .buffer(true)
        .parse(binary)
        .expect(200);
      const { publicBaseUrl } = t.get<AppConfig>(appConfig.KEY as never);
      expect((await pdfParse(res.body as Buffer)).text.replace(/\s+/g, '')).toContain(
        `${publicBaseUrl}/verify/${voucher.verificationCode}`,
      );
    });
  });

  describe('GET /notices', () => {
    let inNotice: OrgSession;
    let admitted: OrgSession;
    let applied: OrgSession;

    beforeAll(async () => {
      [inNotice, admitted, applied] = await Promise.all([
        t.registerProvider('320500', { name: '苏州纳米检测技术有限公司' }, false),
        t.registerProvider('310000', { name: '上海微观表征公共服务平台' }),
        t.registerProvider('330100', { name: '杭州尚未审核检测中心' }, false),
      ]);
      await t.http
        .post(`/api/providers/${inNotice.organizationId}/admit`)
        .set(await t.as('bureau-js'))
        .send({ noticeDays: 7 })
        .expect(200);
    });
    afterEach(() => clock.reset());

    it('lists the provider in notice with the end of its notice and where to object, and the one admitted', async () => {
      const res = await t.http.get('/notices').expect(200);
      expectPage(res, 'public, max-age=60');
      // the header marks where the reader is, for screen readers
      expect(res.text).toContain('<a href="/notices" aria-current="page">');
      expect(res.text).not.toContain('<a href="/facilities" aria-current');
      const page = text(res.text);
      const [noticeSection, admittedSection] = page.split('天入库');
      expect(noticeSection).toContain('苏州纳米检测技术有限公司江苏省苏州市');
      expect(noticeSection).toContain('受理异议：江苏省科学技术厅');
      // from the day of admission to the day the 7 days end, in Beijing, without the time of the bureau's click
      const days = [0, 7].map((n) => formatDate(beijingDate(clock.now().getTime() + n * DAY_MS)));
      expect(noticeSection).toContain(`公示期：${days[0]}至${days[1]}受理异议`);
      // a date never breaks across lines on a narrow phone
      expect(res.text).toContain(`公示期：<span class="nowrap">${days[0]}</span>至<span class="nowrap">${days[1]}</span>`);
      expect(noticeSection).not.toContain('公示截止');
      expect(admittedSection).toContain('上海微观表征公共服务平台');
      expect(admittedSection).not.toContain('苏州纳米检测技术有限公司');
    });

    it('shows neither providers not yet admitted, nor enterprises, nor credit codes', async () => {
      const res = await t.http.get('/notices').expect(200);
      expect(res.text).not.toContain('杭州尚未审核检测中心');
      expect(res.text).not.toContain(HOLDER);
      for (const p of [inNotice, admitted, applied]) expect(res.text).not.toContain(p.creditCode);
    });

    it('keeps the notice’s first day when the provider edits its profile during the notice', async () => {
      const first = formatDate(beijingDate(clock.iso()));
      clock.travel(2 * DAY_MS);
      await t.http
        .patch(`/api/organizations/${inNotice.organizationId}`)
        .set(auth(inNotice.token))
        .send({ contactPerson: '王老师' })
        .expect(200);
      expect(text((await t.http.get('/notices').expect(200)).text)).toContain(`公示期：${first}至`);
    });

    it('moves a provider to the admitted list when its notice ends, before any sweep, and drops it after 30 days', async () => {
      clock.travel(8 * DAY_MS);
      const [noticeSection, admittedSection] = text((await t.http.get('/notices').expect(200)).text).split('天入库');
      expect(noticeSection).toContain('目前没有公示中的服务机构');
      expect(admittedSection).toContain('苏州纳米检测技术有限公司');
      clock.travel(30 * DAY_MS);
      expect(text((await t.http.get('/notices').expect(200)).text)).toContain('近30天没有新入库的服务机构');
    });
  });

  describe('GET /facilities and /facilities/:id', () => {
    let tem: string;
    let hidden: string;
    let sh: OrgSession;

    beforeAll(async () => {
      let zj: OrgSession;
      [sh, zj] = await Promise.all([
        t.registerProvider('310115', { name: '上海电镜测试中心' }),
        t.registerProvider('330100', { name: '浙江大学分析测试中心' }),
      ]);
      const list = async (p: OrgSession, body: object) =>
        (await t.http.post('/api/facilities').set(auth(p.token)).send(body).expect(201)).body.id;
      tem = await list(sh, {
        name: '透射电子显微镜 (TEM) 机时',
        category: 'testing',
        unit: 'hour',
        unitPriceFen: 80_000,
        description: 'JEOL JEM-F200 场发射透射电镜，含制样',
        contact: '张老师 021-6543 2100 <tem@lab.example.cn>',
      });
      await list(zj, { name: 'X射线衍射 (XRD) 物相分析', category: 'testing', unit: 'sample', unitPriceFen: 30_000 });
      await list(zj, { name: '新材料工艺设计咨询', category: 'consulting', unit: 'item', unitPriceFen: 500_000 });
      hidden = await list(zj, { name: '<script>alert(1)</script>', category: 'design', unit: 'item', unitPriceFen: 100 });
    });

    it('lists the catalogue with provider, price in yuan per unit, category and place', async () => {
      const res = await t.http.get('/facilities').expect(200);
      expectPage(res, 'public, max-age=60');
      expect(res.text).toContain('<a href="/facilities" aria-current="page">');
      expect((await t.http.get(`/facilities/${tem}`).expect(200)).text).not.toContain('aria-current="page"'); // a facility is not the catalogue
      const page = text(res.text);
      expect(page).toContain('共4项服务，按单价从低到高排列');
      // cheapest first, as the page says: ¥1, ¥300, ¥800, ¥5,000
      const prices = [...page.matchAll(/¥([\d,]+\.\d\d)/g)].map((m) => Number(m[1].replace(/,/g, '')));
      expect(prices).toEqual([1, 300, 800, 5000]);
      expect(page).toContain('透射电子显微镜(TEM)机时上海电镜测试中心¥800.00/小时检验检测上海市');
      expect(page).toContain('X射线衍射(XRD)物相分析浙江大学分析测试中心¥300.00/样检验检测浙江省杭州市');
      expect(page).toContain('¥5,000.00/项咨询');
    });

    it('escapes what providers wrote', async () => {
      const res = await t.http.get('/facilities').expect(200);
      expect(res.text).not.toContain('<script>');
      expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect((await t.http.get(`/facilities/${hidden}`).expect(200)).text).not.toContain('<script>');
    });

    it('filters by words, province and category, keeping the choices in the form', async () => {
      const one = text((await t.http.get('/facilities?q=电镜').expect(200)).text);
      expect(one).toContain('共1项服务');
      expect(one).not.toContain('排列'); // one item has no order to tell
      const zj = await t.http.get('/facilities?provinceCode=330000&category=testing').expect(200);
      expect(text(zj.text)).toContain('共1项服务');
      expect(zj.text).toContain('X射线衍射');
      expect(zj.text).toContain('<option value="330000" selected>浙江省</option>');
      expect(zj.text).toContain('<option value="testing" selected>检验检测</option>');
    });

    // A phone's keyboard leaves a space after a word it completes, a Chinese one in full-width mode an ideographic space
    // (U+3000), and a word copied from a chat often comes with one.
    it.each([
      ['a trailing space', '电镜 '],
      ['a leading space', ' 电镜'],
      ['ideographic spaces', '\u3000电镜\u3000'],
    ])('finds the same with %s around the words, and shows them without it', async (_, q) => {
      const res = await t.http.get(`/facilities?q=${encodeURIComponent(q)}`).expect(200);
      expect(text(res.text)).toContain('共1项服务');
      expect(res.text).toContain('name="q" value="电镜"');
    });

    it('finds with letters and digits typed in full-width mode (ＴＥＭ), and shows them as the names write them', async () => {
      for (const q of ['ＴＥＭ', 'ｔｅｍ', 'Ｆ２００']) {
        const res = await t.http.get(`/facilities?q=${encodeURIComponent(q)}`).expect(200);
        expect({ q, found: text(res.text).includes('共1项服务') && res.text.includes('透射电子显微镜 (TEM) 机时') }).toEqual({
          q,
          found: true,
        });
      }
      expect((await t.http.get(`/facilities?q=${encodeURIComponent('ＴＥＭ')}`).expect(200)).text).toContain('name="q" value="TEM"');
      // full-width punctuation is left as typed: names write （） as often as ()
      expect((await t.http.get(`/facilities?q=${encodeURIComponent('（ＴＥＭ）')}`).expect(200)).text).toContain(
        'name="q" value="（TEM）"',
      );
    });

    it('labels the search fields where one sees them, not only for screen readers', async () => {
      const res = await t.http.get('/facilities').expect(200);
      for (const [id, label] of [
        ['q', '关键词'],
        ['provinceCode', '省份'],
        ['category', '类别'],
      ]) {
        expect(res.text).toContain(`<label for="${id}">${label}</label>`);
        expect(res.text).toMatch(new RegExp(`<(input|select) [^>]*id="${id}" name="${id}"`));
      }
      expect(res.text).not.toContain('aria-label="关键词"');
      // a phone's keyboard offers 搜索 where it would offer a line break or 前往
      expect(res.text).toMatch(/<input type="search" id="q" [^>]*enterkeyhint="search">/);
    });

    it('takes the empty fields a form sends as any, and ignores parameters it does not know', async () => {
      const res = await t.http.get('/facilities?q=&provinceCode=&category=&from=singlemessage&isappinstalled=0').expect(200);
      expect(text(res.text)).toContain('共4项服务');
    });

    it('shows the first page for a page number that is not one (a link edited by hand)', async () => {
      const first = text((await t.http.get('/facilities').expect(200)).text);
      for (const query of ['page=0', 'page=-1', 'page=1.5', 'page=x', 'page=']) {
        expect(text((await t.http.get(`/facilities?${query}`).expect(200)).text)).toBe(first);
      }
    });

    it('answers a filter it cannot read with a 400 page naming it as the form does, and a way back', async () => {
      for (const [query, field] of [
        ['provinceCode=999999', '省份'],
        ['category=astrology', '类别'],
        ['page=10001', '页码'],
        [`q=${'字'.repeat(101)}`, '关键词'],
      ]) {
        const res = await t.http.get(`/facilities?${encodeURI(query)}`).expect(400);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(text(res.text)).toContain(`请求有误链接中的${field}无法识别，请重新选择后再搜索。`);
        expect(res.text).not.toMatch(/(provinceCode|category|page|q)：/);
        expect(res.text).toContain('<a class="tap" href="/facilities">浏览服务目录</a>');
      }
      expect(text((await t.http.get('/notices?page=10001').expect(400)).text)).toContain('链接中的页码无法识别');
    });

    it('leads from a facility found by a search back to those results, not to the whole catalogue', async () => {
      const search = await t.http.get(`/facilities?q=${encodeURIComponent('电镜')}&provinceCode=310000`).expect(200);
      const query = `?q=${encodeURIComponent('电镜')}&amp;provinceCode=310000`;
      expect(search.text).toContain(`<a class="name" href="/facilities/${tem}${query}">透射电子显微镜 (TEM) 机时</a>`);
      const found = await t.http.get(`/facilities/${tem}?q=${encodeURIComponent('电镜')}&provinceCode=310000`).expect(200);
      expect(found.text).toContain(`<a class="tap" href="/facilities${query}">← 返回搜索结果</a>`);
      // the catalogue's own links, and a facility opened from elsewhere, lead to the catalogue as before
      expect((await t.http.get('/facilities').expect(200)).text).toContain(`<a class="name" href="/facilities/${tem}">`);
      expect((await t.http.get(`/facilities/${tem}`).expect(200)).text).toContain('<a class="tap" href="/facilities">← 返回服务目录</a>');
      // a search that no longer reads costs only the way back, never the facility's page
      const edited = await t.http.get(`/facilities/${tem}?provinceCode=999999&from=singlemessage`).expect(200);
      expect(edited.text).toContain('<a class="tap" href="/facilities">← 返回服务目录</a>');
      expect(edited.text).toContain('透射电子显微镜 (TEM) 机时');
    });

    it('says what found nothing and how to find more, with a link that clears the search', async () => {
      const res = await t.http.get(`/facilities?q=${encodeURIComponent('核磁共振')}&provinceCode=330000&category=testing`).expect(200);
      const page = text(res.text);
      expect(page).toContain(
        '没有符合条件的服务：关键词“核磁共振”、浙江省、检验检测。可换一个更短的关键词，或选择全部省份、全部类别后再搜索。',
      );
      expect(page).not.toContain('共0项服务');
      expect(res.text).toContain('<a class="tap" href="/facilities">清除条件，查看全部服务</a>');
      // what was typed is printed escaped, as everything else
      const odd = await t.http.get(`/facilities?q=${encodeURIComponent('<b>无此</b>')}`).expect(200);
      expect(odd.text).toContain('关键词“&lt;b&gt;无此&lt;/b&gt;”');
    });

    it('pages through 20 at a time', async () => {
      const lab = await t.registerProvider('340100', { name: '合肥仪器共享平台' });
      for (let i = 1; i <= 21; i++) {
        await t.http
          .post('/api/facilities')
          .set(auth(lab.token))
          .send({ name: `共享仪器 ${i}`, category: 'instrument_sharing', unit: 'hour', unitPriceFen: 10_000 + i })
          .expect(201);
      }
      const first = await t.http.get('/facilities?category=instrument_sharing').expect(200);
      expect(text(first.text)).toContain('第1/2页');
      expect(first.text).toContain('href="/facilities?category=instrument_sharing&amp;page=2"');
      expect(first.text.match(/共享仪器 \d+/g)).toHaveLength(20);
      const second = await t.http.get('/facilities?category=instrument_sharing&page=2').expect(200);
      expect(second.text.match(/共享仪器 \d+/g)).toEqual(['共享仪器 21']);
      expect(second.text).toContain('href="/facilities?category=instrument_sharing">上一页');
      // a link kept from when there were more pages says so, and leads to the last one
      const beyond = await t.http.get('/facilities?category=instrument_sharing&page=7').expect(200);
      expect(text(beyond.text)).toContain('第7页超出范围：共2页。查看最后一页');
      expect(beyond.text).toContain('href="/facilities?category=instrument_sharing&amp;page=2">查看最后一页');
      expect(text(beyond.text)).not.toContain('第7/2页');
    });

    it('shows one facility with its details in Chinese', async () => {
      const res = await t.http.get(`/facilities/${tem}`).expect(200);
      expectPage(res, 'public, max-age=60');
      const page = text(res.text);
      for (const part of [
        '透射电子显微镜(TEM)机时',
        '单价¥800.00/小时',
        '类别检验检测',
        '计价单位小时',
        '服务机构上海电镜测试中心',
        '所在地区上海市',
        'JEOLJEM-F200场发射透射电镜，含制样',
        '咨询联系张老师021-65432100&lt;tem@lab.example.cn&gt;',
      ])
        expect(page).toContain(part);
      expect(res.text).toContain('张老师 021-6543 2100 &lt;tem@lab.example.cn&gt;'); // what the lab wrote, escaped
    });

    // A description is free text over lines (the API keeps its line breaks; a contact is one line): HTML joins them into
    // one run of text unless the element keeps them.
    it('shows a description over the lines its provider wrote', async () => {
      const description = '样品要求：粉末 50 mg 以上\n检测周期：5 个工作日\n报告：中英文各一份';
      const id = (
        await t.http
          .post('/api/facilities')
          .set(auth(sh.token))
          .send({ name: '能谱元素分析 (EDS)', category: 'testing', unit: 'sample', unitPriceFen: 30_000, description })
          .expect(201)
      ).body.id;
      const res = await t.http.get(`/facilities/${id}`).expect(200);
      const cell = /<dd class="([^"]+)">样品要求[^<]*<\/dd>/.exec(res.text);
      expect(cell?.[0]).toContain(description);
      const style = /<style>([\s\S]*)<\/style>/.exec(res.text)![1];
      expect(style).toMatch(new RegExp(`\\.${cell![1]} \\{[^}]*white-space: pre-line`));
    });

    it('shows 暂无评价 and no opening hours for a facility without ratings or calendar, and says it is ordered without booking', async () => {
      const page = text((await t.http.get(`/facilities/${tem}`).expect(200)).text);
      expect(page).toContain('用户评价暂无评价');
      expect(page).not.toContain('开放时间');
      expect(page).not.toContain('近期可预约时段');
      // the API's own words for an hourly facility without a calendar (bookings.calendarMissing)
      expect(page).toContain('预约条件本服务未设开放日历，无需预约，可直接提交用券订单。');
      // priced per sample: nothing to book, nothing to say
      const { items } = (await t.http.get('/api/facilities?q=XRD').expect(200)).body;
      expect(text((await t.http.get(`/facilities/${items[0].id}`).expect(200)).text)).not.toContain('预约条件');
    });

    it('says why a retired facility cannot be ordered, and offers no voucher for it', async () => {
      const retired = (
        await t.http
          .post('/api/facilities')
          .set(auth(sh.token))
          .send({ name: '旧型号扫描电镜', category: 'testing', unit: 'hour', unitPriceFen: 20_000 })
          .expect(201)
      ).body.id;
      expect(text((await t.http.get(`/facilities/${retired}`).expect(200)).text)).toContain('持科技创新券的企业可按发券地政策抵扣');
      await t.http.post(`/api/facilities/${retired}/retire`).set(auth(sh.token)).expect(200);
      const page = text((await t.http.get(`/facilities/${retired}`).expect(200)).text);
      expect(page).toContain('已下架服务机构已下架本服务，不再接受预约或下单。');
      expect(page).not.toContain('无需预约'); // an hourly one, but it takes no orders
      expect(page).not.toContain('持科技创新券的企业可按发券地政策抵扣');
      expect(page).not.toContain('咨询联系'); // none was given
    });

    it('shows the rating, the opening hours per weekday and the next five free one-hour slots', async () => {
      const weekdays = [1, 2, 3, 4, 5].flatMap((weekday) => [
        { weekday, from: '13:00', to: '18:00' },
        { weekday, from: '09:00', to: '12:00' },
      ]);
      await t.http
        .put(`/api/facilities/${tem}/calendar`)
        .set(auth(sh.token))
        .send({
          openingHours: [...weekdays, { weekday: 6, from: '09:00', to: '12:00' }],
          closures: [],
          minNoticeHours: 0,
          maxAdvanceDays: 30,
          freeCancellationHours: 24,
          lateCancellationFeeBp: 0,
          requiresQualification: false,
        })
        .expect(200);
      // Ratings come only from confirmed services (facilities.e2e-spec.ts); here the page only needs the counts.
      await t.dataSource.query('UPDATE facility SET rating_count = 2, rating_sum = 9 WHERE id = ?', [tem]);
      const res = await t.http.get(`/facilities/${tem}`).expect(200);
      const page = text(res.text);
      expect(page).toContain('用户评价4.5分（2条评价）');
      expect(page).toContain('开放时间周一09:00–12:00、13:00–18:00周二09:00–12:00、13:00–18:00');
      expect(page).toContain('周五09:00–12:00、13:00–18:00周六09:00–12:00近期可预约时段');
      expect(page).not.toContain('周日');
      expect(page).not.toContain('无需预约');
      // the slots are a plain list to read, not cards that look as if they could be tapped; booking is the API's
      expect(res.text).toMatch(/<h2>近期可预约时段<\/h2>\s*<ul class="plain muted">/);
      expect(page).toContain('本页仅供查看，不能在此预约；持科技创新券的企业可通过长三角科技创新券系统的接口预约。');
      const shown = [...res.text.matchAll(/<li>(\d+)月(\d+)日 周[一二三四五六] (\d\d:00)–(\d\d:00)<\/li>/g)].map(
        ([, m, d, from, to]) => `${m}-${d} ${from}-${to}`,
      );
      // the first five slots the availability API calls free
      const day = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
      const now = clock.now().getTime();
      const { slots } = (await t.http.get(`/api/facilities/${tem}/availability?from=${day(now)}&to=${day(now + 7 * DAY_MS)}`).expect(200))
        .body;
      const free = (slots as { start: string; end: string; free: boolean }[])
        .filter((x) => x.free)
        .slice(0, 5)
        .map((x) => `${Number(x.start.slice(5, 7))}-${Number(x.start.slice(8, 10))} ${x.start.slice(11, 16)}-${x.end.slice(11, 16)}`);
      expect(free).toHaveLength(5);
      expect(shown).toEqual(free);
    });

    it('shows the booking conditions: qualification, notice and advance, the late fee outside the voucher, closures to come', async () => {
      // Shanghai dates `days` from today
      const day = (days: number) => new Date(clock.now().getTime() + 8 * 3_600_000 + days * DAY_MS).toISOString().slice(0, 10);
      const upkeep = { from: `${day(10)}T00:00:00+08:00`, to: `${day(13)}T00:00:00+08:00`, reason: '设备年度维护保养' };
      const training = { from: `${day(20)}T09:00:00+08:00`, to: `${day(20)}T12:00:00+08:00`, reason: '操作培训' };
      await t.http
        .put(`/api/facilities/${tem}/calendar`)
        .set(auth(sh.token))
        .send({
          openingHours: [{ weekday: 1, from: '09:00', to: '18:00' }],
          closures: [training, { from: `${day(-10)}T00:00:00+08:00`, to: `${day(-8)}T00:00:00+08:00`, reason: '上次检修' }, upkeep],
          minNoticeHours: 24,
          maxAdvanceDays: 60,
          freeCancellationHours: 48,
          lateCancellationFeeBp: 5000,
          requiresQualification: true,
        })
        .expect(200);
      const page = text((await t.http.get(`/facilities/${tem}`).expect(200)).text);
      expect(page).toContain('预约条件上机资格须经服务机构上机培训认定后方可预约');
      expect(page).toContain(
        '预约须知至少提前24小时、最多提前60天预约，每家企业已预约且尚未结束的机时合计不超过168小时（同一实际控制人下的企业合并计算）；开始前48小时内取消或未到场，按费用的50%收取违约金（由企业自付，不从科技创新券中扣除）',
      );
      const closures = [upkeep, training].map((c) => `${formatClosure(c.from, c.to)}${c.reason}`.replace(/\s+/g, ''));
      expect(page).toContain(`停机安排${closures.join('')}`);
      expect(page).not.toContain('上次检修');
    });

    it('answers an unknown or malformed facility with a 404 page', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
        const res = await t.http.get(`/facilities/${id}`).expect(404);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(text(res.text)).toContain('未找到该服务');
      }
    });

    it('leaves the JSON catalogue under /api, and the pages out of the OpenAPI document', async () => {
      const res = await t.http.get('/api/facilities?q=电镜').expect(200);
      expect(res.body).toMatchObject({ total: 1, items: [{ id: tem }] });
      await t.http.get(`/api/facilities/${tem}`).expect(200);
      const doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDoc;
      expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/'))).toEqual([]);
    });
  });

  // Last: it moves the clock days ahead.
  describe('a revoked voucher whose claim is decided later', () => {
    it('keeps the day it was revoked, on the page, in the JSON verification and on the certificate', async () => {
      const lab = await t.registerProvider('310000');
      const revokedVoucher = await issueVoucher(t, holder.token, 200_000);
      const claimId = await submittedClaim(t, lab.token, holder.token, revokedVoucher.id, {
        name: '扫描电镜 机时',
        unitPriceFen: 40_000,
        hours: 2,
      });
      const bureau = await t.as(bureauFor('340100'));
      await t.http.post(`/api/vouchers/${revokedVoucher.id}/revoke`).set(bureau).send({ reason: '虚报材料' }).expect(200);
      const revokedOn = beijingDate(clock.iso());
      clock.travel(3 * DAY_MS);
      // the claim is cut: what it does not pay leaves the revoked voucher's spent balance for the budget
      await t.http.post(`/api/claims/${claimId}/approve`).set(bureau).send({ approvedFen: 30_000, reason: '核减' }).expect(200);
      const page = text((await t.http.get(`/verify/${revokedVoucher.verificationCode}`).expect(200)).text);
      expect(page).toContain(`撤销日期${formatDate(revokedOn)}`);
      expect(page).toContain(`已于${formatDate(revokedOn)}撤销`);
      const api = (await t.http.get(`/api/vouchers/verify/${revokedVoucher.verificationCode}`).expect(200)).body;
      expect(beijingDate(api.revokedAt)).toBe(revokedOn);
      const certificate = await t.http
        .get(`/api/vouchers/${revokedVoucher.id}/certificate`)
        .set(auth(holder.token))
        .buffer(true)
        .parse(binary)
        .expect(200);
      // the void stamp's English line gives the ISO day
      expect((await pdfParse(certificate.body as Buffer)).text).toContain(revokedOn);
    });
  });

  describe('paths no page serves', () => {
    const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

    it('sends the bare address to the catalogue', async () => {
      const res = await t.http.get('/').set('Accept', BROWSER_ACCEPT).expect(302);
      expect(res.headers.location).toBe('/facilities');
    });

    it.each(['/verify', '/verify/', '/notice', '/no/such/page'])(
      'answers %s in a browser with the Chinese 404 page, not the API’s JSON',
      async (path) => {
        const res = await t.http.get(path).set('Accept', BROWSER_ACCEPT).expect(404);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['content-security-policy']).toContain("default-src 'none'");
        const page = text(res.text);
        expect(page).toContain('页面不存在');
        expect(page).toContain('浏览服务目录');
        expect(res.text).not.toContain('Cannot');
        expect(res.text).not.toContain('未找到该记录');
      },
    );

    it('answers /facilities/ with a page: the catalogue (Express ignores the slash) or the 404 page (Fastify does not)', async () => {
      const res = await t.http.get('/facilities/').set('Accept', BROWSER_ACCEPT);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(text(res.text)).toContain(res.status === 200 ? '服务目录' : '页面不存在');
      expect([200, 404]).toContain(res.status);
    });

    // One address, two answers chosen by Accept: a cache that keeps one must know to give it only to the same kind of client.
    it('says that its answer outside /api depends on Accept, so no cache hands the JSON to a browser', async () => {
      for (const accept of [BROWSER_ACCEPT, 'application/json']) {
        const res = await t.http.get('/notice').set('Accept', accept).expect(404);
        expect(res.headers.vary).toMatch(/\bAccept\b/i);
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });

    it('answers a browser at a path cut inside a character (/notices%E5%85) with the Chinese 404 page, an API client with JSON', async () => {
      for (const path of ['/notices%E5%85', '/%E0%A4%A', '/verify%E0']) {
        const res = await t.http.get(path).set('Accept', BROWSER_ACCEPT).expect(404);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.headers.vary).toMatch(/\bAccept\b/i);
        expect(res.text).toMatch(/^<!doctype html>\n<html lang="zh-CN">/);
        expect(text(res.text)).toContain('页面不存在');
        expect(res.text).toContain('<a class="tap" href="/facilities">浏览服务目录</a>');
        expect(res.text).not.toContain('not a valid URL');
      }
      // JSON as ever: Fastify's 400 for a path it cannot decode, Express's 404 for one no route serves
      for (const [path, accept] of [
        ['/notices%E5%85', 'application/json'],
        ['/api/facilities%E5%85', BROWSER_ACCEPT],
      ]) {
        const json = await t.http.get(path).set('Accept', accept);
        expect(json.headers['content-type']).toMatch(/^application\/json/);
        expect([400, 404]).toContain(json.status);
      }
    });

    it('tells someone at /verify without a code how to verify', async () => {
      for (const path of ['/verify', '/verify/']) {
        expect(text((await t.http.get(path).set('Accept', BROWSER_ACCEPT).expect(404)).text)).toContain('请扫描证书上的二维码');
      }
    });

    it('keeps JSON under /api whatever the client accepts, and for a client that takes no HTML elsewhere', async () => {
      const api = await t.http.get('/api/no-such-route').set('Accept', BROWSER_ACCEPT).expect(404);
      expect(api.headers['content-type']).toMatch(/^application\/json/);
      expect(api.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
      const json = await t.http.get('/notice').set('Accept', 'application/json').expect(404);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect(json.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    });
  });
});

// A bureau admits its year's labs in batches: a notice page cut at its first 100 hid the rest from the public.
describe('the notices page with more providers in notice than one page shows', () => {
  let t: TestApp;
  const names: string[] = [];

  beforeAll(async () => {
    t = await TestApp.start({ REGISTRATIONS_PER_IP_PER_HOUR: '1000' });
    const bureau = await t.as(bureauFor('320500'));
    for (let batch = 0; batch < 7; batch++) {
      await Promise.all(
        Array.from({ length: 15 }, async (_, i) => {
          const name = `苏州第${String(batch * 15 + i + 1).padStart(3, '0')}检测中心`;
          const p = await t.registerProvider('320500', { name }, false);
          await t.http.post(`/api/providers/${p.organizationId}/admit`).set(bureau).send({ noticeDays: 7 }).expect(200);
          names.push(name);
        }),
      );
    }
  });
  afterAll(() => t.close());

  it('says how many are in notice and pages through all of them', async () => {
    const first = text((await t.http.get('/notices').expect(200)).text);
    expect(first).toContain('共105家');
    const second = text((await t.http.get('/notices?page=2').expect(200)).text);
    for (const name of names) expect(first.includes(name) || second.includes(name)).toBe(true);
    expect(first).toContain('第1/2页');
    expect(second).toContain('第2/2页');
  });
});
