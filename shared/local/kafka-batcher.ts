// The delivery half of the local Kafka event source mapping, apart from the Kafka client so
// it is tested without a broker: gathers consumed records into batches by size, window and
// payload limit, invokes the function, retries a failed batch whole from the same offsets
// with no limit (Lambda's Kafka semantics), and commits offsets only after a success.
import type { KafkaRecord } from '../envelope/kafka.js';
import { kafkaShardOf } from '../envelope/kafka.js';
import type { KafkaMappingConfig } from './event-source-mappings.js';
import { selfManagedKafkaEventOf } from './kafka-lambda-event.js';
import { MAX_INVOKE_PAYLOAD_BYTES, type BatchLogEntry } from './kinesis-event-source.js';
import { invokeOrFail, type LambdaInvoker } from './lambda-invoker.js';

/** Longest pause between retries of a failing batch. */
const MAX_RETRY_DELAY_MS = 2000;
/** Bytes of the event around its records (eventSource, bootstrapServers, keys). */
const EVENT_ENVELOPE_BYTES = 1024;

/** The next offset to read in a partition: what a consumer group commits. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The last delivered offset + 1, as a decimal string (Kafka offsets are int64). */
  readonly offset: string;
}

/** What the batcher needs around it. */
export interface KafkaBatcherDeps {
  readonly invoker: LambdaInvoker;
  /** Commits the consumer group's offsets; called once per successful invocation. */
  readonly commit: (offsets: readonly PartitionOffset[]) => Promise<void>;
  readonly log?: (entry: BatchLogEntry) => void;
  /** First retry delay; doubles per attempt up to 2 s. */
  readonly retryBaseDelayMs?: number;
}

/** The outcome of records handed to {@link KafkaBatcher.enqueue}. */
export interface KafkaDelivery {
  /** True once every record was invoked successfully and committed; false if given back. */
  readonly done: Promise<boolean>;
  /** Gives back the records not yet being invoked (a rebalance took their partition). */
  withdraw(): void;
}

/** Counters for tests and the ready line. */
export interface KafkaBatcherStats {
  invocations: number;
  recordsDelivered: number;
  failedInvocations: number;
}

interface Ticket {
  remaining: number;
  settled: boolean;
  resolve(delivered: boolean): void;
}

interface PendingRecord {
  readonly record: KafkaRecord;
  readonly bytes: number;
  readonly ticket: Ticket;
}

/**
 * Feeds consumed records to the mapped function in Lambda-shaped batches. The caller hands
 * over at most one run of records per partition at a time (kafkajs' eachBatch waits for
 * `done`), so a partition's records stay in offset order.
 *
 * @example
 * const batcher = new KafkaBatcher(mapping, { invoker, commit: (o) => consumer.commitOffsets([...o]) });
 * batcher.start(); const { done } = batcher.enqueue(records); await done; await batcher.stop();
 */
export class KafkaBatcher {
  readonly stats: KafkaBatcherStats = { invocations: 0, recordsDelivered: 0, failedInvocations: 0 };
  private pending: PendingRecord[] = [];
  private pendingBytes = 0;
  private firstPendingAt = 0;
  private stopping = false;
  private running: Promise<void> | undefined;
  /** Ends the current pause early: new records (idle waits only) or stop(). */
  private wakeOnRecords: (() => void) | undefined;
  private wakeOnStop: (() => void) | undefined;

