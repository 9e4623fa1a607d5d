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
