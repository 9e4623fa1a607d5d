import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiResponse } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from '../errors/domain-error';
import { CSV_EXAMPLE_EXTENSION } from './explained';

/** Where a route's refusals come from: a use case (its declared `refusals`) or a list of codes. */
export type RefusalSource = { readonly refusals: readonly ErrorCode[] } | readonly ErrorCode[];

/** The OpenAPI extension that lists the error codes a response can carry; the simulation reads it too. */
export const CODES_EXTENSION = 'x-error-codes';

/** The use cases whose declared refusals a route documents. */
export const USE_CASES_EXTENSION = 'x-use-cases';

/** The error body, a component of the document (added by documentCommonAnswers). */
const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorBody' };
const ERROR_BODY = {
  type: 'object',
  required: ['statusCode', 'code', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 422 },
    code: { type: 'string', example: 'VOUCHER_INSUFFICIENT_BALANCE' },
    message: { type: 'string', description: 'in the caller’s language (Accept-Language)' },
  },
};

const codesOf = (sources: RefusalSource[]): ErrorCode[] => [
  ...new Set(sources.flatMap((s) => (Array.isArray(s) ? (s as readonly ErrorCode[]) : (s as { refusals: readonly ErrorCode[] }).refusals))),
];

/** What a refusal to be tried again later (429, 503) carries besides its body. */
const RETRY_AFTER = {
  'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } },
};

/** One documented error response per status, naming its codes. */
function errorResponse(status: number, codes: ErrorCode[]) {
  return {
    description: codes.join(', '),
    ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
    content: { 'application/json': { schema: ERROR_SCHEMA } },
    [CODES_EXTENSION]: codes,
  };
}

/**
 * Documents the refusals a route can answer with, grouped by HTTP status, from the use cases it calls: the same lists
 * the use cases declare, so the OpenAPI document cannot drift from the code.
 */
export function Refuses(...sources: RefusalSource[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codesOf(sources)) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  // Which use cases the route answers for, so the completeness test can check their declared lists all reach it.
  const useCases = sources.filter((s): s is { name: string; refusals: readonly ErrorCode[] } => typeof s === 'function').map((s) => s.name);
  return applyDecorators(
    ...[...byStatus].map(([status, codes]) => ApiResponse({ status, ...errorResponse(status, codes) })),
    ...(useCases.length ? [ApiExtension(USE_CASES_EXTENSION, useCases)] : []),
  );
}

type Operation = {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, unknown> };
  security?: unknown[];
  responses: Record<string, Record<string, unknown>>;
  [CSV_EXAMPLE_EXTENSION]?: string;
};

const SUCCESS_TEXT: Record<string, string> = { '200': 'OK', '201': 'created', '202': 'accepted', '204': 'done, no body' };

/** A success response says what it holds: its schema's name where it has no words of its own. */
function describeSuccess(status: string, response: Record<string, unknown>): void {
  if (!/^2\d\d$/.test(status) || response.description) return;
  const content = response.content as Record<string, { schema?: { $ref?: string } }> | undefined;
  const ref = Object.values(content ?? {})[0]?.schema?.$ref?.replace('#/components/schemas/', '');
  response.description = ref ? `${SUCCESS_TEXT[status] ?? 'OK'}: ${ref}` : (SUCCESS_TEXT[status] ?? 'OK');
}

/** A route that takes text/csv as well as JSON: its CSV body is text, with an example of the file. */
function documentCsvBody(op: Operation): void {
  const csv = op[CSV_EXAMPLE_EXTENSION];
  delete op[CSV_EXAMPLE_EXTENSION];
  if (!csv || !op.requestBody?.content?.['text/csv']) return;
  op.requestBody.content['text/csv'] = {
    schema: { type: 'string', description: 'UTF-8 (a BOM and Excel quoting accepted), header first' },
    example: csv,
  };
}

/**
 * Adds the answers every route of a kind can give, so each operation documents all of them: 400 for any input,
 * 401 and 403 behind a token, 404 for a record in the path, 409 for a reused Idempotency-Key on a POST that honours it, 413 for a
 * body over the limit, 503 when contention outlasts the retries or the database is out of reach. Also names what each
 * success holds where it says nothing, and shows a CSV body as the text file it is (ApiBodyExample with a CSV example).
 */
export function documentCommonAnswers(document: OpenAPIObject): void {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ErrorBody: ERROR_BODY } };
  for (const [path, byMethod] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(byMethod as Record<string, Operation>)) {
      for (const [status, response] of Object.entries(op.responses)) describeSuccess(status, response);
      documentCsvBody(op);
      const add = (status: number, ...codes: ErrorCode[]) => {
        const existing = op.responses[status];
        const known = (existing?.[CODES_EXTENSION] as ErrorCode[] | undefined) ?? [];
        op.responses[status] = errorResponse(status, [...new Set([...known, ...codes])]);
      };
      if (op.requestBody || op.parameters?.some((p) => p.in === 'query' || p.in === 'path')) add(400, 'VALIDATION_FAILED');
      if (op.security?.length) add(401, 'UNAUTHENTICATED');
      if (op.security?.length) add(403, 'FORBIDDEN');
      if (/\{[^}]+\}/.test(path)) add(404, 'NOT_FOUND');
      if (method === 'post' && op.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')) {
        add(409, 'IDEMPOTENCY_CONFLICT');
      }
      if (op.requestBody) add(413, 'PAYLOAD_TOO_LARGE');
      add(503, 'SERVICE_BUSY', 'DATABASE_UNAVAILABLE');
    }
  }
}
