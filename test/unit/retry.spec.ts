import fc from 'fast-check';
import { backoffMs, DEFAULT_RETRY, mayRetry } from '../../src/common/persistence/retry';

describe('retrying a unit of work that lost a race', () => {
  it('waits a random time below base × 2^(attempt−1), never above the cap (full jitter)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const wait = backoffMs(DEFAULT_RETRY, attempt, random);
        const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1));
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThan(ceiling);
      }),
    );
    expect(backoffMs(DEFAULT_RETRY, 1, 0.99)).toBeLessThan(DEFAULT_RETRY.baseDelayMs);
    expect(backoffMs(DEFAULT_RETRY, 30, 0.99)).toBe(Math.floor(0.99 * DEFAULT_RETRY.maxDelayMs));
  });

  it('stops at the budget of attempts or of time, whichever comes first', () => {
    const { maxAttempts, budgetMs } = DEFAULT_RETRY;
    expect(mayRetry(DEFAULT_RETRY, 1, 0)).toBe(true);
    expect(mayRetry(DEFAULT_RETRY, maxAttempts - 1, budgetMs - 1)).toBe(true);
    expect(mayRetry(DEFAULT_RETRY, maxAttempts, 0)).toBe(false);
    expect(mayRetry(DEFAULT_RETRY, 2, budgetMs)).toBe(false);
  });
});
