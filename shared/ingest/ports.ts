// The stores the ingest core talks to, as small interfaces; adapters live in shared/stores.
import type { AggregateDeltas } from '../aggregates/types.js';
import type { LakePartition } from '../lake/partition.js';

/** Reads a shard's committed checkpoint: the last sequence number in the lake, or null. */
export interface CheckpointReader {
  readCheckpoint(stream: string, shard: string): Promise<string | null>;
}

/** Writes objects to the lake bucket. Overwriting a key must be allowed (retries do). */
export interface LakeObjectWriter {
  putObject(key: string, body: Uint8Array, contentType: string): Promise<void>;
}

/** A lake file as the manifest records it. */
export interface ManifestEntry {
  readonly key: string;
  readonly partition: LakePartition;
  readonly stream: string;
  readonly shard: string;
  readonly firstSeq: string;
  readonly lastSeq: string;
  readonly recordCount: number;
  readonly byteSize: number;
  readonly minEventTs: number;
  readonly maxEventTs: number;
  readonly lateCount: number;
  readonly schemaVersions: readonly number[];
}

/** A quarantined item as the `quarantine` table records it. */
export interface QuarantineEntry {
  readonly objectKey: string;
  /** Line of the item in the quarantine object (0-based). */
  readonly line: number;
  readonly origin: string;
  readonly stream: string;
  readonly shard: string;
  readonly seq: string;
  readonly subIndex: number;
  readonly source: string | null;
  readonly code: string;
  readonly reason: string;
  /** When the record first arrived, epoch milliseconds. */
  readonly arrivalTs: number;
}

/** Everything a batch commits in one transaction. */
export interface BatchCommit {
  readonly stream: string;
  readonly shard: string;
  /** What marks the batch's records as done: the shard checkpoint, or the queue's event ids. */
  readonly progress: CommitProgress;
  readonly files: readonly ManifestEntry[];
  readonly quarantine: readonly QuarantineEntry[];
  /** The batch's aggregate deltas, written to the outbox in the same transaction. */
  readonly aggregates?: AggregateDeltas;
}

/**
 * A shard advances its checkpoint by compare-and-set from the value read before processing
 * (the commit fails if it moved meanwhile). The queue has no order: it records the event
 * ids it committed, and the commit fails if another delivery committed one of them first.
 */
export type CommitProgress =
  | { readonly kind: 'checkpoint'; readonly expected: string | null; readonly next: string }
  | { readonly kind: 'event-ids'; readonly events: readonly EventKey[] };

/** An event's identity for deduplication: the producer's event id, unique per source. */
export interface EventKey {
  readonly source: string;
  readonly eventId: string;
}

/** Commits manifest rows, quarantine rows, the outbox row and the progress atomically. */
export interface BatchCommitter {
  commitBatch(commit: BatchCommit): Promise<void>;
}

/** Finds which events the queue consumer already committed (within the dedupe window). */
export interface CommittedEventIndex {
  /** The keys, as `source + '\u0000' + eventId`, of those already committed. */
  findCommitted(events: readonly EventKey[]): Promise<Set<string>>;
}

/**
 * The string form of an event key, as {@link CommittedEventIndex.findCommitted} returns it.
 *
 * @example eventKeyString('acme', 'e1') // 'acme\u0000e1'
 */
export function eventKeyString(source: string, eventId: string): string {
  return `${source}\u0000${eventId}`;
}
