// Idempotent apply of aggregate deltas, on a single Redis and on a real 3-node Redis Cluster.
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatesChannel, appliedBatchesKey, bucketKeys } from '../../../shared/aggregates/aggregate-keys.js';
import { AggregateReader } from '../../../shared/aggregates/aggregate-reader.js';
import { computeDeltas } from '../../../shared/aggregates/compute-deltas.js';
import type { AggregateDeltas, AggregateSpec } from '../../../shared/aggregates/types.js';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { RedisAggregateStore } from '../../../shared/stores/redis/redis-aggregate-store.js';
import { createRedisClient } from '../../../shared/stores/redis/redis-client.js';
import { pageView } from '../../support/events.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { singleRedis, startRedisCluster, TEST_REDIS_URL, type RedisCluster } from '../../support/redis.js';

const specs = new Map<string, AggregateSpec>([
  ['page_view', { eventType: 'page_view', sumFields: ['duration_ms'], uniqueField: 'user_id', topFields: ['country'] }],
]);
const MINUTE = Date.UTC(2026, 10, 26, 9, 15);

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

/** A batch of page views in one minute from a source unique to the test. */
function batch(source: string, id: string, n: number, offset = 0): AggregateDeltas {
  const inputs = Array.from({ length: n }, (_, i) => ({
    json: pageView({ source, user_id: `u-${(i + offset) % 7}`, country: i % 4 === 0 ? 'FR' : 'DE', duration_ms: 10, ts: MINUTE + i }),
  }));
  const { events } = decodeBatch(sourceRecordsFromKinesis(kinesisEvent(inputs, { arrivalTs: MINUTE + 1000 })));
  return computeDeltas(id, events, specs, { lateThresholdMs: 300_000 });
}

/** A batch of page views by the given users at the given times. */
function batchAt(source: string, id: string, views: { user: string; ts: number }[]): AggregateDeltas {
  const inputs = views.map((v) => ({ json: pageView({ source, user_id: v.user, country: 'FR', duration_ms: 1, ts: v.ts }) }));
  const arrivalTs = Math.max(...views.map((v) => v.ts)) + 1000;
  return computeDeltas(id, decodeBatch(sourceRecordsFromKinesis(kinesisEvent(inputs, { arrivalTs }))).events, specs, { lateThresholdMs: 300_000 });
}

const HOUR = Date.UTC(2026, 10, 26, 9);
const hourKeys = (source: string, hourStart = HOUR) => bucketKeys({ source, eventType: 'page_view', granularity: 'hour', bucketStart: hourStart });

async function readMinute(redis: Redis | Cluster, source: string) {
  const keys = bucketKeys({ source, eventType: 'page_view', granularity: 'minute', bucketStart: MINUTE });
  const [hash, uniques, top] = await Promise.all([
    redis.hgetall(keys.counters),
    redis.pfcount(keys.uniques),
    redis.zrevrange(keys.top('country'), 0, -1, 'WITHSCORES'),
  ]);
  // applied_ms is when the bucket last changed: the one field that differs between equal applies.
  const { applied_ms: appliedMs, ...counters } = hash;
  expect(Number(appliedMs)).toBeGreaterThan(0);
  return { counters, uniques, top };
}

/** A target's client as the functions create it, with a key prefix. */
type PrefixedClient = (keyPrefix: string) => Redis | Cluster;

const targets: [string, () => Redis | Cluster, PrefixedClient][] = [
  ['a single Redis', () => singleRedis(), (keyPrefix) => createRedisClient({ urls: [TEST_REDIS_URL], cluster: false, keyPrefix })],
  [
    'a 3-node Redis Cluster',
    () => cluster.client(),
    (keyPrefix) => createRedisClient({ urls: cluster.ports.map((p) => `redis://127.0.0.1:${p}`), cluster: true, keyPrefix }),
  ],
];

