// Applies aggregate deltas to Redis (single node or cluster) with one Lua script per hour of
// each metric a batch touches, each applying the batch at most once, then publishes the
// changed metric names.
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { PipelineConfig } from '../../config.js';
import { createRedisClient } from './redis-client.js';
import { aggregatesChannel, appliedBatchesKey, bucketKeys, hourStartOf, type HourOfMetric } from '../../aggregates/aggregate-keys.js';
import type { AggregateDeltas, BucketDelta } from '../../aggregates/types.js';
import { APPLY_HOUR_DELTA_LUA } from './apply-hour-delta-script.js';

/** Retention and size settings of the aggregates. */
export interface AggregateStoreOptions {
  /** TTL of minute buckets (default 48 h). */
  readonly minuteTtlSeconds?: number;
  /** TTL of hour buckets (default 90 days). */
  readonly hourTtlSeconds?: number;
  /**
   * How long an applied batch is remembered (default 48 h). Re-applying the same outbox row
   * later than this would count it twice; that needs Postgres unreachable that long right
   * after an apply (the row is marked applied in the next statement, the drain retries it).
   */
  readonly appliedTtlSeconds?: number;
  /** Values kept per top-K sorted set (default 1,000); the top few stay exact for skewed data. */
  readonly topKeep?: number;
}

/** The default dedupe window of applied batches: the minute buckets' default lifetime. */
export const DEFAULT_APPLIED_TTL_SECONDS = 48 * 3600;

/** What an apply did, in buckets. */
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
  return new RedisAggregateStore(createRedisClient({ urls: config.redisUrls, cluster: config.redisCluster, keyPrefix: config.redisKeyPrefix }), {
    minuteTtlSeconds: config.aggregateMinuteTtlSeconds,
    hourTtlSeconds: config.aggregateHourTtlSeconds,
    appliedTtlSeconds: config.aggregateAppliedTtlSeconds,
  });
}

type ScriptClient = (Redis | Cluster) & {
  applyHourDelta(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

/** The buckets of one batch in one hour of one metric: minutes first, the hour last. */
export interface HourGroup {
  readonly hour: HourOfMetric;
  readonly buckets: BucketDelta[];
}

/**
 * @example const store = new RedisAggregateStore(new Redis(url)); await store.apply(deltas);
 */
export class RedisAggregateStore {
  private readonly redis: ScriptClient;
  private readonly minuteTtl: number;
  private readonly hourTtl: number;
  private readonly appliedTtl: number;
  private readonly topKeep: number;
  private readonly channel: string;

  constructor(redis: Redis | Cluster, options: AggregateStoreOptions = {}) {
    redis.defineCommand('applyHourDelta', { lua: APPLY_HOUR_DELTA_LUA });
    this.redis = redis as ScriptClient;
    // The client's key prefix reaches every key (the script's too) but not the channel.
    this.channel = aggregatesChannel(redis.options.keyPrefix ?? '');
    this.minuteTtl = options.minuteTtlSeconds ?? 48 * 3600;
    this.hourTtl = options.hourTtlSeconds ?? 90 * 86_400;
    this.appliedTtl = options.appliedTtlSeconds ?? DEFAULT_APPLIED_TTL_SECONDS;
    this.topKeep = options.topKeep ?? 1000;
  }

  /**
   * Applies a batch (idempotently) with one script per hour of each metric it touches, then
   * publishes the changed metrics. The report counts buckets.
   */
  async apply(deltas: AggregateDeltas): Promise<ApplyReport> {
    const digest = batchDigest(deltas.batchId);
    const groups = hourGroups(deltas.buckets);
    const results = await Promise.all(groups.map((group) => this.applyHour(digest, group)));
    let applied = 0;
    results.forEach((result, i) => {
      if (result === 1) applied += groups[i]!.buckets.length;
    });
    if (applied > 0) {
      const metrics = [...new Set(deltas.buckets.map((b) => `${b.source}/${b.eventType}`))];
      await this.redis.publish(this.channel, JSON.stringify({ batchId: deltas.batchId, metrics }));
    }
    return { applied, alreadyApplied: deltas.buckets.length - applied };
  }

  private applyHour(digest: string, group: HourGroup): Promise<number> {
    const keys = [appliedBatchesKey(group.hour)];
    const buckets = group.buckets.map((bucket) => {
      const names = bucketKeys(bucket);
      const topFields = Object.keys(bucket.top);
      keys.push(names.counters, names.uniques, ...topFields.map((f) => names.top(f)));
      const isHour = bucket.granularity === 'hour';
      return {
        ttl: isHour ? this.hourTtl : this.minuteTtl,
        count: bucket.count,
        late: bucket.late,
        lag: Math.round(bucket.lagMsSum),
        maxTs: bucket.maxEventTs,
        sums: bucket.sums,
        uniques: bucket.uniques,
        top: topFields.map((f) => bucket.top[f]),
        merge: isHour,
      };
    });
    return this.redis.applyHourDelta(keys.length, ...keys, digest, this.appliedTtl, this.topKeep, JSON.stringify({ buckets }));
  }
}

/**
 * Applied batches are remembered by a 22-character digest of their id (132 bits of SHA-256),
 * not the id itself (~150 bytes for a Kinesis shard and two sequence numbers): the record
 * holds every batch of an hour for the dedupe window, so its size is what bounds Redis memory.
 */
function batchDigest(batchId: string): string {
  return createHash('sha256').update(batchId).digest('base64url').slice(0, 22);
}

/**
 * Groups buckets by metric and hour, each group's minute buckets before its hour bucket: one
 * group is one script call. Exported for the benchmark, which reports the count.
 */
export function hourGroups(buckets: readonly BucketDelta[]): HourGroup[] {
  const groups = new Map<string, { hour: HourOfMetric; buckets: BucketDelta[] }>();
  for (const bucket of buckets) {
    const id = `${bucket.source}\u0000${bucket.eventType}\u0000${hourStartOf(bucket.bucketStart)}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { hour: { source: bucket.source, eventType: bucket.eventType, at: bucket.bucketStart }, buckets: [] }));
    group.buckets.push(bucket);
  }
  for (const group of groups.values()) group.buckets.sort((a, b) => (a.granularity === b.granularity ? 0 : a.granularity === 'hour' ? 1 : -1));
  return [...groups.values()];
}
