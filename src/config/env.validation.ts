import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength, validateSync } from 'class-validator';
import { getHashes } from 'node:crypto';
import { HASH_ALGS, HashAlg } from '../audit/audit-entry.entity';
import { parsePublicKeys, parseSigningKey } from './signing-key';

export const DB_TYPES = ['sqlite', 'mariadb', 'mysql'] as const;

/** The environment the service accepts. A bad value stops start-up with a message naming it. */
export class Environment {
  @IsIn(['development', 'production', 'test']) NODE_ENV: 'development' | 'production' | 'test' = 'development';
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  /** API processes on this machine (MySQL/MariaDB only); 0 = one per CPU. */
  @Type(() => Number) @IsInt() @Min(0) @Max(64) API_WORKERS = 1;
  /** The HTTP server under Nest (read by main.ts before the module exists; checked here for its message). */
  @IsIn(['express', 'fastify']) HTTP_ADAPTER: 'express' | 'fastify' = 'fastify';
  @IsIn(DB_TYPES) DB_TYPE: (typeof DB_TYPES)[number] = 'sqlite';
  @IsString() DB_PATH = './data/voucher.db';
  @IsString() DB_HOST = '127.0.0.1';
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) DB_PORT = 3306;
  @IsOptional() @IsString() DB_SOCKET?: string;
  @IsString() DB_USER = 'root';
  @IsString() DB_PASSWORD = '';
  @IsString() DB_NAME = 'vouchers';
  /**
   * Connections per API process. Small on purpose: beyond a few per database core, more statements in flight only
   * share the database's cores and stretch the slow ones (docs/performance.md, 2026-12-01: search p99 at 32
   * connections 650 → 290 ms from 20 to 4, holds and availability unchanged). Requests beyond it wait in turn. At
   * least 2: at start the migration lease holds one connection while the migrations run on another.
   */
  @Type(() => Number)
  @IsInt()
  @Min(2, { message: 'DB_POOL_SIZE must be at least 2: the migration lease holds one connection while migrations run on another' })
  @Max(500)
  DB_POOL_SIZE = 4;
  /**
   * innodb_lock_wait_timeout on every connection: the longest one statement waits for a row lock before its unit of
   * work runs again. The server's 50 s is longer than the whole retry budget (15 s); on Galera a node once stalled
   * that long, most likely behind a wait its applier failed to break (docs/adr/0007-scaling-out.md).
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(3600) DB_LOCK_WAIT_SEC = 5;
  /**
   * idle_transaction_timeout on every MariaDB connection: a transaction that sends nothing for this long belongs to a node
   * that froze or lost its machine (no FIN ever reaches the server), and the server ends it, giving back its row locks.
   * Without it they are held until wait_timeout (8 h) and every other node's units on those rows answer 503. Below the
   * unit of work's 15 s retry budget, a unit waiting on those rows outlasts it and answers without an error. No unit is
   * this long between statements: a webhook URL's lookup gives up after 5 s (LOOKUP_TIMEOUT_MS), and a long statement
   * PDF lets the event loop run between its rows, so that other requests' transactions on the node do not sit idle.
   * MySQL and TiDB ignore it.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(3600) DB_IDLE_TRANSACTION_SEC = 10;
  /**
   * The longest this process waits for the database to answer one statement (MariaDB/MySQL; 0 = no limit). A server
   * that stalls (a paused VM, a full disk, a network path that drops packets without a reset) keeps its connections
   * open and never answers: without a limit every request waits as long as the stall, and so do the health checks.
   * After it the connection is dropped (a new one is made for the next unit) and the request answers 503. Well above
   * the lock wait (DB_LOCK_WAIT_SEC) and the longest report; migrations are exempt (an ALTER of a large table).
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(3600) DB_STATEMENT_TIMEOUT_SEC = 60;
  /**
   * The longest a request waits for one of this process's DB_POOL_SIZE connections (MariaDB/MySQL; 0 = no limit),
   * connecting included: while the pool's connections hang on a stalled server, the requests queued behind them answer
   * 503 DATABASE_UNAVAILABLE after this long instead of waiting for the stall to end.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(3600) DB_ACQUIRE_TIMEOUT_SEC = 10;
  /** wsrep_sync_wait on every connection (Galera read-your-writes): auto = when the server runs wsrep. */
  @IsIn(['auto', 'on', 'off']) DB_CAUSAL_READS: 'auto' | 'on' | 'off' = 'auto';
  /** Voucher serial numbers each process reserves at once (MySQL family; SQLite takes them one by one). */
  @Type(() => Number) @IsInt() @Min(1) @Max(10000) SERIAL_BLOCK_SIZE = 50;
  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' }) JWT_SECRET?: string;
  /** Access-token lifetime: short (≤ 15 min, GB/T 22239 session timeout); sessions live on through refresh tokens. */
  @Type(() => Number) @IsInt() @Min(60) @Max(900) JWT_TTL = 900;
  /** A session ends when it is not refreshed for this long (idle timeout) … */
  @Type(() => Number) @IsInt() @Min(60) @Max(86400) SESSION_IDLE_SEC = 1800;
  /** … and at the latest this long after login. */
  @Type(() => Number) @IsInt() @Min(300) @Max(604800) SESSION_MAX_SEC = 43200;
  /** Bureau and platform users must enrol two-factor before anything else; on by default in production. */
  @IsOptional() @IsIn(['true', 'false']) MFA_REQUIRED?: 'true' | 'false';
  /** Encrypts two-factor secrets at rest: 32 bytes, base64. Required in production. */
  @IsOptional() @IsString() MFA_ENCRYPTION_KEY?: string;
  /** Failed logins of one username within the window that lock it, and for how long. */
  @Type(() => Number) @IsInt() @Min(1) LOGIN_LOCK_FAILURES = 5;
  @Type(() => Number) @IsInt() @Min(1) LOGIN_LOCK_WINDOW_SEC = 900;
  @Type(() => Number) @IsInt() @Min(1) LOGIN_LOCK_SEC = 900;
  /** Failed logins one client address may make in a minute before it is refused (429 RATE_LIMITED). */
  @Type(() => Number) @IsInt() @Min(1) LOGIN_FAILURES_PER_IP_PER_MIN = 30;
  /** Registrations one client address may make in an hour. */
  @Type(() => Number) @IsInt() @Min(1) REGISTRATIONS_PER_IP_PER_HOUR = 20;
  /**
   * Applications of one enterprise a day that its rules refuse at once (each recorded rejected, with its events, as
   * API.md asks): beyond, 429 RATE_LIMITED and nothing recorded. A real enterprise applies a few times a year; one not
   * yet verified, applying in a loop, would fill its bureau's list and every subscriber's feed. At most 1,000: the
   * instants of the last 24 hours are kept on one throttle row.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000) REFUSED_APPLICATIONS_PER_DAY = 20;
  /**
   * Live (not retired) facilities one provider may list. 500 is well above a real lab (the largest shared-instrument
   * centres list a few hundred instruments; a bulk import takes 2,000 rows) and keeps one lab from flooding the public
   * catalogue: the region listed 28,634 instruments over thousands of labs.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(100000) MAX_FACILITIES_PER_PROVIDER = 500;
  /** The most bookings one calendar feed lists: the nearest to come first, then the latest of the 90 days gone. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100000) CALENDAR_FEED_MAX_EVENTS = 2000;
  /** Behind a reverse proxy: trust its X-Forwarded-For for the client address (Express "trust proxy"). */
  @IsOptional() @IsString() TRUST_PROXY?: string;
  /** Browser origins allowed to call the API (comma-separated); empty: CORS off. */
  @IsOptional() @IsString() CORS_ORIGINS?: string;
  @IsString() @MinLength(8) DEMO_PASSWORD = 'demo-pass-2026';
  @IsIn(['auto', 'always', 'never']) SEED_DEMO: 'auto' | 'always' | 'never' = 'auto';
  /** Where the public pages are reached from outside (the QR code on certificates); unset: http://localhost:${PORT}. */
  @IsOptional() @IsString() PUBLIC_BASE_URL?: string;
  @IsString() BODY_LIMIT = '100kb';
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  @Type(() => Number) @IsInt() @Min(0) SWEEP_INTERVAL_SEC = 60;
  @Type(() => Number) @IsInt() @Min(0) @Max(60000) AUDIT_SEAL_DELAY_MS = 100;
  /** How soon after a commit its domain events are numbered (the feed numbers before it reads, so only webhooks wait). */
  @Type(() => Number) @IsInt() @Min(0) @Max(60000) EVENT_SEQUENCE_DELAY_MS = 100;
  /** Signs audit checkpoints: an Ed25519 private key, PKCS#8 PEM. Required in production. */
  @IsOptional() @IsString() AUDIT_SIGNING_KEY?: string;
  /**
   * The public keys (SPKI PEM, oldest first) of the keys that signed audit checkpoints before AUDIT_SIGNING_KEY: after a
   * rotation, the checkpoints they signed still verify.
   */
  @IsOptional() @IsString() AUDIT_PREVIOUS_PUBLIC_KEYS?: string;
  /** The hash algorithm of newly chained audit entries. */
  @IsIn(HASH_ALGS) AUDIT_HASH: HashAlg = 'sha256';
  /**
   * Two-person recording of clearing runs (双人复核): POST /api/clearing-runs proposes (202) and another platform person
   * confirms. Off by default: one platform person records a run at once.
   */
  @IsOptional() @IsIn(['true', 'false']) CLEARING_TWO_PERSON?: 'true' | 'false';
  /** A clearing run proposal older than this many days is refused at confirmation (409): the checker signs a fresh review. */
  @Type(() => Number) @IsInt() @Min(1) @Max(366) CLEARING_PROPOSAL_MAX_DAYS = 7;
  /** Webhooks may target private, loopback and link-local addresses (default: only in development). */
  @IsOptional() @IsIn(['true', 'false']) WEBHOOK_ALLOW_PRIVATE?: 'true' | 'false';
  /** How often each node looks for due webhook deliveries; 0 = only when told (tests). */
  @Type(() => Number) @IsInt() @Min(0) @Max(600000) WEBHOOK_POLL_MS = 1000;
  /** The first retry's delay; later ones double up to 6 h. */
  @Type(() => Number) @IsInt() @Min(10) @Max(600000) WEBHOOK_RETRY_BASE_MS = 30000;
  /** A delivery attempt's timeout, and how long a node's lease on a delivery lasts (more than the timeout). */
  @Type(() => Number) @IsInt() @Min(100) @Max(60000) WEBHOOK_TIMEOUT_MS = 10000;
  @Type(() => Number) @IsInt() @Min(200) @Max(600000) WEBHOOK_LEASE_MS = 30000;
  /** After a webhook's secret is rotated, how long deliveries are signed by the old secret too. */
  @Type(() => Number) @IsInt() @Min(0) @Max(720) WEBHOOK_SECRET_OVERLAP_HOURS = 24;
  /**
   * Window redeliveries (POST /api/webhooks/:id/redeliver, up to 500 deliveries each) one subscription may ask for in any
   * hour (a sliding window, counted in the database so every node agrees); beyond, 429 RATE_LIMITED with Retry-After.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000) WEBHOOK_REDELIVERIES_PER_HOUR = 10;
  /** Delivered and given-up webhook deliveries (and their attempts) are deleted this many days after they ended. */
  @Type(() => Number) @IsInt() @Min(1) @Max(3650) WEBHOOK_DELIVERY_RETENTION_DAYS = 30;
  /** Mail for notifications (smtp://user:pass@host:587, smtps://…); unset: notifications stay in the app. */
  @IsOptional() @IsString() SMTP_URL?: string;
  @IsString() MAIL_FROM = '长三角科技创新券 <noreply@vouchers.invalid>';
  /** How often each node looks for notification mails to send; 0 = only in the sweep. */
  @Type(() => Number) @IsInt() @Min(0) @Max(600000) MAIL_POLL_MS = 5000;
  /** How long a node's lease on one mail lasts; the sending node renews it every third for as long as it sends. */
  @Type(() => Number) @IsInt() @Min(1200) @Max(3600000) MAIL_LEASE_MS = 60000;
  /** The first retry's delay; later ones double up to an hour, for a day after the notice. */
  @Type(() => Number) @IsInt() @Min(10) @Max(3600000) MAIL_RETRY_BASE_MS = 60000;
  /** Notification mails sent to one address in 24 hours (their instants kept on one row); the others are in the app only. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000) MAIL_PER_ADDRESS_PER_DAY = 50;
}

export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
    throw new Error('Invalid configuration: JWT_SECRET is required when NODE_ENV=production');
  }
  if (env.NODE_ENV === 'production' && !env.MFA_ENCRYPTION_KEY) {
    throw new Error('Invalid configuration: MFA_ENCRYPTION_KEY is required when NODE_ENV=production');
  }
  if (env.MFA_ENCRYPTION_KEY && Buffer.from(env.MFA_ENCRYPTION_KEY, 'base64').length !== 32) {
    throw new Error('Invalid configuration: MFA_ENCRYPTION_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
  }
  if (env.NODE_ENV === 'production' && !env.AUDIT_SIGNING_KEY) {
    throw new Error('Invalid configuration: AUDIT_SIGNING_KEY is required when NODE_ENV=production (openssl genpkey -algorithm ed25519)');
  }
  if (env.AUDIT_SIGNING_KEY) parseSigningKey(env.AUDIT_SIGNING_KEY);
  parsePublicKeys(env.AUDIT_PREVIOUS_PUBLIC_KEYS);
  if (env.AUDIT_HASH === 'sm3' && !getHashes().includes('sm3')) {
    throw new Error('Invalid configuration: AUDIT_HASH=sm3 but the OpenSSL of this Node.js has no SM3');
  }
  if (env.SESSION_IDLE_SEC < env.JWT_TTL) {
    // Idleness is judged at refresh: an access token issued at the last refresh must not outlive the idle limit.
    throw new Error('Invalid configuration: SESSION_IDLE_SEC must be at least JWT_TTL (an access token outlived the idle limit)');
  }
  if (env.SESSION_MAX_SEC < env.SESSION_IDLE_SEC) {
    throw new Error('Invalid configuration: SESSION_MAX_SEC must be at least SESSION_IDLE_SEC');
  }
  if (env.WEBHOOK_LEASE_MS <= env.WEBHOOK_TIMEOUT_MS) {
    throw new Error('Invalid configuration: WEBHOOK_LEASE_MS must be longer than WEBHOOK_TIMEOUT_MS (a lease outlives its attempt)');
  }
  if (errors.length > 0) {
    const detail = errors.map((e) => `${e.property}=${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join(', ')}`);
    throw new Error(`Invalid configuration: ${detail.join('; ')}`);
  }
  return env;
}
