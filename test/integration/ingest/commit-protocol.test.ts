// The exactly-once protocol against the real Postgres and the S3 emulator: crashes between
// every step, redelivery, bisection, concurrent writers and store outages.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import type { SourceRecord } from '../../../shared/envelope/types.js';
import { CheckpointConflictError } from '../../../shared/errors.js';
import {
  BatchIngestError,
  ingestShardBatch,
  type CommitStep,
  type IngestDependencies,
} from '../../../shared/ingest/ingest-shard-batch.js';
import { findOrphans } from '../../../shared/lake/find-orphans.js';
import { EVENTS_PREFIX, QUARANTINE_PREFIX } from '../../../shared/lake/object-keys.js';
import { PgCheckpointStore } from '../../../shared/stores/postgres/pg-checkpoint-store.js';
import { PgManifestReader } from '../../../shared/stores/postgres/pg-manifest-reader.js';
import { createPgPool } from '../../../shared/stores/postgres/pg-pool.js';
import { createS3Client, S3LakeStore } from '../../../shared/stores/s3/s3-lake-store.js';
import { openParquetReader, type ParquetReader } from '../../support/duckdb.js';
import { pageView, purchase } from '../../support/events.js';
import { kinesisEvent, type RecordInput } from '../../support/kinesis-events.js';
import { queryLake } from '../../support/lake.js';
import { createIngestDeps } from '../../support/ingest-deps.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';

const LATE = 300_000;
let db: TestDatabase;
let s3: S3Emulator;
let duck: ParquetReader;
let deps: IngestDependencies;
let shardCounter = 0;

beforeAll(async () => {
  [db, s3, duck] = await Promise.all([createTestDatabase(), startS3Emulator(), openParquetReader()]);
  deps = await createIngestDeps(db.pool, s3);
});

afterAll(async () => {
  await Promise.all([db?.drop(), s3?.stop(), duck?.close()]);
});

// Each test works on its own shard, so tests do not see each other's checkpoints.
let shard: string;
beforeEach(() => {
  shard = `shardId-${String(++shardCounter).padStart(12, '0')}`;
});

/** A batch of valid events of two types and hours, plus `bad` malformed records. */
function batch(valid: number, bad = 0, firstSeq = 1): { records: SourceRecord[]; eventIds: string[] } {
  const inputs: RecordInput[] = [];
  const eventIds: string[] = [];
  for (let i = 0; i < valid; i++) {
    const event = i % 3 === 0 ? purchase({ ts: Date.UTC(2026, 10, 26, 8 + (i % 2)) }) : pageView({ user_id: `u-${i}` });
    eventIds.push(String(event['event_id']));
    inputs.push({ json: event });
  }
  for (let i = 0; i < bad; i++) inputs.splice(1 + i * 2, 0, { text: `{"event_id": broken ${i}` });
  const records = sourceRecordsFromKinesis(kinesisEvent(inputs, { shard, firstSeq, arrivalTs: Date.UTC(2026, 10, 26, 10) }));
  return { records, eventIds };
}

function crashAt(step: CommitStep) {
  return {
    lateThresholdMs: LATE,
    onStep: (s: CommitStep) => {
      if (s === step) throw new Error(`injected crash at ${step}`);
    },
  };
}

async function lakeEventIdsOfShard(): Promise<string[]> {
  const rows = await queryLake(db.pool, s3, duck, `SELECT event_id FROM lake WHERE shard = '${shard}' ORDER BY event_id`);
  return rows.map((r) => String(r['event_id']));
}

async function checkpointOfShard(): Promise<string | null> {
  return deps.checkpoints.readCheckpoint('event-lake-test-events', shard);
}

async function orphanKeys(): Promise<string[]> {
  const listed = await s3.store.listObjects(EVENTS_PREFIX);
  const manifest = new Set((await new PgManifestReader(db.pool).listFiles()).map((f) => f.key));
  return findOrphans(listed, manifest, { now: Date.now() + 1, graceMs: 0 })
    .map((o) => o.key)
    .filter((k) => k.includes(shard));
}

