import type { VoucherStatus } from './voucher.entity';

export type VoucherEvent = 'exhaust' | 'refill' | 'expire' | 'revoke';

/**
 * A voucher is active until its balance is used up (exhausted, and active again if a hold comes back), its last day
 * passes (expired) or its bureau revokes it. Expired and revoked are final. Status × event → status.
 */
export const VOUCHER_TRANSITIONS: Record<VoucherStatus, Partial<Record<VoucherEvent, VoucherStatus>>> = {
  active: { exhaust: 'exhausted', expire: 'expired', revoke: 'revoked' },
  exhausted: { refill: 'active', expire: 'expired', revoke: 'revoked' },
  expired: {},
  revoked: {},
};

export const voucherTransition = (from: VoucherStatus, event: VoucherEvent): VoucherStatus | undefined => VOUCHER_TRANSITIONS[from][event];
