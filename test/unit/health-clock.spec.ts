import fc from 'fast-check';
import type { Database } from '../../src/common/persistence/database';
import type { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { clockSkewMs, HealthController, PING_TIMEOUT_MS } from '../../src/health/health.controller';
import { HealthRepository } from '../../src/health/health.repository';

describe('how far this node’s clock is off the database’s (clockSkewMs)', () => {
  it('an example: read between 1,000 and 1,040 by a database clock at 1,520, this node is 500 ms behind', () => {
    expect(clockSkewMs(1_000, 1_520, 1_040)).toBe(500);
    expect(clockSkewMs(1_000, 520, 1_040)).toBe(-500);
  });

  it('is the database’s clock less the middle of the round trip, whatever the trip took', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 41 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: -1e7, max: 1e7 }),
        (before, trip, off) => {
          const after = before + trip;
          expect(clockSkewMs(before, (before + after) / 2 + off, after)).toBe(off);
        },
      ),
    );
  });
});

describe('the health check against a database that stops answering', () => {
  const never = new Promise<never>(() => undefined);
  /** A database whose statements answer in turn: a row, or never (a server that stalled after the first). */
  const stallingAfter = (answered: number) => {
    let sent = 0;
    const rows = () => (sent++ < answered ? Promise.resolve([{ one: 1, ms: Date.now() }]) : never);
    return { dialect: 'mysql', rows, row: () => rows().then((found) => found[0]) } as unknown as Database;
  };
  const check = (db: Database) => new HealthController(new HealthRepository(db), { stats: {} } as UnitOfWork).check();

  it.each([
    ['before the ping', 0],
    ['between the ping and the clock read', 1],
  ])('answers 503 DATABASE_UNAVAILABLE within PING_TIMEOUT_MS when it stalls %s', async (_, answered) => {
    const started = Date.now();
    await expect(check(stallingAfter(answered))).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(PING_TIMEOUT_MS + 1_000);
  });
});
