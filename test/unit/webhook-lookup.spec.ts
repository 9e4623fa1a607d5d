import { checkTarget, LOOKUP_TIMEOUT_MS, TargetRefused } from '../../src/webhooks/webhook-target';

// A resolver that never answers: the name servers unreachable, their packets dropped.
jest.mock('node:dns/promises', () => ({ lookup: jest.fn(() => new Promise(() => undefined)) }));

describe('a webhook URL whose host the resolver never answers for', () => {
  afterEach(() => jest.useRealTimers());

  it('is refused as unresolved within LOOKUP_TIMEOUT_MS, well inside DB_IDLE_TRANSACTION_SEC', async () => {
    // A subscription with an Idempotency-Key checks its URL inside the request's transaction, which MariaDB ends after
    // 10 s idle: a lookup left to hang made every retry of the key 503 instead of 400 (unresolved).
    expect(LOOKUP_TIMEOUT_MS).toBeLessThan(10_000);
    jest.useFakeTimers();
    const checked = checkTarget('https://hooks.example.cn/voucher-events', false);
    const outcome = expect(checked).rejects.toMatchObject({ reason: 'unresolved', params: { host: 'hooks.example.cn' } });
    await jest.advanceTimersByTimeAsync(LOOKUP_TIMEOUT_MS);
    await outcome;
    await expect(checked).rejects.toBeInstanceOf(TargetRefused);
  });
});
