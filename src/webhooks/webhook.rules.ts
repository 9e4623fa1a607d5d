import { bureauCovers } from '../common/auth/scope';
import type { Actor } from '../common/context/request-context';
import { subscribes } from '../events/event-types';
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

/** A subscription receives the events its owner reads in the feed, of the types it names. */
export function receives(s: WebhookSubscription, e: DomainEvent): boolean {
  if (!subscribes(s.events, e.type)) return false;
  if (s.ownerRole === 'platform') return true;
  if (s.ownerRole === 'bureau') return bureauCovers(s.regionCode, e.regionCode);
  return !!s.organizationId && (e.organizationId === s.organizationId || e.counterpartyId === s.organizationId);
}
