import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_STATUS } from '../../src/common/errors/domain-error';
import { EXPLANATION_LABELS } from '../../src/common/http/explained';
import { TestApp } from '../support/test-app';

/**
 * OpenAPI that answers (issue 19, item 3). Every operation of /docs-json must say what it is (summary), who may call
 * it, what it changes and what money moves (description), show a request example where it takes a body, document
 * each success with its content type and schema, and every error it can answer with its codes: 400 where it reads
 * input, 401 behind a token, 403 where the roles are narrowed, 404 for a record in the path, and the refusals its use
 * cases declare. Tags are per capability, declared once, in the order a user meets them. The test lists every
 * offender, so one run shows all that is missing.
 */

interface Schema {
  $ref?: string;
  type?: string;
  example?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  nullable?: boolean;
  additionalProperties?: unknown;
  allOf?: Schema[];
  oneOf?: Schema[];
  format?: string;
}
interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, unknown>;
}
interface Response {
  description?: string;
  content?: Record<string, Media>;
  headers?: Record<string, unknown>;
  'x-error-codes'?: string[];
}
interface Op {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, Media> };
  responses: Record<string, Response>;
  'x-roles'?: string[];
  'x-use-cases'?: string[];
}
interface Doc {
  paths: Record<string, Record<string, Op>>;
  tags?: { name: string; description?: string }[];
  components: { schemas: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every use case's declared refusals, read from the source as the simulation reads the classes. */
function declaredRefusals(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
  for (const file of walk(join(__dirname, '../../src'))) {
    const text = readFileSync(file, 'utf8');
    const classes = [...text.matchAll(/export class (\w+)/g)];
    for (const m of text.matchAll(/static readonly refusals\s*=\s*\[([^\]]*)\]/g)) {
      const owner = classes.filter((c) => c.index < m.index).pop()?.[1];
      if (!owner) continue;
      const codes = [...m[1].matchAll(/'([A-Z_]+)'/g)].map((c) => c[1]);
      found.set(owner, codes);
    }
  }
  return found;
}

describe('the OpenAPI document answers', () => {
  let t: TestApp;
  let doc: Doc;
  const offenders: string[] = [];

  beforeAll(async () => {
    t = await TestApp.start();
    doc = (await t.http.get('/docs-json').expect(200)).body;
  });
  afterAll(() => t?.close());

  const resolve = (s: Schema): Schema => {
    if (s.$ref) return resolve(doc.components.schemas[s.$ref.replace('#/components/schemas/', '')]);
    if (s.allOf?.length === 1) return resolve(s.allOf[0]);
    return s;
  };
  /** An example for the body: on the media type, or on the schema, or on every field so Swagger UI can build one. */
  const hasExample = (m: Media): boolean => {
    if (m.example !== undefined || (m.examples && Object.keys(m.examples).length > 0)) return true;
    if (!m.schema) return false;
    const s = resolve(m.schema);
    if (s.example !== undefined) return true;
    const fields = Object.values(s.properties ?? {});
    return (
      fields.length > 0 &&
      fields.every((f) => resolve(f).example !== undefined || (resolve(f).type === 'object' && hasExample({ schema: f })))
    );
  };

  const each = () =>
    Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method, path, op })),
    );

  it('every operation has a summary, a description, tags, a request example, its successes and its errors', () => {
    const declaredTags = new Set((doc.tags ?? []).map((tag) => tag.name));
    const refusals = declaredRefusals();
    const usedCases = new Set<string>();
    const problems: Record<string, string[]> = {};
    const miss = (key: string, what: string) => (problems[what] ??= []).push(key);

    for (const { key, path, op } of each()) {
      const errors = new Map(Object.entries(op.responses).filter(([s]) => Number(s) >= 400));
      const codesAt = (status: number) => errors.get(String(status))?.['x-error-codes'] ?? [];
      const allCodes = new Set([...errors.values()].flatMap((r) => r['x-error-codes'] ?? []));

      if (!op.summary?.trim()) miss(key, 'a summary');
      for (const label of EXPLANATION_LABELS)
        if (!new RegExp(`\\*\\*${label}\\*\\* \\S`).test(op.description ?? '')) miss(key, `a description saying "${label}"`);
      if (!op.tags?.length) miss(key, 'a tag');
      for (const tag of op.tags ?? []) if (!declaredTags.has(tag)) miss(key, `its tag "${tag}" declared in the document's tag order`);

      const body = op.requestBody?.content ?? {};
      if (op.requestBody && !Object.values(body).some(hasExample)) miss(key, 'a request example');

      const successes = Object.entries(op.responses).filter(([s]) => /^2\d\d$/.test(s));
      if (successes.length === 0) miss(key, 'a success response');
      for (const [status, r] of successes) {
        if (status === '204') continue;
        const media = Object.entries(r.content ?? {});
        if (media.length === 0) miss(key, 'a success response with its content type');
        for (const [, m] of media) if (!m.schema) miss(key, 'a schema for every success content type');
      }

      if (op.requestBody || op.parameters?.some((p) => p.in === 'query' || p.in === 'path'))
        if (!codesAt(400).includes('VALIDATION_FAILED')) miss(key, '400 VALIDATION_FAILED (it reads input)');
      if (op.security?.length && !codesAt(401).includes('UNAUTHENTICATED')) miss(key, '401 UNAUTHENTICATED (it needs a token)');
      if (op['x-roles']?.length && !codesAt(403).includes('FORBIDDEN')) miss(key, '403 FORBIDDEN (its roles are narrowed)');
      if (/\{[^}]+\}/.test(path) && !codesAt(404).includes('NOT_FOUND')) miss(key, '404 NOT_FOUND (a record in the path)');
      for (const [status, r] of errors) {
        const codes = r['x-error-codes'] ?? [];
        if (codes.length === 0) miss(key, 'codes on every error response');
        for (const code of codes)
          if ((ERROR_STATUS as Record<string, number>)[code] !== Number(status)) miss(key, `${code} under its own status (not ${status})`);
        if (!r.content?.['application/json']?.schema) miss(key, 'the error body on every error response');
        if ((status === '429' || status === '503') && !r.headers?.['Retry-After']) miss(key, `the Retry-After header of its ${status}`);
      }
      for (const useCase of op['x-use-cases'] ?? []) {
        usedCases.add(useCase);
        const declared = refusals.get(useCase);
        if (!declared) miss(key, `a use case with declared refusals (${useCase} declares none)`);
        for (const code of declared ?? []) if (!allCodes.has(code)) miss(key, `${useCase}'s refusal ${code}`);
      }
    }
    for (const [useCase] of refusals) if (!usedCases.has(useCase)) miss(useCase, 'a route documenting its declared refusals');
    for (const tag of doc.tags ?? []) {
      if (!tag.description?.trim()) miss(tag.name, 'a description of the tag');
      if (!each().some(({ op }) => op.tags?.includes(tag.name))) miss(tag.name, 'an operation under the tag');
    }

    offenders.push(...Object.entries(problems).map(([what, keys]) => `lacks ${what} (${keys.length}):\n    ${keys.join('\n    ')}`));
    expect(offenders).toEqual([]);
  });

  it('offers Idempotency-Key on every POST that honours it, and not on those that ignore it (their answers hold secrets)', () => {
    const op = (key: string) => each().find((o) => o.key === key)!.op;
    // Offered with the key, and the 409 a reused key earns; neither where the key is ignored.
    const offered = (key: string) => [
      op(key).parameters?.some((p) => p.name === 'Idempotency-Key'),
      op(key).responses['409']?.['x-error-codes']?.includes('IDEMPOTENCY_CONFLICT') ?? false,
    ];
    for (const key of ['POST /api/auth/login', 'POST /api/auth/setup', 'POST /api/users/{id}/reset-sign-in', 'POST /api/calendar/feed'])
      expect([key, offered(key)]).toEqual([key, [false, false]]);
    for (const key of ['POST /api/redemptions', 'POST /api/users', 'POST /api/api-keys'])
      expect([key, offered(key)]).toEqual([key, [true, true]]);
    expect(JSON.stringify(doc)).not.toContain('x-ignores-idempotency-key');
  });

  it('routes that answer files say so with their content type and schema', () => {
    // The public pages (HTML) are outside /api and out of the document (@ApiExcludeController): they are not API operations.
    const expected: Record<string, string[]> = {
      'GET /api/vouchers/{id}/certificate': ['application/pdf'],
      'GET /api/settlements/{id}/statement': ['application/pdf'],
      'GET /api/settlements/{id}/lines.csv': ['text/csv'],
      'GET /api/clearing-runs/{id}/report.pdf': ['application/pdf'],
      'GET /api/clearing-runs/{id}/entries.csv': ['text/csv'],
      'GET /api/reports/annual': ['application/pdf', 'text/csv'],
      'GET /api/calendar/{feed}': ['text/calendar'],
      'GET /api/stats/regions/{code}': ['application/json', 'text/csv'],
      'GET /api/stats/flows': ['application/json', 'text/csv'],
    };
    const wrong: string[] = [];
    for (const [key, types] of Object.entries(expected)) {
      const [method, path] = key.split(' ');
      const op = doc.paths[path]?.[method.toLowerCase()];
      if (!op) {
        wrong.push(`${key}: not in the document`);
        continue;
      }
      const ok = op.responses['200'];
      const found = Object.keys(ok?.content ?? {});
      if (found.sort().join() !== [...types].sort().join())
        wrong.push(`${key}: answers ${found.join(', ') || 'nothing'}, not ${types.join(', ')}`);
      for (const type of types) if (!ok?.content?.[type]?.schema) wrong.push(`${key}: ${type} without a schema`);
    }
    expect(wrong).toEqual([]);
  });

  it('a body that may be CSV is documented as text, with an example file', () => {
    const csvRoutes = each().filter(({ op }) => op.requestBody?.content?.['text/csv']);
    const wrong = csvRoutes
      .filter(({ op }) => {
        const media = op.requestBody!.content!['text/csv'];
        return media.schema?.type !== 'string' || typeof media.example !== 'string' || !media.example.includes('\r\n');
      })
      .map(({ key }) => key);
    expect(csvRoutes.length).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it('a field that may be null still names its type: a text or a number, not an object without fields', () => {
    // @ApiProperty({ nullable: true }) on `string | null` reads its design type as Object: typed clients then expect
    // an object where the service answers a string.
    const untyped = Object.entries(doc.components.schemas).flatMap(([name, schema]) =>
      Object.entries(schema.properties ?? {})
        .filter(([, f]) => f.nullable && f.type === 'object' && !f.properties && !f.additionalProperties && !f.$ref && !f.allOf)
        .map(([field]) => `${name}.${field}`),
    );
    expect(untyped).toEqual([]);
  });
});
