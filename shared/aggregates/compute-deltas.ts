// Computes what a batch adds to the live aggregates, per source, event type and minute/hour
// bucket of event time. Pure: runs before the commit so the deltas go into the outbox in the
// same transaction as the manifest.
import type { EventEnvelope } from '../envelope/types.js';
import { isLate } from '../lake/partition.js';
import type { AggregateDeltas, AggregateSpec, BucketDelta, Granularity } from './types.js';

const BUCKET_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000 };
const GRANULARITIES: readonly Granularity[] = ['minute', 'hour'];
/** Ranked values are truncated: a top-K of URLs must not store megabyte strings. */
const MAX_TOP_VALUE_LENGTH = 200;

interface MutableBucket {
  source: string;
  eventType: string;
  granularity: Granularity;
  bucketStart: number;
  count: number;
  late: number;
  lagMsSum: number;
  maxEventTs: number;
  sums: Record<string, number>;
  uniques: Set<string>;
  top: Record<string, Record<string, number>>;
}

/**
 * The deltas of a batch's valid events. Event types without a spec still count events.
 *
 * @example computeDeltas('events/shardId-0/1-9', events, specs, { lateThresholdMs: 300_000 })
 */
export function computeDeltas(
  batchId: string,
  events: readonly EventEnvelope[],
  specs: ReadonlyMap<string, AggregateSpec>,
  options: { lateThresholdMs: number },
): AggregateDeltas {
  // Nested maps (source+type, then bucket start) avoid building a string key per event.
  const byMetric = new Map<string, Map<number, MutableBucket>>();
  const all: MutableBucket[] = [];
  for (const event of events) {
    const spec = specs.get(event.eventType);
    const late = isLate(event, options.lateThresholdMs);
    const metricId = event.source + '\u0000' + event.eventType;
    let metric = byMetric.get(metricId);
    if (!metric) byMetric.set(metricId, (metric = new Map()));
    for (const granularity of GRANULARITIES) {
      const size = BUCKET_MS[granularity];
      const bucketStart = Math.floor(event.eventTs / size) * size;
      // Minute and hour starts never collide: an hour start is also a minute start, so the
      // hour bucket is keyed by its negated start.
      const id = granularity === 'minute' ? bucketStart : -bucketStart - 1;
      let bucket = metric.get(id);
      if (!bucket) {
        bucket = {
          source: event.source,
          eventType: event.eventType,
          granularity,
          bucketStart,
          count: 0,
          late: 0,
          lagMsSum: 0,
          maxEventTs: 0,
          sums: {},
          uniques: new Set(),
          top: {},
        };
        metric.set(id, bucket);
        all.push(bucket);
      }
      addEvent(bucket, event, spec, late);
    }
  }
  return { batchId, buckets: all.map(freeze) };
}

function addEvent(bucket: MutableBucket, event: EventEnvelope, spec: AggregateSpec | undefined, late: boolean): void {
  bucket.count += 1;
  if (late) bucket.late += 1;
  bucket.lagMsSum += Math.max(0, event.arrivalTs - event.eventTs);
  if (event.eventTs > bucket.maxEventTs) bucket.maxEventTs = event.eventTs;
  if (!spec) return;
  for (const field of spec.sumFields) {
    const value = event.payload[field];
    if (typeof value === 'number' && Number.isFinite(value)) bucket.sums[field] = (bucket.sums[field] ?? 0) + value;
  }
  if (spec.uniqueField) {
    const value = event.payload[spec.uniqueField];
    if (typeof value === 'string' || typeof value === 'number') bucket.uniques.add(String(value));
  }
  for (const field of spec.topFields) {
    const value = event.payload[field];
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    const key = rankedValue(value);
    const counts = (bucket.top[field] ??= {});
    counts[key] = (counts[key] ?? 0) + 1;
  }
}

/**
 * The value ranked for a field. URLs rank by origin and path: query strings (tracking
 * parameters, ids) would make every page view its own "page" and the top-K unbounded.
 */
export function rankedValue(value: string | number): string {
  let text = String(value);
  if (/^https?:\/\//.test(text)) {
    const cut = text.search(/[?#]/);
    if (cut !== -1) text = text.slice(0, cut);
  }
  return text.slice(0, MAX_TOP_VALUE_LENGTH);
}

function freeze(b: MutableBucket): BucketDelta {
  return { ...b, uniques: [...b.uniques] };
}
