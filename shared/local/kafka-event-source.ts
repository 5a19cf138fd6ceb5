// A local self-managed Apache Kafka event source mapping: a kafkajs consumer group reads the
// topics from KAFKA_BROKERS and hands each partition's records to the KafkaBatcher, which
// invokes the function with Lambda's event and commits offsets only after a success.
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaMappingConfig } from './event-source-mappings.js';
import { KafkaBatcher, type KafkaBatcherStats } from './kafka-batcher.js';
import { lambdaKafkaRecordOf } from './kafka-lambda-event.js';
import type { KafkaSettings } from './kafka-settings.js';
import type { BatchLogEntry } from './kinesis-event-source.js';
import type { LambdaInvoker } from './lambda-invoker.js';
import { PreflightError } from './preflight.js';

/** How long start() may take to reach the brokers and join the group before it fails. */
export const KAFKA_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Partitions handed to the batcher at once: more than one, so an invocation can carry
 * records of several partitions as Lambda's does.
 */
const PARTITIONS_CONSUMED_CONCURRENTLY = 16;
/** How often a partition waiting for its delivery heartbeats, so the group keeps it. */
const HEARTBEAT_EVERY_MS = 1000;

/** What the event source needs around it. */
export interface KafkaEventSourceDeps {
  readonly invoker: LambdaInvoker;
  readonly log?: (entry: BatchLogEntry) => void;
  /** Warnings and errors of the Kafka client once running (lost brokers, rebalances). */
  readonly logClient?: (line: string) => void;
  readonly connectTimeoutMs?: number;
  /** First retry delay of a failed invocation; doubles per attempt up to 2 s. */
  readonly retryBaseDelayMs?: number;
}

/** The brokers did not answer in time, refused the credentials, or lack the topics. */
export class KafkaStartError extends PreflightError {}

/** What `.local/stack.json` and the ready line say about Kafka. */
export interface KafkaStatus {
  readonly enabled: boolean;
  readonly reason: string;
  readonly brokers?: readonly string[];
  readonly topics?: readonly string[];
  readonly function?: string;
  readonly consumerGroupId?: string;
}

/**
 * Kafka's line in the stack file: off without KAFKA_BROKERS, else what is consumed where.
 *
 * @example kafkaStatusOf(undefined) // { enabled: false, reason: 'off: set KAFKA_BROKERS to consume Kafka topics' }
 */
export function kafkaStatusOf(mapping: KafkaMappingConfig | undefined): KafkaStatus {
  if (!mapping) return { enabled: false, reason: 'off: set KAFKA_BROKERS to consume Kafka topics' };
  if (!mapping.enabled) return { enabled: false, reason: `off: the Kafka event of ${mapping.functionKey} has enabled: false in serverless.yml` };
  const { brokers, topics, functionKey, consumerGroupId, batchSize, batchWindowSeconds } = mapping;
  return {
    enabled: true,
    reason:
      `on: ${topics.join(', ')} from ${brokers.join(',')} → ${functionKey} (group ${consumerGroupId}, ` +
      `batch ${batchSize} / ${batchWindowSeconds} s from ${mapping.settingsFrom})`,
    brokers,
    topics,
    function: functionKey,
    consumerGroupId,
  };
}

/**
 * Consumes the mapping's topics with a consumer group and invokes the mapped function.
 *
 * @example
 * const source = new KafkaEventSource(mapping, settings, { invoker });
 * await source.start(); … await source.stop();
 */
export class KafkaEventSource {
  private consumer: Consumer | undefined;
  private readonly batcher: KafkaBatcher;
  private running = false;

  constructor(
    readonly config: KafkaMappingConfig,
    private readonly settings: KafkaSettings,
    private readonly deps: KafkaEventSourceDeps,
  ) {
    this.batcher = new KafkaBatcher(config, {
      invoker: deps.invoker,
      commit: (offsets) => this.consumer!.commitOffsets(offsets.map((o) => ({ ...o }))),
      ...(deps.log ? { log: deps.log } : {}),
      ...(deps.retryBaseDelayMs !== undefined ? { retryBaseDelayMs: deps.retryBaseDelayMs } : {}),
    });
  }

