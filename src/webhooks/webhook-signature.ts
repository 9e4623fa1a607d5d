import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `Yrd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>` (API.md; Stripe's scheme): the
 * timestamp is signed with the body, so a receiver that refuses old timestamps also refuses replays. While a rotated
 * secret overlaps the new one, one `v1=` per secret, the newest first (as Stripe does): a receiver accepts any.
 */
export function signatureHeader(secrets: string | readonly string[], rawBody: string, unixSeconds: number): string {
  const all = typeof secrets === 'string' ? [secrets] : secrets;
  return [`t=${unixSeconds}`, ...all.map((secret) => `v1=${hmacHex(secret, `${unixSeconds}.${rawBody}`)}`)].join(',');
}

const hmacHex = (secret: string, payload: string) => createHmac('sha256', secret).update(payload, 'utf8').digest('hex');

/**
 * What a receiver does, here for the tests and the README: the header parsed, the HMAC recomputed over the raw body
 * and compared in constant time, and a timestamp older (or newer) than `toleranceSec` refused.
 */
export function verifySignature(secret: string, rawBody: string, header: string, nowUnixSeconds: number, toleranceSec = 300): boolean {
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) return false;
    const key = item.slice(0, at).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(at + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(nowUnixSeconds - t) > toleranceSec) return false;
  const expected = Buffer.from(hmacHex(secret, `${t}.${rawBody}`), 'hex');
  return (parts.get('v1') ?? []).some((v) => {
    const given = Buffer.from(v, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
