import { applyDecorators, Type } from '@nestjs/common';
import { ApiBody, ApiExtension, ApiExtraModels, ApiOperation, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** What an operation's documentation must say: the summary, who may call it, what it changes and what money moves. */
export interface Explanation {
  summary: string;
  /** The roles and the scope within them; who else is refused, and how. */
  who: string;
  /** The records and states it changes, or that it changes nothing. */
  changes: string;
  /** The ledger movement it makes (创新券 balances, budgets, payables), or that none moves. */
  money: string;
  /** Anything else a caller needs: formats, limits, timing. */
  details?: string;
}

export const READ_ONLY = 'Nothing: it only reads.';
export const NO_MONEY = 'None.';

/** The labels the description is written under; the OpenAPI completeness test looks for them. */
export const EXPLANATION_LABELS = ['Who may call it:', 'What it changes:', 'Money:'] as const;

/** ApiOperation with a description in three parts a reader can rely on, the same way on every route. */
export const Explained = (e: Explanation) =>
  ApiOperation({
    summary: e.summary,
    description: [
      `**${EXPLANATION_LABELS[0]}** ${e.who}`,
      `**${EXPLANATION_LABELS[1]}** ${e.changes}`,
      `**${EXPLANATION_LABELS[2]}** ${e.money}`,
      ...(e.details ? [e.details] : []),
    ].join('\n\n'),
  });

const BINARY = { type: 'string', format: 'binary' } as const;

/** A success that is a file, not JSON: a PDF, a CSV or an iCalendar feed, with its content type and schema. */
export const ApiFileResponse = (description: string, ...types: ('application/pdf' | 'text/csv' | 'text/calendar')[]) =>
  applyDecorators(
    ApiResponse({
      status: 200,
      description,
      content: Object.fromEntries(types.map((t) => [t, { schema: t === 'application/pdf' ? BINARY : { type: 'string' } }])),
    }),
  );

/** The request body with an example a reader can paste; the schema stays the DTO's, so validation and the sweep read it. */
export const ApiBodyExample = (type: Type<unknown>, value: object, csv?: string) =>
  applyDecorators(
    ApiBody({ type, examples: { typical: { summary: 'a typical request', value } } }),
    // A route that also takes text/csv shows that body as the file it is (documentCommonAnswers moves it in place).
    ...(csv ? [ApiExtension(CSV_EXAMPLE_EXTENSION, csv)] : []),
  );

export const CSV_EXAMPLE_EXTENSION = 'x-csv-example';

/** A page of `item`s: `{items, total}`, as every list of this API answers. */
export const ApiPageResponse = (item: Type<unknown>, description: string) =>
  applyDecorators(
    ApiExtraModels(item),
    ApiResponse({
      status: 200,
      description,
      schema: {
        type: 'object',
        required: ['items', 'total'],
        properties: { items: { type: 'array', items: { $ref: getSchemaPath(item) } }, total: { type: 'integer', example: 1 } },
      },
    }),
  );

/** A success answered as JSON by default and as CSV (UTF-8 with BOM) with `format=csv`. */
export const ApiJsonOrCsvResponse = (description: string, schema: Record<string, unknown>) =>
  ApiResponse({
    status: 200,
    description,
    content: { 'application/json': { schema }, 'text/csv': { schema: { type: 'string', description: 'the same figures, one row each' } } },
  });
