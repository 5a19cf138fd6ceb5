// The common shapes every trigger is decoded into: the raw record as delivered, and the
// envelope of one event (see DESIGN.md "One envelope for every source").

/** Which kind of trigger delivered a record. */
export type Origin = 'kinesis' | 'kafka' | 'sqs';

/**
 * One record as its trigger delivered it, before the payload is decoded.
 * `seq` is comparable within a shard (Kinesis sequence number, Kafka offset).
 */
export interface SourceRecord {
  readonly origin: Origin;
  readonly stream: string;
  readonly shard: string;
  readonly seq: string;
  /** When the stream accepted the record, epoch milliseconds. */
  readonly arrivalTs: number;
  /** The payload, base64 as in the Lambda event shapes. */
  readonly dataBase64: string;
  /**
   * Set on a Kafka tombstone: a record whose value is null (a key's delete marker in a
   * compacted topic). It has no payload at all, unlike an empty one, so decoding quarantines
   * it as `tombstone` without reading `dataBase64` (then '').
   */
  readonly tombstone?: true;
  /**
   * The record's key as text: the Kinesis partition key, or the Kafka key (UTF-8, or
   * `base64:<bytes>` when the key is not valid UTF-8). Stored in the lake's `source_key`.
   */
  readonly key?: string;
  /** Kafka record headers as a JSON object of text values; stored in `source_headers`. */
  readonly headersJson?: string;
}

/** One event, validated against the producer contract, ready to be partitioned. */
export interface EventEnvelope {
  readonly source: string;
  readonly stream: string;
  readonly shard: string;
  readonly seq: string;
  /** Position of the event inside its record (NDJSON and arrays carry several). */
  readonly subIndex: number;
  readonly arrivalTs: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly schemaVersion: number;
  /** Event time, epoch milliseconds UTC. */
  readonly eventTs: number;
  /**
   * The event object as the producer sent it. Its contract fields (event_id, event_type,
   * source, ts, schema_version) are also here; payload consumers skip them. Not copying
   * the object per event saves a tenth of the ingest time in allocation and GC.
   */
  readonly payload: Record<string, unknown>;
  /** The record the event came from, so a later failure can quarantine it with its raw data. */
  readonly record: SourceRecord;
}

/** A record (or one event inside it) that cannot be ingested, and why. */
export interface QuarantinedItem {
  readonly record: SourceRecord;
  readonly subIndex: number;
  /** The producer's `source` field, when it could be read. */
  readonly source: string | null;
  readonly code: string;
  readonly reason: string;
  /** The offending text (one NDJSON line), or null when the whole record is the problem. */
  readonly fragment: string | null;
}
