// The exactly-once commit protocol for one batch of one shard (DESIGN.md "Exactly once"):
// read checkpoint → skip committed records → write Parquet + quarantine objects under
// deterministic keys → commit manifest, quarantine rows and checkpoint in one transaction.
import { performance } from 'node:perf_hooks';
import { computeDeltas } from '../aggregates/compute-deltas.js';
import type { AggregateDeltas, AggregateSpec } from '../aggregates/types.js';
import type { SourceRecord } from '../envelope/types.js';
import { compareSeq } from '../envelope/sequence.js';
import { RetryableError } from '../errors.js';
import { quarantineKey, shardKeyOf } from '../lake/object-keys.js';
import { applyAggregates, writeLakeFiles, writeQuarantine } from './batch-writes.js';
import type { ParquetEncoder } from '../lake/parquet-encoder.js';
import type { SchemaRegistry } from '../schema/schema-registry.js';
import { decodeBatch, selectFresh } from './decode-batch.js';
import { planLakeFiles } from './plan-lake-files.js';
import type { BatchCommitter, CheckpointReader, LakeObjectWriter, ManifestEntry } from './ports.js';

/** Points in the protocol where a crash matters; tests inject failures there. */
export type CommitStep = 'after-checkpoint-read' | 'after-objects-written' | 'after-commit';

/** The stores and helpers the protocol runs on, created once per container. */
export interface IngestDependencies {
  readonly checkpoints: CheckpointReader;
  readonly objects: LakeObjectWriter;
  readonly committer: BatchCommitter;
  readonly registry: SchemaRegistry;
  readonly encoder: ParquetEncoder;
  /** Live aggregates; without them the lake is written and no deltas are kept. */
  readonly aggregates?: AggregateDependencies;
}

/** Where aggregate configuration comes from and where deltas go after the commit. */
export interface AggregateDependencies {
  readonly specs: { current(): Promise<ReadonlyMap<string, AggregateSpec>> };
  readonly sink: { apply(deltas: AggregateDeltas): Promise<unknown> };
  readonly outbox: { markApplied(batchId: string): Promise<void> };
}

/** Settings of one ingest run. */
export interface IngestOptions {
  readonly lateThresholdMs: number;
  /** Parallel S3 uploads per batch. */
  readonly uploadConcurrency?: number;
  readonly now?: () => number;
  /** Test seam: called at each step; a throw here behaves like a crash at that point. */
  readonly onStep?: (step: CommitStep) => void | Promise<void>;
  /** Redis failed after the commit: the deltas stay in the outbox for the drain. */
  readonly onAggregatesPending?: (batchId: string, error: unknown) => void;
}

/** What one batch did. */
export interface IngestOutcome {
  readonly stream: string;
  readonly shard: string;
  readonly received: number;
  /** Records at or below the checkpoint: already committed by an earlier delivery. */
  readonly skipped: number;
  readonly events: number;
  readonly lateEvents: number;
  readonly files: readonly ManifestEntry[];
  readonly quarantined: number;
  /** The checkpoint after this batch (unchanged when everything was skipped). */
  readonly checkpoint: string | null;
  /** Whether the batch's aggregate deltas reached Redis, wait in the outbox, or are off. */
  readonly aggregates: 'applied' | 'pending' | 'off';
  /** Where the batch's time went, in ms, for the 'batch committed' log line. */
  readonly durationsMs: BatchDurations;
}

/**
 * Milliseconds per step of a batch: reading the checkpoint, decoding and planning (with the
 * aggregate deltas), encoding and writing the S3 objects, the Postgres commit, and applying
 * the deltas to Redis.
 */
export interface BatchDurations {
  readonly checkpoint: number;
  readonly plan: number;
  readonly write: number;
  readonly commit: number;
  readonly aggregates: number;
}

/** Times consecutive steps: each call returns the ms since the previous one. */
function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const elapsed = Math.round((now - last) * 10) / 10;
    last = now;
    return elapsed;
  };
}

/**
 * A store failed mid-batch. Nothing after `retryFromSeq` is committed, so Lambda should
 * redeliver from there (the first record the batch did not commit).
 */
