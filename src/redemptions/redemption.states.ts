import type { RedemptionStatus } from './redemption.entity';

export type RedemptionEvent = 'capture' | 'cancel' | 'expire';

/** A hold is captured, cancelled or expires, once; the other statuses are final. Status × event → status. */
export const REDEMPTION_TRANSITIONS: Record<RedemptionStatus, Partial<Record<RedemptionEvent, RedemptionStatus>>> = {
  held: { capture: 'captured', cancel: 'cancelled', expire: 'expired' },
  captured: {},
  cancelled: {},
  expired: {},
};

export const redemptionTransition = (from: RedemptionStatus, event: RedemptionEvent): RedemptionStatus | undefined =>
  REDEMPTION_TRANSITIONS[from][event];