describe('commit protocol', () => {
  it('commits valid events to Parquet via the manifest and quarantines bad ones with reasons', async () => {
    const { records, eventIds } = batch(30, 3);
    const started = performance.now();
    const outcome = await ingestShardBatch(records, deps, { lateThresholdMs: LATE });
    const elapsed = performance.now() - started;
    expect(outcome).toMatchObject({ received: 33, skipped: 0, events: 30, quarantined: 3, checkpoint: records.at(-1)!.seq });
    // Each step's time is reported for the log line, and together they are the batch's time.
    const steps = Object.values(outcome.durationsMs);
    expect(Object.keys(outcome.durationsMs)).toEqual(['checkpoint', 'plan', 'write', 'commit', 'aggregates']);
    expect(steps.every((ms) => ms >= 0)).toBe(true);
    expect(outcome.durationsMs.commit).toBeGreaterThan(0); // a real Postgres round trip
    expect(steps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(elapsed + 1);
    expect(await lakeEventIdsOfShard()).toEqual([...eventIds].sort());

    const quarantine = await db.pool.query(
      'SELECT seq, code, reason, object_key, object_line FROM quarantine WHERE shard = $1 ORDER BY object_line',
      [shard],
    );
    expect(quarantine.rows.map((r) => r.code)).toEqual(['bad_json', 'bad_json', 'bad_json']);
    expect(quarantine.rows[0].reason).toMatch(/payload is not JSON/);
    const lines = Buffer.from(await s3.getObjectBytes(quarantine.rows[0].object_key)).toString('utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { seq: string }).seq)).toEqual(quarantine.rows.map((r) => r.seq));
    expect(Buffer.from((JSON.parse(lines[0]!) as { data: string }).data, 'base64').toString()).toBe('{"event_id": broken 0');
  });

  it('keeps the typed columns of each event type in the files DuckDB reads', async () => {
    const { records } = batch(6);
    await ingestShardBatch(records, deps, { lateThresholdMs: LATE });
    const rows = await queryLake(
      db.pool,
      s3,
      duck,
      `SELECT event_type, typeof(amount) AS amount_type, typeof(event_ts) AS ts_type, count(*) AS n
         FROM lake WHERE shard = '${shard}' GROUP BY ALL ORDER BY event_type`,
    );
    expect(rows).toEqual([
      { event_type: 'page_view', amount_type: 'DOUBLE', ts_type: 'TIMESTAMP WITH TIME ZONE', n: 4 },
      { event_type: 'purchase', amount_type: 'DOUBLE', ts_type: 'TIMESTAMP WITH TIME ZONE', n: 2 },
    ]);
    const amounts = await queryLake(db.pool, s3, duck, `SELECT DISTINCT amount FROM lake WHERE shard = '${shard}' AND event_type = 'purchase'`);
    expect(amounts).toEqual([{ amount: 19.99 }]);
  });

  it('skips records at or below the checkpoint when a committed batch is redelivered', async () => {
    const { records, eventIds } = batch(10);
    await ingestShardBatch(records, deps, { lateThresholdMs: LATE });
    const again = await ingestShardBatch(records, deps, { lateThresholdMs: LATE });
    expect(again).toMatchObject({ skipped: 10, events: 0, files: [] });
    expect(await lakeEventIdsOfShard()).toEqual([...eventIds].sort());
  });

  it.each<CommitStep>(['after-checkpoint-read', 'after-objects-written', 'after-commit'])(
    'holds every valid event exactly once after a crash %s and a redelivery',
    async (step) => {
      const { records, eventIds } = batch(40, 2);
      const crash = await ingestShardBatch(records, deps, crashAt(step)).catch((e: unknown) => e);
      expect(crash).toBeInstanceOf(BatchIngestError);
      expect((crash as BatchIngestError).retryFromSeq).toBe(records[0]!.seq);

      const retry = await ingestShardBatch(records, deps, { lateThresholdMs: LATE });
      expect(retry.skipped).toBe(step === 'after-commit' ? records.length : 0);
      expect(await lakeEventIdsOfShard()).toEqual([...eventIds].sort());
      expect(await checkpointOfShard()).toBe(records.at(-1)!.seq);
      const quarantined = await db.pool.query('SELECT count(*)::int AS n FROM quarantine WHERE shard = $1', [shard]);
      expect(quarantined.rows[0].n).toBe(2);
      // Same records, same keys: the crashed attempt's files were overwritten, not orphaned.
      expect(await orphanKeys()).toEqual([]);
    },
  );

  it('stays exactly once when Lambda bisects a failed batch, leaving identifiable orphans', async () => {
    const { records, eventIds } = batch(50, 1);
    await expect(ingestShardBatch(records, deps, crashAt('after-objects-written'))).rejects.toThrow(BatchIngestError);
    const orphansOfFullBatch = await orphanKeys();
    expect(orphansOfFullBatch.length).toBeGreaterThan(0);

    // Bisect: the first half, then the second half; the first half is retried once more.
    const half = Math.ceil(records.length / 2);
    await ingestShardBatch(records.slice(0, half), deps, { lateThresholdMs: LATE });
    await ingestShardBatch(records.slice(0, half), deps, { lateThresholdMs: LATE });
    await ingestShardBatch(records.slice(half), deps, { lateThresholdMs: LATE });

    expect(await lakeEventIdsOfShard()).toEqual([...eventIds].sort());
    expect(await checkpointOfShard()).toBe(records.at(-1)!.seq);
    expect((await orphanKeys()).sort()).toEqual([...orphansOfFullBatch].sort());
  });

  it('resumes from the first uncommitted record after a partial redelivery', async () => {
    const { records, eventIds } = batch(20);
    await ingestShardBatch(records.slice(0, 8), deps, { lateThresholdMs: LATE });
    const outcome = await ingestShardBatch(records, deps, { lateThresholdMs: LATE });
    expect(outcome).toMatchObject({ skipped: 8, events: 12 });
    expect(await lakeEventIdsOfShard()).toEqual([...eventIds].sort());
  });

  it('rejects a commit whose checkpoint moved since it was read, and the retry skips what was committed', async () => {
    const { records, eventIds } = batch(10);
    // A zombie invocation reads the checkpoint, then another commits first.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const zombie = ingestShardBatch(records, deps, {
      lateThresholdMs: LATE,
      onStep: (s) => (s === 'after-objects-written' ? gate : undefined),
    }).catch((e: unknown) => e);
    await ingestShardBatch(records.slice(0, 5), deps, { lateThresholdMs: LATE });
    release();
    const failure = await zombie;
    expect(failure).toBeInstanceOf(BatchIngestError);
    expect((failure as BatchIngestError).cause).toBeInstanceOf(CheckpointConflictError);

    const retry = await ingestShardBatch(records, deps, { lateThresholdMs: LATE });
    expect(retry).toMatchObject({ skipped: 5, events: 5 });
    expect(await lakeEventIdsOfShard()).toEqual([...eventIds].sort());
  });

  it('fails retryably with nothing committed when S3 is unreachable', async () => {
    const deadS3 = createS3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
    const { records } = batch(5);
    const failure = await ingestShardBatch(records, { ...deps, objects: new S3LakeStore(deadS3, s3.bucket) }, { lateThresholdMs: LATE }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(BatchIngestError);
    expect((failure as BatchIngestError).retryFromSeq).toBe(records[0]!.seq);
    expect(await checkpointOfShard()).toBeNull();
    expect(await lakeEventIdsOfShard()).toEqual([]);
  });

  it('fails retryably before writing anything when Postgres is unreachable', async () => {
    const deadPool = createPgPool({ connectionString: 'postgres://postgres@127.0.0.1:9/test' });
    const { records } = batch(5);
    const failure = await ingestShardBatch(records, { ...deps, checkpoints: new PgCheckpointStore(deadPool) }, { lateThresholdMs: LATE }).catch(
      (e: unknown) => e,
    );
    await deadPool.end();
    expect(failure).toBeInstanceOf(BatchIngestError);
    expect((await s3.store.listObjects(EVENTS_PREFIX)).filter((o) => o.key.includes(shard))).toEqual([]);
    expect((await s3.store.listObjects(QUARANTINE_PREFIX)).filter((o) => o.key.includes(shard))).toEqual([]);
  });
});
