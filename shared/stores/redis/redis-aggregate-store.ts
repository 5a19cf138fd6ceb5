// Applies aggregate deltas to Redis (single node or cluster) with one Lua script per bucket,
// each applying a batch id at most once, then publishes the changed metric names.
import type { Cluster, Redis } from 'ioredis';
import type { PipelineConfig } from '../../config.js';
import { createRedisClient } from './redis-client.js';
import { AGGREGATES_CHANNEL, bucketKeys } from '../../aggregates/aggregate-keys.js';
import type { AggregateDeltas, BucketDelta } from '../../aggregates/types.js';
import { APPLY_BUCKET_DELTA_LUA } from './apply-bucket-delta-script.js';

/** Retention and size settings of the aggregates. */
export interface AggregateStoreOptions {
  /** TTL of minute buckets (default 48 h). */
  readonly minuteTtlSeconds?: number;
  /** TTL of hour buckets (default 90 days). */
  readonly hourTtlSeconds?: number;
  /** Values kept per top-K sorted set (default 1,000); the top few stay exact for skewed data. */
  readonly topKeep?: number;
}

/** What an apply did. */
export interface ApplyReport {
  readonly applied: number;
  readonly alreadyApplied: number;
}

/**
 * The store a function uses, from its validated config (Redis URLs, cluster mode, TTLs).
 *
 * @example const store = aggregateStoreFor(loadConfig(process.env));
 */
export function aggregateStoreFor(config: PipelineConfig): RedisAggregateStore {
  return new RedisAggregateStore(createRedisClient({ urls: config.redisUrls, cluster: config.redisCluster }), {
    minuteTtlSeconds: config.aggregateMinuteTtlSeconds,
    hourTtlSeconds: config.aggregateHourTtlSeconds,
  });
}

type ScriptClient = (Redis | Cluster) & {
  applyBucketDelta(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * @example const store = new RedisAggregateStore(new Redis(url)); await store.apply(deltas);
 */
export class RedisAggregateStore {
  private readonly redis: ScriptClient;
  private readonly minuteTtl: number;
  private readonly hourTtl: number;
  private readonly topKeep: number;

  constructor(redis: Redis | Cluster, options: AggregateStoreOptions = {}) {
    redis.defineCommand('applyBucketDelta', { lua: APPLY_BUCKET_DELTA_LUA });
    this.redis = redis as ScriptClient;
    this.minuteTtl = options.minuteTtlSeconds ?? 48 * 3600;
    this.hourTtl = options.hourTtlSeconds ?? 90 * 86_400;
    this.topKeep = options.topKeep ?? 1000;
  }

  /** Applies every bucket of a batch (idempotently) and publishes the changed metrics. */
  async apply(deltas: AggregateDeltas): Promise<ApplyReport> {
    const results = await Promise.all(deltas.buckets.map((bucket) => this.applyBucket(deltas.batchId, bucket)));
    const applied = results.filter((r) => r === 1).length;
    if (applied > 0) {
      const metrics = [...new Set(deltas.buckets.map((b) => `${b.source}/${b.eventType}`))];
      await this.redis.publish(AGGREGATES_CHANNEL, JSON.stringify({ batchId: deltas.batchId, metrics }));
    }
    return { applied, alreadyApplied: results.length - applied };
  }

  private applyBucket(batchId: string, bucket: BucketDelta): Promise<number> {
    const keys = bucketKeys(bucket);
    const topFields = Object.keys(bucket.top);
    const payload = JSON.stringify({
      count: bucket.count,
      late: bucket.late,
      lag: Math.round(bucket.lagMsSum),
      maxTs: bucket.maxEventTs,
      sums: bucket.sums,
      uniques: bucket.uniques,
      top: topFields.map((f) => bucket.top[f]),
    });
    const ttl = bucket.granularity === 'minute' ? this.minuteTtl : this.hourTtl;
    const allKeys = [keys.counters, keys.uniques, keys.applied, ...topFields.map((f) => keys.top(f))];
    return this.redis.applyBucketDelta(allKeys.length, ...allKeys, batchId, ttl, this.topKeep, payload);
  }
}
