// A local Kinesis event source mapping with Lambda's semantics: per-shard ordered polling,
// batch size and batching window, parallelization factor (ordered per partition key),
// partial batch responses (resume from the first failed record), bisect on error, bounded
// retries and record age, and the on-failure destination.
import { createHash, randomUUID } from 'node:crypto';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import { SendMessageCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { KinesisMappingConfig } from './event-source-mappings.js';
import { invokeOrFail, type LambdaInvoker } from './lambda-invoker.js';

/** Lambda's invocation payload limit (synchronous invoke): a batch is cut before it. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Kinesis GetRecords returns at most 10,000 records per call. */
const GET_RECORDS_LIMIT = 10_000;
/** Per-record overhead of the Lambda Kinesis event JSON besides the base64 data. */
const EVENT_RECORD_OVERHEAD_BYTES = 512;

/** One line of the invocation log. */
export interface BatchLogEntry {
  readonly functionKey: string;
  readonly source: string;
  readonly records: number;
  readonly durationMs: number;
  readonly outcome: 'ok' | 'partial' | 'error' | 'bisect' | 'expired' | 'gave-up';
  readonly detail?: string;
}

/** What the event source needs around it. */
export interface KinesisEventSourceDeps {
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
  readonly invoker: LambdaInvoker;
  readonly region: string;
  readonly log?: (entry: BatchLogEntry) => void;
  /** How long an empty shard waits before polling again (Lambda polls about once a second). */
  readonly idlePollMs?: number;
  /** First retry delay; doubles per attempt up to 2 s. */
  readonly retryBaseDelayMs?: number;
}

interface PendingRecord {
  readonly record: KinesisRecord;
  readonly bytes: number;
}

/** Counters for tests, the ready line and the benchmark. */
export interface KinesisEventSourceStats {
  invocations: number;
  recordsDelivered: number;
  recordsSentToOnFailure: number;
}

/**
 * Polls every shard of a stream and invokes the mapped function.
 *
 * @example
 * const source = new KinesisEventSource(mapping, { kinesis, sqs, invoker, region });
 * await source.start(); … await source.stop();
 */
export class KinesisEventSource {
  readonly stats: KinesisEventSourceStats = { invocations: 0, recordsDelivered: 0, recordsSentToOnFailure: 0 };
  private stopping = false;
  private readonly running: Promise<void>[] = [];

  constructor(
    readonly config: KinesisMappingConfig,
    private readonly deps: KinesisEventSourceDeps,
  ) {}

  /** Lists the shards and starts one poller per shard. */
  async start(): Promise<void> {
    if (!this.config.enabled) return;
    const { Shards } = await this.deps.kinesis.send(new ListShardsCommand({ StreamName: this.config.streamName }));
    for (const shard of Shards ?? []) {
      const poller = new ShardPoller(this.config, this.deps, shard.ShardId!, this.stats, () => this.stopping);
      this.running.push(poller.run());
    }
  }

  /** Stops polling and waits for in-flight invocations to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.running);
  }
}

/** Reads one shard in order and feeds its records to the lanes of the parallelization factor. */
class ShardPoller {
  private readonly lanes: Lane[];

  constructor(
    private readonly config: KinesisMappingConfig,
    private readonly deps: KinesisEventSourceDeps,
    private readonly shardId: string,
    stats: KinesisEventSourceStats,
    private readonly isStopping: () => boolean,
  ) {
    this.lanes = Array.from(
      { length: config.parallelizationFactor },
      (_, i) => new Lane(config, deps, shardId, config.parallelizationFactor > 1 ? `${shardId}#${i}` : shardId, stats, isStopping),
    );
  }

  async run(): Promise<void> {
    const laneRuns = this.lanes.map((lane) => lane.run());
    let lastRead: string | undefined;
    let iterator: string | undefined;
    try {
      while (!this.isStopping()) {
        // Back-pressure: read ahead at most a few batches per lane, like Lambda's poller.
        if (this.lanes.some((lane) => lane.buffered() >= this.config.batchSize * 4)) {
          await sleep(10);
          continue;
        }
        try {
          iterator ??= await this.iteratorAfter(lastRead);
          if (!iterator) return; // the shard was closed (resharded) and fully read
          const page = await this.deps.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }));
          iterator = page.NextShardIterator;
          for (const record of page.Records ?? []) {
            this.laneOf(record).push(record);
            lastRead = record.SequenceNumber;
          }
          if ((page.Records ?? []).length === 0) await sleep(this.deps.idlePollMs ?? 250);
        } catch (error) {
          // Throttling, an expired iterator or a restarting emulator: resume after the last
          // record read, as Lambda's poller does from its own position.
          if (this.isStopping()) return;
          this.deps.log?.({ functionKey: this.config.functionKey, source: this.shardId, records: 0, durationMs: 0, outcome: 'error', detail: `GetRecords: ${(error as Error).message}` });
          iterator = undefined;
          await sleep(1000);
        }
      }
    } finally {
      for (const lane of this.lanes) lane.close();
      await Promise.all(laneRuns);
    }
  }

  /** An iterator at the configured starting position, or right after the last record read. */
  private async iteratorAfter(lastRead: string | undefined): Promise<string | undefined> {
    const { startingPosition, startingPositionTimestamp, streamName } = this.config;
    const position = lastRead
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: lastRead }
      : {
          ShardIteratorType: startingPosition,
          ...(startingPosition === 'AT_TIMESTAMP' ? { Timestamp: new Date(startingPositionTimestamp ?? Date.now()) } : {}),
        };
    const { ShardIterator } = await this.deps.kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: this.shardId, ...position }),
    );
    return ShardIterator;
  }

  /** Records with the same partition key always go to the same lane, so they stay ordered. */
  private laneOf(record: KinesisRecord): Lane {
    if (this.lanes.length === 1) return this.lanes[0]!;
    const hash = createHash('md5').update(record.PartitionKey ?? '').digest();
    return this.lanes[hash.readUInt32BE(0) % this.lanes.length]!;
  }
}

