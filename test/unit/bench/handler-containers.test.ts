import { describe, expect, it } from 'vitest';
import { HandlerContainers } from '../../../shared/bench/handler-containers.js';

/** A handler whose invocations finish when the test says so, recording which container ran each. */
function controlledContainers(max: number) {
  const running = new Map<number, number>(); // container → invocations in flight
  const finishers: (() => void)[] = [];
  const ran: [event: string, container: number][] = [];
  let maxInFlightPerContainer = 0;
  const containers = new HandlerContainers<string, number>(max, async (container) => async (event) => {
    running.set(container, (running.get(container) ?? 0) + 1);
    maxInFlightPerContainer = Math.max(maxInFlightPerContainer, running.get(container)!);
    ran.push([event, container]);
    await new Promise<void>((resolve) => finishers.push(resolve));
    running.set(container, running.get(container)! - 1);
    return container;
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { containers, finishers, ran, settle, maxInFlight: () => maxInFlightPerContainer };
}

describe('HandlerContainers', () => {
  it('starts a container per concurrent invocation up to the limit, and queues the rest until one frees up', async () => {
    const c = controlledContainers(2);
    const results = ['a', 'b', 'c'].map((e) => c.containers.invoke(e));
    await c.settle();
    expect(c.ran).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(c.containers.containers).toBe(2);
    c.finishers.shift()!(); // container 1 finishes 'a' and takes 'c'
    await c.settle();
    expect(c.ran[2]).toEqual(['c', 1]);
    for (const finish of c.finishers.splice(0)) finish();
    expect(await Promise.all(results)).toEqual([1, 2, 1]);
    expect(c.maxInFlight()).toBe(1);
  });

  it('reuses an idle container instead of starting another', async () => {
    const c = controlledContainers(4);
    const first = c.containers.invoke('a');
    await c.settle();
    c.finishers.shift()!();
    await first;
    const second = c.containers.invoke('b');
    await c.settle();
    c.finishers.shift()!();
    expect(await second).toBe(1);
    expect(c.containers.containers).toBe(1);
  });

  it('does not count a container whose start failed', async () => {
    let attempts = 0;
    const containers = new HandlerContainers<string, string>(1, async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('cold start failed');
      return async (event) => event;
    });
    await expect(containers.invoke('a')).rejects.toThrow('cold start failed');
    expect(await containers.invoke('b')).toBe('b');
    expect(containers.containers).toBe(1);
    expect(() => new HandlerContainers(0, async () => async () => 1)).toThrow(RangeError);
  });

  it('gives an invocation queued behind a failing cold start a start of its own', async () => {
    let attempts = 0;
    let failFirst!: () => void;
    const containers = new HandlerContainers<string, string>(1, async () => {
      attempts += 1;
      if (attempts === 1) await new Promise<void>((_, reject) => (failFirst = () => reject(new Error('cold start failed'))));
      return async (event) => event;
    });
    const first = containers.invoke('a');
    const queued = containers.invoke('b'); // the only place is taken by the start in progress
    await new Promise((resolve) => setImmediate(resolve));
    failFirst();
    await expect(first).rejects.toThrow('cold start failed');
    expect(await queued).toBe('b');
    expect(attempts).toBe(2);
  });
});
