// Deletes rows past their retention in small pages, so a large backlog never holds locks or
// runs into the function timeout: the queue's dedupe ids after the dedupe window, and the
// webhook's idempotency keys after their retention.

/** One kind of expiring rows: deletes up to `limit` rows older than `olderThanSeconds`. */
export interface ExpiringRows {
  readonly name: string;
  readonly retentionSeconds: number;
  purgePage(olderThanSeconds: number, limit: number): Promise<number>;
}

/** Rows deleted per kind, and whether the deadline stopped the sweep early. */
export interface PurgeReport {
  readonly deleted: Record<string, number>;
  readonly stoppedAtDeadline: boolean;
}

/**
 * Purges each kind page by page until a page comes back short or the deadline passes.
 *
 * @example await purgeExpired([new PgExpiringRows(pool, 'queue_event_ids', 14 * 86_400)], { pageSize: 5_000, deadline })
 */
export async function purgeExpired(kinds: readonly ExpiringRows[], options: { pageSize: number; deadline: number; now?: () => number }): Promise<PurgeReport> {
  const now = options.now ?? Date.now;
  const deleted: Record<string, number> = {};
  for (const kind of kinds) {
    let count = 0;
    deleted[kind.name] = count;
    for (;;) {
      if (now() >= options.deadline) return { deleted, stoppedAtDeadline: true };
      const n = await kind.purgePage(kind.retentionSeconds, options.pageSize);
      count += n;
      deleted[kind.name] = count;
      if (n < options.pageSize) break;
    }
  }
  return { deleted, stoppedAtDeadline: false };
}