/** Batches, invokes and retries the records of one lane strictly in order. */
class Lane {
  private readonly pending: PendingRecord[] = [];
  private pendingBytes = 0;
  private firstPendingAt = 0;
  private closed = false;

  constructor(
    private readonly config: KinesisMappingConfig,
    private readonly deps: KinesisEventSourceDeps,
    private readonly shardId: string,
    private readonly label: string,
    private readonly stats: KinesisEventSourceStats,
    private readonly isStopping: () => boolean,
  ) {}

  push(record: KinesisRecord): void {
    if (this.pending.length === 0) this.firstPendingAt = Date.now();
    const bytes = Math.ceil(((record.Data?.length ?? 0) * 4) / 3) + EVENT_RECORD_OVERHEAD_BYTES;
    this.pending.push({ record, bytes });
    this.pendingBytes += bytes;
  }

  buffered(): number {
    return this.pending.length;
  }

  close(): void {
    this.closed = true;
  }

  async run(): Promise<void> {
    for (;;) {
      if (this.closed && (this.pending.length === 0 || this.isStopping())) return;
      if (!this.batchReady()) {
        await sleep(5);
        continue;
      }
      await this.deliver(this.takeBatch());
    }
  }

  private batchReady(): boolean {
    if (this.pending.length === 0) return false;
    if (this.pending.length >= this.config.batchSize || this.pendingBytes >= MAX_INVOKE_PAYLOAD_BYTES) return true;
    if (this.closed) return true;
    return Date.now() - this.firstPendingAt >= this.config.batchWindowSeconds * 1000;
  }

  /** Up to batchSize records, and never more than one invocation payload. */
  private takeBatch(): KinesisRecord[] {
    let count = 0;
    let bytes = 0;
    while (count < this.pending.length && count < this.config.batchSize) {
      const next = this.pending[count]!.bytes;
      if (count > 0 && bytes + next > MAX_INVOKE_PAYLOAD_BYTES) break;
      bytes += next;
      count += 1;
    }
    const taken = this.pending.splice(0, count);
    this.pendingBytes -= bytes;
    if (this.pending.length > 0) this.firstPendingAt = Date.now();
    return taken.map((p) => p.record);
  }

