// The read model of the live aggregates (used by the metrics CLI, and later REST, GraphQL
// and WebSocket): time series, unique counts and top-K over a range of buckets. Works on a
// single Redis and on Redis Cluster: nothing here sends one command over keys of two slots.
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { BUCKET_MS, bucketKeys, hourStartOf } from './aggregate-keys.js';
import type { Granularity } from './types.js';

/** One bucket of a series. */
export interface SeriesPoint {
  readonly bucketStart: number;
  readonly count: number;
  readonly late: number;
  /** Mean arrival-minus-event-time of the bucket's events, ms (null when empty). */
  readonly avgIngestLagMs: number | null;
  readonly sums: Record<string, number>;
}

/** How current a metric is. */
export interface Freshness {
  /** Newest event time counted, epoch ms (null: nothing in the last two hours). */
  readonly lastEventTs: number | null;
  /** When the counters last changed, epoch ms (Redis server clock). */
  readonly lastAppliedAt: number | null;
}

/** A range of buckets of one source and event type. */
export interface MetricRange {
  readonly source: string;
  readonly eventType: string;
  readonly granularity: Granularity;
  /** Inclusive start and exclusive end, epoch ms; aligned down to buckets. */
  readonly from: number;
  readonly to: number;
}

/** @example const points = await new AggregateReader(redis).series({ source: 'web', eventType: 'page_view', granularity: 'minute', from, to }); */
export class AggregateReader {
  constructor(private readonly redis: Redis | Cluster) {}

  /** Every bucket in the range, zeros where nothing arrived. */
  async series(range: MetricRange): Promise<SeriesPoint[]> {
    const starts = bucketStarts(range);
    const hashes = await Promise.all(starts.map((bucketStart) => this.redis.hgetall(bucketKeys({ ...range, bucketStart }).counters)));
    return starts.map((bucketStart, i) => {
      const hash = hashes[i]!;
      const sums: Record<string, number> = {};
      for (const [field, value] of Object.entries(hash)) if (field.startsWith('sum:')) sums[field.slice(4)] = Number(value);
      const count = Number(hash['count'] ?? 0);
      const avgIngestLagMs = count > 0 ? Number(hash['lag_ms'] ?? 0) / count : null;
      return { bucketStart, count, late: Number(hash['late'] ?? 0), avgIngestLagMs, sums };
    });
  }

  /** The newest event and apply time of a metric, from its current and previous hour buckets. */
  async freshness(source: string, eventType: string, now = Date.now()): Promise<Freshness> {
    const hour = hourStartOf(now);
    const hashes = await Promise.all(
      [hour, hour - BUCKET_MS.hour].map((bucketStart) => this.redis.hmget(bucketKeys({ source, eventType, granularity: 'hour', bucketStart }).counters, 'max_ts', 'applied_ms')),
    );
    const max = (i: number) => {
      const values = hashes.map((h) => Number(h[i] ?? 0)).filter((v) => v > 0);
      return values.length > 0 ? Math.max(...values) : null;
    };
    return { lastEventTs: max(0), lastAppliedAt: max(1) };
  }

  /**
   * Distinct values of the unique field over the range (HyperLogLog, ~0.81% standard error).
   * The buckets' sketches are copied under one hash tag and merged there, since PFCOUNT over
   * several keys is refused across cluster slots.
   */
  async uniques(range: MetricRange): Promise<number> {
    const sketches = await Promise.all(bucketStarts(range).map((bucketStart) => this.redis.getBuffer(bucketKeys({ ...range, bucketStart }).uniques)));
    const present = sketches.filter((s): s is Buffer => s !== null);
    if (present.length === 0) return 0;
    const tag = `{reader-${randomUUID()}}`;
    const temp = present.map((_, i) => `tmp:${tag}:${i}`);
    const merged = `tmp:${tag}:merged`;
    try {
      await Promise.all(present.map((sketch, i) => this.redis.set(temp[i]!, sketch, 'EX', 60)));
      await this.redis.pfmerge(merged, ...temp);
      return await this.redis.pfcount(merged);
    } finally {
      await this.redis.del(merged, ...temp);
    }
  }

  /** The k most frequent values of a ranked field over the range, merged across buckets. */
  async top(range: MetricRange, field: string, k: number): Promise<{ value: string; count: number }[]> {
    const lists = await Promise.all(
      bucketStarts(range).map((bucketStart) => this.redis.zrange(bucketKeys({ ...range, bucketStart }).top(field), 0, -1, 'WITHSCORES')),
    );
    const totals = new Map<string, number>();
    for (const list of lists) {
      for (let i = 0; i < list.length; i += 2) totals.set(list[i]!, (totals.get(list[i]!) ?? 0) + Number(list[i + 1]));
    }
    return [...totals]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
      .slice(0, k);
  }
}

/** Bucket starts covering [from, to). */
export function bucketStarts(range: Pick<MetricRange, 'granularity' | 'from' | 'to'>): number[] {
  const size = BUCKET_MS[range.granularity];
  const starts: number[] = [];
  for (let t = Math.floor(range.from / size) * size; t < range.to; t += size) starts.push(t);
  return starts;
}
