// Retry delays for throttled writes: exponential growth so a hot shard gets room to drain,
// "full jitter" so many producers throttled together do not retry in lockstep.

/** Options of {@link fullJitterBackoff}. */
export interface BackoffOptions {
  /** Upper bound of the first retry's delay (default 100 ms). */
  readonly baseMs?: number;
  /** Cap of the upper bound (default 5,000 ms). */
  readonly maxMs?: number;
}

/**
 * Delay before retry number `attempt` (1 for the first retry): uniformly random between 0
 * and min(maxMs, baseMs * 2^(attempt-1)), as in AWS's "Exponential Backoff And Jitter".
 *
 * @example await sleep(fullJitterBackoff(3, Math.random)); // somewhere in 0-400 ms
 */
export function fullJitterBackoff(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 100;
  const max = options.maxMs ?? 5_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
