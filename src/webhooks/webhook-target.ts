import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { translate } from '../common/i18n/messages';

/**
 * The SSRF guard: a webhook may not make this service call into its own network. Loopback, private (RFC 1918, unique
 * local), link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unspecified, multicast and reserved
 * addresses are refused unless WEBHOOK_ALLOW_PRIVATE=true. The host is resolved and every address checked when the
 * subscription is made and again at each delivery, and the delivery connects to the address that was checked, so a
 * name that later resolves elsewhere (DNS rebinding) reaches nothing private.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  // IPv6 forms that carry an IPv4 address, or route to one: IPv4-compatible (::7f00:1), IPv4-translated
  // (::ffff:0:7f00:1), local-use NAT64 and 6to4 (2002:7f00:1::): a host that translates them would reach the IPv4
  // address inside, whatever the list above says of it.
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b:1::', 48],
  ['2002::', 16],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address is one a webhook may not reach without WEBHOOK_ALLOW_PRIVATE. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return blocked.check(mapped[1], 'ipv4');
  return blocked.check(ip, 'ipv6');
}

/** Why a target may not be called: a catalogue entry (`webhooks.target.<reason>`), its English text as the message. */
export class TargetRefused extends Error {
  constructor(
    readonly reason: 'notAbsolute' | 'scheme' | 'credentials' | 'text' | 'port' | 'unresolved' | 'private',
    readonly params: Record<string, string> = {},
  ) {
    super(translate('en', `webhooks.target.${reason}`, params));
  }
}

/**
 * White space and control or format characters: the URL parser would trim or drop some of them silently, and what
 * was stored would not be what is called.
 */
const UNSEEN = /[\s\p{Cc}\p{Cf}]/u;

/**
 * The longest a host's lookup may take before it counts as unresolved. A subscription made with an Idempotency-Key
 * checks its URL inside the request's transaction, and MariaDB ends a transaction idle for DB_IDLE_TRANSACTION_SEC
 * (10 s): a resolver that never answers (resolv.conf's 5 s × 2 attempts per server) made every retry of that key 503.
 */
export const LOOKUP_TIMEOUT_MS = 5_000;

/** The lookup, or a refusal once LOOKUP_TIMEOUT_MS has passed (the resolver's thread finishes on its own). */
function lookupWithin(host: string, ms: number): Promise<{ address: string; family: number }[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer for ${host} within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([lookup(host, { all: true, verbatim: true }), late]).finally(() => clearTimeout(timer));
}

export interface CheckedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** The URL parsed and its host resolved; throws TargetRefused with the reason when it may not be called. */
export async function checkTarget(raw: string, allowPrivate: boolean): Promise<CheckedTarget> {
  if (UNSEEN.test(raw)) throw new TargetRefused('text');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('notAbsolute');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetRefused('scheme');
  if (url.username || url.password) throw new TargetRefused('credentials');
  if (url.port === '0') throw new TargetRefused('port', { port: url.port });
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookupWithin(host, LOOKUP_TIMEOUT_MS);
    } catch {
      throw new TargetRefused('unresolved', { host });
    }
  }
  if (addresses.length === 0) throw new TargetRefused('unresolved', { host });
  if (!allowPrivate) {
    const inside = addresses.find((a) => isPrivateAddress(a.address));
    if (inside) throw new TargetRefused('private', { address: inside.address });
  }
  return { url, address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}
