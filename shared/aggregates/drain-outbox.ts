// Applies aggregate deltas left in the outbox (Redis was down, or a function died between
// commit and apply) until the outbox is empty or the time budget is spent.
import type { AggregateDeltas } from './types.js';

/** The outbox as the drain needs it (Postgres in production). */
export interface DrainableOutbox {
  drain(apply: (deltas: AggregateDeltas) => Promise<void>, limit: number): Promise<number>;
  backlog(): Promise<{ pending: number; oldestSeconds: number | null }>;
}

/** What a drain run did, and what is left. */
export interface DrainReport {
  readonly applied: number;
  readonly pending: number;
  readonly oldestPendingSeconds: number | null;
}

/**
 * @example const report = await drainAggregateOutbox(outbox, store, { pageSize: 100, deadline: Date.now() + 50_000 });
 */
export async function drainAggregateOutbox(
  outbox: DrainableOutbox,
  sink: { apply(deltas: AggregateDeltas): Promise<unknown> },
  options: { pageSize: number; deadline: number; now?: () => number },
): Promise<DrainReport> {
  const now = options.now ?? Date.now;
  let applied = 0;
  for (;;) {
    const n = await outbox.drain(async (deltas) => {
      await sink.apply(deltas);
    }, options.pageSize);
    applied += n;
    if (n < options.pageSize || now() >= options.deadline) break;
  }
  const { pending, oldestSeconds } = await outbox.backlog();
  return { applied, pending, oldestPendingSeconds: oldestSeconds };
}
