// Types of the live aggregates: per-event-type configuration and the deltas of one batch.

/** Which fields of an event type are aggregated (a row of `aggregate_specs`). */
export interface AggregateSpec {
  readonly eventType: string;
  readonly sumFields: readonly string[];
  readonly uniqueField: string | null;
  readonly topFields: readonly string[];
}

/** Bucket sizes of the live aggregates. */
export type Granularity = 'minute' | 'hour';

/** What one batch adds to one bucket of one source and event type. */
export interface BucketDelta {
  readonly source: string;
  readonly eventType: string;
  readonly granularity: Granularity;
  /** Bucket start, epoch ms UTC. */
  readonly bucketStart: number;
  readonly count: number;
  readonly late: number;
  /** Sum over events of arrival minus event time (ms, never negative): ingest lag. */
  readonly lagMsSum: number;
  /** Latest event time in the bucket from this batch, epoch ms. */
  readonly maxEventTs: number;
  readonly sums: Record<string, number>;
  /**
   * Distinct values of the spec's unique field in this batch and bucket; empty for hour
   * buckets, whose sketch is merged from their minutes' sketches when applied.
   */
  readonly uniques: string[];
  /** Per ranked field: value → occurrences in this batch and bucket. */
  readonly top: Record<string, Record<string, number>>;
}

/** The aggregate deltas of one committed batch, applied to Redis at most once by `batchId`. */
export interface AggregateDeltas {
  readonly batchId: string;
  readonly buckets: BucketDelta[];
}
