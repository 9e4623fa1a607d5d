import { catalogued } from '../common/errors/domain-error';

/**
 * The feed's cursor: opaque to clients (base64url of a version and the last sequence number handed out), so the
 * numbering may change later without breaking them. An empty cursor starts at the beginning.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(`e1:${seq}`, 'utf8').toString('base64url');
}

/**
 * The sequence number after which a page starts. Only cursors this feed hands out are taken: a number beyond
 * Number.MAX_SAFE_INTEGER would come back rounded, and another spelling of the same bytes (base64url's spare bits) as
 * another cursor, so an empty page always answers the very cursor it was asked with.
 */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^e1:(0|[1-9][0-9]{0,15})$/.exec(text);
  const seq = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(seq) || encodeCursor(seq) !== cursor) throw catalogued('VALIDATION_FAILED', 'events.badCursor');
  return seq;
}
