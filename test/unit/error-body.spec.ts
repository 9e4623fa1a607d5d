import { QueryFailedError } from 'typeorm';
import { toErrorBody } from '../../src/common/http/error.filter';

/** A driver error as mysql2 raises it, wrapped by TypeORM. */
const queryFailed = (code: string, errno: number, message: string) =>
  new QueryFailedError('SELECT 1', [], Object.assign(new Error(message), { code, errno }));

describe('the answer to an error no use case caught', () => {
  it('a lock wait or causal-read timeout outside a unit of work is 503 SERVICE_BUSY with Retry-After, never a 500', () => {
    const timeout = queryFailed('ER_LOCK_WAIT_TIMEOUT', 1205, 'Lock wait timeout exceeded; try restarting transaction');
    expect(toErrorBody(timeout)).toEqual({
      statusCode: 503,
      code: 'SERVICE_BUSY',
      message: 'the service is busy with conflicting requests; retry shortly',
      retryAfterSec: 1,
    });
    const deadlock = queryFailed('ER_LOCK_DEADLOCK', 1213, 'Deadlock found when trying to get lock; try restarting transaction');
    expect(toErrorBody(deadlock)).toMatchObject({ statusCode: 503, code: 'SERVICE_BUSY', retryAfterSec: 1 });
    // in the caller's language, without the database's English
    const zh = toErrorBody(timeout, undefined, 'zh');
    expect(zh).toMatchObject({ statusCode: 503, code: 'SERVICE_BUSY', retryAfterSec: 1 });
    expect(zh.message).toMatch(/[\u4e00-\u9fff]/);
    expect(zh.message).not.toContain('Lock wait');
  });

  it('keeps the other database answers apart: a duplicate is 409, an unknown failure 500 without its text', () => {
    expect(toErrorBody(queryFailed('ER_DUP_ENTRY', 1062, "Duplicate entry 'x' for key 'uq'"))).toMatchObject({
      statusCode: 409,
      code: 'DUPLICATE',
    });
    const unknown = toErrorBody(queryFailed('ER_BAD_FIELD_ERROR', 1054, "Unknown column 'secret' in 'field list'"));
    expect(unknown).toEqual({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'internal error' });
  });
});
