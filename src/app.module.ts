import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { RouterModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { requestLogParams } from './common/http/request-log';
import {
  appConfig,
  AppConfig,
  auditConfig,
  authConfig,
  databaseConfig,
  DatabaseConfig,
  ENV_FILES,
  mailConfig,
  webhooksConfig,
} from './config/configuration';
import { validateEnvironment } from './config/env.validation';
import { dataSourceOptions } from './database/data-source-options';
import { migratedDataSource } from './database/migrator';
import { RepositoriesModule } from './database/repositories.module';
import { HealthModule } from './health/health.module';
import { LedgerModule } from './ledger/ledger.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { RegionsModule } from './regions/regions.module';
import { SeedModule } from './seed/seed.module';
import { PoliciesModule } from './policies/policies.module';
import { BudgetsModule } from './budgets/budgets.module';
import { VouchersModule } from './vouchers/vouchers.module';
import { FacilitiesModule } from './facilities/facilities.module';
import { RedemptionsModule } from './redemptions/redemptions.module';
import { BookingsModule } from './bookings/bookings.module';
import { ClaimsModule } from './claims/claims.module';
import { SettlementModule } from './settlement/settlement.module';
import { OversightModule } from './oversight/oversight.module';
import { PagesModule } from './pages/pages.module';
import { ReportsModule } from './reports/reports.module';
import { EventsModule } from './events/events.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { NotificationsModule } from './notifications/notifications.module';

/** The modules whose controllers make up the JSON API, served under /api. */
const API_MODULES = [
  HealthModule,
  AuditModule,
  LedgerModule,
  RegionsModule,
  OrganizationsModule,
  AuthModule,
  PoliciesModule,
  BudgetsModule,
  VouchersModule,
  FacilitiesModule,
  RedemptionsModule,
  BookingsModule,
  ClaimsModule,
  SettlementModule,
  OversightModule,
  ReportsModule,
  EventsModule,
  WebhooksModule,
  ApiKeysModule,
  NotificationsModule,
];

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      envFilePath: ENV_FILES,
      validate: validateEnvironment,
      load: [appConfig, databaseConfig, authConfig, auditConfig, webhooksConfig, mailConfig],
    }),
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (app: AppConfig) => requestLogParams(app.logLevel),
    }),
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (db: DatabaseConfig) => dataSourceOptions(db),
      // Migrated under the migration lease before anything uses it: nodes starting together migrate once.
      dataSourceFactory: (options) => migratedDataSource(options!),
    }),
    ScheduleModule.forRoot(),
    RepositoriesModule,
    CommonModule,
    ...API_MODULES,
    // The API under /api, the public pages at the root. Not a global prefix: its exclusions match paths, so taking the
    // page /facilities out of the prefix would take the API's GET /api/facilities out with it.
    RouterModule.register([{ path: 'api', children: API_MODULES }]),
    PagesModule,
    SeedModule,
  ],
})
export class AppModule {}
