// Runs the commit protocol over a trigger's batch, one shard at a time, and reports which
// shards must be redelivered from where. Used by every stream trigger (Kinesis, Kafka).
import type { SourceRecord } from '../envelope/types.js';
import { RetryableError } from '../errors.js';
import { BatchIngestError, ingestShardBatch, type IngestDependencies, type IngestOptions, type IngestOutcome } from './ingest-shard-batch.js';

/** A shard whose batch failed on infrastructure and must be redelivered from `retryFromSeq`. */
export interface ShardFailure {
  readonly stream: string;
  readonly shard: string;
  readonly retryFromSeq: string;
  readonly error: BatchIngestError;
}

/** The result of a whole trigger batch. */
export interface StreamBatchResult {
  readonly outcomes: IngestOutcome[];
  readonly failures: ShardFailure[];
}

/**
 * Shards of a batch failed and the trigger can only redeliver the batch whole (Kafka has no
 * partial batch response). Safe to retry: the redelivery skips what each shard committed.
 *
 * @example if (failures.length > 0) throw new ShardsFailedError(failures);
 */
export class ShardsFailedError extends RetryableError {
  constructor(readonly failures: readonly ShardFailure[]) {
    const where = failures.map((f) => `${f.shard} from ${f.retryFromSeq}`).join(', ');
    super(`${failures.length} shard(s) failed, batch to be redelivered: ${where}`, { cause: failures[0]?.error });
  }
}

/**
 * Groups records by stream and shard (delivery order kept) and ingests each group.
 * Shards are independent: one shard's failure does not stop the others.
 *
 * @example const { failures } = await ingestStreamBatch(records, deps, options);
 */
export async function ingestStreamBatch(
  records: readonly SourceRecord[],
  deps: IngestDependencies,
  options: IngestOptions,
): Promise<StreamBatchResult> {
  const outcomes: IngestOutcome[] = [];
  const failures: ShardFailure[] = [];
  for (const group of groupByShard(records)) {
    try {
      outcomes.push(await ingestShardBatch(group, deps, options));
    } catch (error) {
      if (!(error instanceof BatchIngestError)) throw error;
      failures.push({ stream: group[0]!.stream, shard: group[0]!.shard, retryFromSeq: error.retryFromSeq, error });
    }
  }
  return { outcomes, failures };
}

function groupByShard(records: readonly SourceRecord[]): SourceRecord[][] {
  const groups = new Map<string, SourceRecord[]>();
  for (const record of records) {
    const id = `${record.stream}\u0000${record.shard}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = []));
    group.push(record);
  }
  return [...groups.values()];
}
