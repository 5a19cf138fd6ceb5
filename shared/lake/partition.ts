// Assigns each event to its lake partition by event time (not arrival time), so late events
// land in their true hour and are counted as late.

/** The Hive-style partition of the lake an event belongs to. */
export interface LakePartition {
  readonly source: string;
  readonly eventType: string;
  /** `YYYY-MM-DD` of event time, UTC. */
  readonly dt: string;
  /** `HH` of event time, UTC. */
  readonly hour: string;
}

/**
 * The partition of an event.
 *
 * @example partitionKeyFor({ source: 'web', eventType: 'page_view', eventTs: Date.UTC(2026, 10, 26, 9) })
 * // { source: 'web', eventType: 'page_view', dt: '2026-11-26', hour: '09' }
 */
export function partitionKeyFor(event: { source: string; eventType: string; eventTs: number }): LakePartition {
  const { dt, hour } = utcHourOf(event.eventTs);
  return { source: event.source, eventType: event.eventType, dt, hour };
}

const HOUR_MS = 3_600_000;
/** Formatting a date per event is a hot spot; a batch spans few hours, so remember them. */
const hourCache = new Map<number, { dt: string; hour: string }>();
const MAX_CACHED_HOURS = 10_000;

function utcHourOf(eventTs: number): { dt: string; hour: string } {
  const bucket = Math.floor(eventTs / HOUR_MS);
  let cached = hourCache.get(bucket);
  if (!cached) {
    if (hourCache.size >= MAX_CACHED_HOURS) hourCache.clear();
    const iso = new Date(bucket * HOUR_MS).toISOString();
    cached = { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
    hourCache.set(bucket, cached);
  }
  return cached;
}

/**
 * An event is late when its event time is older than its arrival by more than the threshold.
 *
 * @example isLate({ eventTs: 0, arrivalTs: 600_000 }, 300_000) === true
 */
export function isLate(event: { eventTs: number; arrivalTs: number }, lateThresholdMs: number): boolean {
  return event.arrivalTs - event.eventTs > lateThresholdMs;
}
