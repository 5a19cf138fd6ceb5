// A token bucket that paces the producer to a target rate: tokens accrue continuously, so
// records go out smoothly within each second instead of in one burst per second.

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** The clock in milliseconds; injectable for tests (default `performance.now`). */
  readonly now?: () => number;
  /**
   * How late a caller may come for its tokens without losing rate, in seconds of traffic
   * (default 0.1). Small, so a producer that was held back (full in-flight window) catches
   * up with a short burst at most.
   */
  readonly burstSeconds?: number;
}

/**
 * Tells how many records may be sent now for a target rate in records per second.
 *
 * @example
 * const limiter = new RateLimiter(1000);
 * const n = limiter.take(500); // records allowed right now (consumed)
 * if (n === 0) await sleep(limiter.msUntilAvailable());
 */
export class RateLimiter {
  /**
   * Most tokens the bucket holds: one record plus `burstSeconds` of rate. The one keeps a
   * low rate exact: at 3/s a caller polling every 100 ms finds 1.2 tokens, not a capped 1.
   */
  readonly capacity: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    options: RateLimiterOptions = {},
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`rate must be a positive number of records per second, got ${ratePerSecond}`);
    }
    const burstSeconds = options.burstSeconds ?? 0.1;
    if (!(burstSeconds > 0)) throw new RangeError(`burstSeconds must be positive, got ${burstSeconds}`);
    this.now = options.now ?? (() => performance.now());
    this.capacity = 1 + ratePerSecond * burstSeconds;
    // One token up front: the first record goes out at once, then the rate takes over.
    this.tokens = 1;
    this.last = this.now();
  }

  /** Takes and returns as many whole tokens as are available, at most `max`. */
  take(max = Number.POSITIVE_INFINITY): number {
    this.refill();
    const n = Math.max(0, Math.min(Math.floor(this.tokens), Math.floor(max)));
    this.tokens -= n;
    return n;
  }

  /** Milliseconds until `n` tokens (at most the bucket's whole tokens) are available; 0 if they are now. */
  msUntilAvailable(n = 1): number {
    this.refill();
    const missing = Math.min(n, Math.floor(this.capacity)) - this.tokens;
    return missing <= 0 ? 0 : (missing * 1000) / this.ratePerSecond;
  }

  private refill(): void {
    const now = this.now();
    // A clock that steps back (wall clock adjustments) must not drain the bucket.
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}
