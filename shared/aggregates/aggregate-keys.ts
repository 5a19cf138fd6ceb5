// The one place that knows the Redis key layout of the live aggregates. Every key of one
// hour of one source and event type (the hour bucket, its minute buckets, the applied batch
// ids) carries the same hash tag: one Lua script updates them all atomically on Redis
// Cluster (they live in one hash slot) as on a single Redis, and the hour's unique-user
// sketch is merged from its minutes' sketches inside that script.
import type { Granularity } from './types.js';

/** The length of a bucket of each granularity, ms. */
export const BUCKET_MS: Readonly<Record<Granularity, number>> = { minute: 60_000, hour: 3_600_000 };
const HOUR_MS = BUCKET_MS.hour;

/** The Redis keys of one bucket of one source and event type. */
export interface BucketKeys {
  /** Hash: count, late, lag_ms, max_ts, applied_ms, sum:<field>. */
  readonly counters: string;
  /** HyperLogLog of the unique field. */
  readonly uniques: string;
  /** Sorted set of a ranked field's values by frequency. */
  top(field: string): string;
}

/** What identifies one hour of one metric: the unit a batch is applied in. */
export interface HourOfMetric {
  readonly source: string;
  readonly eventType: string;
  /** Any time in the hour, epoch ms. */
  readonly at: number;
}

/**
 * @example bucketKeys({ source: 'web', eventType: 'page_view', granularity: 'minute', bucketStart: 60_000 }).counters
 * // 'agg:{web|page_view|0}:m:60000:c'
 */
export function bucketKeys(bucket: { source: string; eventType: string; granularity: Granularity; bucketStart: number }): BucketKeys {
  const prefix = `${hourPrefix({ source: bucket.source, eventType: bucket.eventType, at: bucket.bucketStart })}:${bucket.granularity === 'minute' ? `m:${bucket.bucketStart}` : 'h'}`;
  return {
    counters: `${prefix}:c`,
    uniques: `${prefix}:u`,
    top: (field) => `${prefix}:top:${field}`,
  };
}

/**
 * The set of (digests of) batch ids already applied to an hour of a metric: the idempotency
 * record of the hour bucket and all its minute buckets.
 *
 * @example appliedBatchesKey({ source: 'web', eventType: 'page_view', at: 0 }) // 'agg:{web|page_view|0}:applied'
 */
export function appliedBatchesKey(hour: HourOfMetric): string {
  return `${hourPrefix(hour)}:applied`;
}

/** The hour start of a time, epoch ms. */
export function hourStartOf(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

function hourPrefix(hour: HourOfMetric): string {
  // source and event_type are key-safe by contract (no braces), so the tag is unambiguous.
  return `agg:{${hour.source}|${hour.eventType}|${hourStartOf(hour.at)}}`;
}

/** The channel on which changed metric names are published after an apply (no key prefix). */
export const AGGREGATES_CHANNEL = 'agg:changed';

/**
 * The change channel under a key prefix: channels are not keys, so a client's key prefix
 * does not reach them, but stacks sharing a Redis must not hear each other's changes.
 *
 * @example aggregatesChannel('event_lake_local:') // 'event_lake_local:agg:changed'
 */
export function aggregatesChannel(keyPrefix: string): string {
  return `${keyPrefix}${AGGREGATES_CHANNEL}`;
}
