import { createHash } from 'node:crypto';

/** Hex SHA-256 of a text (UTF-8): how secrets shown once are stored, and how documents are fingerprinted. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
