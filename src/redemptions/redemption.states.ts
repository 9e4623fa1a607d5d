import type { RedemptionStatus, UsageStatus } from './redemption.entity';

export type RedemptionEvent = 'capture' | 'cancel' | 'expire' | 'annul';

/**
 * A hold is captured, cancelled or expires, once; a capture is annulled only by a bureau resolving a dispute at zero
 * usage. Status × event → status.
 */
export const REDEMPTION_TRANSITIONS: Record<RedemptionStatus, Partial<Record<RedemptionEvent, RedemptionStatus>>> = {
  held: { capture: 'captured', cancel: 'cancelled', expire: 'expired' },
  captured: { annul: 'cancelled' },
  cancelled: {},
  expired: {},
};

export const redemptionTransition = (from: RedemptionStatus, event: RedemptionEvent): RedemptionStatus | undefined =>
  REDEMPTION_TRANSITIONS[from][event];

export type UsageEvent = 'confirm' | 'dispute' | 'silence' | 'resolve';

/**
 * After capture the enterprise confirms or disputes the usage, or its silence confirms it when the window closes;
 * the issuing bureau resolves a dispute. Only confirmed usage can be claimed. Usage × event → usage.
 */
export const USAGE_TRANSITIONS: Record<UsageStatus, Partial<Record<UsageEvent, UsageStatus>>> = {
  pending: { confirm: 'confirmed', dispute: 'disputed', silence: 'confirmed' },
  disputed: { resolve: 'confirmed' },
  confirmed: {},
};

export const usageTransition = (from: UsageStatus | null, event: UsageEvent): UsageStatus | undefined =>
  from ? USAGE_TRANSITIONS[from][event] : undefined;
