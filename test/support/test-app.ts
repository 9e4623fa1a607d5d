import { INestApplication } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { bureauFor, DEMO_PASSWORD, PASSWORD } from './accounts';
import { createDatabase, createMigratedDatabase } from './app-under-test';
import { createVoucherClient, VoucherClient } from '../../client';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { createTestingApp, whenReady } from '../../src/common/http/adapter';
import { clock, securityClock } from '../../src/common/clock';
import { LedgerCheckService } from '../../src/ledger/ledger-check.service';
import { CREDIT_CODE_CHARSET, makeCreditCode } from '../../src/organizations/credit-code';
import { bankAccountKey } from '../../src/organizations/profile.rules';
import { SeedService } from '../../src/seed/seed.service';
import { Database } from '../../src/common/persistence/database';
import { Sql, sql } from '../../src/common/persistence/sql';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';

export { DEMO_PASSWORD, PASSWORD };
export const isMaria = () => (process.env.DB_TYPE ?? 'sqlite') !== 'sqlite';

const randomBody = () => [...randomBytes(9)].map((b) => CREDIT_CODE_CHARSET[b % 31]).join('');
/** A fresh valid credit code registered in `region`. */
export const creditCodeIn = (region: string, registrar = '91') => makeCreditCode(region, randomBody(), registrar);

let bankAccounts = 0;
/** A bank account (digits, as normalizeBankAccount stores them) no other organization of this run has. */
export const nextBankAccount = () => `6222${String(process.pid).padStart(7, '0')}${String(++bankAccounts).padStart(6, '0')}`;

export interface OrgSession {
  username: string;
  token: string;
  userId: string;
  organizationId: string;
  creditCode: string;
}

/**
 * A private database for one suite, named in the environment (DB_NAME or DB_PATH) with the test settings:
 * a temporary SQLite file, or a fresh MariaDB database when DB_TYPE=mariadb; `migrated`: a copy of the run's migrated
 * template (createMigratedDatabase). Returns how to drop it.
 */
