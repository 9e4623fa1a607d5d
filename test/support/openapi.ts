/** Just enough of OpenAPI 3 to walk the service's own /docs-json. */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  minLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** As documented, e.g. `/api/claims/{id}/approve`. */
  path: string;
  parameters: Parameter[];
  body?: Schema;
}

/** `POST /api/claims/{id}/approve`: how both suites name a route. */
export const routeKey = (op: Pick<Operation, 'method' | 'path'>) => `${op.method.toUpperCase()} ${op.path}`;

export function operations(doc: OpenApiDoc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({
      method: method as Operation['method'],
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
    })),
  );
}

/** The schema behind a `$ref` (or a single-member allOf, as swagger emits for nested DTOs). */
export function resolve(doc: OpenApiDoc, schema: Schema): Schema {
  if (schema.$ref) return resolve(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
  if (schema.allOf?.length === 1) return resolve(doc, schema.allOf[0]);
  return schema;
}

/** A plausible value for a schema: its example, first enum value or default, else one built from its type. */
export function sample(doc: OpenApiDoc, schema: Schema): unknown {
  const s = resolve(doc, schema);
  if (s.example !== undefined) return s.example;
  if (s.enum?.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  switch (s.type) {
    case 'number':
    case 'integer':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return true;
    case 'array':
      return s.items ? [sample(doc, s.items)] : [];
    case 'object':
      return s.properties ? Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, sample(doc, v)])) : {};
    default:
      return 'sample'.padEnd(s.minLength ?? 0, '-');
  }
}

/** The schema of an operation's answer for a status, as served (JSON only). */
export function answerSchema(doc: OpenApiDoc, method: string, path: string, status: number): Schema | undefined {
  const op = (doc.paths[path] as Record<string, { responses?: Record<string, { content?: Record<string, { schema: Schema }> }> }>)[method];
  return op?.responses?.[String(status)]?.content?.['application/json']?.schema;
}

/**
 * Where a real answer departs from its documented schema, as a JSON Schema validator (OpenAPI 3.0 semantics) reads it:
 * a wrong type, a null the schema does not allow (a nullable enum must list null), a value outside its enum, a
 * required field missing, or a field the schema does not describe. Empty when the answer conforms.
 */
export function departures(doc: OpenApiDoc, schema: Schema, value: unknown, at = '$'): string[] {
  const s = resolve(doc, schema) as Schema & { additionalProperties?: unknown; oneOf?: Schema[] };
  if (s.oneOf) return s.oneOf.some((o) => departures(doc, o, value, at).length === 0) ? [] : [`${at}: matches none of oneOf`];
  if (value === null) {
    if (!s.nullable) return [`${at}: null, not nullable`];
    return s.enum && !s.enum.includes(null) ? [`${at}: null, not among the enum's values ${JSON.stringify(s.enum)}`] : [];
  }
  if (s.enum && !s.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`];
  const kind = Array.isArray(value) ? 'array' : typeof value;
  switch (s.type) {
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: ${JSON.stringify(value)} is not an integer`];
    case 'number':
    case 'string':
    case 'boolean':
      return kind === s.type ? [] : [`${at}: ${kind}, documented ${s.type}`];
    case 'array':
      return kind !== 'array'
        ? [`${at}: ${kind}, documented array`]
        : (value as unknown[]).flatMap((v, i) => (s.items ? departures(doc, s.items, v, `${at}[${i}]`) : []));
  }
  if (kind !== 'object' || (!s.properties && s.type !== 'object')) return [];
  const object = value as Record<string, unknown>;
  const missing = (s.required ?? []).filter((k) => !(k in object)).map((k) => `${at}.${k}: required, missing`);
  const fields = Object.entries(object).flatMap(([k, v]) => {
    if (s.properties?.[k]) return departures(doc, s.properties[k], v, `${at}.${k}`);
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      return departures(doc, s.additionalProperties, v, `${at}.${k}`);
    return s.properties && s.additionalProperties === undefined ? [`${at}.${k}: not described`] : [];
  });
  return [...missing, ...fields];
}
