import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource, QueryRunner } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { EventsAsPublished1765810000000 } from '../../migrations/1765810000000-events-as-published';
import { SecretsNotReplayed1765820000000 } from '../../migrations/1765820000000-secrets-not-replayed';
import { WebhookLiveKeys1765830000000 } from '../../migrations/1765830000000-webhook-live-keys';
import { EventIdFields1766000000000 } from '../../migrations/1766000000000-event-id-fields';
import { FlowsNetOfCuts1766700000000 } from '../../migrations/1766700000000-flows-net-of-cuts';
import { PaymentRefsUnique1767500000000 } from '../../migrations/1767500000000-payment-refs-unique';
import { BankAccountsUnique1767710000000 } from '../../migrations/1767710000000-bank-accounts-unique';
import { VoidedEventsWithoutCreator1767880000000 } from '../../migrations/1767880000000-voided-events-without-creator';
import { AppModule } from '../../src/app.module';
import { databaseConfig } from '../../src/config/configuration';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { newId } from '../../src/common/ids';
import { EventOutbox } from '../../src/events/event-outbox';
import { bookableFacility, issueVoucher, openRegion, submittedClaim } from '../support/fixtures';
import { auth, createTestDatabase, isMaria, TestApp } from '../support/test-app';

/** The one migration set runs, reverts fully and runs again, leaving no drift against the entities. */
describe('migrations', () => {
  let dataSource: DataSource;
  let dropDatabase: () => Promise<void>;

  beforeAll(async () => {
    dropDatabase = await createTestDatabase('vt_mig_');
    dataSource = await new DataSource(dataSourceOptions(databaseConfig())).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase();
  });

  /** The entities' tables that exist right now. */
  const tables = async () => {
    const runner = dataSource.createQueryRunner();
    const present = [];
    for (const { tableName } of dataSource.entityMetadatas) if (await runner.hasTable(tableName)) present.push(tableName);
    await runner.release();
    return present;
  };

  it('runs, reverts completely, and runs again with no schema drift', async () => {
    const ran = await dataSource.runMigrations();
    expect(ran.length).toBeGreaterThan(0);
    expect(await tables()).toHaveLength(dataSource.entityMetadatas.length);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);

    for (let i = 0; i < ran.length; i++) await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);

    await dataSource.runMigrations();
    expect(await tables()).toHaveLength(dataSource.entityMetadatas.length);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });

  (isMaria() ? it : it.skip)('on MariaDB a claim keeps room for its batch while it has none, so settlement writes in place', async () => {
    const [table] = await dataSource.query<{ ROW_FORMAT: string }[]>(
      `SELECT ROW_FORMAT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'claim'`,
    );
    const [column] = await dataSource.query<{ COLUMN_TYPE: string; CHARACTER_SET_NAME: string }[]>(
      `SELECT COLUMN_TYPE, CHARACTER_SET_NAME FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'claim' AND COLUMN_NAME = 'settlement_id'`,
    );
    expect([table.ROW_FORMAT, column.COLUMN_TYPE, column.CHARACTER_SET_NAME]).toEqual(['Redundant', 'char(36)', 'ascii']);
  });
});

/** API nodes starting together on an empty database: one migrates, the others wait for it (the migration lease). */
describe('migrations on nodes that start together', () => {
  const maria = isMaria();
  if (!maria) console.info('skipped the concurrent start: SQLite runs one process, so no other node can start on its database');

  (maria ? it : it.skip)('two nodes starting at once on an empty MariaDB database both come up, and each migration ran once', async () => {
    const dropDatabase = await createTestDatabase('vt_mig_start_');
    const nodes: INestApplicationContext[] = [];
    // A node whose migration failed would still come up: TypeOrmModule retries the connection. It logs the failure.
    const errors: string[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      warn: () => undefined,
      error: (message: unknown) => errors.push(String(message)),
    };
    try {
      nodes.push(...(await Promise.all([1, 2].map(() => NestFactory.createApplicationContext(AppModule, { logger })))));
      expect(errors).toEqual([]);
      const ran = await nodes[0]
        .get(DataSource)
        .query<{ name: string; n: string | number }[]>('SELECT name, COUNT(*) AS n FROM migrations GROUP BY name');
      expect(ran.map((m) => [m.name, Number(m.n)]).sort()).toEqual(MIGRATIONS.map((m) => [m.name, 1]).sort());
      const lease = await nodes[1].get(DataSource).query<{ holder: string | null }[]>('SELECT holder FROM migration_lock');
      expect(lease).toEqual([{ holder: null }]);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await dropDatabase();
    }
  });
});

