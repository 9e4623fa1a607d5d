import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Text sealed at rest with AES-256-GCM under a 32-byte key (MFA_ENCRYPTION_KEY): `v1.<iv>.<tag>.<data>`, base64 parts.
 * What a copy of the database alone must not give away: two-factor and webhook secrets, and the one answer holding a
 * secret that an Idempotency-Key replays.
 */
export function seal(key: Buffer, text: string, boundTo?: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (boundTo !== undefined) cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const data = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
}

/** The text `seal` sealed; throws when the key is another, the text was changed or it was bound to another `boundTo`. */
export function unseal(key: Buffer, sealed: string, boundTo?: string): string {
  const [, iv, tag, data] = sealed.split('.');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  if (boundTo !== undefined) decipher.setAAD(Buffer.from(boundTo, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
}
