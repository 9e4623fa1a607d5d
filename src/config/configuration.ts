import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../common/paths';
import { Logger } from '@nestjs/common';
import { ConfigType, registerAs } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { validateEnvironment } from './env.validation';
import { parsePublicKeys, parseSigningKey, unsetSigningKey } from './signing-key';

const env = () => validateEnvironment(process.env);

export const appConfig = registerAs('app', () => {
  const e = env();
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    publicBaseUrl: (e.PUBLIC_BASE_URL || `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    bodyLimit: e.BODY_LIMIT,
    logLevel: e.LOG_LEVEL,
    demoPassword: e.DEMO_PASSWORD,
    seedDemo: e.SEED_DEMO,
    sweepIntervalSec: e.SWEEP_INTERVAL_SEC,
    auditSealDelayMs: e.AUDIT_SEAL_DELAY_MS,
    eventSequenceDelayMs: e.EVENT_SEQUENCE_DELAY_MS,
    maxFacilitiesPerProvider: e.MAX_FACILITIES_PER_PROVIDER,
    refusedApplicationsPerDay: e.REFUSED_APPLICATIONS_PER_DAY,
    calendarFeedMaxEvents: e.CALENDAR_FEED_MAX_EVENTS,
    clearingTwoPerson: e.CLEARING_TWO_PERSON === 'true',
    clearingProposalMaxDays: e.CLEARING_PROPOSAL_MAX_DAYS,
    trustProxy: e.TRUST_PROXY,
    corsOrigins: (e.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  };
});

export const databaseConfig = registerAs('database', () => {
  const e = env();
  return {
    type: e.DB_TYPE,
    path: e.DB_PATH,
    host: e.DB_HOST,
    port: e.DB_PORT,
    socket: e.DB_SOCKET || undefined,
    user: e.DB_USER,
    password: e.DB_PASSWORD,
    name: e.DB_NAME,
    poolSize: e.DB_POOL_SIZE,
    lockWaitSec: e.DB_LOCK_WAIT_SEC,
    idleTransactionSec: e.DB_IDLE_TRANSACTION_SEC,
    statementTimeoutSec: e.DB_STATEMENT_TIMEOUT_SEC,
    acquireTimeoutSec: e.DB_ACQUIRE_TIMEOUT_SEC,
    causalReads: e.DB_CAUSAL_READS,
    serialBlockSize: e.SERIAL_BLOCK_SIZE,
  };
});

export const authConfig = registerAs('auth', () => {
  const e = env();
  let jwtSecret = e.JWT_SECRET;
  if (!jwtSecret) {
    jwtSecret = randomBytes(32).toString('hex');
    new Logger('Config').warn('JWT_SECRET is not set: generated a random one; tokens will not survive a restart (set it in production)');
  }
  let mfaKey = e.MFA_ENCRYPTION_KEY;
  if (!mfaKey) {
    mfaKey = randomBytes(32).toString('base64');
    new Logger('Config').warn(
      'MFA_ENCRYPTION_KEY is not set: generated one; enrolled two-factor secrets and event-feed cursors will not survive a restart',
    );
  }
  return {
    jwtSecret,
    jwtTtlSec: e.JWT_TTL,
    sessionIdleSec: e.SESSION_IDLE_SEC,
    sessionMaxSec: e.SESSION_MAX_SEC,
    mfaRequired: (e.MFA_REQUIRED ?? (e.NODE_ENV === 'production' ? 'true' : 'false')) === 'true',
    mfaKey: Buffer.from(mfaKey, 'base64'),
    lock: { failures: e.LOGIN_LOCK_FAILURES, windowSec: e.LOGIN_LOCK_WINDOW_SEC, lockSec: e.LOGIN_LOCK_SEC },
    loginFailuresPerIpPerMin: e.LOGIN_FAILURES_PER_IP_PER_MIN,
    registrationsPerIpPerHour: e.REGISTRATIONS_PER_IP_PER_HOUR,
  };
});

export const auditConfig = registerAs('audit', () => {
  const e = env();
  let pem = e.AUDIT_SIGNING_KEY;
  if (!pem) {
    const unset = unsetSigningKey(e);
    if (unset.warning) new Logger('Config').warn(unset.warning);
    pem = unset.pem;
  }
  return { signingKey: parseSigningKey(pem), previousPublicKeys: parsePublicKeys(e.AUDIT_PREVIOUS_PUBLIC_KEYS), hashAlg: e.AUDIT_HASH };
});

export const webhooksConfig = registerAs('webhooks', () => {
  const e = env();
  return {
    allowPrivate: (e.WEBHOOK_ALLOW_PRIVATE ?? (e.NODE_ENV === 'development' ? 'true' : 'false')) === 'true',
    pollMs: e.WEBHOOK_POLL_MS,
    retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    leaseMs: e.WEBHOOK_LEASE_MS,
    secretOverlapHours: e.WEBHOOK_SECRET_OVERLAP_HOURS,
    deliveryRetentionDays: e.WEBHOOK_DELIVERY_RETENTION_DAYS,
    redeliveriesPerHour: e.WEBHOOK_REDELIVERIES_PER_HOUR,
  };
});

export const mailConfig = registerAs('mail', () => {
  const e = env();
  return {
    smtpUrl: e.SMTP_URL || null,
    from: e.MAIL_FROM,
    pollMs: e.MAIL_POLL_MS,
    leaseMs: e.MAIL_LEASE_MS,
    retryBaseMs: e.MAIL_RETRY_BASE_MS,
    perAddressPerDay: e.MAIL_PER_ADDRESS_PER_DAY,
  };
});

export type AppConfig = ConfigType<typeof appConfig>;
export type MailConfig = ConfigType<typeof mailConfig>;
export type WebhooksConfig = ConfigType<typeof webhooksConfig>;
export type DatabaseConfig = ConfigType<typeof databaseConfig>;
export type AuthConfig = ConfigType<typeof authConfig>;
export type AuditConfig = ConfigType<typeof auditConfig>;

/** Where settings come from, in precedence order after the process environment. */
export const ENV_FILES = ['.env', 'config/default.env'].map((f) => join(projectRoot, f));

/** For entry points outside Nest (CLI, benchmark): the same files ConfigModule reads, never overriding the environment. */
export function loadEnvFiles(): void {
  for (const file of ENV_FILES) if (existsSync(file)) process.loadEnvFile(file);
}