  constructor(
    readonly config: Pick<KafkaMappingConfig, 'functionKey' | 'functionName' | 'brokers' | 'batchSize' | 'batchWindowSeconds'>,
    private readonly deps: KafkaBatcherDeps,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** Queues records of one partition run; they are delivered in the order given. */
  enqueue(records: readonly KafkaRecord[]): KafkaDelivery {
    let resolve!: (delivered: boolean) => void;
    const done = new Promise<boolean>((r) => (resolve = r));
    const ticket: Ticket = { remaining: records.length, settled: false, resolve };
    if (records.length === 0 || this.stopping) settle(ticket, records.length === 0);
    else {
      if (this.pending.length === 0) this.firstPendingAt = Date.now();
      for (const record of records) {
        const bytes = JSON.stringify(record).length + 1;
        this.pending.push({ record, bytes, ticket });
        this.pendingBytes += bytes;
      }
      this.wakeOnRecords?.();
    }
    return {
      done,
      withdraw: () => {
        const kept = this.pending.filter((p) => p.ticket !== ticket);
        this.pendingBytes = kept.reduce((sum, p) => sum + p.bytes, 0);
        this.pending = kept;
        settle(ticket, false);
      },
    };
  }

  /** Stops after the invocation in flight (committed if it succeeds); queued records are given back. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeOnStop?.();
    await this.running;
    for (const p of this.pending.splice(0)) settle(p.ticket, false);
    this.pendingBytes = 0;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const waitMs = this.msUntilReady();
      if (waitMs > 0) {
        await this.pause(Math.min(waitMs, 1000), true);
        continue;
      }
      await this.deliver(this.takeBatch());
    }
  }

  /** 0 when a batch should be invoked now: full, at the payload limit, or its window passed. */
  private msUntilReady(): number {
    if (this.pending.length === 0) return Number.POSITIVE_INFINITY;
    if (this.pending.length >= this.config.batchSize || this.pendingBytes + EVENT_ENVELOPE_BYTES >= MAX_INVOKE_PAYLOAD_BYTES) return 0;
    return Math.max(0, this.firstPendingAt + this.config.batchWindowSeconds * 1000 - Date.now());
  }

  /** Up to batchSize records, and never more than one invocation payload. */
  private takeBatch(): PendingRecord[] {
    let count = 0;
    let bytes = EVENT_ENVELOPE_BYTES;
    while (count < this.pending.length && count < this.config.batchSize) {
      const next = this.pending[count]!.bytes;
      if (count > 0 && bytes + next > MAX_INVOKE_PAYLOAD_BYTES) break;
      bytes += next;
      count += 1;
    }
    const taken = this.pending.splice(0, count);
    this.pendingBytes -= bytes - EVENT_ENVELOPE_BYTES;
    if (this.pending.length > 0) this.firstPendingAt = Date.now();
    return taken;
  }

  /** Invokes until the function succeeds (the same event each time), then commits. */
  private async deliver(batch: PendingRecord[]): Promise<void> {
    const event = selfManagedKafkaEventOf(this.config.brokers, batch.map((p) => p.record));
    const source = Object.keys(event.records).join(',');
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const result = await invokeOrFail(this.deps.invoker, this.config.functionName, event);
      this.stats.invocations += 1;
      const base = { functionKey: this.config.functionKey, source, records: batch.length, durationMs: Date.now() - started };
      if (result.ok) {
        await this.commit(batch, base);
        this.stats.recordsDelivered += batch.length;
        this.deps.log?.({ ...base, outcome: 'ok' });
        for (const p of batch) if (--p.ticket.remaining === 0) settle(p.ticket, true);
        return;
      }
      this.stats.failedInvocations += 1;
      // Kafka mappings have no partial batch response, bisect or retry limit: the partition
      // waits, retried whole, rather than skipping records.
      this.deps.log?.({ ...base, outcome: 'error', detail: `${result.error}; retry ${attempt}` });
      if (!this.stopping) await this.pause(Math.min((this.deps.retryBaseDelayMs ?? 100) * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS), false);
      if (this.stopping) {
        // Nothing was committed: the next start reads these offsets again.
        for (const p of batch) settle(p.ticket, false);
        return;
      }
    }
  }

  /** Waits, cut short by stop() and, when idle, by new records (a retry backoff is not). */
  private async pause(ms: number, untilRecords: boolean): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.wakeOnStop = wake;
      if (untilRecords) this.wakeOnRecords = wake;
    });
    this.wakeOnStop = this.wakeOnRecords = undefined;
  }

  /**
   * A failed commit is logged, not retried: the records were delivered, and after a
   * rebalance or restart they come again from the last committed offset, which the
   * function's checkpoints skip (at-least-once delivery, as with Lambda).
   */
  private async commit(batch: readonly PendingRecord[], base: Omit<BatchLogEntry, 'outcome'>): Promise<void> {
    const next = new Map<string, PartitionOffset>();
    for (const { record } of batch) {
      next.set(kafkaShardOf(record.topic, record.partition), { topic: record.topic, partition: record.partition, offset: String(record.offset + 1) });
    }
    try {
      await this.deps.commit([...next.values()]);
    } catch (error) {
      this.deps.log?.({ ...base, outcome: 'error', detail: `delivered, but committing offsets failed (redelivered later): ${(error as Error).message}` });
    }
  }
}

function settle(ticket: Ticket, delivered: boolean): void {
  if (ticket.settled) return;
  ticket.settled = true;
  ticket.resolve(delivered);
}
