import type { SettlementStatus } from './settlement.entity';

export type SettlementEvent = 'pay';

/** A batch is open until it is paid, once. Status × event → status. */
export const SETTLEMENT_TRANSITIONS: Record<SettlementStatus, Partial<Record<SettlementEvent, SettlementStatus>>> = {
  open: { pay: 'paid' },
  paid: {},
};

export const settlementTransition = (from: SettlementStatus, event: SettlementEvent): SettlementStatus | undefined =>
  SETTLEMENT_TRANSITIONS[from][event];