export class BatchIngestError extends RetryableError {
  constructor(
    readonly retryFromSeq: string,
    options: { cause: unknown },
  ) {
    super(`batch failed; retry from sequence ${retryFromSeq}: ${(options.cause as Error)?.message ?? options.cause}`, options);
  }
}

const DEFAULT_UPLOAD_CONCURRENCY = 8;

/**
 * Runs the commit protocol for records of one shard, in delivery order.
 * Bad data is quarantined and never fails the batch; a store failure throws {@link BatchIngestError}.
 *
 * @example const outcome = await ingestShardBatch(sourceRecordsFromKinesis(event), deps, { lateThresholdMs: 300_000 });
 */
export async function ingestShardBatch(
  records: readonly SourceRecord[],
  deps: IngestDependencies,
  options: IngestOptions,
): Promise<IngestOutcome> {
  if (records.length === 0) throw new Error('ingestShardBatch needs at least one record');
  const { stream, shard } = records[0]!;
  if (records.some((r) => r.stream !== stream || r.shard !== shard)) {
    throw new Error('ingestShardBatch takes the records of one shard; group them first');
  }
  let retryFrom = records[0]!.seq;
  const lap = stopwatch();
  try {
    const checkpoint = await deps.checkpoints.readCheckpoint(stream, shard);
    const checkpointMs = lap();
    const { fresh, skipped } = selectFresh(records, checkpoint);
    await options.onStep?.('after-checkpoint-read');
    const base = { stream, shard, received: records.length, skipped };
    if (fresh.length === 0) {
      const durationsMs = { checkpoint: checkpointMs, plan: 0, write: 0, commit: 0, aggregates: 0 };
      return { ...base, events: 0, lateEvents: 0, files: [], quarantined: 0, checkpoint, aggregates: 'off', durationsMs };
    }
    retryFrom = fresh[0]!.seq;

    const decoded = decodeBatch(fresh);
    await deps.registry.prepare(decoded.events.map((e) => [e.eventType, e.schemaVersion] as const));
    const shardKey = shardKeyOf(stream, shard);
    const plan = planLakeFiles(decoded.events, deps.registry, { shardKey, lateThresholdMs: options.lateThresholdMs });
    const quarantined = [...decoded.quarantined, ...plan.quarantined];
    const firstSeq = fresh[0]!.seq;
    const lastSeq = fresh.reduce((max, r) => (compareSeq(r.seq, max) > 0 ? r.seq : max), firstSeq);

    const aggregates = deps.aggregates
      ? computeDeltas(`${stream}/${shard}/${firstSeq}-${lastSeq}`, plan.files.flatMap((f) => f.events), await deps.aggregates.specs.current(), {
          lateThresholdMs: options.lateThresholdMs,
        })
      : undefined;

    const planMs = lap();
    const ingestedAt = (options.now ?? Date.now)();
    const files = await writeLakeFiles(plan.files, deps, ingestedAt, options.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY);
    const quarantine = await writeQuarantine(quarantined, deps.objects, (arrivalDt) => quarantineKey(stream, arrivalDt, shardKey, firstSeq, lastSeq));
    await options.onStep?.('after-objects-written');
    const writeMs = lap();

    const progress = { kind: 'checkpoint', expected: checkpoint, next: lastSeq } as const;
    await deps.committer.commitBatch({ stream, shard, progress, files, quarantine, aggregates });
    await options.onStep?.('after-commit');
    const commitMs = lap();

    const events = files.reduce((n, f) => n + f.recordCount, 0);
    const lateEvents = files.reduce((n, f) => n + f.lateCount, 0);
    const applied = aggregates ? await applyAggregates(aggregates, deps.aggregates!, options.onAggregatesPending) : 'off';
    const durationsMs = { checkpoint: checkpointMs, plan: planMs, write: writeMs, commit: commitMs, aggregates: lap() };
    return { ...base, events, lateEvents, files, quarantined: quarantined.length, checkpoint: lastSeq, aggregates: applied, durationsMs };
  } catch (cause) {
    throw new BatchIngestError(retryFrom, { cause });
  }
}
