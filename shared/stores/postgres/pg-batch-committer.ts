// Commits a batch in one Postgres transaction: manifest rows, quarantine rows, the aggregate
// outbox row and the progress (the shard checkpoint by compare-and-set, or the queue's event
// ids by unique key). Either all of it is visible or none.
import type pg from 'pg';
import { CheckpointConflictError, DuplicateEventConflictError } from '../../errors.js';
import type { BatchCommit, BatchCommitter, EventKey } from '../../ingest/ports.js';

const INSERT_LAKE_FILES = `
INSERT INTO lake_files (dt, hour, source, event_type, key, stream, shard, first_seq, last_seq,
  record_count, byte_size, min_event_ts, max_event_ts, late_count, schema_versions)
SELECT dt, hour, source, event_type, key, stream, shard, first_seq, last_seq,
  record_count, byte_size, min_event_ts, max_event_ts, late_count, schema_versions::integer[]
FROM unnest($1::date[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::integer[], $11::bigint[], $12::timestamptz[], $13::timestamptz[],
  $14::integer[], $15::text[])
  AS f(dt, hour, source, event_type, key, stream, shard, first_seq, last_seq,
  record_count, byte_size, min_event_ts, max_event_ts, late_count, schema_versions)`;

const INSERT_QUARANTINE = `
INSERT INTO quarantine (origin, stream, shard, seq, sub_index, source, code, reason, object_key,
  object_line, arrival_ts)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[],
  $7::text[], $8::text[], $9::text[], $10::integer[], $11::timestamptz[])
ON CONFLICT (stream, shard, seq, sub_index) DO NOTHING`;

/** @example await new PgBatchCommitter(pool).commitBatch(commit); */
export class PgBatchCommitter implements BatchCommitter {
  /** Months whose lake_files partition is known to exist, so the DDL check runs once per month. */
  private readonly knownMonths = new Set<string>();

  constructor(private readonly pool: pg.Pool) {}

  async commitBatch(commit: BatchCommit): Promise<void> {
    const client = await this.pool.connect();
    let healthy = true;
    try {
      await client.query('BEGIN');
      const months = await this.ensurePartitions(client, commit);
      if (commit.progress.kind === 'checkpoint') await advanceCheckpoint(client, commit, commit.progress);
      else await recordEventIds(client, commit, commit.progress.events);
      if (commit.files.length > 0) await insertLakeFiles(client, commit);
      if (commit.quarantine.length > 0) await insertQuarantine(client, commit);
      if (commit.aggregates && commit.aggregates.buckets.length > 0) {
        await client.query('INSERT INTO agg_outbox (batch_id, deltas) VALUES ($1, $2)', [
          commit.aggregates.batchId,
          JSON.stringify(commit.aggregates),
        ]);
      }
      await client.query('COMMIT');
      for (const m of months) this.knownMonths.add(m);
    } catch (error) {
      healthy = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      throw error;
    } finally {
      // A connection that failed to roll back is in an unknown state: drop it.
      client.release(!healthy);
    }
  }

  private async ensurePartitions(client: pg.PoolClient, commit: BatchCommit): Promise<string[]> {
    const months = [...new Set(commit.files.map((f) => f.partition.dt.slice(0, 7)))].filter((m) => !this.knownMonths.has(m));
    for (const month of months) {
      await client.query('SELECT ensure_lake_files_partition($1::date)', [`${month}-01`]);
    }
    return months;
  }
}

async function advanceCheckpoint(
  client: pg.PoolClient,
  { stream, shard }: BatchCommit,
  { expected: expectedCheckpoint, next: nextCheckpoint }: { expected: string | null; next: string },
): Promise<void> {
  const result =
    expectedCheckpoint === null
      ? await client.query(
          'INSERT INTO checkpoints (stream, shard, seq) VALUES ($1, $2, $3) ON CONFLICT (stream, shard) DO NOTHING',
          [stream, shard, nextCheckpoint],
        )
      : await client.query(
          'UPDATE checkpoints SET seq = $3, updated_at = now() WHERE stream = $1 AND shard = $2 AND seq = $4',
          [stream, shard, nextCheckpoint, expectedCheckpoint],
        );
  if (result.rowCount !== 1) throw new CheckpointConflictError(stream, shard, expectedCheckpoint);
}

/** Another delivery of the same events committing first makes this one fail and retry. */
async function recordEventIds(client: pg.PoolClient, { stream, shard }: BatchCommit, events: readonly EventKey[]): Promise<void> {
  if (events.length === 0) return;
  const result = await client.query(
    `INSERT INTO queue_event_ids (source, event_id)
     SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (source, event_id) DO NOTHING`,
    [events.map((e) => e.source), events.map((e) => e.eventId)],
  );
  if (result.rowCount !== events.length) throw new DuplicateEventConflictError(stream, shard, events.length - (result.rowCount ?? 0));
}

async function insertLakeFiles(client: pg.PoolClient, commit: BatchCommit): Promise<void> {
  const f = commit.files;
  await client.query(INSERT_LAKE_FILES, [
    f.map((x) => x.partition.dt),
    f.map((x) => Number(x.partition.hour)),
    f.map((x) => x.partition.source),
    f.map((x) => x.partition.eventType),
    f.map((x) => x.key),
    f.map((x) => x.stream),
    f.map((x) => x.shard),
    f.map((x) => x.firstSeq),
    f.map((x) => x.lastSeq),
    f.map((x) => x.recordCount),
    f.map((x) => x.byteSize),
    f.map((x) => new Date(x.minEventTs).toISOString()),
    f.map((x) => new Date(x.maxEventTs).toISOString()),
    f.map((x) => x.lateCount),
    f.map((x) => `{${x.schemaVersions.join(',')}}`),
  ]);
}

async function insertQuarantine(client: pg.PoolClient, commit: BatchCommit): Promise<void> {
  const q = commit.quarantine;
  await client.query(INSERT_QUARANTINE, [
    q.map((x) => x.origin),
    q.map((x) => x.stream),
    q.map((x) => x.shard),
    q.map((x) => x.seq),
    q.map((x) => x.subIndex),
    q.map((x) => x.source),
    q.map((x) => x.code),
    q.map((x) => x.reason),
    q.map((x) => x.objectKey),
    q.map((x) => x.line),
    q.map((x) => new Date(x.arrivalTs).toISOString()),
  ]);
}