  /**
   * Delivers a batch until it succeeds or is given up on. Pieces are kept in a stack so a
   * bisected batch runs its first half to completion before its second, keeping order.
   */
  private async deliver(batch: KinesisRecord[]): Promise<void> {
    const stack: { records: KinesisRecord[]; attempts: number }[] = [{ records: batch, attempts: 0 }];
    while (stack.length > 0) {
      const piece = stack.pop()!;
      const fresh = await this.dropExpired(piece.records);
      if (fresh.length === 0) continue;
      const started = Date.now();
      const result = await invokeOrFail(this.deps.invoker, this.config.functionName, this.toEvent(fresh));
      this.stats.invocations += 1;
      const durationMs = Date.now() - started;
      const base = { functionKey: this.config.functionKey, source: this.label, records: fresh.length, durationMs };

      const failedAt = result.ok ? this.firstFailedIndex(result.payload, fresh) : 0;
      if (failedAt === -1) {
        this.stats.recordsDelivered += fresh.length;
        this.deps.log?.({ ...base, outcome: 'ok' });
        continue;
      }
      const attempts = piece.attempts + 1;
      if (!result.ok && this.config.bisectBatchOnFunctionError && fresh.length > 1) {
        // Splitting does not use up a retry: it is how Lambda isolates a poison record.
        const half = Math.ceil(fresh.length / 2);
        this.deps.log?.({ ...base, outcome: 'bisect', detail: `${result.error} → ${half} + ${fresh.length - half}` });
        stack.push({ records: fresh.slice(half), attempts: piece.attempts }, { records: fresh.slice(0, half), attempts: piece.attempts });
        continue;
      }
      this.stats.recordsDelivered += failedAt;
      const remaining = fresh.slice(failedAt);
      const retriesLeft = this.config.maximumRetryAttempts === -1 || attempts <= this.config.maximumRetryAttempts;
      const why = result.ok ? `batch item failure at ${remaining[0]!.SequenceNumber}` : result.error;
      if (!retriesLeft) {
        this.deps.log?.({ ...base, outcome: 'gave-up', detail: `${why}; retries exhausted` });
        await this.sendToOnFailure(remaining, 'RetryAttemptsExhausted', attempts, result.ok ? undefined : 'Unhandled');
        continue;
      }
      this.deps.log?.({
        ...base,
        outcome: result.ok ? 'partial' : 'error',
        detail: `${why}; retry ${attempts}${this.config.maximumRetryAttempts === -1 ? '' : `/${this.config.maximumRetryAttempts}`}`,
      });
      if (this.isStopping()) return; // the rest is redelivered from the stream next start
      await sleep(Math.min((this.deps.retryBaseDelayMs ?? 100) * 2 ** (attempts - 1), 2000));
      stack.push({ records: remaining, attempts });
    }
  }

  /**
   * Index of the first record to retry, or -1 when the batch succeeded. An identifier that
   * is missing or not in the batch fails the whole batch, as in Lambda.
   */
  private firstFailedIndex(payload: unknown, records: KinesisRecord[]): number {
    if (!this.config.reportBatchItemFailures) return -1;
    const failures = (payload as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)?.batchItemFailures;
    if (!Array.isArray(failures) || failures.length === 0) return -1;
    let first = Number.POSITIVE_INFINITY;
    for (const failure of failures) {
      const index = records.findIndex((r) => r.SequenceNumber === failure?.itemIdentifier);
      if (index === -1) return 0;
      first = Math.min(first, index);
    }
    return first;
  }

  private async dropExpired(records: KinesisRecord[]): Promise<KinesisRecord[]> {
    if (this.config.maximumRecordAgeSeconds === -1) return records;
    const oldest = Date.now() - this.config.maximumRecordAgeSeconds * 1000;
    const expired = records.filter((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) < oldest);
    if (expired.length === 0) return records;
    this.deps.log?.({ functionKey: this.config.functionKey, source: this.label, records: expired.length, durationMs: 0, outcome: 'expired' });
    await this.sendToOnFailure(expired, 'RecordAgeExceeded', 0, undefined);
    return records.filter((r) => !expired.includes(r));
  }

  /** Sends the documented on-failure record (batch metadata, not the data) to the destination queue. */
  private async sendToOnFailure(records: KinesisRecord[], condition: string, invokeCount: number, functionError: string | undefined): Promise<void> {
    this.stats.recordsSentToOnFailure += records.length;
    const destination = this.config.onFailure;
    if (!destination) return;
    const first = records[0]!;
    const last = records.at(-1)!;
    const message = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${this.deps.region}:000000000000:function:${this.config.functionName}`,
        condition,
        approximateInvokeCount: invokeCount,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(functionError ? { functionError } : {}) },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: this.shardId,
        startSequenceNumber: first.SequenceNumber,
        endSequenceNumber: last.SequenceNumber,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
        approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
        batchSize: records.length,
        streamArn: this.config.streamArn,
      },
    };
    try {
      const { QueueUrl } = await this.deps.sqs.send(new GetQueueUrlCommand({ QueueName: destination.queueName }));
      await this.deps.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(message) }));
    } catch (error) {
      this.deps.log?.({ functionKey: this.config.functionKey, source: this.label, records: records.length, durationMs: 0, outcome: 'error', detail: `on-failure destination ${destination.queueName}: ${(error as Error).message}` });
    }
  }

  /** The Lambda Kinesis event for a batch, in the documented shape. */
  private toEvent(records: KinesisRecord[]): KinesisStreamEvent {
    return {
      Records: records.map(
        (r): KinesisStreamRecord => ({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: r.PartitionKey!,
            sequenceNumber: r.SequenceNumber!,
            data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
            approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${this.shardId}:${r.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: `arn:aws:iam::000000000000:role/${this.config.functionName}`,
          awsRegion: this.deps.region,
          eventSourceARN: this.config.streamArn,
        }),
      ),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
