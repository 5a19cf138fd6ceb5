// A local SQS event source mapping with Lambda's semantics: batch size and window, partial
// batch responses (delete only what succeeded), and failures left to the queue: they come
// back after the visibility timeout and the queue's redrive policy moves them to the DLQ
// after maxReceiveCount receives, exactly as in AWS.
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { SqsMappingConfig } from './event-source-mappings.js';
import type { BatchLogEntry } from './kinesis-event-source.js';
import { invokeOrFail, type LambdaInvoker } from './lambda-invoker.js';

/** SQS returns at most 10 messages per ReceiveMessage call. */
const RECEIVE_LIMIT = 10;
/** DeleteMessageBatch takes at most 10 entries. */
const DELETE_LIMIT = 10;

/** What the event source needs around it. */
export interface SqsEventSourceDeps {
  readonly sqs: SQSClient;
  readonly invoker: LambdaInvoker;
  readonly region: string;
  readonly log?: (entry: BatchLogEntry) => void;
}

/**
 * Polls one queue with `maximumConcurrency` pollers and invokes the mapped function.
 *
 * @example const source = new SqsEventSource(mapping, { sqs, invoker, region }); await source.start();
 */
export class SqsEventSource {
  readonly stats = { invocations: 0, messagesDeleted: 0, messagesFailed: 0 };
  private stopping = false;
  private readonly running: Promise<void>[] = [];

  constructor(
    readonly config: SqsMappingConfig,
    private readonly deps: SqsEventSourceDeps,
  ) {}

  async start(): Promise<void> {
    if (!this.config.enabled) return;
    for (let i = 0; i < this.config.maximumConcurrency; i++) this.running.push(this.poll());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.running);
  }

  private async poll(): Promise<void> {
    while (!this.stopping) {
      try {
        const batch = await this.collectBatch();
        if (batch.length > 0) await this.deliver(batch);
      } catch (error) {
        if (this.stopping) return;
        this.log(0, 0, 'error', `ReceiveMessage: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Receives until the batch is full or the batching window has passed since the first message. */
  private async collectBatch(): Promise<Message[]> {
    const batch: Message[] = [];
    const windowMs = this.config.batchWindowSeconds * 1000;
    let firstAt = 0;
    while (!this.stopping && batch.length < this.config.batchSize) {
      const waited = firstAt === 0 ? 0 : Date.now() - firstAt;
      if (batch.length > 0 && waited >= windowMs) break;
      const waitSeconds = batch.length === 0 ? 1 : Math.max(0, Math.min(1, Math.floor((windowMs - waited) / 1000)));
      const { Messages } = await this.deps.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.config.queueUrl,
          MaxNumberOfMessages: Math.min(RECEIVE_LIMIT, this.config.batchSize - batch.length),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages?.length) {
        if (batch.length === 0) firstAt = Date.now();
        batch.push(...Messages);
      } else if (batch.length > 0 && windowMs === 0) {
        break;
      }
    }
    return batch;
  }

  private async deliver(messages: Message[]): Promise<void> {
    const started = Date.now();
    const result = await invokeOrFail(this.deps.invoker, this.config.functionName, lambdaSqsEvent(messages, { queueArn: this.config.queueArn, region: this.deps.region }));
    this.stats.invocations += 1;
    const durationMs = Date.now() - started;
    if (!result.ok) {
      // Nothing is deleted: every message returns after the visibility timeout.
      this.stats.messagesFailed += messages.length;
      this.log(messages.length, durationMs, 'error', result.error);
      return;
    }
    const failed = this.failedIds(result.payload, messages);
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    for (let i = 0; i < done.length; i += DELETE_LIMIT) {
      await this.deps.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.config.queueUrl,
          Entries: done.slice(i, i + DELETE_LIMIT).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    this.stats.messagesDeleted += done.length;
    this.stats.messagesFailed += failed.size;
    this.log(messages.length, durationMs, failed.size === 0 ? 'ok' : 'partial', failed.size ? `${failed.size} failed, left for retry` : undefined);
  }

  /** Message ids to keep; an identifier not in the batch fails the whole batch, as in Lambda. */
  private failedIds(payload: unknown, messages: Message[]): Set<string> {
    if (!this.config.reportBatchItemFailures) return new Set();
    const failures = (payload as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)?.batchItemFailures;
    if (!Array.isArray(failures)) return new Set();
    const ids = new Set(messages.map((m) => m.MessageId!));
    const failed = new Set<string>();
    for (const f of failures) {
      if (typeof f?.itemIdentifier !== 'string' || !ids.has(f.itemIdentifier)) return ids;
      failed.add(f.itemIdentifier);
    }
    return failed;
  }

  private log(records: number, durationMs: number, outcome: BatchLogEntry['outcome'], detail?: string): void {
    this.deps.log?.({ functionKey: this.config.functionKey, source: this.config.queueName, records, durationMs, outcome, ...(detail ? { detail } : {}) });
  }
}

/**
 * The Lambda SQS event for messages received with the SQS API, in the documented shape.
 *
 * @example lambdaSqsEvent(Messages, { queueArn, region: 'us-east-1' }).Records[0].eventSource // 'aws:sqs'
 */
export function lambdaSqsEvent(messages: readonly Message[], queue: { queueArn: string; region: string }): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: m.Attributes?.SenderId ?? '000000000000',
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: toLambdaAttributes(m),
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: queue.queueArn,
        awsRegion: queue.region,
      }),
    ),
  };
}

/** SQS API attributes (StringValue) → Lambda event attributes (stringValue, lists). */
function toLambdaAttributes(message: Message): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, a] of Object.entries(message.MessageAttributes ?? {})) {
    out[name] = {
      dataType: a.DataType ?? 'String',
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return out;
}
