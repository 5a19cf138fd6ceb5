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
  const iso = new Date(event.eventTs).toISOString();
  return { source: event.source, eventType: event.eventType, dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** A stable string for grouping events by partition. */
export function partitionId(p: LakePartition): string {
  return `${p.source}/${p.eventType}/${p.dt}/${p.hour}`;
}

/**
 * An event is late when its event time is older than its arrival by more than the threshold.
 *
 * @example isLate({ eventTs: 0, arrivalTs: 600_000 }, 300_000) === true
 */
export function isLate(event: { eventTs: number; arrivalTs: number }, lateThresholdMs: number): boolean {
  return event.arrivalTs - event.eventTs > lateThresholdMs;
}
