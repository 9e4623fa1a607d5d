import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { AuditPending1764100000000 } from './1764100000000-audit-pending';
import { MoneyConstraints1764200000000 } from './1764200000000-money-constraints';
import { Accounts1764300000000 } from './1764300000000-accounts';
import { FraudControls1764400000000 } from './1764400000000-fraud-controls';
import { AuditCheckpoints1764500000000 } from './1764500000000-audit-checkpoints';
import { Booking1764600000000 } from './1764600000000-booking';
import { Profiles1764700000000 } from './1764700000000-profiles';
import { Events1764800000000 } from './1764800000000-events';
import { VolumeIndexes1764900000000 } from './1764900000000-volume-indexes';
import { FacilitySearch1765000000000 } from './1765000000000-facility-search';
import { StatsSummaries1765100000000 } from './1765100000000-stats-summaries';
import { FacilitySearchFolds1765200000000 } from './1765200000000-facility-search-folds';
import { ClaimBatchInPlace1765300000000 } from './1765300000000-claim-batch-in-place';
import { GrantsPerEnterprise1765400000000 } from './1765400000000-grants-per-enterprise';
import { InvoiceKeysRefolded1765500000000 } from './1765500000000-invoice-keys-refolded';
import { LinesClearedOnce1765600000000 } from './1765600000000-lines-cleared-once';
import { StaffActivation1765700000000 } from './1765700000000-staff-activation';
import { EventsAsPublished1765810000000 } from './1765810000000-events-as-published';
import { SecretsNotReplayed1765820000000 } from './1765820000000-secrets-not-replayed';
import { WebhookLiveKeys1765830000000 } from './1765830000000-webhook-live-keys';
import { StaffSetupCodes1765840000000 } from './1765840000000-staff-setup-codes';
import { FinalClaimRejection1765850000000 } from './1765850000000-final-claim-rejection';
import { GrantsToEveryGroup1765860000000 } from './1765860000000-grants-to-every-group';
import { UsernamesFolded1765870000000 } from './1765870000000-usernames-folded';
import { LoginRefusalsCounted1765880000000 } from './1765880000000-login-refusals-counted';
import { GrantsRecounted1765890000000 } from './1765890000000-grants-recounted';
import { RefusalMinutesReported1765900000000 } from './1765900000000-refusal-minutes-reported';
import { EventIdFields1766000000000 } from './1766000000000-event-id-fields';
import { BookingHoursCapped1766100000000 } from './1766100000000-booking-hours-capped';
import { SignInReset1766200000000 } from './1766200000000-sign-in-reset';
import { FacilityContact1766300000000 } from './1766300000000-facility-contact';
import { InvoicesPerIssuer1766400000000 } from './1766400000000-invoices-per-issuer';
import { ClearingRunNumbers1766500000000 } from './1766500000000-clearing-run-numbers';
import { DeliveryLeasesIndexed1766600000000 } from './1766600000000-delivery-leases-indexed';
import { FlowsNetOfCuts1766700000000 } from './1766700000000-flows-net-of-cuts';
import { SanctionLiftReason1766800000000 } from './1766800000000-sanction-lift-reason';
import { VoucherClosedAt1766900000000 } from './1766900000000-voucher-closed-at';
import { FirstApprovalKeys1767000000000 } from './1767000000000-first-approval-keys';
import { NotificationMailOff1767100000000 } from './1767100000000-notification-mail-off';
import { ClearingRunVoid1767200000000 } from './1767200000000-clearing-run-void';
import { AuditFiltersIndexed1767300000000 } from './1767300000000-audit-filters-indexed';
import { FirstAdminGroups1767400000000 } from './1767400000000-first-admin-groups';
import { PaymentRefsUnique1767500000000 } from './1767500000000-payment-refs-unique';
import { ReportSummaries1767600000000 } from './1767600000000-report-summaries';
import { BankAccountsUnique1767710000000 } from './1767710000000-bank-accounts-unique';
import { WebhookSecretRotation1767730000000 } from './1767730000000-webhook-secret-rotation';
import { EmailVerification1767750000000 } from './1767750000000-email-verification';
import { SettlementVoid1767770000000 } from './1767770000000-settlement-void';
import { FirstApprovalSessions1767780000000 } from './1767780000000-first-approval-sessions';
import { ClearingRunProposals1767810000000 } from './1767810000000-clearing-run-proposals';
import { BankAccountChanges1767820000000 } from './1767820000000-bank-account-changes';
import { VoidedEventsWithoutCreator1767880000000 } from './1767880000000-voided-events-without-creator';

/** Every migration, in order. Listed explicitly so the same set runs from ts (tests) and js (dist). */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  AuditPending1764100000000,
  MoneyConstraints1764200000000,
  Accounts1764300000000,
  FraudControls1764400000000,
  AuditCheckpoints1764500000000,
  Booking1764600000000,
  Profiles1764700000000,
  Events1764800000000,
  VolumeIndexes1764900000000,
  FacilitySearch1765000000000,
  StatsSummaries1765100000000,
  FacilitySearchFolds1765200000000,
  ClaimBatchInPlace1765300000000,
  GrantsPerEnterprise1765400000000,
  InvoiceKeysRefolded1765500000000,
  LinesClearedOnce1765600000000,
  StaffActivation1765700000000,
  EventsAsPublished1765810000000,
  SecretsNotReplayed1765820000000,
  WebhookLiveKeys1765830000000,
  StaffSetupCodes1765840000000,
  FinalClaimRejection1765850000000,
  GrantsToEveryGroup1765860000000,
  UsernamesFolded1765870000000,
  LoginRefusalsCounted1765880000000,
  GrantsRecounted1765890000000,
  RefusalMinutesReported1765900000000,
  EventIdFields1766000000000,
  BookingHoursCapped1766100000000,
  SignInReset1766200000000,
  FacilityContact1766300000000,
  InvoicesPerIssuer1766400000000,
  ClearingRunNumbers1766500000000,
  DeliveryLeasesIndexed1766600000000,
  FlowsNetOfCuts1766700000000,
  SanctionLiftReason1766800000000,
  VoucherClosedAt1766900000000,
  FirstApprovalKeys1767000000000,
  NotificationMailOff1767100000000,
  ClearingRunVoid1767200000000,
  AuditFiltersIndexed1767300000000,
  FirstAdminGroups1767400000000,
  PaymentRefsUnique1767500000000,
  ReportSummaries1767600000000,
  BankAccountsUnique1767710000000,
  WebhookSecretRotation1767730000000,
  EmailVerification1767750000000,
  SettlementVoid1767770000000,
  FirstApprovalSessions1767780000000,
  ClearingRunProposals1767810000000,
  BankAccountChanges1767820000000,
  VoidedEventsWithoutCreator1767880000000,
];
