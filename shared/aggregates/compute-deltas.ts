// Computes what a batch adds to the live aggregates, per source, event type and minute/hour
// bucket of event time. Pure: runs before the commit so the deltas go into the outbox in the
// same transaction as the manifest.
import type { EventEnvelope } from '../envelope/types.js';
import { isLate } from '../lake/partition.js';
import { BUCKET_MS } from './aggregate-keys.js';
import type { AggregateDeltas, AggregateSpec, BucketDelta, Granularity } from './types.js';

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
  uniques: Set<string> | null;
  top: Map<string, Map<string, number>>;
}

/** What one event adds to each of its buckets, worked out once for both granularities. */
interface EventContribution {
  late: boolean;
  lagMs: number;
  sums: [field: string, value: number][];
  unique: string | null;
  top: [field: string, value: string][];
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
  // Nested maps (source, type, then bucket start) avoid building a string key per event.
  const bySource = new Map<string, Map<string, Map<number, MutableBucket>>>();
  const all: MutableBucket[] = [];
  for (const event of events) {
    const contribution = contributionOf(event, specs.get(event.eventType), options.lateThresholdMs);
    let byType = bySource.get(event.source);
    if (!byType) bySource.set(event.source, (byType = new Map()));
    let metric = byType.get(event.eventType);
    if (!metric) byType.set(event.eventType, (metric = new Map()));
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
          // An hour's sketch is the union of its minutes' sketches (every event counts in
          // both), so the aggregate store merges it in Redis; listing the hour's values too
          // would double the outbox row and the PFADD work.
          uniques: granularity === 'minute' ? new Set() : null,
          top: new Map(),
        };
        metric.set(id, bucket);
        all.push(bucket);
      }
      addEvent(bucket, event.eventTs, contribution);
    }
  }
  return { batchId, buckets: all.map(freeze) };
}

function contributionOf(event: EventEnvelope, spec: AggregateSpec | undefined, lateThresholdMs: number): EventContribution {
  const contribution: EventContribution = {
    late: isLate(event, lateThresholdMs),
    lagMs: Math.max(0, event.arrivalTs - event.eventTs),
    sums: [],
    unique: null,
    top: [],
  };
  if (!spec) return contribution;
  for (const field of spec.sumFields) {
    const value = event.payload[field];
    if (typeof value === 'number' && Number.isFinite(value)) contribution.sums.push([field, value]);
  }
  if (spec.uniqueField) {
    const value = event.payload[spec.uniqueField];
    if (typeof value === 'string' || typeof value === 'number') contribution.unique = String(value);
  }
  for (const field of spec.topFields) {
    const value = event.payload[field];
    if (typeof value === 'string' || typeof value === 'number') contribution.top.push([field, rankedValue(value)]);
  }
  return contribution;
}

function addEvent(bucket: MutableBucket, eventTs: number, contribution: EventContribution): void {
  bucket.count += 1;
  if (contribution.late) bucket.late += 1;
  bucket.lagMsSum += contribution.lagMs;
  if (eventTs > bucket.maxEventTs) bucket.maxEventTs = eventTs;
  for (const [field, value] of contribution.sums) bucket.sums[field] = (bucket.sums[field] ?? 0) + value;
  if (contribution.unique !== null) bucket.uniques?.add(contribution.unique);
  for (const [field, value] of contribution.top) {
    let counts = bucket.top.get(field);
    if (!counts) bucket.top.set(field, (counts = new Map()));
    counts.set(value, (counts.get(value) ?? 0) + 1);
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
  const top: Record<string, Record<string, number>> = {};
  for (const [field, counts] of b.top) top[field] = Object.fromEntries(counts);
  return { ...b, uniques: b.uniques ? [...b.uniques] : [], top };
}
