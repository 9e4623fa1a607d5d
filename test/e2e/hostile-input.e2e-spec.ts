import { randomUUID } from 'node:crypto';
import { ERROR_STATUS } from '../../src/common/errors/domain-error';
import { OpenApiDoc, Operation, operations, Parameter, resolve, routeKey, sample, Schema } from '../support/openapi';
import { auth, PASSWORD, TestApp } from '../support/test-app';
import { World } from '../support/world';

/**
 * The hostile-input sweep (issue 7, item 2). Every operation of /docs-json gets malformed JSON, arrays
 * for objects, each documented body field with the wrong type, missing, or with hostile numbers and
 * strings, unknown fields, hostile path segments, query values and Idempotency-Keys. The cases come
 * from the document, so a new route is swept without touching this file.
 *
 * Every answer must be a 2xx or a 4xx `{statusCode, code, message}` with a code of API.md, never a 5xx
 * and never a stack trace. Input that is invalid whatever else the request holds must be 400
 * VALIDATION_FAILED naming the field.
 */

const CODES = Object.keys(ERROR_STATUS);
const STACK_TRACE = /at .+\.(ts|js):\d+/;
const BODY_METHODS = ['post', 'put', 'patch'];

/** What an answer may be: 400 naming `field`; any documented 4xx; or also a 2xx (the input may be valid). */
type Expect = { kind: 'invalid'; field?: string } | { kind: '4xx' } | { kind: 'any' };
const invalid = (field?: string): Expect => ({ kind: 'invalid', field });
const any: Expect = { kind: 'any' };
const anyError: Expect = { kind: '4xx' };

interface Case {
  label: string;
  method: Operation['method'];
  url: string;
  token?: string;
  headers?: Record<string, string>;
  /** The request body as text, sent as application/json. */
  json?: string;
  expect: Expect;
  /** The route ends or changes its session (logout, password, two-factor): the case acts through a session of its own. */
  ownSession?: boolean;
}

/** Routes that end or change the caller's session: the sweep gives every case of theirs a fresh session. */
const SESSION_ROUTES = ['POST /api/auth/logout', 'POST /api/auth/password', 'POST /api/auth/mfa/setup', 'POST /api/auth/mfa/enable'];

/** Numbers JSON.stringify cannot write: they are spliced in as raw text. */
const raw = (text: string) => `\u0001RAW:${text}\u0001`;
const toJson = (value: unknown) => JSON.stringify(value).replace(/"\\u0001RAW:([^\\]*)\\u0001"/g, '$1');

const LONG = 'x'.repeat(10_000);
const CJK = '长三角科技创新券通用通兑';
const EMOJI = '🧪🔬💴';
const HOSTILE_STRINGS = [LONG, CJK, EMOJI, "'; DROP TABLE voucher; --", '../../etc/passwd', '1 OR 1=1', ''];
/** Control characters but TAB, LF and CR (NUL, BEL, ESC, NEL, DEL): no text of ours holds one, in any string field. */
const CONTROL_STRINGS = ['\u0000', 'a\u0007b', '\u001b[2J', 'x\u0085y', '\u007f'];
/** Beyond 2^53, the largest double, and one JSON.parse turns into Infinity. */
const HOSTILE_NUMBERS = ['-1', '0.5', '1.5', '9007199254740993', '1e308', '-1e308', '1e400'];
const WRONG_TYPES: Record<string, unknown[]> = {
  string: [12345, true, {}, ['x']],
  number: ['1', 'abc', true, {}, [1]],
  integer: ['1', 'abc', true, {}, [1]],
  boolean: ['true', 1, {}, []],
  array: ['x', 1, { a: 1 }, true],
  object: ['x', 1, [], true],
};
const isNumeric = (s: Schema) => s.type === 'number' || s.type === 'integer';
/** Every number this API takes is a whole, non-negative count of fen, basis points, days or units. */
const refused = (s: Schema, text: string) => text !== '-1' || (s.minimum ?? 0) >= 0;

