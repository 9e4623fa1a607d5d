import type { SettlementStatus } from './settlement.entity';

export type SettlementEvent = 'pay' | 'void';

/** A batch is open until it is paid, once, or voided (its claims go back for a later batch). Status × event → status. */
export const SETTLEMENT_TRANSITIONS: Record<SettlementStatus, Partial<Record<SettlementEvent, SettlementStatus>>> = {
  open: { pay: 'paid', void: 'voided' },
  paid: {},
  voided: {},
};

export const settlementTransition = (from: SettlementStatus, event: SettlementEvent): SettlementStatus | undefined =>
  SETTLEMENT_TRANSITIONS[from][event];
