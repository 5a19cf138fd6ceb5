// Idempotency keys of webhook requests in Postgres: one row per (partner, key), claimed
// atomically by INSERT … ON CONFLICT, so two concurrent retries cannot both enqueue.
import type pg from 'pg';
import type { IdempotencyClaim, IdempotencyStore, WebhookReply } from '../../webhook/ports.js';

/** How long keys are honoured, and when a pending claim counts as abandoned. */
export interface IdempotencyOptions {
  /** A retry after this long runs again (Stripe keeps keys 24 h). */
  readonly retentionSeconds: number;
  /** A claim still pending after this long belongs to a request that died (> function timeout). */
  readonly abandonAfterSeconds: number;
}

const CLAIM = `
INSERT INTO webhook_requests (source, idempotency_key, body_sha256, status)
VALUES ($1, $2, $3, 'pending')
ON CONFLICT (source, idempotency_key) DO UPDATE
  SET body_sha256 = EXCLUDED.body_sha256, status = 'pending', response_status = NULL,
      response_body = NULL, created_at = now()
  WHERE (webhook_requests.status = 'pending' AND webhook_requests.created_at < now() - make_interval(secs => $5))
     OR webhook_requests.created_at < now() - make_interval(secs => $4)
RETURNING 1`;

/** @example const claim = await new PgIdempotencyStore(pool, options).claim('acme', key, sha256); */
export class PgIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: IdempotencyOptions,
  ) {}

  async claim(source: string, key: string, bodySha256: string): Promise<IdempotencyClaim> {
    const { retentionSeconds, abandonAfterSeconds } = this.options;
    const claimed = await this.pool.query(CLAIM, [source, key, bodySha256, retentionSeconds, abandonAfterSeconds]);
    if (claimed.rowCount === 1) return { kind: 'claimed' };
    const { rows } = await this.pool.query<{ body_sha256: string; status: string; response_status: number | null; response_body: string | null }>(
      'SELECT body_sha256, status, response_status, response_body FROM webhook_requests WHERE source = $1 AND idempotency_key = $2',
      [source, key],
    );
    const row = rows[0];
    // Released between our insert and this read: let the client retry.
    if (!row || row.status === 'pending') return { kind: 'in_progress' };
    if (row.body_sha256 !== bodySha256) return { kind: 'mismatch' };
    // Stored as text, so the replayed answer is byte for byte the first one.
    return { kind: 'replay', reply: { status: row.response_status!, body: JSON.parse(row.response_body!) as Record<string, unknown> } };
  }

  async complete(source: string, key: string, reply: WebhookReply): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_requests SET status = 'done', response_status = $3, response_body = $4
       WHERE source = $1 AND idempotency_key = $2`,
      [source, key, reply.status, JSON.stringify(reply.body)],
    );
  }

  async release(source: string, key: string): Promise<void> {
    await this.pool.query(`DELETE FROM webhook_requests WHERE source = $1 AND idempotency_key = $2 AND status = 'pending'`, [source, key]);
  }
}