describe.each(targets)('RedisAggregateStore on %s', (_name, connect, connectPrefixed) => {
  let redis: Redis | Cluster;
  let store: RedisAggregateStore;
  beforeAll(() => {
    redis = connect();
    store = new RedisAggregateStore(redis);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('gives the same counters after 5 replays of a batch as after one apply', async () => {
    const once = `src-${randomUUID().slice(0, 8)}`;
    const replayed = `src-${randomUUID().slice(0, 8)}`;
    await store.apply(batch(once, 'b1', 40));
    const deltas = batch(replayed, 'b1', 40);
    const reports = [];
    for (let i = 0; i < 5; i++) reports.push(await store.apply(deltas));
    expect(reports.map((r) => r.applied)).toEqual([2, 0, 0, 0, 0]); // minute + hour bucket, once
    const a = await readMinute(redis, once);
    const b = await readMinute(redis, replayed);
    expect(b).toEqual(a);
    expect(b.counters).toMatchObject({ count: '40', 'sum:duration_ms': '400', max_ts: String(MINUTE + 39) });
    expect(Number(b.counters['lag_ms'])).toBe(Array.from({ length: 40 }, (_, i) => 1000 - i).reduce((x, y) => x + y, 0));
    expect(b.uniques).toBe(7);
    expect(b.top).toEqual(['DE', '30', 'FR', '10']);
  });

  it('keeps every key and the change channel under a key prefix, and reads back through it', async () => {
    const prefix = `stage-${randomUUID().slice(0, 8)}:`;
    const source = `src-${randomUUID().slice(0, 8)}`;
    const prefixed = connectPrefixed(prefix);
    const listener = connectPrefixed(prefix);
    try {
      const heard: string[] = [];
      await listener.subscribe(aggregatesChannel(prefix));
      listener.on('message', (_channel: string, message: string) => heard.push(message));
      await new RedisAggregateStore(prefixed).apply(batch(source, 'b-prefixed', 12));
      const range = { source, eventType: 'page_view', granularity: 'minute' as const, from: MINUTE, to: MINUTE + 60_000 };
      expect((await new AggregateReader(prefixed).series(range))[0]).toMatchObject({ count: 12 });
      expect(await new AggregateReader(prefixed).uniques(range)).toBe(7);
      // Unprefixed, the metric does not exist: another stage's readers cannot see it.
      expect(await new AggregateReader(redis).series(range)).toEqual([expect.objectContaining({ count: 0 })]);
      const keys = bucketKeys({ source, eventType: 'page_view', granularity: 'minute', bucketStart: MINUTE });
      expect(await redis.exists(`${prefix}${keys.counters}`, `${prefix}${keys.uniques}`, `${prefix}${appliedBatchesKey({ source, eventType: 'page_view', at: MINUTE })}`)).toBe(3);
      await expect.poll(() => heard.length).toBe(1);
      expect(JSON.parse(heard[0]!)).toMatchObject({ batchId: 'b-prefixed', metrics: [`${source}/page_view`] });
    } finally {
      prefixed.disconnect();
      listener.disconnect();
    }
  });

  it('gives the same counters whatever order batches are applied in', async () => {
    const inOrder = `src-${randomUUID().slice(0, 8)}`;
    const reversed = `src-${randomUUID().slice(0, 8)}`;
    for (const id of ['b1', 'b2', 'b3']) await store.apply(batch(inOrder, id, 10, Number(id[1])));
    for (const id of ['b3', 'b1', 'b2', 'b3']) await store.apply(batch(reversed, id, 10, Number(id[1])));
    expect(await readMinute(redis, reversed)).toEqual(await readMinute(redis, inOrder));
    expect((await readMinute(redis, reversed)).counters['count']).toBe('30');
  });

  it('reads series, uniques and top-K over several buckets back through the read model', async () => {
    const source = `src-${randomUUID().slice(0, 8)}`;
    const minute2 = computeDeltas(
      'b2',
      decodeBatch(
        sourceRecordsFromKinesis(
          kinesisEvent(
            Array.from({ length: 6 }, (_, i) => ({ json: pageView({ source, user_id: `v-${i}`, country: 'FR', duration_ms: 1, ts: MINUTE + 60_000 + i }) })),
            { arrivalTs: MINUTE + 61_000 },
          ),
        ),
      ).events,
      specs,
      { lateThresholdMs: 300_000 },
    );
    await store.apply(batch(source, 'b1', 40));
    await store.apply(minute2);
    const reader = new AggregateReader(redis);
    const range = { source, eventType: 'page_view', granularity: 'minute' as const, from: MINUTE, to: MINUTE + 3 * 60_000 };
    const series = await reader.series(range);
    expect(series.map((p) => [p.bucketStart - MINUTE, p.count, p.sums['duration_ms'] ?? 0])).toEqual([
      [0, 40, 400],
      [60_000, 6, 6],
      [120_000, 0, 0],
    ]);
    expect(series[1]!.avgIngestLagMs).toBe((1000 + 999 + 998 + 997 + 996 + 995) / 6);
    expect(series[2]!.avgIngestLagMs).toBeNull();
    const freshness = await reader.freshness(source, 'page_view', MINUTE + 120_000);
    expect(freshness.lastEventTs).toBe(MINUTE + 60_000 + 5);
    expect(Math.abs(freshness.lastAppliedAt! - Date.now())).toBeLessThan(10_000);
    expect(await reader.uniques(range)).toBe(13); // u-0..u-6 and v-0..v-5, exact at this size
    expect(await reader.top(range, 'country', 2)).toEqual([
      { value: 'DE', count: 30 },
      { value: 'FR', count: 16 },
    ]);
  });

  it('sets the bucket TTLs: 48 h for minutes, 90 days for hours', async () => {
    const source = `src-${randomUUID().slice(0, 8)}`;
    await store.apply(batch(source, 'b1', 3));
    const minute = bucketKeys({ source, eventType: 'page_view', granularity: 'minute', bucketStart: MINUTE });
    const hour = hourKeys(source);
    expect(await redis.ttl(minute.counters)).toBeGreaterThan(47 * 3600);
    expect(await redis.ttl(minute.counters)).toBeLessThanOrEqual(48 * 3600);
    expect(await redis.ttl(hour.uniques)).toBeGreaterThan(89 * 86_400);
  });

  it('remembers applied batches by a short digest for the dedupe window only, not the hour bucket\'s 90 days', async () => {
    const source = `src-${randomUUID().slice(0, 8)}`;
    const longId = `events/shardId-000000000003/${'4'.repeat(56)}-${'5'.repeat(56)}`;
    const deltas = batch(source, longId, 3);
    await store.apply(deltas);
    const applied = appliedBatchesKey({ source, eventType: 'page_view', at: MINUTE });
    const members = await redis.smembers(applied);
    expect(members).toHaveLength(1);
    expect(members[0]!.length).toBeLessThan(longId.length / 4);
    expect(await redis.ttl(applied)).toBeGreaterThan(47 * 3600);
    expect(await redis.ttl(applied)).toBeLessThanOrEqual(48 * 3600);
    expect((await store.apply(deltas)).applied).toBe(0); // the digest still recognises it
  });

  it('counts an hour\'s unique users as the union of its minutes, across batches and replays', async () => {
    const source = `src-${randomUUID().slice(0, 8)}`;
    const first = batchAt(source, 'b1', [...['a', 'b', 'c'].map((user, i) => ({ user, ts: MINUTE + i })), { user: 'd', ts: MINUTE + 60_000 }]);
    const second = batchAt(source, 'b2', ['c', 'd', 'e', 'f'].map((user, i) => ({ user, ts: MINUTE + 120_000 + i })));
    for (const deltas of [first, second, second, first]) await store.apply(deltas);
    const minuteUniques = (offset: number) => redis.pfcount(bucketKeys({ source, eventType: 'page_view', granularity: 'minute', bucketStart: MINUTE + offset }).uniques);
    expect(await Promise.all([0, 60_000, 120_000].map(minuteUniques))).toEqual([3, 1, 4]);
    expect(await redis.pfcount(hourKeys(source).uniques)).toBe(6); // a-f
    expect(await redis.hget(hourKeys(source).counters, 'count')).toBe('8');
  });

  it('applies a batch spanning several hours with one script per hour, each once', async () => {
    const source = `src-${randomUUID().slice(0, 8)}`;
    const times = [HOUR + 5 * 60_000, HOUR + 3_600_000 + 1, HOUR + 3 * 3_600_000 - 1, HOUR + 3 * 3_600_000 - 2];
    const deltas = batchAt(source, 'b1', times.map((ts, i) => ({ user: `u-${i}`, ts })));
    expect(deltas.buckets).toHaveLength(6); // three minutes, three hours
    expect(await store.apply(deltas)).toEqual({ applied: 6, alreadyApplied: 0 });
    expect(await store.apply(deltas)).toEqual({ applied: 0, alreadyApplied: 6 });
    const reader = new AggregateReader(redis);
    const hours = await reader.series({ source, eventType: 'page_view', granularity: 'hour', from: HOUR, to: HOUR + 3 * 3_600_000 });
    expect(hours.map((p) => p.count)).toEqual([1, 1, 2]);
    expect(await Promise.all([0, 1, 2].map((h) => redis.pfcount(hourKeys(source, HOUR + h * 3_600_000).uniques)))).toEqual([1, 1, 2]);
  });
});

describe('Redis Cluster slots', () => {
  it('rejects a multi-key script whose keys are in two slots, and the store never builds one', async () => {
    const redis = cluster.client();
    try {
      const hourKeysOf = (hourStart: number) => {
        const minute = (m: number) => bucketKeys({ source: 'web', eventType: 'page_view', granularity: 'minute', bucketStart: hourStart + m * 60_000 });
        const hour = bucketKeys({ source: 'web', eventType: 'page_view', granularity: 'hour', bucketStart: hourStart });
        return [appliedBatchesKey({ source: 'web', eventType: 'page_view', at: hourStart }), hour.counters, hour.uniques, hour.top('country'), ...[0, 59].flatMap((m) => [minute(m).counters, minute(m).uniques, minute(m).top('url')])];
      };
      const [a, b] = [hourKeysOf(HOUR), hourKeysOf(HOUR + 3_600_000)];
      await expect(redis.eval("return redis.call('EXISTS', KEYS[1], KEYS[2])", 2, a[0]!, b[0]!)).rejects.toThrow(/CROSSSLOT/);
      // everything one script touches: an hour's applied record, hour bucket and minute buckets
      const slots = new Set(await Promise.all(a.map((k) => redis.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
    } finally {
      await redis.quit();
    }
  });
});
