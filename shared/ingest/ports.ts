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
  readonly arrivalTs: number;
}

/** Everything a batch commits in one transaction. */
export interface BatchCommit {
  readonly stream: string;
  readonly shard: string;
  /** The checkpoint read before processing; the commit fails if it moved meanwhile. */
  readonly expectedCheckpoint: string | null;
  readonly nextCheckpoint: string;
  readonly files: readonly ManifestEntry[];
  readonly quarantine: readonly QuarantineEntry[];
  /** The batch's aggregate deltas, written to the outbox in the same transaction. */
  readonly aggregates?: AggregateDeltas;
}

/** Commits manifest rows, quarantine rows and the checkpoint atomically (compare-and-set). */
export interface BatchCommitter {
  commitBatch(commit: BatchCommit): Promise<void>;
}