export async function createTestDatabase(prefix?: string, migrated = false): Promise<() => Promise<void>> {
  const dbType = process.env.DB_TYPE ?? 'sqlite';
  const { drop } = await (migrated ? createMigratedDatabase : createDatabase)(
    isMaria() ? 'mariadb' : 'sqlite',
    `${prefix ?? (isMaria() ? 'vt_' : 'vouchers-test-')}${process.pid}`,
  );
  // The bench's settings, but the database type as asked (mysql stays mysql) and logs at TEST_LOG_LEVEL.
  Object.assign(process.env, { DB_TYPE: dbType, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return drop;
}

/**
 * A real app on a real, private database: a temporary SQLite file, or a fresh MariaDB database
 * (DB_TYPE=mariadb) that is dropped on close. Every suite ends by asserting the ledger check is clean.
 */
export class TestApp {
  app!: INestApplication;
  private dropDatabase?: () => Promise<void>;
  private restoreEnv: Record<string, string | undefined> = {};
  /** Where this app's database is: another TestApp started meanwhile names its own in the environment. */
  private databaseEnv: Record<string, string> = {};
  private tokens = new Map<string, string>();
  /** Where the app listens once a typed client asked for it. */
  private baseUrl?: Promise<string>;

  /** Replaces providers of the app's module before it is compiled (a test's own log destination, say). */
  private override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;

  /** `env` overrides the test settings for this app (read when its module is created); `override` replaces providers. */
  static async start(
    env: Record<string, string> = {},
    override?: (builder: TestingModuleBuilder) => TestingModuleBuilder,
  ): Promise<TestApp> {
    const t = new TestApp();
    t.override = override;
    await t.boot(env);
    return t;
  }

  private async boot(env: Record<string, string>) {
    this.dropDatabase = await createTestDatabase(undefined, true);
    this.databaseEnv = isMaria() ? { DB_NAME: process.env.DB_NAME! } : { DB_PATH: process.env.DB_PATH! };
    await this.open(env);
  }

  /** A Nest app on this suite's database, with `env` over the current settings (read when its module is created). */
  private async open(env: Record<string, string>) {
    for (const k of Object.keys(env)) if (!(k in this.restoreEnv)) this.restoreEnv[k] = process.env[k];
    Object.assign(process.env, this.databaseEnv, env);
    const builder = Test.createTestingModule({ imports: [AppModule] });
    const moduleRef = await (this.override ? this.override(builder) : builder).compile();
    // HTTP_ADAPTER=fastify runs the suites on Fastify, as main.ts serves with it.
    this.app = createTestingApp(moduleRef, { logger: false });
    configureApp(this.app);
    await this.app.init();
    await whenReady(this.app);
    await this.app.get(SeedService).seedStaff();
  }

  /** Stops the app and starts it again on the same database with `env` added to its settings, as an operator's restart. */
  async restart(env: Record<string, string> = {}): Promise<void> {
    await this.app.close();
    this.tokens.clear(); // the new app may sign tokens with another secret
    this.baseUrl = undefined;
    await this.open(env);
  }

  get http(): TestAgent {
    return request(this.app.getHttpServer());
  }

  /**
   * The published typed client (client/), as a provincial platform uses it, over real HTTP: from the first call the app
   * also listens on a free loopback port. `token` is an API key or a person's access token; none for anonymous calls.
   */
  async client(token?: string): Promise<VoucherClient> {
    return createVoucherClient(await this.url(), { token });
  }

  /** The app's address on a free loopback port, for calls supertest cannot make (it listens from the first call). */
  url(): Promise<string> {
    this.baseUrl ??= this.app.listen(0, '127.0.0.1').then(() => {
      const { port } = this.app.getHttpServer().address() as AddressInfo;
      return `http://127.0.0.1:${port}`;
    });
    return this.baseUrl;
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  get<T>(type: new (...args: never[]) => T): T {
    return this.app.get(type);
  }

  /** A bearer token for a seeded user (bureau-sh, bureau-js, bureau-zj, bureau-ah, platform). */
  async token(username: string, password = DEMO_PASSWORD): Promise<string> {
    const cached = this.tokens.get(username);
    if (cached) return cached;
    const res = await this.http.post('/api/auth/login').send({ username, password }).expect(200);
    this.tokens.set(username, res.body.accessToken);
    return res.body.accessToken;
  }

  /** A new session of a user (not cached): its access and refresh tokens. */
  async login(username: string, password = DEMO_PASSWORD): Promise<{ accessToken: string; refreshToken: string }> {
    const res = await this.http.post('/api/auth/login').send({ username, password });
    if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The Authorization header of a seeded user, for `.set(await t.as('bureau-ah'))`. */
  async as(username: string): Promise<{ Authorization: string }> {
    return auth(await this.token(username));
  }

  /** An enterprise in `region`, verified by its bureau unless `verify` is false (then it waits for verification). */
  async registerEnterprise(region: string, organization: Record<string, unknown> = {}, verify = true): Promise<OrgSession> {
    const e = await this.register('enterprise', region, organization);
    if (verify) {
      await this.http
        .post(`/api/organizations/${e.organizationId}/verify`)
        .set(auth(await this.token(bureauFor(region))))
        .send({ certificateNo: `TEST-${e.creditCode}` })
        .expect(200);
    }
    return e;
  }

  /** A provider in `region`, admitted at once by its province's bureau unless `admit` is false. */
  async registerProvider(region: string, organization: Record<string, unknown> = {}, admit = true): Promise<OrgSession> {
    const p = await this.register('provider', region, organization, '12');
    if (admit) {
      await this.http
        .post(`/api/providers/${p.organizationId}/admit`)
        .set(auth(await this.token(bureauFor(region))))
        .send({ noticeDays: 0 })
        .expect(200);
    }
    return p;
  }

  private async register(
    role: 'enterprise' | 'provider',
    region: string,
    organization: Record<string, unknown>,
    registrar = '91',
  ): Promise<OrgSession> {
    const username = `${role}-${randomBytes(5).toString('hex')}`;
    const { bankName = '中国工商银行合肥科技支行', bankAccount = nextBankAccount(), ...registered } = organization;
    const creditCode = (registered.creditCode as string) ?? creditCodeIn(region, registrar);
    const res = await this.http
      .post('/api/auth/register')
      .send({ username, password: PASSWORD, role, organization: { name: `${role} ${username}`, creditCode, ...registered } });
    if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
    // Every lab and enterprise may be a payee, and a payee without a bank account is left out of a settlement batch:
    // each gets one on file, written as the profile stores it but with no audit entry, event or notice, so that a suite
    // counting those sees only its own (PATCH /api/organizations/:id would tell its users). `bankAccount: null` leaves
    // it without one, as registration does.
    if (bankAccount !== null) {
      await this.write(
        sql`UPDATE organization SET bank_name = ${bankName}, bank_account = ${bankAccount}, bank_account_key = ${bankAccountKey(bankAccount as string)} WHERE id = ${res.body.organization.id}`,
      );
    }
    const login = await this.http.post('/api/auth/login').send({ username, password: PASSWORD }).expect(200);
    return { username, token: login.body.accessToken, userId: res.body.user.id, organizationId: res.body.organization.id, creditCode };
  }

  /**
   * POST /api/users by an admin, 201 expected; the address given is stored confirmed straight in the database (as its
   * holder would confirm it with the mailed code), and no code is mailed: suites that count mails see only their own.
   */
  async addUser(token: string, body: Record<string, unknown>): Promise<request.Response> {
    const { email, ...rest } = body;
    const res = await this.http
      .post('/api/users')
      .set({ Authorization: `Bearer ${token}` })
      .send(rest);
    if (res.status !== 201) throw new Error(`user creation failed: ${res.status} ${JSON.stringify(res.body)}`);
    if (typeof email === 'string') {
      await this.write(
        sql`UPDATE app_user SET email = ${email}, email_verified_at = ${securityClock.iso()} WHERE id = ${res.body.id as string}`,
      );
      Object.assign(res.body as object, { email, emailVerified: true });
    }
    return res;
  }

  /** A set-up written straight into the database, in a unit of work of its own: no audit entry, event or notice. */
  private write(query: Sql): Promise<unknown> {
    return this.app.get(UnitOfWork).run(() => this.app.get(Database).execute(query));
  }

  async ledgerCheck() {
    return this.app.get(LedgerCheckService).check();
  }

  /** Asserts the ledger is clean, then shuts the app down and drops its database. */
  async close(): Promise<void> {
    try {
      const check = await this.ledgerCheck();
      if (!check.balanced) throw new Error(`ledger check failed after the suite:\n${check.violations.join('\n')}`);
    } finally {
      clock.reset();
      securityClock.reset();
      for (const [k, v] of Object.entries(this.restoreEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await this.app.close();
      await this.dropDatabase?.();
    }
  }
}

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
