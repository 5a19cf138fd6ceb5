// Live aggregates through the commit protocol: the deltas ride in the ingest transaction's
// outbox, so crashes and Redis outages delay the counters but never lose or double them.
import { randomUUID } from 'node:crypto';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketKeys } from '../../../shared/aggregates/aggregate-keys.js';
import { drainAggregateOutbox } from '../../../shared/aggregates/drain-outbox.js';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { BatchIngestError, ingestShardBatch, type IngestDependencies } from '../../../shared/ingest/ingest-shard-batch.js';
import { PgAggregateOutbox } from '../../../shared/stores/postgres/pg-aggregate-outbox.js';
import { PgAggregateSpecs } from '../../../shared/stores/postgres/pg-aggregate-specs.js';
import { RedisAggregateStore } from '../../../shared/stores/redis/redis-aggregate-store.js';
import { pageView } from '../../support/events.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { createIngestDeps } from '../../support/ingest-deps.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { singleRedis, startRedisCluster, type RedisCluster } from '../../support/redis.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';

const HOUR = Date.UTC(2026, 10, 26, 9);
let db: TestDatabase;
let s3: S3Emulator;
let redis: Redis | Cluster;
let cluster: RedisCluster;
let deadRedis: Redis;
let base: Omit<IngestDependencies, 'aggregates'>;
let outbox: PgAggregateOutbox;
let store: RedisAggregateStore;
let shardCounter = 0;

beforeAll(async () => {
  [db, s3, cluster] = await Promise.all([createTestDatabase(), startS3Emulator(), startRedisCluster()]);
  // Nothing listens on port 9: every command fails fast, like a Redis that is down.
  deadRedis = new Redis({ port: 9, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  deadRedis.on('error', () => undefined); // the refused connections are the point
  base = await createIngestDeps(db.pool, s3);
  outbox = new PgAggregateOutbox(db.pool);
}, 60_000);

afterAll(async () => {
  deadRedis?.disconnect();
  await Promise.all([db?.drop(), s3?.stop(), cluster?.stop()]);
});

const targets: [string, () => Redis | Cluster][] = [
  ['a single Redis', () => singleRedis()],
  ['a 3-node Redis Cluster', () => cluster.client()],
];

function deps(sink: RedisAggregateStore): IngestDependencies {
  return { ...base, aggregates: { specs: new PgAggregateSpecs(db.pool), sink, outbox } };
}

function batch(source: string, n: number, firstSeq: number) {
  const shard = `shardId-${String(++shardCounter).padStart(12, '0')}`;
  const inputs = Array.from({ length: n }, (_, i) => ({ json: pageView({ source, user_id: `u-${i % 5}`, duration_ms: 2, ts: HOUR + i * 1000 }) }));
  return sourceRecordsFromKinesis(kinesisEvent(inputs, { shard, firstSeq, arrivalTs: HOUR + 60_000 }));
}

/** The hour bucket's count and sum (empty object when nothing was applied). */
async function hourCount(source: string): Promise<Record<string, string>> {
  const hash = await redis.hgetall(bucketKeys({ source, eventType: 'page_view', granularity: 'hour', bucketStart: HOUR }).counters);
  return Object.fromEntries(Object.entries(hash).filter(([field]) => field === 'count' || field.startsWith('sum:')));
}

describe.each(targets)('aggregates with the commit protocol on %s', (_name, connect) => {
  beforeAll(() => {
    redis = connect();
    store = new RedisAggregateStore(redis);
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('applies each committed batch once, even when Lambda redelivers it', async () => {
    const source = `agg-${randomUUID().slice(0, 8)}`;
    const records = batch(source, 30, 1);
    const first = await ingestShardBatch(records, deps(store), { lateThresholdMs: 300_000 });
    const again = await ingestShardBatch(records, deps(store), { lateThresholdMs: 300_000 });
    expect([first.aggregates, again.aggregates]).toEqual(['applied', 'off']);
    expect(await hourCount(source)).toEqual({ count: '30', 'sum:duration_ms': '60' });
  });

  it('recovers deltas lost to a crash between commit and apply through the drain', async () => {
    const source = `agg-${randomUUID().slice(0, 8)}`;
    const records = batch(source, 20, 1);
    const crash = await ingestShardBatch(records, deps(store), {
      lateThresholdMs: 300_000,
      onStep: (step) => {
        if (step === 'after-commit') throw new Error('crash after commit');
      },
    }).catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(BatchIngestError);
    await ingestShardBatch(records, deps(store), { lateThresholdMs: 300_000 }); // redelivery: all skipped
    expect(await hourCount(source)).toEqual({});
    expect((await outbox.backlog()).pending).toBeGreaterThanOrEqual(1);
    await outbox.drain((d) => store.apply(d).then(() => undefined), 100);
    await outbox.drain((d) => store.apply(d).then(() => undefined), 100); // nothing left: no double count
    expect(await hourCount(source)).toEqual({ count: '20', 'sum:duration_ms': '40' });
  });

  it('keeps committing the lake while Redis is down, and the drain brings counters to the exact totals', async () => {
    const source = `agg-${randomUUID().slice(0, 8)}`;
    const down = new RedisAggregateStore(deadRedis);
    const pending: string[] = [];
    let events = 0;
    for (let b = 0; b < 4; b++) {
      const outcome = await ingestShardBatch(batch(source, 25, 1), deps(down), {
        lateThresholdMs: 300_000,
        onAggregatesPending: (id) => pending.push(id),
      });
      expect(outcome.aggregates).toBe('pending');
      events += outcome.events;
    }
    expect(events).toBe(100);
    expect(pending).toHaveLength(4);
    expect((await outbox.backlog()).pending).toBeGreaterThanOrEqual(4);
    expect(await hourCount(source)).toEqual({});

    // Pages of 2 rows: the drain keeps going until the outbox is empty.
    const report = await drainAggregateOutbox(outbox, store, { pageSize: 2, deadline: Date.now() + 30_000, appliedRetentionSeconds: 0 });
    expect(report.applied).toBeGreaterThanOrEqual(4);
    expect(report).toMatchObject({ pending: 0, oldestPendingSeconds: null });
    expect(report.purged).toBeGreaterThanOrEqual(4); // retention 0: applied rows are deleted
    expect(await hourCount(source)).toEqual({ count: '100', 'sum:duration_ms': '200' });
  });
});
