// The aggregate outbox in Postgres: rows are inserted by the batch commit, marked applied
// after Redis took them, and drained by the scheduled drain when that did not happen.
import type pg from 'pg';
import type { AggregateDeltas } from '../../aggregates/types.js';

/** A pending outbox row. */
export interface PendingDeltas {
  readonly deltas: AggregateDeltas;
  readonly createdAt: Date;
}

/** @example await new PgAggregateOutbox(pool).markApplied(deltas.batchId); */
export class PgAggregateOutbox {
  constructor(private readonly pool: pg.Pool) {}

  async markApplied(batchId: string): Promise<void> {
    await this.pool.query('UPDATE agg_outbox SET applied_at = now() WHERE batch_id = $1 AND applied_at IS NULL', [batchId]);
  }

  /**
   * Applies up to `limit` pending rows, oldest first, with `apply`; rows locked by a
   * concurrent drain are skipped. Returns how many were applied.
   */
  async drain(apply: (deltas: AggregateDeltas) => Promise<void>, limit: number): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const rows = await client.query<{ batch_id: string; deltas: AggregateDeltas }>(
        `SELECT batch_id, deltas FROM agg_outbox WHERE applied_at IS NULL
          ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      for (const row of rows.rows) {
        await apply(row.deltas);
        await client.query('UPDATE agg_outbox SET applied_at = now() WHERE batch_id = $1', [row.batch_id]);
      }
      await client.query('COMMIT');
      return rows.rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Deletes applied rows older than the retention (they only matter for debugging once
   * applied), at most `limit` per call so a large backlog is trimmed in small transactions.
   */
  async purgeApplied(retentionSeconds: number, limit = 10_000): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM agg_outbox WHERE batch_id IN (
         SELECT batch_id FROM agg_outbox
          WHERE applied_at < now() - make_interval(secs => $1)
          LIMIT $2)`,
      [retentionSeconds, limit],
    );
    return result.rowCount ?? 0;
  }

  /** Rows not applied yet, and the age of the oldest in seconds. */
  async backlog(): Promise<{ pending: number; oldestSeconds: number | null }> {
    const result = await this.pool.query<{ pending: number; oldest: number | null }>(
      `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float AS oldest
         FROM agg_outbox WHERE applied_at IS NULL`,
    );
    return { pending: result.rows[0]!.pending, oldestSeconds: result.rows[0]!.oldest };
  }
}
