import { Global, Module } from '@nestjs/common';
import { AuditRepository } from '../audit/audit.repository';
import { SessionRepository } from '../auth/session.repository';
import { ThrottleRepository } from '../auth/throttle.repository';
import { UserRepository } from '../auth/user.repository';
import { BookingRepository } from '../bookings/booking.repository';
import { BudgetRepository } from '../budgets/budget.repository';
import { ClaimRepository } from '../claims/claim.repository';
import { IdempotencyRepository } from '../common/idempotency/idempotency.repository';
import { Database } from '../common/persistence/database';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { EventRepository } from '../events/event.repository';
import { FacilityRepository } from '../facilities/facility.repository';
import { LedgerRepository } from '../ledger/ledger.repository';
import { NamesRepository } from '../organizations/names.repository';
import { NotificationRepository } from '../notifications/notification.repository';
import { OrganizationRepository } from '../organizations/organization.repository';
import { PartyRelationRepository } from '../oversight/party-relation.repository';
import { SanctionRepository } from '../oversight/sanction.repository';
import { PolicyRepository } from '../policies/policy.repository';
import { RedemptionRepository } from '../redemptions/redemption.repository';
import { PaidSummaryRepository } from '../settlement/paid-summary.repository';
import { SettlementRepository } from '../settlement/settlement.repository';
import { ClearingRunRepository } from '../clearing/clearing-run.repository';
import { AnnualGrantRepository } from '../vouchers/annual-grant.repository';
import { ApplicationRepository } from '../vouchers/application.repository';
import { VoucherRepository } from '../vouchers/voucher.repository';
import { WebhookRepository } from '../webhooks/webhook.repository';

const REPOSITORIES = [
  AuditRepository,
  UserRepository,
  SessionRepository,
  ThrottleRepository,
  BudgetRepository,
  BookingRepository,
  ClaimRepository,
  IdempotencyRepository,
  FacilityRepository,
  LedgerRepository,
  OrganizationRepository,
  NamesRepository,
  SanctionRepository,
  PartyRelationRepository,
  PolicyRepository,
  RedemptionRepository,
  PaidSummaryRepository,
  SettlementRepository,
  AnnualGrantRepository,
  ApplicationRepository,
  VoucherRepository,
  ClearingRunRepository,
  EventRepository,
  WebhookRepository,
  ApiKeyRepository,
  NotificationRepository,
];

/**
 * The persistence layer, once for the whole application: the database access, the unit of work and every
 * aggregate's repository. Each repository lives beside its module's code and owns the SQL of its tables; they are
 * provided here together so that modules using one another's repositories never import each other in a circle.
 */
@Global()
@Module({ providers: [Database, UnitOfWork, ...REPOSITORIES], exports: [Database, UnitOfWork, ...REPOSITORIES] })
export class RepositoriesModule {}