  get stats(): Readonly<KafkaBatcherStats> {
    return this.batcher.stats;
  }

  /**
   * Connects, subscribes and starts consuming; fails with {@link KafkaStartError}
   * naming KAFKA_BROKERS if connecting and subscribing fail or outlast the connect timeout.
   */
  async start(): Promise<void> {
    if (!this.config.enabled) return;
    const timeoutMs = this.deps.connectTimeoutMs ?? KAFKA_CONNECT_TIMEOUT_MS;
    let lastStartError: string | undefined;
    const kafka = new Kafka({
      clientId: `${this.config.functionName}-local`,
      brokers: [...this.settings.brokers],
      ssl: this.settings.ssl,
      // One object per mechanism in kafkajs' types; the union of ours is the same set.
      ...(this.settings.sasl ? { sasl: { ...this.settings.sasl } as SASLOptions } : {}),
      connectionTimeout: Math.min(3000, timeoutMs),
      logLevel: logLevel.WARN,
      // Until start() succeeds, the client's last error goes into start()'s own message
      // (kafkajs retries past any deadline); afterwards its warnings (a broker lost, a
      // rebalance) are worth a line each.
      logCreator: () => (entry: LogEntry) => {
        const line = `${entry.log.message}${entry.log['error'] ? ` (${String(entry.log['error'])})` : ''}`;
        if (this.running) this.deps.logClient?.(`kafka: ${line}`);
        else if (entry.level === logLevel.ERROR) lastStartError = line;
      },
    });
    const consumer = (this.consumer = kafka.consumer({ groupId: this.config.consumerGroupId }));
    const joining = (async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.config.topics], fromBeginning: this.config.startingPosition === 'TRIM_HORIZON' });
    })();
    // The client keeps retrying after the deadline; its late failure is already reported.
    joining.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s${lastStartError ? `; last error: ${lastStartError}` : ''}`)), timeoutMs);
      });
      await Promise.race([joining, deadline]);
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      this.consumer = undefined;
      throw new KafkaStartError(
        `cannot consume Kafka at KAFKA_BROKERS=${this.settings.brokers.join(',')} (topics ${this.config.topics.join(', ')}): ` +
          `${(error as Error).message}.\n  Start the broker, check KAFKA_BROKERS, KAFKA_TOPICS, KAFKA_SASL_MECHANISM and KAFKA_SSL, ` +
          'or unset KAFKA_BROKERS to run without Kafka.',
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    this.running = true;
    this.batcher.start();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachBatch: (payload) => deliverPartitionBatch(this.batcher, payload),
    });
  }

  /** Finishes the invocation in flight (committing it if it succeeds), then leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    await this.batcher.stop();
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }
}

/**
 * kafkajs' eachBatch: hands one partition's records to the batcher and waits until they are
 * delivered, heartbeating meanwhile, so kafkajs fetches that partition's next records only
 * then (in order) and the group keeps the partition. The fetch position moves past the
 * records only once they are delivered; given back (stop, rebalance, seek), they are read
 * again from the last commit.
 *
 * @example consumer.run({ eachBatchAutoResolve: false, eachBatch: (payload) => deliverPartitionBatch(batcher, payload) });
 */
export async function deliverPartitionBatch(
  batcher: Pick<KafkaBatcher, 'enqueue'>,
  { batch, resolveOffset, heartbeat, isRunning, isStale }: Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale'>,
  heartbeatEveryMs = HEARTBEAT_EVERY_MS,
): Promise<void> {
  const records = batch.messages.map((m) => lambdaKafkaRecordOf(batch.topic, batch.partition, m));
  const delivery = batcher.enqueue(records);
  for (;;) {
    const outcome = await Promise.race([delivery.done, sleep(heartbeatEveryMs).then(() => 'waiting' as const)]);
    if (outcome !== 'waiting') {
      const last = batch.messages.at(-1);
      if (outcome && last) resolveOffset(last.offset);
      return;
    }
    if (!isRunning() || isStale()) {
      delivery.withdraw();
      return;
    }
    try {
      await heartbeat();
    } catch (error) {
      // A rebalance: the partition may go to another member, which reads it from the last commit.
      delivery.withdraw();
      throw error;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
