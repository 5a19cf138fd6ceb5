// The quarantine rows for replays: pending rows page by page in id order, and the mark that
// a row's event is back on its way to the lake.
import type pg from 'pg';
import type { QuarantineLedger, QuarantinePage, QuarantineRow } from '../../replay/ports.js';

interface Row {
  id: string;
  origin: string;
  stream: string;
  shard: string;
  seq: string;
  sub_index: number;
  source: string | null;
  code: string;
  reason: string;
  object_key: string;
  object_line: number;
  arrival_ts: Date;
}

/** @example const rows = await new PgQuarantineLedger(pool).pendingPage({ afterId: '0', throughId: '100', limit: 500 }); */
export class PgQuarantineLedger implements QuarantineLedger {
  constructor(private readonly pool: pg.Pool) {}

  async lastId(): Promise<string> {
    const { rows } = await this.pool.query<{ id: string | null }>('SELECT max(id)::text AS id FROM quarantine');
    return rows[0]?.id ?? '0';
  }

  async pendingPage(page: QuarantinePage): Promise<QuarantineRow[]> {
    // Keyset pagination on id: rows that stay pending (still failing) must not shift pages.
    // ORDER BY names the table's bigint column: a bare `id` would be the text output column,
    // and '10' < '9' would read some rows twice and skip others.
    const { rows } = await this.pool.query<Row>(
      `SELECT q.id::text AS id, origin, stream, shard, seq, sub_index, source, code, reason, object_key, object_line, arrival_ts
         FROM quarantine q
        WHERE replayed_at IS NULL
          AND q.id > $1::bigint AND q.id <= $2::bigint
          AND ($3::text IS NULL OR source = $3)
          AND ($4::timestamptz IS NULL OR created_at >= $4)
        ORDER BY q.id
        LIMIT $5`,
      [page.afterId, page.throughId, page.source ?? null, page.since ?? null, page.limit],
    );
    return rows.map((r) => ({
      id: r.id,
      origin: r.origin,
      stream: r.stream,
      shard: r.shard,
      seq: r.seq,
      subIndex: r.sub_index,
      source: r.source,
      code: r.code,
      reason: r.reason,
      objectKey: r.object_key,
      objectLine: r.object_line,
      arrivalTs: r.arrival_ts.getTime(),
    }));
  }

  async markReplayed(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const { rowCount } = await this.pool.query('UPDATE quarantine SET replayed_at = now() WHERE id = ANY($1::bigint[]) AND replayed_at IS NULL', [ids]);
    return rowCount ?? 0;
  }
}
