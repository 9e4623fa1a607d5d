/** How a transaction that lost a race (deadlock, certification conflict, lock timeout) is run again. */
export interface RetryPolicy {
  maxAttempts: number;
  /** Total time the attempts may take, waits included. */
  budgetMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Sized on a 3-node Galera cluster with two API nodes (test/cluster): 200 applications at once against one budget row
 * needed up to 11 attempts (a commit on one node aborts the other node's transaction holding that row), and the burst
 * took 2.6–3.9 s on 2 shared cores, whose speed varies up to twofold from day to day. The budget leaves about twice
 * the attempts and four times the time; on a single MariaDB a unit rarely needs a second attempt.
 */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 20, budgetMs: 15_000, baseDelayMs: 4, maxDelayMs: 400 };

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniformly random
 * wait below base × 2^(attempt−1), capped, so racing transactions spread out instead of colliding again in step.
 * `random` is in [0, 1).
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random * ceiling);
}

/** Whether another attempt may start after `attempt` failed, `elapsedMs` into the whole run. */
export function mayRetry(policy: RetryPolicy, attempt: number, elapsedMs: number): boolean {
  return attempt < policy.maxAttempts && elapsedMs < policy.budgetMs;
}
