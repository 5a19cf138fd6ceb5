// The one place that knows the Redis key layout of the live aggregates. Every key of one
// bucket carries the same hash tag, so one Lua script can update them all on Redis Cluster
// (they live in one hash slot) as on a single Redis.
import type { Granularity } from './types.js';

/** The Redis keys of one bucket of one source and event type. */
export interface BucketKeys {
  /** Hash: count, late, sum:<field>. */
  readonly counters: string;
  /** HyperLogLog of the unique field. */
  readonly uniques: string;
  /** Set of batch ids already applied to this bucket (the idempotency record). */
  readonly applied: string;
  /** Sorted set of a ranked field's values by frequency. */
  top(field: string): string;
}

/**
 * @example bucketKeys({ source: 'web', eventType: 'page_view', granularity: 'minute', bucketStart: 0 }).counters
 * // 'agg:{web|page_view|m|0}:c'
 */
export function bucketKeys(bucket: { source: string; eventType: string; granularity: Granularity; bucketStart: number }): BucketKeys {
  // source and event_type are key-safe by contract (no braces), so the tag is unambiguous.
  const tag = `{${bucket.source}|${bucket.eventType}|${bucket.granularity === 'minute' ? 'm' : 'h'}|${bucket.bucketStart}}`;
  return {
    counters: `agg:${tag}:c`,
    uniques: `agg:${tag}:u`,
    applied: `agg:${tag}:applied`,
    top: (field) => `agg:${tag}:top:${field}`,
  };
}

/** The channel on which changed metric names are published after an apply. */
export const AGGREGATES_CHANNEL = 'agg:changed';
