// Applies aggregate deltas left in the outbox (Redis was down, or a function died between
// commit and apply) until the outbox is empty or the time budget is spent.
import type { AggregateDeltas } from './types.js';

/** The outbox as the drain needs it (Postgres in production). */
export interface DrainableOutbox {
  drain(apply: (deltas: AggregateDeltas) => Promise<void>, limit: number): Promise<number>;
  backlog(): Promise<{ pending: number; oldestSeconds: number | null }>;
  purgeApplied(retentionSeconds: number): Promise<number>;
}

/** Applied outbox rows are kept a day for debugging, then deleted by the drain. */
export const DEFAULT_APPLIED_RETENTION_SECONDS = 86_400;

/** What a drain run did, and what is left. */
export interface DrainReport {
  readonly applied: number;
  /** Applied rows past the retention that were deleted. */
  readonly purged: number;
  readonly pending: number;
  readonly oldestPendingSeconds: number | null;
}

/**
 * @example const report = await drainAggregateOutbox(outbox, store, { pageSize: 100, deadline: Date.now() + 50_000 });
 */
export async function drainAggregateOutbox(
  outbox: DrainableOutbox,
  sink: { apply(deltas: AggregateDeltas): Promise<unknown> },
  options: { pageSize: number; deadline: number; now?: () => number; appliedRetentionSeconds?: number },
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
  const purged = await outbox.purgeApplied(options.appliedRetentionSeconds ?? DEFAULT_APPLIED_RETENTION_SECONDS);
  const { pending, oldestSeconds } = await outbox.backlog();
  return { applied, purged, pending, oldestPendingSeconds: oldestSeconds };
}