const PATH_HOSTILE = ["'", '%00', '../../etc/passwd', 'x'.repeat(5_000), EMOJI, '1 OR 1=1', CJK].map(encodeURIComponent);
/** Sent as they are: a NUL after decoding, a traversal, broken percent-encoding. */
const PATH_RAW = ["'", '%00', '../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '%', '%E4%B8', 'a%2Fb'];
const QUERY_HOSTILE = ["'", '%00', '../../etc/passwd', 'x'.repeat(10_000), EMOJI, CJK, '1 OR 1=1', ''];
const QUERY_NUMBERS = ['abc', '-1', '1.5', '9007199254740993', '1e308', '1e400', 'NaN', 'Infinity'];
/** Numbers Number() reads but nobody writes as a count: a query's integers are decimal digits only. */
const QUERY_NUMBER_FORMS = ['0x10', '1e2', ' 7 ', '+7', '0b11'];
const KEY_HOSTILE = ["'", 'x'.repeat(5_000), '1 OR 1=1', '../../etc/passwd', ' '];

interface Field {
  path: (string | number)[];
  schema: Schema;
  required: boolean;
}

/** Every documented field of a body, nested objects and arrays of objects included. */
function fields(doc: OpenApiDoc, schema: Schema, path: (string | number)[] = []): Field[] {
  const s = resolve(doc, schema);
  return Object.entries(s.properties ?? {}).flatMap(([name, property]) => {
    const child = resolve(doc, property);
    const here: Field = { path: [...path, name], schema: child, required: (s.required ?? []).includes(name) };
    if (child.type === 'object' || child.properties) return [here, ...fields(doc, child, here.path)];
    if (child.type === 'array' && child.items) {
      const item = resolve(doc, child.items);
      const itemField: Field = { path: [...here.path, 0], schema: item, required: true };
      return [here, itemField, ...(item.properties ? fields(doc, item, itemField.path) : [])];
    }
    return [here];
  });
}

function withValue(base: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let node = copy;
  path.slice(0, -1).forEach((key, i) => {
    // an optional field the baseline leaves out is created around the value
    node[key] ??= typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
  const last = path[path.length - 1];
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

const nameOf = (path: (string | number)[]) => String([...path].reverse().find((p) => typeof p === 'string'));

describe('hostile input sweep', () => {
  let t: TestApp;
  let w: World;
  let doc: OpenApiDoc;
  let probes = 0;

  beforeAll(async () => {
    // Wrong passwords by the thousand: the sweep's own users must not lock (lockout has its own suite).
    t = await TestApp.start({ LOGIN_LOCK_FAILURES: '1000000' });
    w = await World.build(t);
    doc = (await t.http.get('/docs-json').expect(200)).body;
  });
  afterAll(() => t?.close());

  /**
   * A real value for each path parameter, so requests reach body and query validation; records are
   * picked so that a valid request (a CJK reason is one) cannot spoil the world for later routes.
   */
  async function realParams(op: Operation): Promise<Record<string, string>> {
    const segments = op.path.split('/');
    const known: Record<string, string | (() => Promise<string>)> = {
      'budgets/regionCode': '340000',
      'qualified-enterprises/regionCode': '340000',
      'regions/code': '340000',
      'verify/code': w.voucher.verificationCode,
      'organizations/id': w.enterprise.organizationId,
      'providers/id': w.otherProvider.organizationId,
      'voucher-applications/id': () => w.pendingApplication(),
      'vouchers/id': () => w.smallVoucher(),
      'sanctions/id': w.sanctionId,
      'facilities/id': w.facilityId,
      'redemptions/id': w.heldId,
      'claims/id': w.claimId,
      'settlements/id': w.settlementId,
    };
    const values: Record<string, string> = {};
    for (const p of op.parameters.filter((p) => p.in === 'path')) {
      const value =
        p.name === 'year' ? String(w.year) : (known[`${segments[segments.indexOf(`{${p.name}}`) - 1]}/${p.name}`] ?? randomUUID());
      values[p.name] = typeof value === 'function' ? await value() : value;
    }
    return values;
  }

  /** Values the world can give a field or query parameter by name; the rest come from the schema. */
  const known = (): Record<string, unknown> => ({
    voucherId: w.voucher.id,
    facilityId: w.facilityId,
    redemptionIds: [w.capturedId],
    regionCode: '340000',
    issuingRegionCode: '340000',
    regionCodes: '340000,310000',
  });

  /** A body the route would take: required fields, and optional ones the document gives an example of. */
  function baseline(schema: Schema): unknown {
    const s = resolve(doc, schema);
    if (!s.properties) return sample(doc, s);
    const names = known();
    const wanted = Object.entries(s.properties).filter(
      ([k, v]) => (s.required ?? []).includes(k) || k in names || resolve(doc, v).example !== undefined,
    );
    return Object.fromEntries(wanted.map(([k, v]) => [k, k in names ? names[k] : baseline(v)]));
  }

  /** The first of anonymous, the Anhui bureau, the platform, a provider, an enterprise that the route lets in. */
  async function pickToken(op: Operation, url: string): Promise<string | undefined> {
    if (SESSION_ROUTES.includes(routeKey(op))) return w.enterprise.token;
    const candidates = [undefined, await t.token('bureau-ah'), await t.token('platform'), w.provider.token, w.enterprise.token];
    for (const token of candidates) {
      let req = t.http[op.method](url);
      if (token) req = req.set(auth(token));
      probes++;
      // an unknown field makes any valid body invalid, so the probe changes nothing
      const res = BODY_METHODS.includes(op.method) ? await req.send({ probeField: 1 }) : await req;
      if (res.status !== 401 && res.status !== 403) return token;
    }
    throw new Error(`${routeKey(op)}: no actor passes its role check`);
  }

  async function casesFor(op: Operation, index: number): Promise<Case[]> {
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    const real = await realParams(op);
    // ids that name nothing: a route without a body acts on its record once reached, so its junk goes here
    const unknown = Object.fromEntries(Object.entries(real).map(([k, v]) => [k, /^[0-9a-f-]{36}$/.test(v) ? randomUUID() : v]));
    const fill = (values: Record<string, string>) => op.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name]);
    const names = known();
    const queryValue = (p: Parameter) => String(p.name in names ? names[p.name] : sample(doc, p.schema ?? {}));
    const query = (params: [string, string][]) => (params.length ? '?' + params.map(([k, v]) => `${k}=${v}`).join('&') : '');
    const baseQuery: [string, string][] = queryParams.filter((p) => p.required).map((p) => [p.name, encodeURIComponent(queryValue(p))]);
    const hasBody = BODY_METHODS.includes(op.method);
    const path = fill(hasBody && !op.body ? unknown : real);
    const url = path + query(baseQuery);
    const token = await pickToken(op, fill(unknown) + query(baseQuery));
    const body = op.body ? baseline(op.body) : undefined;
    const json = hasBody ? toJson(body ?? {}) : undefined;
    const cases: Case[] = [];
    const ownSession = SESSION_ROUTES.includes(routeKey(op));
    const add = (label: string, c: Partial<Case> & { expect: Expect }) =>
      cases.push({ label, method: op.method, url, token, json, ownSession, ...c });

    for (const name of Object.keys(real)) {
      for (const value of [...PATH_HOSTILE, ...PATH_RAW])
        add(`path ${name} ${value.slice(0, 20)}`, { url: fill({ ...unknown, [name]: value }) + query(baseQuery), expect: anyError });
    }

    add('an undocumented query parameter', {
      url: url + (url.includes('?') ? '&' : '?') + `__proto__[x]=1&undocumented=${encodeURIComponent("' OR 1=1 --")}`,
      expect: any,
    });
    for (const p of queryParams) {
      const schema = resolve(doc, p.schema ?? {});
      const others = baseQuery.filter(([k]) => k !== p.name);
      const send = (label: string, pairs: [string, string][], expect: Expect) =>
        add(`query ${p.name} ${label}`, { url: path + query([...others, ...pairs]), expect });
      for (const value of QUERY_HOSTILE)
        send(
          JSON.stringify(value.slice(0, 20)),
          [[p.name, encodeURIComponent(value)]],
          schema.enum && value !== '' ? invalid(p.name) : any,
        );
      if (isNumeric(schema)) {
        for (const value of QUERY_NUMBERS) send(value, [[p.name, value]], refused(schema, value) ? invalid(p.name) : any);
        for (const value of QUERY_NUMBER_FORMS) send(value, [[p.name, encodeURIComponent(value)]], invalid(p.name));
      }
      send(
        'repeated',
        [
          [p.name, encodeURIComponent(queryValue(p))],
          [p.name, 'other'],
        ],
        isNumeric(schema) || schema.enum ? invalid(p.name) : any,
      );
      send('bracketed', [[`${p.name}[a]`, '1']], any);
      send('with a control character', [[p.name, encodeURIComponent('a\u0007b')]], invalid(p.name));
      if (p.required) send('missing', [], invalid(p.name));
    }

    if (op.method === 'post' || op.parameters.some((p) => p.in === 'header')) {
      // keys are per caller: a suffix per route keeps one route's key from replaying or conflicting with another's
      for (const key of KEY_HOSTILE)
        add(`Idempotency-Key ${key.slice(0, 20)}`, { headers: { 'Idempotency-Key': `${key}-${index}` }, expect: any });
    }

    if (hasBody) {
      const malformed = ['{"a":', '{', "{'a':1}", '{"a":1,}', 'NaN', 'undefined', '"\u0000', '{"a":"\\u12"}', 'null', '1'];
      for (const text of malformed) add(`malformed JSON ${text}`, { json: text, expect: invalid() });
      add('an array for the body', { json: toJson([body ?? {}]), expect: op.body ? invalid() : any });
      add('an empty array for the body', { json: '[]', expect: op.body ? invalid() : any });
      const polluted =
        '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}}' +
        (json && json.length > 2 && json.startsWith('{') ? ',' + json.slice(1) : '}');
      // class-transformer drops these keys without a word: refused as any unknown field
      add('a prototype-polluting body', { json: polluted, expect: op.body ? invalid('__proto__') : any });
      add('a charset the parser does not know', { headers: { 'Content-Type': 'application/json; charset=klingon' }, expect: anyError });
      add('a gzip body that is not gzip', { headers: { 'Content-Encoding': 'gzip' }, expect: anyError });
      add('a body in text/plain', { headers: { 'Content-Type': 'text/plain' }, expect: any });
      const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
      add('a 5,000-deep nested array in an unknown field', {
        json: `{"unexpectedField":${deep(5_000)}${json && json.length > 2 ? ',' + json.slice(1) : '}'}`,
        expect: op.body ? invalid() : any,
      });
    }

    if (op.body) {
      const schema = resolve(doc, op.body);
      add('an unknown field', { json: toJson({ ...(body as object), unexpectedField: 1 }), expect: invalid('unexpectedField') });
      for (const f of fields(doc, schema)) {
        const name = nameOf(f.path);
        const mutate = (label: string, value: unknown, expect: Expect, remove = false) =>
          add(`${f.path.join('.')} ${label}`, { json: toJson(withValue(body, f.path, value, remove)), expect });
        if (typeof f.path[f.path.length - 1] === 'string' && f.required) mutate('missing', undefined, invalid(name), true);
        // null is refused wherever the contract does not say a field may be null, optional fields too
        mutate('null', null, !f.schema.nullable ? invalid(name) : any);
        for (const wrong of WRONG_TYPES[f.schema.type ?? 'object'] ?? []) mutate(`as ${JSON.stringify(wrong)}`, wrong, invalid(name));
        if (isNumeric(f.schema)) for (const n of HOSTILE_NUMBERS) mutate(n, raw(n), refused(f.schema, n) ? invalid(name) : any);
        if (f.schema.type === 'string' || (!f.schema.type && !f.schema.properties)) {
          for (const s of HOSTILE_STRINGS) mutate(JSON.stringify(s.slice(0, 20)), s, f.schema.enum ? invalid(name) : any);
        }
        // JSON's \ud800 escape carries a lone surrogate: no text of ours is one, and IsEmail threw on it (a 500).
        if (f.schema.type === 'string') mutate('with a lone surrogate', 'a\ud800b', invalid(name));
        if (f.schema.type === 'string') for (const c of CONTROL_STRINGS) mutate(`with ${JSON.stringify(c)}`, c, invalid(name));
        mutate('as a 2,000-deep nested array', raw('['.repeat(2_000) + ']'.repeat(2_000)), invalid(name));
        if (f.schema.properties)
          mutate('with an unknown field', { ...(pick(body, f.path) as object), unexpectedField: 1 }, invalid('unexpectedField'));
      }
    }
    return cases;
  }

  const pick = (value: unknown, path: (string | number)[]) =>
    path.reduce((node, key) => (node as Record<string | number, unknown>)?.[key], value);

  async function send(c: Case) {
    let req = t.http[c.method](c.url);
    const token = c.ownSession ? (await t.login(w.enterprise.username, PASSWORD)).accessToken : c.token;
    if (token) req = req.set(auth(token));
    for (const [k, v] of Object.entries(c.headers ?? {})) req = req.set(k, v);
    if (c.json !== undefined) req = req.set('Content-Type', c.headers?.['Content-Type'] ?? 'application/json').send(c.json);
    return req;
  }

  /** Why an answer breaks the contract, or undefined when it keeps it. */
  function judge(c: Case, res: { status: number; body: unknown; text?: string; headers: Record<string, string> }): string | undefined {
    const text = /json|text|csv/.test(res.headers['content-type'] ?? '') ? (res.text ?? '') : '';
    if (STACK_TRACE.test(text) || text.includes('node_modules')) return `leaks a stack trace: ${text.slice(0, 300)}`;
    if (res.status >= 500) return `answered ${res.status}: ${text.slice(0, 300)}`;
    if (res.status < 200 || (res.status >= 300 && res.status < 400)) return `answered ${res.status}`;
    if (res.status >= 400) {
      const body = res.body as { statusCode?: number; code?: string; message?: unknown };
      if (body.statusCode !== res.status || !CODES.includes(body.code ?? '') || typeof body.message !== 'string')
        return `not an API error body: ${res.status} ${text.slice(0, 300)}`;
    }
    if (c.expect.kind === 'invalid') {
      const body = res.body as { code?: string; message?: string };
      if (res.status !== 400 || body.code !== 'VALIDATION_FAILED')
        return `expected 400 VALIDATION_FAILED, got ${res.status} ${text.slice(0, 300)}`;
      if (c.expect.field && !body.message?.includes(c.expect.field)) return `400 without naming ${c.expect.field}: ${body.message}`;
    }
    if (c.expect.kind === '4xx' && res.status < 400) return `expected a 4xx, got ${res.status}`;
    return undefined;
  }

  it('answers every hostile request to every documented operation with a documented 4xx (or a 2xx where valid), never a 5xx or a stack trace', async () => {
    const failures: string[] = [];
    const sent = new Map<string, number>();
    for (const [index, op] of operations(doc).entries()) {
      for (const c of await casesFor(op, index)) {
        const res = await send(c);
        sent.set(routeKey(op), (sent.get(routeKey(op)) ?? 0) + 1);
        const why = judge(c, res);
        if (why) failures.push(`${routeKey(op)} — ${c.label}: ${why}`);
      }
    }
    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    console.info(`hostile sweep: ${total} hostile requests (and ${probes} role probes) over ${sent.size} operations`);
    expect(failures).toEqual([]);
    expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(sent.size).toBe(operations(doc).length);
  }, 600_000); // thousands of requests: a loaded machine takes minutes, which is no failure
});
