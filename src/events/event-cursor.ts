import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { catalogued } from '../common/errors/domain-error';

/** What a cursor's block holds before its number: a tag and the format's version. */
const MAGIC = Buffer.from('yrdevt02', 'ascii');
const BLOCK = 16;
/** 16 bytes in base64url, unpadded. */
const SHAPE = /^[A-Za-z0-9_-]{22}$/;

/**
 * The feed's cursors: the last sequence number handed out, sealed so that a tenant learns nothing of the platform's
 * other events from them — neither how many were written between two of its own (the numbers' gaps) nor, by asking
 * with a number of its choosing, how many there are. One AES-256 block under a key derived from MFA_ENCRYPTION_KEY:
 * the same number always gives the same cursor (an empty page answers the very cursor it was asked with), and any
 * text but a cursor the feed made decrypts to a block without the tag (a chance of 2^-64 for a forgery).
 * Written by hand over node:crypto: a block cipher on a 16-byte value is all it takes, and no library does less.
 */
export class EventCursors {
  private readonly key: Buffer;

  constructor(secret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'yrd event-feed cursor', 32));
  }

  encode(seq: number): string {
    const block = Buffer.concat([MAGIC, Buffer.alloc(8)]);
    block.writeBigUInt64BE(BigInt(seq), 8);
    return this.run(createCipheriv('aes-256-ecb', this.key, null), block).toString('base64url');
  }

  /** The sequence number after which a page starts (0 for no cursor); 400 for any text the feed did not hand out. */
  decode(cursor: string | undefined): number {
    if (cursor === undefined || cursor === '') return 0;
    const bytes = SHAPE.test(cursor) ? Buffer.from(cursor, 'base64url') : Buffer.alloc(0);
    // base64url's spare bits spell one block many ways: only the feed's own spelling is its cursor
    if (bytes.length !== BLOCK || bytes.toString('base64url') !== cursor) throw badCursor();
    const block = this.run(createDecipheriv('aes-256-ecb', this.key, null), bytes);
    const seq = block.readBigUInt64BE(8);
    if (!block.subarray(0, 8).equals(MAGIC) || seq > BigInt(Number.MAX_SAFE_INTEGER)) throw badCursor();
    return Number(seq);
  }

  private run(cipher: ReturnType<typeof createCipheriv> | ReturnType<typeof createDecipheriv>, block: Buffer): Buffer {
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(block), cipher.final()]);
  }
}

const badCursor = () => catalogued('VALIDATION_FAILED', 'events.badCursor');
