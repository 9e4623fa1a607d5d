import { Connection, createConnection } from 'mysql2/promise';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { RedemptionRepository } from '../../src/redemptions/redemption.repository';
import { mariaConnection } from '../support/app-under-test';
import { issueVoucher, openRegion } from '../support/fixtures';
import { describeOnServer } from '../support/races';
import { auth, OrgSession, TestApp } from '../support/test-app';

/** What MariaDB (and Galera, for a certification conflict) answers a transaction it chose to abort. */
const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213 });

/** An enterprise's voucher of ¥10,000 in Hefei and a TEM hour at ¥800 in Shanghai: each hold takes 40,000 fen. */
interface OneVoucher {
  voucherId: string;
  hold(key?: string): ReturnType<TestApp['http']['post']>;
  /** The voucher as its holder reads it. */
  voucher(): Promise<{ availableFen: number; heldFen: number }>;
}

async function oneVoucher(t: TestApp): Promise<OneVoucher> {
  await openRegion(t, '340100');
  const lab = await t.registerProvider('310115');
  const facility = { name: 'TEM 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 };
  const facilityId = (await t.http.post('/api/facilities').set(auth(lab.token)).send(facility).expect(201)).body.id;
  const e: OrgSession = await t.registerEnterprise('340100');
  const voucherId = (await issueVoucher(t, e.token, 1_000_000)).id;
  return {
    voucherId,
    hold: (key) => {
      const req = t.http.post('/api/redemptions').set(auth(e.token));
      return (key ? req.set('Idempotency-Key', key) : req).send({ voucherId, facilityId, quantity: 1 });
    },
    voucher: async () => (await t.http.get(`/api/vouchers/${voucherId}`).set(auth(e.token)).expect(200)).body,
  };
}

/**
 * A unit of work that loses its race runs again as a whole; when its attempts run out the client gets 503 SERVICE_BUSY
 * with Retry-After, and nothing of the request was written, so the same Idempotency-Key then runs it once. The lost
 * races are injected at the redemption insert (the step after the voucher's row lock), where a real one surfaces: the
 * real ones need several database nodes (test/cluster) or a second client holding locks (below).
 */
describe('units of work that lose races', () => {
  let t: TestApp;
  let uow: UnitOfWork;
  let v: OneVoucher;
  let insert: jest.SpiedFunction<RedemptionRepository['insert']>;
  let realInsert: RedemptionRepository['insert'];

  beforeAll(async () => {
    t = await TestApp.start();
    uow = t.get(UnitOfWork);
    v = await oneVoucher(t);
    const redemptions = t.get(RedemptionRepository);
    realInsert = redemptions.insert.bind(redemptions);
    insert = jest.spyOn(redemptions, 'insert');
  });
  afterAll(async () => {
    insert.mockRestore();
    await t.close();
  });
  beforeEach(() => insert.mockReset().mockImplementation(realInsert));

  const hold = (key?: string) => v.hold(key);
  const voucher = () => v.voucher();

  it('runs a unit that lost two races a third time, and answers as if nothing had happened', async () => {
    const before = { stats: uow.stats, voucher: await voucher() };
    insert.mockRejectedValueOnce(deadlock()).mockRejectedValueOnce(deadlock());

    const res = await hold();

    expect(res.status).toBe(201);
    expect(insert).toHaveBeenCalledTimes(3);
    expect(uow.stats.retries - before.stats.retries).toBe(2);
    expect(await voucher()).toMatchObject({ availableFen: before.voucher.availableFen - 40_000, heldFen: before.voucher.heldFen + 40_000 });
  });

  it('answers 503 SERVICE_BUSY with Retry-After when the attempts run out; the same Idempotency-Key then holds once', async () => {
    const policy = uow.retryPolicy;
    const before = { stats: uow.stats, voucher: await voucher() };
    uow.retryPolicy = { ...policy, maxAttempts: 3 };
    try {
      insert.mockRejectedValue(deadlock());
      const busy = await hold('hold-under-contention');
      expect(busy.status).toBe(503);
      expect(busy.headers['retry-after']).toBe('1');
      expect(busy.body).toEqual({ statusCode: 503, code: 'SERVICE_BUSY', message: expect.any(String) });
      expect(insert).toHaveBeenCalledTimes(3);
      expect(uow.stats.busy - before.stats.busy).toBe(1);
      expect(await voucher()).toEqual(before.voucher); // nothing of it was written, the key's claim neither
    } finally {
      uow.retryPolicy = policy;
    }

    insert.mockImplementation(realInsert);
    const retried = await hold('hold-under-contention');
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    const replayed = await hold('hold-under-contention');
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual(retried.body);
    expect(await voucher()).toMatchObject({ availableFen: before.voucher.availableFen - 40_000, heldFen: before.voucher.heldFen + 40_000 });
  });
});

/**
 * The real thing: a second client holds the voucher's row lock, as another node's transaction or a stuck one would.
 * A statement waits DB_LOCK_WAIT_SEC for it (1 s here), then its unit runs again; a lock held past the retry budget
 * ends in 503 SERVICE_BUSY with Retry-After, with nothing written.
 */
describeOnServer('a row lock held by another client', 'SQLite has no row locks to wait for', () => {
  let t: TestApp;
  let uow: UnitOfWork;
  let v: OneVoucher;
  let other: Connection;

  beforeAll(async () => {
    t = await TestApp.start({ DB_LOCK_WAIT_SEC: '1' });
    uow = t.get(UnitOfWork);
    v = await oneVoucher(t);
    other = await createConnection({ ...mariaConnection(), database: process.env.DB_NAME });
  });
  afterAll(async () => {
    await other.end();
    await t.close();
  });

  const lockVoucher = async () => {
    await other.query('START TRANSACTION');
    await other.query('SELECT id FROM voucher WHERE id = ? FOR UPDATE', [v.voucherId]);
  };
  it('waits a second at a time and holds once the other client lets go', async () => {
    const before = { stats: uow.stats, voucher: await v.voucher() };
    await lockVoucher();
    const started = Date.now();
    const pending = v.hold().then((res) => res); // sent now, waiting on the lock
    await new Promise((r) => setTimeout(r, 2_500));
    await other.query('COMMIT');
    const res = await pending;

    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    expect(uow.stats.retries - before.stats.retries).toBeGreaterThanOrEqual(1); // each wait ended after 1 s, not 50
    expect(await v.voucher()).toMatchObject({ heldFen: before.voucher.heldFen + 40_000 });
  });

  it('answers 503 SERVICE_BUSY with Retry-After when the lock outlasts the retry budget, and writes nothing', async () => {
    const policy = uow.retryPolicy;
    const before = { stats: uow.stats, voucher: await v.voucher() };
    uow.retryPolicy = { ...policy, budgetMs: 1_500 };
    await lockVoucher();
    try {
      const res = await v.hold();
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toMatchObject({ statusCode: 503, code: 'SERVICE_BUSY' });
      expect(uow.stats.busy - before.stats.busy).toBe(1);
    } finally {
      await other.query('COMMIT');
      uow.retryPolicy = policy;
    }
    expect(await v.voucher()).toEqual(before.voucher);
  });
});
