import { AuditCheckpoint, AuditEntry, AuditHead, AuditPending } from '../audit/audit-entry.entity';
import { Session } from '../auth/session.entity';
import { Throttle } from '../auth/throttle.entity';
import { User } from '../auth/user.entity';
import { Booking, BookingHour, CalendarFeed, FacilityCalendar, FacilityQualification } from '../bookings/booking.entity';
import { Budget } from '../budgets/budget.entity';
import { Claim, ClaimedInvoice } from '../claims/claim.entity';
import { ClearingRun, ClearingRunEntry, ClearingRunProposal } from '../clearing/clearing-run.entity';
import { IdempotencyRecord } from '../common/idempotency/idempotency-record.entity';
import { Facility, FacilityGram, FacilityRating } from '../facilities/facility.entity';
import { LedgerTransfer } from '../ledger/ledger-transfer.entity';
import { Organization, QualifiedEnterprise } from '../organizations/organization.entity';
import { PartyRelation } from '../oversight/party-relation.entity';
import { Sanction } from '../oversight/sanction.entity';
import { Policy } from '../policies/policy.entity';
import { CapturedFlow, FacilityUsage, Redemption, UsageDispute } from '../redemptions/redemption.entity';
import { PaidSummary, Settlement, SettlementLine } from '../settlement/settlement.entity';
import { AnnualGrant, SerialCounter, Voucher, VoucherApplication } from '../vouchers/voucher.entity';

export const ENTITIES = [
  AuditEntry,
  AuditPending,
  AuditHead,
  AuditCheckpoint,
  User,
  Session,
  Throttle,
  Organization,
  Policy,
  Budget,
  AnnualGrant,
  SerialCounter,
  VoucherApplication,
  Voucher,
  Facility,
  Redemption,
  CapturedFlow,
  FacilityUsage,
  UsageDispute,
  Claim,
  ClaimedInvoice,
  Settlement,
  SettlementLine,
  PaidSummary,
  LedgerTransfer,
  IdempotencyRecord,
  Sanction,
  QualifiedEnterprise,
  PartyRelation,
  FacilityRating,
  FacilityGram,
  ClearingRun,
  ClearingRunEntry,
  ClearingRunProposal,
  FacilityCalendar,
  Booking,
  BookingHour,
  FacilityQualification,
  CalendarFeed,
];
