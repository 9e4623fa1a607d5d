import { translate } from '../../src/common/i18n/messages';
import iconv from 'iconv-lite';
import type { components } from '../../client';
import { auth, creditCodeIn, OrgSession, TestApp } from '../support/test-app';

const HEADER = 'externalRef,name,category,unit,unitPriceFen,description';

describe('bulk facility import (CSV or JSON), idempotent by externalRef', () => {
  let t: TestApp;
  let provider: OrgSession;
  let otherProvider: OrgSession;

  beforeAll(async () => {
    t = await TestApp.start();
    [provider, otherProvider] = await Promise.all([t.registerProvider('320500'), t.registerProvider('320500')]);
  });

  afterAll(() => t?.close());

  const csvImport = (token: string, csv: string, dryRun = false) =>
    t.http
      .post(`/api/facilities/import${dryRun ? '?dryRun=true' : ''}`)
      .set(auth(token))
      .set('content-type', 'text/csv')
      .send(csv);
  /** A JSON import through the typed client (a CSV file goes as raw text/csv above). */
  const jsonImport = async (token: string, body: components['schemas']['ImportFacilitiesInput']) =>
    (await t.client(token)).POST('/api/facilities/import', { body });
  const mine = async (providerId: string) => {
    const { data, response } = await (
      await t.client()
    ).GET('/api/facilities', { params: { query: { provinceCode: '320000', limit: 500 } } });
    expect(response.status).toBe(200);
    return data!.items.filter((f) => f.providerId === providerId);
  };

  // UTF-8 with a BOM, as Excel saves it; a quoted name with a comma and doubled quotes; a bad price; a repeated reference
  const file = [
    `\uFEFF${HEADER}`,
    'SEM-01,扫描电子显微镜 (SEM) 机时,testing,hour,40000,含能谱分析',
    '"XRD-01","X 射线衍射仪, ""高分辨"" 机时",testing,hour,30000,',
    'NMR-01,核磁共振波谱仪,testing,sample,abc,',
    'SEM-01,重复的参考号,testing,hour,1,',
    'ICP-01,电感耦合等离子体质谱,testing,sample,25000,"多元素, 痕量"',
  ].join('\r\n');

  it('dry run: reports each row and each refusal with its line, and changes nothing', async () => {
    const res = await csvImport(provider.token, file, true).expect(200);
    expect(res.body).toMatchObject({ dryRun: true, created: 3, updated: 0, unchanged: 0 });
    expect(res.body.rows.map((r: { line: number; action: string; facilityId: null }) => [r.line, r.action, r.facilityId])).toEqual([
      [2, 'created', null],
      [3, 'created', null],
      [6, 'created', null],
    ]);
    expect(res.body.rejected).toEqual([
      { line: 4, reason: expect.stringContaining('unitPriceFen') },
      { line: 5, reason: 'externalRef: SEM-01 is already on line 2' },
    ]);
    expect(await mine(provider.organizationId)).toEqual([]);
  });

  it('says why a row was refused in the caller’s language', async () => {
    const res = await csvImport(provider.token, file, true).set('Accept-Language', 'zh-CN').expect(200);
    expect(res.body.rejected).toEqual([
      { line: 4, reason: expect.stringMatching(/^unitPriceFen：/) },
      { line: 5, reason: 'externalRef：SEM-01 已在第 2 行出现' },
    ]);
    expect(res.body.rejected[0].reason).not.toMatch(/must|should/);
  });

  it('a file with no header line is 400 naming the columns; a header alone imports nothing', async () => {
    for (const empty of ['', '\uFEFF', '\r\n\r\n']) {
      const res = await csvImport(provider.token, empty, true).expect(400);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('externalRef,name,category,unit,unitPriceFen'),
      });
    }
    const zh = await csvImport(provider.token, '\uFEFF', true).set('Accept-Language', 'zh-CN').expect(400);
    expect(zh.body.message).toContain('CSV 文件为空');
    const one = await csvImport(provider.token, 'a', true).expect(400);
    expect(one.body.message).toContain('missing externalRef, name, category, unit, unitPriceFen');
    const oneZh = await csvImport(provider.token, 'a', true).set('Accept-Language', 'zh-CN').expect(400);
    expect(oneZh.body.message).toContain('CSV 首行须列出 externalRef, name, category, unit, unitPriceFen（缺少');
    // a file the parser cannot read: what is wrong and the line it stopped at, in the caller's language
    const cases: [file: string, en: string, zh: string][] = [
      [
        `${HEADER}\nref-1,"显微镜"x,testing,hour,100\n`,
        'body: not a CSV file: a closing quote on line 2 is followed by other characters',
        'body：不是有效的 CSV 文件（第 2 行的右引号后有多余字符）',
      ],
      [
        `${HEADER}\nref-1,"显微镜" 2,testing,hour,100\n`,
        'body: not a CSV file: a closing quote on line 2 is followed by other characters',
        'body：不是有效的 CSV 文件（第 2 行的右引号后有多余字符）',
      ],
      [
        `${HEADER}\nref-1,显微镜"x",testing,hour,100\n`,
        'body: not a CSV file: a quote inside a cell on line 2 (a cell with quotes starts and ends with one, and doubles those inside it)',
        'body：不是有效的 CSV 文件（第 2 行的单元格中间有引号：含引号的单元格须整格用引号括起，格内的引号写成两个）',
      ],
      [
        `${HEADER}\nref-1,"显微镜,testing,hour,100\nref-2,光谱仪,testing,hour,100\n`,
        'body: not a CSV file: a quote is never closed (the file ends on line 3)',
        'body：不是有效的 CSV 文件（有引号直到文件末尾第 3 行仍未闭合）',
      ],
    ];
    for (const [bad, en, zh] of cases) {
      expect((await csvImport(provider.token, bad, true).expect(400)).body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: en,
      });
      const inChinese = await csvImport(provider.token, bad, true).set('Accept-Language', 'zh-CN').expect(400);
      expect(inChinese.body.message).toBe(zh);
    }
    // a column named twice: which one a row means cannot be told (the last one won)
    const twice = await csvImport(provider.token, `${HEADER},name\nDUP-1,透射电镜,testing,hour,100,,扫描电镜\n`, true)
      .set('Accept-Language', 'zh-CN')
      .expect(400);
    expect(twice.body.message).toBe('body：CSV 首行有两列都叫 name');
    // a charset no decoder knows is unsupported (it read 文件中有不属于 klingon 编码的字节)
    const klingon = await t.http
      .post('/api/facilities/import?dryRun=true')
      .set(auth(provider.token))
      .set('Content-Type', 'text/csv; charset=klingon')
      .set('Accept-Language', 'zh-CN')
      .send(file)
      .expect(400);
    expect(klingon.body.message).toBe(translate('zh', 'validation.charsetUnsupported'));
    // a spreadsheet's trailing commas after the header name no column: rows read as they are, a value under one is refused
    const padded = await csvImport(provider.token, `${HEADER},,\nPAD-1,透射电镜,testing,hour,100,,,\n`, true).expect(200);
    expect(padded.body).toMatchObject({ created: 1, rejected: [] });
    const underNoName = await csvImport(provider.token, `${HEADER},,\nPAD-1,透射电镜,testing,hour,100,,x,\n`, true)
      .set('Accept-Language', 'zh-CN')
      .expect(400);
    expect(underNoName.body.message).toBe('第 2 行有 8 个单元格，但首行只列出 6 列；含逗号的内容请加英文双引号');
    const headerOnly = await csvImport(provider.token, `\uFEFF${HEADER}\r\n`, true).expect(200);
    expect(headerOnly.body).toMatchObject({ created: 0, updated: 0, unchanged: 0, rows: [], rejected: [] });
  });

  it('reads a file saved in GBK (charset=gbk), as spreadsheets in China often save CSV, as the same rows', async () => {
    const utf8 = await csvImport(provider.token, file, true).expect(200);
    const gbk = await t.http
      .post('/api/facilities/import?dryRun=true')
      .set(auth(provider.token))
      .set('content-type', 'text/csv; charset=gbk')
      .send(iconv.encode(file.slice(1), 'gbk'))
      .expect(200);
    expect(gbk.body).toEqual(utf8.body);
  });

  it('imports, and a second import of the same file changes nothing; a changed row updates its facility, never duplicates it', async () => {
    const first = await csvImport(provider.token, file).expect(200);
    expect(first.body).toMatchObject({ dryRun: false, created: 3, updated: 0, unchanged: 0 });
    const listed = await mine(provider.organizationId);
    expect(listed.map((f) => f.name).sort()).toEqual(
      ['X 射线衍射仪, "高分辨" 机时', '扫描电子显微镜 (SEM) 机时', '电感耦合等离子体质谱'].sort(),
    );
    expect(listed.find((f) => f.name.startsWith('电感'))!.description).toBe('多元素, 痕量');

    const again = await csvImport(provider.token, file).expect(200);
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(again.body.rows.map((r: { facilityId: string }) => r.facilityId).sort()).toEqual(
      first.body.rows.map((r: { facilityId: string }) => r.facilityId).sort(),
    );

    const changed = await jsonImport(provider.token, {
      rows: [{ externalRef: 'SEM-01', name: '扫描电子显微镜 (SEM) 机时', category: 'testing', unit: 'hour', unitPriceFen: 45000 }],
    });
    expect(changed.response.status).toBe(200);
    expect(changed.data).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    const after = await mine(provider.organizationId);
    expect(after).toHaveLength(3);
    expect(after.find((f) => f.name.startsWith('扫描'))).toMatchObject({ unitPriceFen: 45000, description: null });
    // the same reference at another provider is that provider's own facility
    const theirs = await jsonImport(otherProvider.token, {
      rows: [{ externalRef: 'SEM-01', name: '场发射扫描电镜', category: 'testing', unit: 'hour', unitPriceFen: 50000 }],
    });
    expect(theirs.response.status).toBe(200);
    expect(theirs.data!.created).toBe(1);
    expect(await mine(provider.organizationId)).toHaveLength(3);
  });

  it('keeps the unit of a facility it imported: an hourly instrument with a calendar does not become one sold by the sample', async () => {
    const row = { externalRef: 'TEM-U1', name: '透射电镜 机时', category: 'testing' as const, unit: 'hour' as const, unitPriceFen: 80000 };
    const first = await jsonImport(provider.token, { rows: [row] });
    const id = first.data!.rows[0].facilityId!;
    const calendar = { openingHours: [{ weekday: 1, from: '09:00', to: '18:00' }], minNoticeHours: 24, maxAdvanceDays: 60 };
    const terms = { ...calendar, freeCancellationHours: 24, lateCancellationFeeBp: 0, requiresQualification: false };
    await t.http.put(`/api/facilities/${id}/calendar`).set(auth(provider.token)).send(terms).expect(200);
    const res = await csvImport(provider.token, `${HEADER}\nTEM-U1,透射电镜 机时,testing,sample,90000,`)
      .set('Accept-Language', 'zh-CN')
      .expect(200);
    expect(res.body).toMatchObject({
      updated: 0,
      rejected: [{ line: 2, reason: expect.stringContaining('TEM-U1 对应的仪器设施按小时计价') }],
    });
    expect((await t.http.get(`/api/facilities/${id}`).expect(200)).body).toMatchObject({ unit: 'hour', unitPriceFen: 80000 });
    // the price alone changes as before
    const priced = await jsonImport(provider.token, { rows: [{ ...row, unitPriceFen: 90000 }] });
    expect(priced.data).toMatchObject({ updated: 1, rejected: [] });
  });

  it('sets a contact from its column; a file without the column keeps it, an empty cell clears it', async () => {
    const lab = await t.registerProvider('320500');
    const row = (contact?: string) =>
      `AFM-01,原子力显微镜 (AFM) 机时,testing,hour,50000,纳米形貌${contact === undefined ? '' : `,${contact}`}`;
    const contactOf = async () => (await mine(lab.organizationId))[0].contact;
    expect(
      (await csvImport(lab.token, [`${HEADER},contact`, row('"王老师 0512-6287 0000, 周一至周五"')].join('\n')).expect(200)).body,
    ).toMatchObject({ created: 1, rejected: [] });
    expect(await contactOf()).toBe('王老师 0512-6287 0000, 周一至周五');
    // the lab's older file, without the column: unchanged, the contact kept
    expect((await csvImport(lab.token, [HEADER, row()].join('\n')).expect(200)).body).toMatchObject({ unchanged: 1 });
    expect(await contactOf()).toBe('王老师 0512-6287 0000, 周一至周五');
    // a JSON row without the field keeps it too; null clears it, as an empty cell does
    const { data } = await jsonImport(lab.token, {
      rows: [
        {
          externalRef: 'AFM-01',
          name: '原子力显微镜 (AFM) 机时',
          category: 'testing',
          unit: 'hour',
          unitPriceFen: 50000,
          description: '纳米形貌',
          contact: '实验室前台 0512-6287 0001',
        },
      ],
    });
    expect(data).toMatchObject({ updated: 1 });
    expect(await contactOf()).toBe('实验室前台 0512-6287 0001');
    expect((await csvImport(lab.token, [`${HEADER},contact`, row('')].join('\n')).expect(200)).body).toMatchObject({ updated: 1 });
    expect(await contactOf()).toBeNull();
    // a row that stops before the column (a spreadsheet dropping trailing empty cells) reads as an empty cell, not as no column
    await csvImport(lab.token, [`${HEADER},contact`, row('李老师')].join('\n')).expect(200);
    expect(await contactOf()).toBe('李老师');
    expect((await csvImport(lab.token, [`${HEADER},contact`, row()].join('\n')).expect(200)).body).toMatchObject({
      updated: 1,
      rejected: [],
    });
    expect(await contactOf()).toBeNull();
    // one line, at most 200 characters: a row that breaks either is refused with its line, the others load
    const refused = await csvImport(
      lab.token,
      [`${HEADER},contact`, row(`${'电'.repeat(201)}`), row('"第一行\n第二行"')].join('\n'),
    ).expect(200);
    expect(refused.body.rejected.map((r: { line: number; reason: string }) => [r.line, /contact/.test(r.reason)])).toEqual([
      [2, true],
      [3, true],
    ]);
  });

  it('names the rule a price in a cell breaks, as POST /api/facilities does: a negative or zero price is out of range, not a fraction', async () => {
    const rows = ['NEG-01,负价,testing,hour,-5,', 'ZERO-01,零价,testing,hour,0,', 'HALF-01,半分,testing,hour,1.5,'];
    const res = await csvImport(provider.token, [HEADER, ...rows].join('\r\n'), true).expect(200);
    const single = await t.http
      .post('/api/facilities')
      .set(auth(provider.token))
      .send({ name: '负价', category: 'testing', unit: 'hour', unitPriceFen: -5 })
      .expect(400);
    expect(res.body.rejected).toEqual([
      { line: 2, reason: single.body.message },
      { line: 3, reason: single.body.message },
      { line: 4, reason: 'unitPriceFen: must be a whole number of fen (1 yuan = 100 fen)' },
    ]);
    expect(single.body.message).toMatch(/^unitPriceFen: must be a whole number of fen from 1 to /);
  });

  it('takes a lab’s 300 instruments in one file', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `INST-${String(i).padStart(3, '0')},仪器 ${i} 机时,testing,hour,${10_000 + i},`);
    const res = await csvImport(otherProvider.token, [HEADER, ...rows].join('\n')).expect(200);
    expect(res.body).toMatchObject({ created: 300, rejected: [] });
    expect(await mine(otherProvider.organizationId)).toHaveLength(301);
  });

  it('takes as JSON what it takes as CSV: a catalogue past 100 kB is no 413, and a province’s qualified list of 5,000 enterprises neither', async () => {
    const lab = await t.registerProvider('320500');
    const description = '场发射扫描电子显微镜，配能谱仪与背散射探头，可做形貌观察、成分分析与晶体取向分析，含制样与数据报告。'.repeat(3);
    const rows = Array.from({ length: 400 }, (_, i) => ({
      externalRef: `SEM-${String(i).padStart(4, '0')}`,
      name: `扫描电镜 ${i} 号机时`,
      category: 'testing' as const,
      unit: 'hour' as const,
      unitPriceFen: 20_000 + i,
      description,
    }));
    expect(Buffer.byteLength(JSON.stringify({ rows }))).toBeGreaterThan(200_000);
    const { data, response, error } = await jsonImport(lab.token, { rows });
    expect([response.status, error?.code]).toEqual([200, undefined]);
    expect(data).toMatchObject({ created: 400, rejected: [] });
    const last = await t.http.get('/api/facilities').query({ q: '扫描电镜 399 号机时' }).expect(200);
    expect(last.body.items.map((f: { providerId: string }) => f.providerId)).toContain(lab.organizationId);

    // the qualified list, as its JSON form allows (up to 100,000 rows)
    const listed = Array.from({ length: 5_000 }, (_, i) => ({
      creditCode: creditCodeIn('320500'),
      certificateNo: `GR2026320${String(i).padStart(5, '0')}`,
    }));
    expect(Buffer.byteLength(JSON.stringify({ rows: listed }))).toBeGreaterThan(200_000);
    const loaded = await t.http
      .put('/api/qualified-enterprises/320500')
      .set(auth(await t.token('bureau-js')))
      .send({ rows: listed });
    expect([loaded.status, loaded.body.code, loaded.body.imported]).toEqual([200, undefined, 5_000]);
    // any other route still stops at BODY_LIMIT
    const big = await t.http
      .post('/api/facilities')
      .set(auth(lab.token))
      .send({ name: 'x', category: 'testing', unit: 'hour', unitPriceFen: 1, description: 'x'.repeat(200_000) });
    expect([big.status, big.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('reads a 10 MB body of millions of values as quickly as its size: anonymous ones not at all, a lab’s refused by the rows’ bound', async () => {
    // A 10 MB body of five million numbers was walked for its depth keeping a path for each: 23 s on the event loop
    // and 2.4 GB before the 401, so that one anonymous request every 23 s kept the service from answering anyone.
    // Anonymous, a bulk body is now read only up to BODY_LIMIT. A lab's was built into five million rows and validated
    // one by one: 269 s of one core, answered by a 400 naming each row; ArrayMaxSize is now checked first.
    const bodies = [`{"rows":[${Array(4_900_000).fill('0').join(',')}]}`, `{"rows":[],"pad":"${' '.repeat(9_900_000)}x"}`];
    const bulk = (body: string) => t.http.post('/api/facilities/import').set('content-type', 'application/json').send(body);
    for (const body of bodies) {
      expect(body.length).toBeLessThan(10 * 1024 * 1024);
      const [res, health] = await Promise.all([bulk(body), new Promise((r) => setTimeout(r, 50)).then(() => t.http.get('/api/health'))]);
      expect([res.status, res.body.code, health.status]).toEqual([413, 'PAYLOAD_TOO_LARGE', 200]);
    }
    const lab = await t.registerProvider('320500');
    const refused = await bulk(bodies[0]).set(auth(lab.token)).set('Accept-Language', 'zh-CN');
    expect([refused.status, refused.body.code, refused.body.message]).toEqual([400, 'VALIDATION_FAILED', 'rows：最多包含 2000 项']);
    const english = await bulk(`{"rows":[${Array(2_001).fill('{}').join(',')}]}`).set(auth(lab.token));
    expect([english.status, english.body.message]).toEqual([400, 'rows: must contain at most 2000 items']);
  }, 600_000); // a few seconds on a quiet machine; the bound is what is checked, not the time

  it('refuses what is not an import: 400 naming the field, 403 for anyone but a provider', async () => {
    const cases: [string, object | string, string][] = [
      ['application/json', { rows: 'x' }, 'rows'],
      ['application/json', { rows: [], extra: 1 }, 'extra'],
      ['text/csv', 'name,category\nx,testing', 'externalRef'],
    ];
    for (const [type, body, field] of cases) {
      const res = await t.http.post('/api/facilities/import').set(auth(provider.token)).set('content-type', type).send(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(field);
    }
    expect((await t.http.post('/api/facilities/import?dryRun=maybe').set(auth(provider.token)).send({ rows: [] })).status).toBe(400);
    expect(
      (
        await t.http
          .post('/api/facilities/import')
          .set(await t.as('bureau-js'))
          .send({ rows: [] })
      ).status,
    ).toBe(403);
  });
});
