export const SERVICE_CATEGORIES = ['testing', 'r_and_d', 'design', 'tech_transfer', 'consulting', 'instrument_sharing'] as const;
export type ServiceCategory = (typeof SERVICE_CATEGORIES)[number];

export const REDEMPTION_MODES = ['provider_redeemed', 'enterprise_reimbursed'] as const;
export type RedemptionMode = (typeof REDEMPTION_MODES)[number];

export type SettlementCycle = 'monthly' | 'quarterly';

/** The terms of one immutable policy version: every subsidy on a voucher is computed from these. */
export interface PolicyTerms {
  categories: { category: ServiceCategory; ratioBp: number }[];
  acceptedProvinceCodes: string[];
  localBonusBp: number;
  enterpriseAnnualCapFen: number;
  teamAnnualCapFen: number | null;
  maxVoucherFen: number;
  perRedemptionCapFen: number | null;
  capByController: boolean;
  voucherValidityDays: number;
  holdExpiryDays: number;
  autoApproveMaxFen: number;
  redemptionModes: RedemptionMode[];
  settlementCycle: SettlementCycle;
  relatedPartyBan: boolean;
  /** Days the enterprise has to confirm or dispute a captured service; silence confirms. */
  confirmDays: number;
  /** Approvals of applications and claims at or above this take two different bureau users (0: off). */
  dualControlFen: number;
}

export const DEFAULT_CONFIRM_DAYS = 7;
