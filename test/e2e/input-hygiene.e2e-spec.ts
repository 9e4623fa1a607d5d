import iconv from 'iconv-lite';
import ical from 'node-ical';
import { PARAMS_PROVIDER_TOKEN } from 'nestjs-pino';
import { requestLogParams } from '../../src/common/http/request-log';
import { issueVoucher, openRegion } from '../support/fixtures';
import { auth, creditCodeIn, OrgSession, PASSWORD, TestApp } from '../support/test-app';

type LogLine = { req?: { path?: string } };

/**
 * What a hostile probe sent that the service took: text with control characters and line breaks where one line
 * belongs, names of nothing visible, files that are not UTF-8, hexadecimal numbers in queries, prototype keys, a
 * qualified list longer than one SQL statement may bind, a calendar name that writes iCalendar lines of its own.
 */
describe('input hygiene', () => {
  let t: TestApp;
  let lab: OrgSession;
  let bureauSh: string;
  const logged: LogLine[] = [];

  beforeAll(async () => {
    const destination = { write: (line: string) => void logged.push(JSON.parse(line)) };
    t = await TestApp.start({}, (builder) =>
      builder.overrideProvider(PARAMS_PROVIDER_TOKEN).useValue(requestLogParams('info', destination)),
    );
    [lab, bureauSh] = await Promise.all([t.registerProvider('320500'), t.token('bureau-sh')]);
  });
  afterAll(() => t?.close());

  const register = (organization: Record<string, unknown>, lng = 'en') =>
    t.http
      .post('/api/auth/register')
      .set('Accept-Language', lng)
      .send({
        username: `hygiene-${Math.random().toString(36).slice(2, 9)}`,
        password: PASSWORD,
        role: 'enterprise',
        organization: { name: '合肥微纳新材料科技有限公司', creditCode: creditCodeIn('340104'), ...organization },
      });
  const qualifiedCsv = (csv: string | Buffer, contentType = 'text/csv') =>
    t.http.put('/api/qualified-enterprises/310000').set(auth(bureauSh)).set('Content-Type', contentType).send(csv);
  const facilityCsv = (csv: string | Buffer, contentType = 'text/csv') =>
    t.http.post('/api/facilities/import?dryRun=true').set(auth(lab.token)).set('Content-Type', contentType).send(csv);
  const lines = (res: { body: { rejected: { line: number }[] } }) => res.body.rejected.map((r) => r.line);

  describe('a qualified list longer than one SQL statement may bind', () => {
    it('loads 33,000 rows of CSV and activates an enterprise named on the last of them', async () => {
      const waiting = await t.registerEnterprise('310000', { certificateNo: 'GQ-LAST' }, false);
      const codes = new Set<string>();
      while (codes.size < 32_999) codes.add(creditCodeIn('310000'));
      codes.delete(waiting.creditCode);
      const rows = [...codes].map((code, i) => `${code},GQ${i}`);
      const csv = ['creditCode,certificateNo', ...rows, `${waiting.creditCode},GQ-LAST`].join('\r\n');
      const res = await qualifiedCsv(csv).expect(200);
      expect(res.body).toEqual({ imported: rows.length + 1, rejected: [] });
      const me = (await t.http.get('/api/auth/me').set(auth(waiting.token)).expect(200)).body.organization;
      expect(me).toMatchObject({ status: 'active', certificateNo: 'GQ-LAST' });
      // loaded again, it changes nothing and answers the same
      expect((await qualifiedCsv(csv).expect(200)).body).toEqual(res.body);
    }, 180_000);

    it('refuses a CSV of more than 100,000 rows, as a JSON body is refused, naming the limit in the caller’s language', async () => {
      const csv = `creditCode,certificateNo\n${'91310000MA1K4B2Y3P,X\n'.repeat(100_001)}`;
      const en = await qualifiedCsv(csv).expect(400);
      expect(en.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: 'body: at most 100000 rows per import (this one has 100001)',
      });
      const zh = await qualifiedCsv(csv).set('Accept-Language', 'zh-CN').expect(400);
      expect(zh.body.message).toBe('body：每次导入最多 100000 行（本次有 100001 行）');
    }, 60_000);
  });

  describe('CSV rows named by the line they start on', () => {
    it('past blank lines and cells that hold line breaks (CRLF or LF), in a facility import', async () => {
      const csv = [
        'externalRef,name,category,unit,unitPriceFen,description', // 1
        '', // 2
        'A-1,扫描电镜,testing,hour,100,"第一行', // 3
        '第二行"', // 4
        '   ', // 5
        'A-2,透射电镜,testing,hour,abc,', // 6: refused
        'A-3,"多行\r\n描述",testing,hour,1,"x\r\ny\r\nz"', // 7–10
        'A-4,X射线,testing,hour,-5,', // 11: refused
      ].join('\r\n');
      const res = await facilityCsv(csv).expect(200);
      expect(res.body.rows.map((r: { line: number }) => r.line)).toEqual([3]);
      expect(lines(res)).toEqual([6, 7, 11]); // A-3's name is not one line
      expect(res.body.rejected[1].reason).toContain('name');
    });

    it('in a qualified list', async () => {
      const csv = `creditCode,certificateNo\n\n${creditCodeIn('310000')},"GQ\n2"\n\n\nbroken,GQ\n${creditCodeIn('310000')},GQ\n`;
      const res = await qualifiedCsv(csv).expect(200);
      expect(res.body.imported).toBe(1);
      expect(lines(res)).toEqual([3, 7]);
    });
  });

  describe('files and bodies that are not UTF-8', () => {
    const gbk = iconv.encode('externalRef,name,category,unit,unitPriceFen\nG-1,扫描电子显微镜,testing,hour,100\n', 'gbk');

    it('refuses a GBK file sent without its charset, saying how to send it, and reads it with charset=gbk', async () => {
      const en = await facilityCsv(gbk).expect(400);
      expect(en.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('not valid UTF-8') });
      expect(en.body.message).toContain('charset=gbk');
      const zh = await facilityCsv(gbk).set('Accept-Language', 'zh-CN').expect(400);
      expect(zh.body.message).toContain('UTF-8');
      expect(zh.body.message).toMatch(/另存为/);
      const read = await facilityCsv(gbk, 'text/csv; charset=gbk').expect(200);
      expect(read.body.rows).toEqual([expect.objectContaining({ line: 2, externalRef: 'G-1', action: 'created' })]);
      await qualifiedCsv(iconv.encode(`creditCode,certificateNo\n${creditCodeIn('310000')},高新技术\n`, 'gbk')).expect(400);
    });

    it('refuses a file with bytes its declared charset does not have, or in a charset it does not know (utf-7)', async () => {
      const broken = Buffer.concat([gbk, Buffer.from([0x81, 0x20]), Buffer.from(',testing,hour,100\n')]);
      const res = await facilityCsv(broken, 'text/csv; charset=gbk').set('Accept-Language', 'zh-CN').expect(400);
      expect(res.body.message).toContain('不属于 gbk 编码的字节');
      await facilityCsv(
        Buffer.from('externalRef,name,category,unit,unitPriceFen\nU7,+U1lUjA-,testing,hour,100\n'),
        'text/csv; charset=utf-7',
      ).expect(400);
    });

    it('refuses a JSON body declared in another charset than UTF-8', async () => {
      const body = Buffer.from('{"username":"platform","password":"x"}', 'utf16le');
      await t.http
        .post('/api/auth/login')
        .set('Content-Type', 'application/json; charset=utf-16le')
        .serialize((b: Buffer) => b as unknown as string)
        .send(body as unknown as object)
        .expect(400);
    });

    it('refuses a JSON body with bytes that are not UTF-8', async () => {
      const body = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xc4, 0xe3]), Buffer.from('","password":"x"}')]);
      const res = await t.http
        .post('/api/auth/login')
        .set('Content-Type', 'application/json')
        .serialize((b: Buffer) => b as unknown as string)
        .send(body as unknown as object)
        .expect(400);
      expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'body: is not valid UTF-8' });
    });
  });

  describe('control characters and line breaks', () => {
    it('refuses C0 and C1 controls and DEL in any string of a body or a query, in either language', async () => {
      for (const control of ['\u0000', '\u0007', '\u001b[31m', '\u000b', '\u007f', '\u0085', '\u009b']) {
        const res = await register({ name: `合肥${control}科技有限公司` }).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('organization.name') });
      }
      const zh = await register({ name: '合肥\u0007科技' }, 'zh-CN').expect(400);
      expect(zh.body.message).toBe('organization.name：必须是格式正确的 Unicode 文本（不得含孤立代理项，除制表符和换行外不得含控制字符）');
      const query = await t.http.get(`/api/facilities?q=${encodeURIComponent('电镜\u0007')}`).expect(400);
      expect(query.body.message).toContain('q');
    });

    it('refuses line breaks and tabs in one-line fields, and keeps them in text that has lines', async () => {
      for (const name of ['合肥\n科技有限公司', '合肥\r科技有限公司', '合肥\t科技有限公司', '合肥\u2028科技有限公司', '合肥\u2029科技']) {
        const res = await register({ name }).expect(400);
        expect(res.body.message).toBe(
          'organization.name: must be one line of visible text: no line break, tab, control or bidirectional character',
        );
      }
      const zh = await register({ name: '合肥\n科技有限公司' }, 'zh-CN').expect(400);
      expect(zh.body.message).toBe('organization.name：必须是含可见字符的单行文本，不得含换行、制表符、控制字符或双向字符');
      const facility = (body: Record<string, unknown>) =>
        t.http
          .post('/api/facilities')
          .set(auth(lab.token))
          .send({ name: '扫描电镜', category: 'testing', unit: 'hour', unitPriceFen: 1000, ...body });
      await facility({ name: 'SEM\r\nBEGIN:VEVENT' }).expect(400);
      const lined = await facility({ description: '含能谱分析\n含制样\r\n\t另计' }).expect(201);
      expect(lined.body.description).toBe('含能谱分析\n含制样\r\n\t另计');
      await facility({ description: '含能谱\u001b[2J分析' }).expect(400);
      const key = await t.http.post('/api/api-keys').set(auth(lab.token)).send({ name: '浙江\n科技大脑' });
      expect(key.status).toBe(400);
      expect(key.body.message).toContain('name');
    });

    it('keeps a reviewer’s reason to lines of visible text: no bidirectional control to reorder what a notice or mail shows', async () => {
      const sanction = (reason: string, lng = 'en') =>
        t.http
          .post('/api/sanctions')
          .set(auth(bureauSh))
          .set('Accept-Language', lng)
          .send({ creditCode: creditCodeIn('310000'), reason });
      for (const reason of ['发票抬头有误\u202Eabc', '伪造\u2066报告\u2069', ' \u200b ']) {
        const res = await sanction(reason).expect(400);
        expect(res.body.message).toContain('reason');
      }
      expect((await sanction('发票抬头有误\u202E', 'zh-CN').expect(400)).body.message).toBe(
        'reason：不得包含双向控制字符（U+202A–U+202E、U+2066–U+2069）',
      );
      const lined = await sanction('伪造检测报告\n骗取创新券补贴').expect(201);
      expect(lined.body.reason).toBe('伪造检测报告\n骗取创新券补贴');
    });

    it('holds CSV cells, which reach no request pipe, to the same rules row by row', async () => {
      const csv = [
        'externalRef,name,category,unit,unitPriceFen,description',
        'C-1,扫描电镜,testing,hour,100,"多行\n描述"',
        'C-2,透射\u0007电镜,testing,hour,100,',
        'C-3,透射电镜,testing,hour,100,描述\u0085',
        'C-4,"透射\n电镜",testing,hour,100,',
        'C\u20285,透射电镜,testing,hour,100,',
      ].join('\n');
      const res = await facilityCsv(csv).expect(200);
      expect(res.body.rows.map((r: { line: number }) => r.line)).toEqual([2]);
      expect(res.body.rejected).toEqual([
        { line: 4, reason: expect.stringContaining('name') },
        { line: 5, reason: expect.stringContaining('description') },
        { line: 6, reason: expect.stringContaining('name') },
        { line: 8, reason: expect.stringContaining('externalRef') },
      ]);
      const qualified = await qualifiedCsv(
        `creditCode,certificateNo\n${creditCodeIn('310000')},GR\t2026\n${creditCodeIn('310000')},"GR\n2026"\n${creditCodeIn('310000')},GR\u001b2026\n`,
      ).expect(200);
      expect(qualified.body.imported).toBe(0);
      expect(qualified.body.rejected).toEqual([2, 3, 5].map((line) => ({ line, reason: expect.stringContaining('certificateNo') })));
    });
  });

  describe('names of nothing visible', () => {
    it('an organization name needs two visible characters: blanks and zero-width characters do not count', async () => {
      for (const name of [
        '  ',
        '\u3000\u3000',
        '\u200b\u200b',
        '\u200b\u00ad\ufeff',
        ' A\u200b ',
        '\u2060\u2063\u2064',
        '\u2800\u2800',
        '\u0301\u0301',
        '\ue000\ue000',
        '\uffff\ufffe',
      ]) {
        const res = await register({ name }).expect(400);
        expect(res.body.message).toContain('organization.name');
      }
      const zh = await register({ name: '\u200b\u200b' }, 'zh-CN').expect(400);
      expect(zh.body.message).toContain('organization.name：至少须含 2 个可见字符');
      const ok = await register({ name: '  微纳  ' }).expect(201);
      expect(ok.body.organization.name).toBe('微纳');
    });

    it('a bank, a contact, an API key’s name: one line that shows something', async () => {
      for (const body of [{ bankName: '\u3000\u3000' }, { contactPerson: '\u200e\u200f' }]) {
        const res = await t.http.patch(`/api/organizations/${lab.organizationId}`).set(auth(lab.token)).send(body).expect(400);
        expect(res.body.message).toContain(Object.keys(body)[0]);
      }
      const key = await t.http.post('/api/api-keys').set(auth(lab.token)).send({ name: '\u200b\u200b' }).expect(400);
      expect(key.body.message).toContain('name');
    });

    it('a facility name needs one visible character', async () => {
      for (const name of ['\u200b', '\u200b\u200d', '\ufeff', '\u2800']) {
        const res = await t.http
          .post('/api/facilities')
          .set(auth(lab.token))
          .send({ name, category: 'testing', unit: 'hour', unitPriceFen: 1000 })
          .expect(400);
        expect(res.body.message).toContain('name');
      }
    });
  });

  describe('the iCalendar feed', () => {
    it('escapes the organization’s name as RFC 5545 text, is not stored by caches, and its token stays out of the log', async () => {
      const e = await t.registerEnterprise('310104', { name: '上海,微纳;检测\\中心' });
      // A name stored before line breaks were refused: it must not write lines of its own into the feed.
      await t.dataSource.query('UPDATE organization SET name = ? WHERE id = ?', [
        '上海,微纳;检测\\中心\r\nEND:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:injected\r\nSUMMARY:伪造\r\nEND:VEVENT',
        e.organizationId,
      ]);
      const path = new URL((await t.http.post('/api/calendar/feed').set(auth(e.token)).expect(201)).body.url).pathname;
      const res = await t.http.get(path).set('X-Request-Id', 'feed-read-1').expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const unfolded = res.text.replace(/\r\n[ \t]/g, '').split('\r\n');
      expect(unfolded.filter((l) => /^(NAME|X-WR-CALNAME):/.test(l))).toEqual(
        ['NAME', 'X-WR-CALNAME'].map(
          (p) => `${p}:上海\\,微纳\\;检测\\\\中心\\nEND:VCALENDAR\\nBEGIN:VEVENT\\nUID:injected\\nSUMMARY:伪造\\nEND:VEVENT 仪器预约`,
        ),
      );
      expect(res.text).not.toMatch(/^(UID:injected|BEGIN:VEVENT)/m);
      const parsed = Object.values(ical.sync.parseICS(res.text));
      expect(parsed.filter((c) => c?.type === 'VEVENT')).toEqual([]);

      const token = path
        .split('/')
        .pop()!
        .replace(/\.ics$/, '');
      for (let i = 0; i < 50 && !logged.some((l) => JSON.stringify(l).includes('feed-read-1')); i++)
        await new Promise((r) => setTimeout(r, 20));
      const line = logged.find((l) => JSON.stringify(l).includes('feed-read-1'));
      expect(line?.req?.path).toBe('/api/calendar/<token>.ics');
      expect(JSON.stringify(logged)).not.toContain(token);
    });
  });

  describe('text counted in characters as the database counts them', () => {
    // "❤️" is two characters (U+2764 U+FE0F); class-validator counted one, and MariaDB refused the row (a 500)
    const hearts = (n: number) => '\u2764\uFE0F'.repeat(n);

    it('refuses a nested field too long (organization.name), in both languages', async () => {
      const en = await register({ name: hearts(101) });
      expect([en.status, en.body.message]).toEqual([400, 'organization.name: must be 2–200 characters long']);
      const zh = await register({ name: hearts(101) }, 'zh-CN');
      expect([zh.status, zh.body.message]).toEqual([400, 'organization.name：长度须为 2–200 个字符']);
      expect((await register({ name: hearts(100) })).status).toBe(201);
    });

    it('refuses an imported facility’s name too long, in a JSON body and in a CSV row', async () => {
      const row = { externalRef: 'HEART-01', name: hearts(101), category: 'testing', unit: 'hour', unitPriceFen: 1000 };
      const json = await t.http
        .post('/api/facilities/import?dryRun=true')
        .set(auth(lab.token))
        .send({ rows: [row] });
      expect([json.status, json.body.message]).toEqual([400, 'rows.0.name: must be at most 200 characters long']);
      const csv = await t.http
        .post('/api/facilities/import?dryRun=true')
        .set(auth(lab.token))
        .set('content-type', 'text/csv')
        .send(`externalRef,name,category,unit,unitPriceFen\r\nHEART-01,${hearts(101)},testing,hour,1000\r\n`);
      expect([csv.status, csv.body.rejected]).toEqual([200, [{ line: 2, reason: 'name: must be at most 200 characters long' }]]);
    });

    it('answers a login whose username grows when folded to lower case (İ is i and a combining dot) as any unknown one, not 500', async () => {
      // 64 "İ" pass Length(1, 64); lower-cased they are 128 characters, and the throttle's key (login-user: and the
      // name) was 139 in a VARCHAR(120): MariaDB refused the row, SQLite kept it whole
      const username = '\u0130'.repeat(64);
      const res = await t.http.post('/api/auth/login').send({ username, password: 'not-the-password-2026' });
      expect([res.status, res.body.code]).toEqual([401, 'UNAUTHENTICATED']);
      const keys: { k: string }[] = await t.dataSource.query(
        `SELECT throttle_key AS k FROM throttle WHERE throttle_key LIKE 'login-user:%'`,
      );
      expect(Math.max(...keys.map((r) => [...r.k].length))).toBeLessThanOrEqual(120);
    });
  });

  describe('numbers in query strings', () => {
    it('prices a quote only for a quantity of decimal digits: 0x10, 1e3 and padded numbers are 400', async () => {
      await openRegion(t, '340000');
      const e = await t.registerEnterprise('340104');
      const voucher = await issueVoucher(t, e.token, 1_000_000);
      const facility = (
        await t.http
          .post('/api/facilities')
          .set(auth(lab.token))
          .send({ name: '透射电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 100 })
          .expect(201)
      ).body;
      const quote = (quantity: string) =>
        t.http.get(`/api/facilities/${facility.id}/quote?voucherId=${voucher.id}&quantity=${quantity}`).set(auth(e.token));
      expect((await quote('16').expect(200)).body.feeFen).toBe(1600);
      for (const quantity of ['0x10', '1e3', '0b11', '0o17', '%2016', '16.0', '+16', '１６']) {
        const res = await quote(quantity).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('quantity') });
      }
      for (const url of ['/api/events?limit=0x10', '/api/vouchers?limit=1e1', '/api/vouchers?offset=0x0']) {
        const res = await t.http.get(url).set(auth(bureauSh)).expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      expect((await t.http.get('/api/vouchers?limit=2&offset=0').set(auth(bureauSh)).expect(200)).body.items.length).toBeLessThanOrEqual(2);
    });
  });

  describe('prototype keys', () => {
    it('refuses __proto__ and constructor in a body as any unknown field, naming the key', async () => {
      const send = (json: string) => t.http.post('/api/auth/register').set('Content-Type', 'application/json').send(json);
      const valid = {
        username: 'proto-check',
        password: PASSWORD,
        role: 'enterprise',
        organization: { name: '原型检查', creditCode: creditCodeIn('340104') },
      };
      const body = JSON.stringify(valid);
      for (const [json, field] of [
        [`{"__proto__":{"admin":true},${body.slice(1)}`, '__proto__'],
        [`{"constructor":{"prototype":{"admin":true}},${body.slice(1)}`, 'constructor'],
        [body.replace('"organization":{', '"organization":{"__proto__":{"status":"active"},'), 'organization.__proto__'],
      ]) {
        const res = await send(json).expect(400);
        expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: `${field}: is not an accepted field` });
      }
      await send(body).expect(201);
    });
  });

  describe('a body where none is taken', () => {
    it('is refused naming its first field, in the caller’s language; an empty one is taken', async () => {
      const e = await t.registerEnterprise('340100');
      const refused = await t.http.post('/api/calendar/feed').set(auth(e.token)).send({ timezone: 'Asia/Shanghai' }).expect(400);
      expect(refused.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'timezone: is not an accepted field' });
      const zh = await t.http
        .post('/api/auth/mfa/setup')
        .set(auth(e.token))
        .set('Accept-Language', 'zh-CN')
        .send({ issuer: 'x' })
        .expect(400);
      expect(zh.body.message).toBe('issuer：不是可接受的字段');
      await t.http.post('/api/auth/mfa/setup').set(auth(e.token)).send(['x']).expect(400);
      // nothing was done: no secret set up, no feed made
      const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM calendar_feed WHERE user_id = ?', [e.userId]);
      expect(Number(n)).toBe(0);
      await t.http.post('/api/calendar/feed').set(auth(e.token)).send({}).expect(201);
      await t.http.post('/api/auth/mfa/setup').set(auth(e.token)).expect(200);
      // a GET's body means nothing (Fastify never reads one): ignored on both adapters
      await t.http.get('/api/regions').send({ timezone: 'Asia/Shanghai' }).expect(200);
      // a route that reads the request itself (a CSV import) is not refused for it
      await facilityCsv('externalRef,name,category,unit,unitPriceFen\r\nA-1,拉曼光谱,testing,hour,30000\r\n').expect(200);
    });
  });

  describe('null', () => {
    it('is refused where a field may only be left out, naming it; taken where the contract says null clears', async () => {
      const en = await t.http.post('/api/api-keys').set(auth(lab.token)).send({ name: '省平台', readOnly: null }).expect(400);
      expect(en.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'readOnly: may be left out, but not null' });
      const zh = await t.http
        .post('/api/api-keys')
        .set(auth(lab.token))
        .set('Accept-Language', 'zh-CN')
        .send({ name: '省平台', readOnly: null })
        .expect(400);
      expect(zh.body.message).toBe('readOnly：可以不填，但不能为 null');
      // no key was made of it
      expect((await t.http.get('/api/api-keys').set(auth(lab.token)).expect(200)).body.total).toBe(0);
      const facility = await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '拉曼光谱', category: 'testing', unit: 'hour', unitPriceFen: 30_000, description: '共聚焦' })
        .expect(201);
      const cleared = await t.http
        .patch(`/api/facilities/${facility.body.id}`)
        .set(auth(lab.token))
        .send({ description: null })
        .expect(200);
      expect(cleared.body.description).toBeNull();
      // a login form that sends otp: null for an account without two-factor
      await t.http.post('/api/auth/login').send({ username: lab.username, password: PASSWORD, otp: null }).expect(200);
    });
  });

  describe('the public verification page', () => {
    it('answers a code whose percent-encoding is broken with the page for an unknown code', async () => {
      for (const path of ['/verify/%E0%A4%A', '/verify/%', '/verify/abc%ZZ']) {
        const res = await t.http.get(path).expect(404);
        expect(res.headers['content-type']).toMatch(/text\/html/);
        expect(res.text).toContain('无效 / 未找到');
        expect(res.headers['cache-control']).toBe('no-store');
      }
      expect((await t.http.get('/verify/UNKNOWN-CODE').expect(404)).text).toContain('无效 / 未找到');
    });
  });
});
