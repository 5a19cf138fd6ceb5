import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../shared/producer/rate-limiter.js';

function fakeClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
  it('lets one record through at once, then paces to the rate', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(100, { now: clock.now });
    expect(limiter.take()).toBe(1);
    expect(limiter.take()).toBe(0);
    clock.advance(9);
    expect(limiter.take()).toBe(0);
    clock.advance(1);
    expect(limiter.take()).toBe(1);
  });

  it('sends the target rate over a run, smoothly within each second', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1_000, { now: clock.now });
    const perTenth: number[] = [];
    let total = 0;
    for (let tenth = 0; tenth < 50; tenth++) {
      let sent = 0;
      for (let ms = 0; ms < 100; ms++) {
        sent += limiter.take();
        clock.advance(1);
      }
      perTenth.push(sent);
      total += sent;
    }
    expect(total).toBeGreaterThanOrEqual(4_999);
    expect(total).toBeLessThanOrEqual(5_001);
    // Every 100 ms gets its tenth of the rate, not one burst per second.
    for (const sent of perTenth.slice(1)) expect(sent).toBe(100);
  });

  it('keeps fractional tokens so that low rates are exact', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(3, { now: clock.now });
    let total = limiter.take();
    for (let i = 0; i < 1_000; i++) {
      clock.advance(100);
      total += limiter.take();
    }
    // 100 s at 3/s plus the first record (one less if float rounding leaves 0.999… tokens).
    expect(total).toBeGreaterThanOrEqual(300);
    expect(total).toBeLessThanOrEqual(301);
  });

  it('caps saved-up rate at one record plus the burst after an idle period', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1_000, { now: clock.now, burstSeconds: 0.1 });
    limiter.take();
    clock.advance(60_000);
    expect(limiter.take()).toBe(101);
    expect(limiter.take()).toBe(0);
  });

  it('takes no more than asked and leaves the rest', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1_000, { now: clock.now });
    limiter.take();
    clock.advance(50);
    expect(limiter.take(20)).toBe(20);
    expect(limiter.take()).toBe(30);
  });

  it('says how long until the next record may go', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(4, { now: clock.now });
    expect(limiter.msUntilAvailable()).toBe(0);
    limiter.take();
    expect(limiter.msUntilAvailable()).toBe(250);
    clock.advance(100);
    expect(limiter.msUntilAvailable()).toBeCloseTo(150);
    expect(limiter.msUntilAvailable(10)).toBeCloseTo(150); // capped at the bucket's one whole token
  });

  it('ignores a clock that steps back', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1_000, { now: clock.now });
    limiter.take();
    clock.advance(-5_000);
    expect(limiter.take()).toBe(0);
    clock.advance(10);
    expect(limiter.take()).toBe(10);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(/positive/);
    expect(() => new RateLimiter(Number.NaN)).toThrow(/positive/);
    expect(() => new RateLimiter(Number.POSITIVE_INFINITY)).toThrow(/positive/);
  });
});
