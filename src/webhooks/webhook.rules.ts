import { bureauCovers } from '../common/auth/scope';
import { sha256 } from '../common/hash';
import type { Actor } from '../common/context/request-context';
import { EVERY_BUREAU_TYPES, subscribes } from '../events/event-types';
import type { DomainEvent } from '../events/event.repository';
import type { SubscriptionOwner, WebhookSubscription } from './webhook.repository';

/** The owner a caller's subscriptions belong to: its organization, its bureau's region, or the platform. */
export function ownerOf(actor: Actor): SubscriptionOwner {
  if (actor.role === 'platform') return { ownerRole: 'platform', organizationId: null, regionCode: null };
  if (actor.role === 'bureau') return { ownerRole: 'bureau', organizationId: null, regionCode: actor.regionCode };
  return { ownerRole: actor.role, organizationId: actor.organizationId, regionCode: null };
}

export const sameOwner = (a: SubscriptionOwner, b: SubscriptionOwner): boolean =>
  a.ownerRole === b.ownerRole && (a.organizationId ?? '') === (b.organizationId ?? '') && (a.regionCode ?? '') === (b.regionCode ?? '');

/** Live subscriptions one organization, bureau or the platform may keep: each delivers every event it names. */
export const MAX_WEBHOOKS_PER_OWNER = 10;

/** One text per owner, for the unique keys of live subscriptions. */
export const ownerKey = (o: SubscriptionOwner): string => `${o.ownerRole}:${o.organizationId ?? o.regionCode ?? ''}`;

/**
 * The unique keys of a live subscription: its owner's URL (as the URL parser writes it, so `HTTPS://Example.org:443/x`
 * is `https://example.org/x`) and its slot, 1 to MAX_WEBHOOKS_PER_OWNER. Of two subscriptions made at once for the
 * same URL or in the same slot, the database takes one.
 */
export const liveUrlKey = (o: SubscriptionOwner, url: string): string => sha256(`${ownerKey(o)}\n${targetOf(url)}`);
export const liveSlotKey = (o: SubscriptionOwner, slot: number): string => `${ownerKey(o)}#${slot}`;

/**
 * What a URL calls, written one way: the WHATWG parser's form (case, default port, dot segments) without the fragment,
 * which is never sent, or an empty query, with the characters RFC 3986 leaves unreserved decoded and other escapes in
 * capitals (`/%61` is `/a`).
 */
export function targetOf(url: string): string {
  const u = new URL(url);
  u.hash = '';
  if (u.search === '?') u.search = '';
  const escapes = (part: string) =>
    part.replace(/%([0-9a-f]{2})/gi, (escape, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return /[A-Za-z0-9\-._~]/.test(c) ? c : escape.toUpperCase();
    });
  return `${u.protocol}//${u.host}${escapes(u.pathname)}${escapes(u.search)}`;
}

/** Whether two subscription URLs call the same target. */
export const sameUrl = (a: string, b: string): boolean => targetOf(a) === targetOf(b);

/** The lowest slot no live subscription of the owner holds, or null when all are taken. */
export function freeSlot(taken: readonly (number | null)[]): number | null {
  for (let slot = 1; slot <= MAX_WEBHOOKS_PER_OWNER; slot++) if (!taken.includes(slot)) return slot;
  return null;
}

/** A subscription receives the events its owner reads in the feed, of the types it names. */
export function receives(s: WebhookSubscription, e: DomainEvent): boolean {
  if (!subscribes(s.events, e.type)) return false;
  if (s.ownerRole === 'platform') return true;
  if (s.ownerRole === 'bureau') return bureauCovers(s.regionCode, e.regionCode) || EVERY_BUREAU_TYPES.includes(e.type);
  return !!s.organizationId && (e.organizationId === s.organizationId || e.counterpartyId === s.organizationId);
}

/** A person's sign-in that can no longer be trusted ends what it made (MadeByUser). */
export type CredentialEndCause = 'user.sign_in_reset' | 'auth.password_changed' | 'auth.mfa_enabled';
/** Why a subscription ended with the credential that made it. */
export type WebhookEndCause = 'api_key.revoked' | 'user.disabled' | CredentialEndCause;

/** The audit entry of an ended subscription: by its owner, or with the credential that made it (`cause`). */
export const webhookDeleted = (s: WebhookSubscription, cause?: WebhookEndCause) => ({
  action: 'webhook.deleted',
  entityType: 'webhook_subscription',
  entityId: s.id,
  regionCode: s.regionCode,
  organizationId: s.organizationId,
  summary: { url: s.url, ...(cause ? { cause } : {}) },
});
