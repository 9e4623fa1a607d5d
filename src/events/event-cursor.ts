import { invalidInput } from '../common/errors/domain-error';

/**
 * The feed's cursor: opaque to clients (base64url of a version and the last sequence number handed out), so the
 * numbering may change later without breaking them. An empty cursor starts at the beginning.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(`e1:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^e1:(0|[1-9][0-9]{0,15})$/.exec(text);
  if (!match) throw invalidInput('after: not a cursor of this feed (pass the nextCursor of a previous page, or nothing to start)');
  return Number(match[1]);
}
