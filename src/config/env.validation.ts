import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength, validateSync } from 'class-validator';

export const DB_TYPES = ['sqlite', 'mariadb', 'mysql'] as const;

/** The environment the service accepts. A bad value stops start-up with a message naming it. */
export class Environment {
  @IsIn(['development', 'production', 'test']) NODE_ENV: 'development' | 'production' | 'test' = 'development';
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  /** API processes on this machine (MySQL/MariaDB only); 0 = one per CPU. */
  @Type(() => Number) @IsInt() @Min(0) @Max(64) API_WORKERS = 1;
  @IsIn(DB_TYPES) DB_TYPE: (typeof DB_TYPES)[number] = 'sqlite';
  @IsString() DB_PATH = './data/voucher.db';
  @IsString() DB_HOST = '127.0.0.1';
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) DB_PORT = 3306;
  @IsOptional() @IsString() DB_SOCKET?: string;
  @IsString() DB_USER = 'root';
  @IsString() DB_PASSWORD = '';
  @IsString() DB_NAME = 'vouchers';
  @Type(() => Number) @IsInt() @Min(1) @Max(500) DB_POOL_SIZE = 20;
  /** wsrep_sync_wait on every connection (Galera read-your-writes): auto = when the server runs wsrep. */
  @IsIn(['auto', 'on', 'off']) DB_CAUSAL_READS: 'auto' | 'on' | 'off' = 'auto';
  /** Voucher serial numbers each process reserves at once (MySQL family; SQLite takes them one by one). */
  @Type(() => Number) @IsInt() @Min(1) @Max(10000) SERIAL_BLOCK_SIZE = 50;
  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' }) JWT_SECRET?: string;
  @Type(() => Number) @IsInt() @Min(60) @Max(604800) JWT_TTL = 3600;
  @IsString() @MinLength(8) DEMO_PASSWORD = 'demo-pass-2026';
  @IsIn(['auto', 'always', 'never']) SEED_DEMO: 'auto' | 'always' | 'never' = 'auto';
  @IsString() PUBLIC_BASE_URL = 'http://localhost:3000';
  @IsString() BODY_LIMIT = '100kb';
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  @Type(() => Number) @IsInt() @Min(0) SWEEP_INTERVAL_SEC = 60;
  @Type(() => Number) @IsInt() @Min(0) @Max(60000) AUDIT_SEAL_DELAY_MS = 100;
}

export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
    throw new Error('Invalid configuration: JWT_SECRET is required when NODE_ENV=production');
  }
  if (errors.length > 0) {
    const detail = errors.map((e) => `${e.property}=${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join(', ')}`);
    throw new Error(`Invalid configuration: ${detail.join('; ')}`);
  }
  return env;
}
