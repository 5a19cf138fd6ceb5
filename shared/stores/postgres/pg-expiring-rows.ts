// Expiring rows of one table with a timestamp column, deleted a page at a time (the oldest
// first, by the column's index).
import type pg from 'pg';
import type { ExpiringRows } from '../../retention/purge-expired.js';

/** The tables that expire, each with its timestamp column (identifiers are fixed here, never input). */
const EXPIRING = { queue_event_ids: 'committed_at', webhook_requests: 'created_at' } as const;

/** @example await new PgExpiringRows(pool, 'queue_event_ids', 14 * 86_400).purgePage(14 * 86_400, 5_000); */
export class PgExpiringRows implements ExpiringRows {
  constructor(
    private readonly pool: pg.Pool,
    readonly name: keyof typeof EXPIRING,
    readonly retentionSeconds: number,
  ) {}

  async purgePage(olderThanSeconds: number, limit: number): Promise<number> {
    const column = EXPIRING[this.name];
    const result = await this.pool.query(
      `DELETE FROM ${this.name} WHERE ctid IN (
         SELECT ctid FROM ${this.name} WHERE ${column} < now() - make_interval(secs => $1) ORDER BY ${column} LIMIT $2)`,
      [olderThanSeconds, limit],
    );
    return result.rowCount ?? 0;
  }
}