/** Migrations that change stored rows, run again over rows written the way the service wrote them before. */
describe('migrations of stored events, idempotent answers and webhooks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, '340000');
  });
  afterAll(() => t?.close());

  const run = async (work: (runner: QueryRunner) => Promise<void>) => {
    const runner = t.dataSource.createQueryRunner();
    try {
      await work(runner);
    } finally {
      await runner.release();
    }
  };

  it('publishes a stored booking.booked as booking.created to both parties, and drops people’s ids from stored events', async () => {
    const [lab, booker] = await Promise.all([t.registerProvider('340100'), t.registerEnterprise('340100')]);
    const facilityId = await bookableFacility(t, lab.token);
    const voucher = await issueVoucher(t, booker.token, 1_000_000);
    const day = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 3, 2));
    const booking = (
      await t.http
        .post('/api/bookings')
        .set(auth(booker.token))
        .send({ facilityId, voucherId: voucher.id, start: day.toISOString(), end: new Date(day.getTime() + 3_600_000).toISOString() })
        .expect(201)
    ).body;
    await t.get(EventOutbox).sequenceAll();
    // as the service stored it before
    await t.dataSource.query(
      `UPDATE domain_event SET type = 'booking.booked', counterparty_id = NULL WHERE entity_id = ? AND type = 'booking.created'`,
      [booking.id],
    );
    const decided = { claimId: 'c-legacy', decision: 'approved', approvedFen: 100, firstApprovedBy: 'u-bureau' };
    await t.dataSource.query(
      `INSERT INTO domain_event (id, seq, type, occurred_at, entity_type, entity_id, region_code, organization_id, counterparty_id, data)
       VALUES (?, NULL, 'claim.decided', ?, 'claim', 'c-legacy', '340000', ?, NULL, ?)`,
      [newId(), new Date().toISOString(), lab.organizationId, JSON.stringify(decided)],
    );
    await run((runner) => new EventsAsPublished1765810000000().up(runner));
    const [event] = await t.dataSource.query(
      `SELECT type, counterparty_id FROM domain_event WHERE entity_id = ? AND entity_type = 'booking'`,
      [booking.id],
    );
    expect(event).toEqual({ type: 'booking.created', counterparty_id: lab.organizationId });
    const [legacy] = await t.dataSource.query(`SELECT data FROM domain_event WHERE entity_id = 'c-legacy'`);
    expect(JSON.parse(legacy.data)).toEqual({ claimId: 'c-legacy', decision: 'approved', approvedFen: 100 });
  });

  it('drops the batch creator’s id from stored settlement.voided events, keeps every other field and event, and runs again', async () => {
    const voided = { batchNo: 'JS-legacy', periodLabel: '2026-11', reason: '金额有误', totalFen: 30_021, payees: 1, claims: 1 };
    const stored: [entityId: string, type: string, data: object][] = [
      ['s-voided', 'settlement.voided', { ...voided, createdBy: 'u-bureau-maker' }],
      // a payee's copy never carried it; a reason that names the field is text, not the field
      ['s-voided', 'settlement.voided', { batchNo: 'JS-legacy', amountFen: 30_021, reason: '金额有误', issuingRegionCode: '340000' }],
      ['s-named', 'settlement.voided', { ...voided, reason: 'the "createdBy" of this batch left' }],
      // another type is not this migration's
      ['s-other', 'settlement.created', { batchNo: 'JS-other', createdBy: 'u-bureau-maker' }],
    ];
    for (const [entityId, type, data] of stored) {
      await t.dataSource.query(
        `INSERT INTO domain_event (id, seq, type, occurred_at, entity_type, entity_id, region_code, organization_id, counterparty_id, data)
         VALUES (?, NULL, ?, ?, 'settlement', ?, '340000', NULL, NULL, ?)`,
        [newId(), type, new Date().toISOString(), entityId, JSON.stringify(data)],
      );
    }
    await run((runner) => new VoidedEventsWithoutCreator1767880000000().up(runner));
    await run((runner) => new VoidedEventsWithoutCreator1767880000000().up(runner));
    const rows = await t.dataSource.query<{ type: string; data: string }[]>(
      `SELECT type, data FROM domain_event WHERE entity_id IN ('s-voided', 's-named', 's-other') ORDER BY entity_id, id`,
    );
    expect(rows.map((r) => [r.type, JSON.parse(r.data)])).toEqual(
      expect.arrayContaining([
        ['settlement.voided', voided],
        ['settlement.voided', stored[1][2]],
        ['settlement.voided', stored[2][2]],
        ['settlement.created', stored[3][2]],
      ]),
    );
    expect(rows).toHaveLength(4);
  });

  it('renames the snake_case id field of stored events to the camelCase every event carries now, once', async () => {
    const stored = { voucher_applicationId: 'a-legacy', decision: 'approved', approvedFen: 100 };
    await t.dataSource.query(
      `INSERT INTO domain_event (id, seq, type, occurred_at, entity_type, entity_id, region_code, organization_id, counterparty_id, data)
       VALUES (?, NULL, 'application.decided', ?, 'voucher_application', 'a-legacy', '340000', NULL, NULL, ?)`,
      [newId(), new Date().toISOString(), JSON.stringify(stored)],
    );
    await run((runner) => new EventIdFields1766000000000().up(runner));
    await run((runner) => new EventIdFields1766000000000().up(runner));
    const [legacy] = await t.dataSource.query(`SELECT data FROM domain_event WHERE entity_id = 'a-legacy'`);
    expect(JSON.parse(legacy.data)).toEqual({ voucherApplicationId: 'a-legacy', decision: 'approved', approvedFen: 100 });
  });

  it('deletes the stored answers that hold a secret, and keeps the others', async () => {
    const bodies = {
      key: { id: 'k', name: 'x', key: 'yrdk_secret', readOnly: false },
      webhook: { id: 'w', url: 'https://8.8.8.8/x', events: ['*'], createdAt: '2026-11-30T00:00:00.000Z', secret: 'whsec_secret' },
      feed: { url: 'http://localhost:3000/api/calendar/token.ics' },
      totp: { secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP' },
      sanction: { id: 's', creditCode: '91340100MA2T8XQ21W', status: 'active' },
    };
    for (const [key, body] of Object.entries(bodies)) {
      await t.dataSource.query(
        `INSERT INTO idempotency_record (id, caller_id, idem_key, route, request_hash, response_status, response_body, created_at)
         VALUES (?, 'caller', ?, 'POST /api/x', 'h', 201, ?, ?)`,
        [newId(), `legacy-${key}`, JSON.stringify(body), new Date().toISOString()],
      );
    }
    await run((runner) => new SecretsNotReplayed1765820000000().up(runner));
    const left = await t.dataSource.query(`SELECT idem_key FROM idempotency_record WHERE idem_key LIKE 'legacy-%'`);
    expect(left.map((r: { idem_key: string }) => r.idem_key)).toEqual(['legacy-sanction']);
  });

  it('takes the cuts of claims approved before out of the flows, once, so they add up to the redemptions again', async () => {
    const [lab, enterprise] = await Promise.all([t.registerProvider('340100'), t.registerEnterprise('340100')]);
    const voucher = await issueVoucher(t, enterprise.token, 1_000_000);
    // 2 h at 1,000 yuan, 50%: 100,000 captured; review approves 70,000.
    const claimId = await submittedClaim(t, lab.token, enterprise.token, voucher.id, { name: '冷冻电镜', unitPriceFen: 100_000, hours: 2 });
    await t.http
      .post(`/api/claims/${claimId}/approve`)
      .set(await t.as('bureau-ah'))
      .send({ approvedFen: 70_000 })
      .expect(200);
    const flows = async () =>
      (
        await t.dataSource.query(
          `SELECT SUM(captured_fen) AS fen FROM captured_flow WHERE issuing_region_code = '340000' AND provider_province_code = '340000'`,
        )
      ).map((r: { fen: unknown }) => Number(r.fen))[0];
    const net = await flows();
    // As the service kept it before: the cut stayed in the flows (in one shard of its row).
    await t.dataSource.query(
      `UPDATE captured_flow SET captured_fen = captured_fen + 30000 WHERE issuing_region_code = '340000' AND provider_province_code = '340000'
       AND shard = (SELECT MIN(shard) FROM (SELECT shard FROM captured_flow WHERE issuing_region_code = '340000' AND provider_province_code = '340000') s)`,
    );
    expect(await flows()).toBe(net + 30_000);
    expect((await t.ledgerCheck()).balanced).toBe(false);
    await run((runner) => new FlowsNetOfCuts1766700000000().up(runner));
    await run((runner) => new FlowsNetOfCuts1766700000000().up(runner));
    expect(await flows()).toBe(net);
    expect(await t.ledgerCheck()).toMatchObject({ balanced: true, violations: [] });
  });

  it('keys the batches paid before by their payment references, earliest paid first, per region, and runs again', async () => {
    await run((runner) => new PaymentRefsUnique1767500000000().down(runner));
    // Inserted out of the order they were paid: the earlier payment keeps the reference, whatever the ids say.
    const batch = (n: number, region: string, status: string, ref: string | null, paidAt: string | null) =>
      t.dataSource.query(
        `INSERT INTO settlement (id, region_code, period_label, period_end, status, total_fen, payment_ref, created_by, created_at, paid_at, batch_no)
         VALUES (?, ?, '2026-Q1', NULL, ?, 0, ?, 'u', '2026-01-01T00:00:00.000Z', ?, ?)`,
        [`00000000-0000-4000-9000-${String(n).padStart(12, '0')}`, region, status, ref, paidAt, `MIG-${region}-${n}`],
      );
    await batch(1, '340000', 'paid', 'TREASURY-2026-0117', '2026-03-02T01:00:00.000Z');
    await batch(2, '340000', 'paid', ' treasury 2026 O117', '2026-03-01T01:00:00.000Z');
    await batch(3, '310000', 'paid', 'TREASURY-2026-0117', '2026-03-03T01:00:00.000Z');
    await batch(4, '340000', 'paid', '——', '2026-03-04T01:00:00.000Z');
    await batch(5, '340000', 'open', null, null);
    await batch(6, '340000', 'paid', 'B-7', '2026-03-05T01:00:00.000Z');
    await batch(7, '340000', 'paid', 'b 7', '2026-03-05T01:00:00.000Z');
    const keys = async () =>
      (await t.dataSource.query(`SELECT batch_no, payment_ref_key FROM settlement WHERE batch_no LIKE 'MIG-%' ORDER BY batch_no`)).map(
        (r: { batch_no: string; payment_ref_key: string | null }) => [r.batch_no, r.payment_ref_key],
      );
    await run((runner) => new PaymentRefsUnique1767500000000().up(runner));
    const expected = [
      ['MIG-310000-3', 'TREASURY20260117'],
      ['MIG-340000-1', null],
      ['MIG-340000-2', 'TREASURY20260117'],
      ['MIG-340000-4', null],
      ['MIG-340000-5', null],
      ['MIG-340000-6', 'B7'],
      ['MIG-340000-7', null],
    ];
    expect(await keys()).toEqual(expected);
    await run((runner) => new PaymentRefsUnique1767500000000().up(runner));
    expect(await keys()).toEqual(expected);
  });

  it('gives live webhooks their keys oldest first: beyond the cap or for a URL taken, none, and they still count', async () => {
    const owner = await t.registerEnterprise('340100');
    await run((runner) => new WebhookLiveKeys1765830000000().down(runner));
    const insert = (n: number, url: string, deletedAt: string | null = null) =>
      t.dataSource.query(
        `INSERT INTO webhook_subscription (id, owner_role, organization_id, region_code, url, events, secret, created_by, created_at, deleted_at)
         VALUES (?, 'enterprise', ?, NULL, ?, '["voucher.expired"]', 'x', 'u', ?, ?)`,
        [
          `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
          owner.organizationId,
          url,
          `2026-11-30T00:00:${String(n).padStart(2, '0')}.000Z`,
          deletedAt,
        ],
      );
    await insert(0, 'https://8.8.8.8/gone', '2026-11-30T01:00:00.000Z');
    for (let n = 1; n <= 11; n++) await insert(n, `https://8.8.8.8/hook?n=${n}`);
    await insert(12, 'HTTPS://8.8.8.8/hook?n=1');
    await run((runner) => new WebhookLiveKeys1765830000000().up(runner));
    const rows: { id: string; live_url_key: string | null; live_slot: string | null }[] = await t.dataSource.query(
      `SELECT id, live_url_key, live_slot FROM webhook_subscription WHERE organization_id = ? ORDER BY created_at`,
      [owner.organizationId],
    );
    expect(rows.map((r) => [Number(r.id.slice(-2)), r.live_slot?.split('#')[1] ?? null, r.live_url_key !== null])).toEqual([
      [0, null, false],
      ...Array.from({ length: 10 }, (_, i) => [i + 1, String(i + 1), true]),
      [11, null, true],
      [12, null, false],
    ]);
    const refused = await t.http
      .post('/api/webhooks')
      .set(auth(owner.token))
      .send({ url: 'https://8.8.8.8/new', events: ['*'] });
    expect([refused.status, refused.body.code]).toEqual([422, 'LIMIT_REACHED']);
  });
  it('keys the bank accounts on file, vetted organizations first, in the order they registered: a later holder of one has it cleared, and runs again', async () => {
    const [a, b, c, d, squatter] = [
      await t.registerProvider('310000'),
      await t.registerEnterprise('340000'),
      await t.registerProvider('320500'),
      await t.registerEnterprise('340000'),
      await t.registerEnterprise('340000', {}, false), // never verified: anyone may register
    ];
    await run((runner) => new BankAccountsUnique1767710000000().down(runner));
    // Registered a, b, c, d; dated so that b is the earliest, and c and d tie (the smaller id first).
    const file = (org: { organizationId: string }, account: string, createdAt: string) =>
      t.dataSource.query(`UPDATE organization SET bank_name = '某银行', bank_account = ?, created_at = ? WHERE id = ?`, [
        account,
        createdAt,
        org.organizationId,
      ]);
    await file(a, '621700009999000001', '2026-01-02T00:00:00.000Z');
    await file(b, '6217 0000 9999 0000 01', '2026-01-01T00:00:00.000Z'); // as an older row may have kept it
    await file(c, '621700009999000002', '2026-01-03T00:00:00.000Z');
    await file(d, '621700009999000002', '2026-01-03T00:00:00.000Z');
    // registered before them all with a copy of a's account: the vetted organizations are keyed first
    await file(squatter, '621700009999000001', '2025-12-01T00:00:00.000Z');
    const [first, second] = [c, d].sort((x, y) => (x.organizationId < y.organizationId ? -1 : 1));
    const rows = async () =>
      Promise.all(
        [a, b, first, second, squatter].map(async (o) => {
          const [r] = await t.dataSource.query(`SELECT bank_name, bank_account, bank_account_key FROM organization WHERE id = ?`, [
            o.organizationId,
          ]);
          return [r.bank_name, r.bank_account, r.bank_account_key];
        }),
      );
    await run((runner) => new BankAccountsUnique1767710000000().up(runner));
    const expected = [
      [null, null, null],
      ['某银行', '6217 0000 9999 0000 01', '621700009999000001'],
      ['某银行', '621700009999000002', '621700009999000002'],
      [null, null, null],
      [null, null, null],
    ];
    expect(await rows()).toEqual(expected);
    await run((runner) => new BankAccountsUnique1767710000000().up(runner));
    expect(await rows()).toEqual(expected);
    // the key holds: the cleared lab cannot take the account again
    const again = await t.http
      .patch(`/api/organizations/${a.organizationId}`)
      .set(auth(a.token))
      .send({ bankName: '某银行', bankAccount: '621700009999000001' });
    expect([again.status, again.body.code]).toEqual([409, 'BANK_ACCOUNT_IN_USE']);
  });
});
