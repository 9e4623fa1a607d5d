import { randomInt } from 'node:crypto';
import { DataSource } from 'typeorm';
import { collationFolds } from '../../bench/collation-folds';
import { COLLATION_CLASSES } from '../../src/facilities/collation-folds';
import { gramsOf } from '../../src/facilities/facility-grams';
import { auth, isMaria, OrgSession, TestApp } from '../support/test-app';

/** Four random Han characters (CJK Unified Ideographs): a word no other facility in the shared database holds. */
const hanWord = () => String.fromCodePoint(...Array.from({ length: 4 }, () => randomInt(0x4e00, 0x9fa6)));

interface FacilityBody {
  id: string;
}

/**
 * The Han-pair index behind search (facility-grams.ts) follows every write of a name or description: a listing, a
 * change and an import each find the new words at once and no longer the old ones.
 */
describe('facility search index', () => {
  let t: TestApp;
  let lab: OrgSession;
  beforeAll(async () => {
    t = await TestApp.start();
    lab = await t.registerProvider('320506', { name: '苏州色谱分析中心' });
  });
  afterAll(() => t?.close());

  const listed = async (body: Record<string, unknown>): Promise<FacilityBody> =>
    (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ category: 'testing', unit: 'sample', unitPriceFen: 30000, ...body })
        .expect(201)
    ).body;
  /** The facility's rows in the index hold exactly the pairs of its name and description as they are now: none stale. */
  const expectIndexed = async (id: string) => {
    const dataSource = t.get(DataSource);
    const [row] = await dataSource.query<{ name: string; description: string | null }[]>(
      'SELECT name, description FROM facility WHERE id = ?',
      [id],
    );
    const rows = await dataSource.query<{ gram: string | number }[]>('SELECT gram FROM facility_gram WHERE facility_id = ?', [id]);
    const byValue = (a: number, b: number) => a - b;
    expect(rows.map((r) => Number(r.gram)).sort(byValue)).toEqual(gramsOf(row.name, row.description).sort(byValue));
  };
  const found = async (q: string, filters = '') =>
    ((await t.http.get(`/api/facilities?q=${encodeURIComponent(q)}${filters}&limit=500`).expect(200)).body.items as FacilityBody[]).map(
      (f) => f.id,
    );

  it('finds a new listing by any part of its name or description, with and without filters', async () => {
    const [name, description] = [hanWord(), hanWord()];
    const f = await listed({ name: `气相色谱仪 ${name}`, description: `${description}，含方法开发` });
    expect(await found(name)).toEqual([f.id]);
    expect(await found(name.slice(1, 3))).toEqual([f.id]);
    expect(await found(description, '&category=testing&provinceCode=320000')).toEqual([f.id]);
    expect(await found(description, '&category=design')).toEqual([]);
    expect(await found(description, '&provinceCode=310000')).toEqual([]);
    await expectIndexed(f.id);
  });

  it('confirms each match with the text itself: every pair present is not enough', async () => {
    const [a, b, c] = [...hanWord()];
    // a·b in the name, b·c in the description: both pairs of "abc", but not the word itself.
    const f = await listed({ name: `${a}${b}色谱`, description: `质谱${b}${c}` });
    expect(await found(`${a}${b}`)).toEqual([f.id]);
    expect(await found(`${b}${c}`)).toEqual([f.id]);
    expect(await found(`${a}${b}${c}`)).toEqual([]);
  });

  it('searches one character by scanning, and Han with Latin text by the pairs of both', async () => {
    const word = hanWord();
    const f = await listed({ name: `${word} HPLC-MS` });
    expect(await found(word[2])).toContain(f.id);
    expect(await found(`${word} hplc`)).toEqual([f.id]);
    expect(await found(`${word} hplx`)).toEqual([]);
  });

  it('finds Latin letters and digits through the index, folded as the database compares them', async () => {
    const [model, wide] = [String(randomInt(1e8, 1e9)), String(randomInt(1e8, 1e9))];
    const toWide = (text: string) => [...text].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
    const f = await listed({ name: `X射线衍射仪 XRD-${model}`, description: `CNAS 认可；型号 ${toWide(`XRD-${wide}`)}，Café-${wide}` });
    expect(await found(`xrd-${model}`)).toEqual([f.id]);
    expect(await found(model.slice(2, 7))).toEqual([f.id]);
    expect(await found(`${model}x`)).toEqual([]);
    expect(await found(`射线衍射仪 xrd-${model}`)).toEqual([f.id]);
    // MariaDB's LIKE compares full-width letters and accents as their plain forms; SQLite's folds only ASCII case.
    expect(await found(`xrd-${wide}`)).toEqual(isMaria() ? [f.id] : []);
    expect(await found(`cafe-${wide}`)).toEqual(isMaria() ? [f.id] : []);
    expect(await found(`Café-${wide}`)).toEqual([f.id]);
    expect(await found(toWide(wide))).toEqual([f.id]);
    await expectIndexed(f.id);
  });

  (isMaria() ? it : it.skip)('folds with the classes the database itself compares equal (collation-folds.ts is current)', async () => {
    const runner = t.get(DataSource).createQueryRunner();
    try {
      await runner.connect();
      expect(await collationFolds((sql, parameters) => runner.query(sql, parameters))).toEqual(COLLATION_CLASSES);
    } finally {
      await runner.release();
    }
  });

  it('follows a change of name and description: the new words are found, the old ones no longer', async () => {
    const [oldName, oldDescription, newName, newDescription] = [hanWord(), hanWord(), hanWord(), hanWord()];
    const f = await listed({ name: `液相色谱 ${oldName}`, description: oldDescription });
    await t.http
      .patch(`/api/facilities/${f.id}`)
      .set(auth(lab.token))
      .send({ name: `液相色谱 ${newName}` })
      .expect(200);
    expect(await found(newName)).toEqual([f.id]);
    expect(await found(oldName)).toEqual([]);
    expect(await found(oldDescription)).toEqual([f.id]); // untouched
    await t.http.patch(`/api/facilities/${f.id}`).set(auth(lab.token)).send({ description: null }).expect(200);
    expect(await found(oldDescription)).toEqual([]);
    await t.http
      .patch(`/api/facilities/${f.id}`)
      .set(auth(lab.token))
      .send({ unitPriceFen: 31000, description: newDescription })
      .expect(200);
    expect(await found(newDescription)).toEqual([f.id]);
    expect(await found(newName)).toEqual([f.id]);
    await expectIndexed(f.id);
  });

  it('follows an import: created rows are found, an updated row by its new words and category only', async () => {
    const [first, second, description] = [hanWord(), hanWord(), hanWord()];
    const ref = `GC-${randomInt(1e9)}`;
    const csv = [
      'externalRef,name,category,unit,unitPriceFen,description',
      `${ref},色谱 ${first},testing,sample,25000,${description}`,
    ].join('\n');
    const created = await t.http.post('/api/facilities/import').set(auth(lab.token)).set('content-type', 'text/csv').send(csv).expect(200);
    expect(created.body).toMatchObject({ created: 1 });
    const id = (created.body.rows as { facilityId: string }[])[0].facilityId;
    expect(await found(first)).toEqual([id]);
    expect(await found(description)).toEqual([id]);

    const updated = await t.http
      .post('/api/facilities/import')
      .set(auth(lab.token))
      .send({ rows: [{ externalRef: ref, name: `色谱 ${second}`, category: 'design', unit: 'sample', unitPriceFen: 25000 }] })
      .expect(200);
    expect(updated.body).toMatchObject({ updated: 1 });
    expect(await found(second)).toEqual([id]);
    // the category moved too: the index follows it
    expect(await found(second, '&category=design&provinceCode=320000')).toEqual([id]);
    expect(await found(second, '&category=testing')).toEqual([]);
    expect(await found(first)).toEqual([]);
    expect(await found(description)).toEqual([]);
    await expectIndexed(id);
  });

  it('is rebuilt from the facilities in place when the migration runs on an existing database', async () => {
    const word = hanWord();
    const f = await listed({ name: `离子色谱 ${word}` });
    const dataSource = t.get(DataSource);
    await dataSource.undoLastMigration();
    await dataSource.runMigrations();
    expect(await found(word)).toEqual([f.id]);
    expect(await found(word.slice(2))).toEqual([f.id]);
    await expectIndexed(f.id);
  });
});
