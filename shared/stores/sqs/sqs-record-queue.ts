// The ingest queue over the AWS SDK v3: SendMessageBatch under SQS's entry and byte limits,
// several calls in flight, and entries that failed on SQS's side retried with backoff, so
// either every message is on the queue or the caller gets a RetryableError.
import { gzipSync } from 'node:zlib';
import { SendMessageBatchCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { GZIP_BASE64, messageAttributeBytes, QUEUE_ATTRIBUTES, sourceRecordAttribute } from '../../envelope/sqs.js';
import { PipelineError, RetryableError } from '../../errors.js';
import { fullJitterBackoff } from '../../producer/backoff.js';
import { groupIntoBatches } from '../../webhook/pack-queue-messages.js';
import type { QueueMessage, RecordQueue } from '../../webhook/ports.js';

/** Bodies smaller than this are sent as they are: compressing them gains little. */
const COMPRESS_FROM_BYTES = 2_048;

/** A message as SQS stores it: its body and its message attributes. */
export interface RawQueueMessage {
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
}

/** Options of {@link SqsRecordQueue}. */
export interface SqsRecordQueueOptions {
  /** The queue's message size limit; a SendMessageBatch call carries at most this much in total. */
  readonly maxMessageBytes: number;
  readonly concurrency?: number;
  readonly maxAttempts?: number;
  readonly random?: () => number;
}

/** @example await new SqsRecordQueue(sqs, () => queueUrl, { maxMessageBytes: 262_144 }).enqueue(messages); */
export class SqsRecordQueue implements RecordQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: () => Promise<string>,
    private readonly options: SqsRecordQueueOptions,
  ) {}

  /**
   * Enqueues NDJSON bodies, gzip'd and base64-encoded when that is smaller: typical event
   * JSON shrinks 3-5x, which cuts the SDK's and SQS's per-byte work and, in AWS, the billed
   * 64 KB request chunks. The `content_encoding` attribute tells the consumer.
   */
  async enqueue(messages: readonly QueueMessage[]): Promise<void> {
    await this.forward(messages.map((m) => encodeMessage(m)));
  }

  /**
   * Puts messages on the queue exactly as given, body and attributes (e.g. messages taken
   * back from the dead-letter queue), with the same limits and retries as {@link enqueue}.
   */
  async forward(messages: readonly RawQueueMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const url = await this.queueUrl();
    const entries = messages.map((m, i) => ({
      id: String(i),
      body: m.body,
      attributes: m.attributes,
      bytes: Buffer.byteLength(m.body) + attributesBytes(m.attributes),
    }));
    const batches = groupIntoBatches(entries, this.options.maxMessageBytes);
    let next = 0;
    let failed = false;
    const workers = Array.from({ length: Math.min(this.options.concurrency ?? 4, batches.length) }, async () => {
      // Once one batch has failed for good the request fails; sending the rest would only
      // enqueue records the partner is told to send again.
      while (next < batches.length && !failed) {
        await this.sendWithRetries(url, batches[next++]!).catch((error: unknown) => {
          failed = true;
          throw error;
        });
      }
    });
    await Promise.all(workers);
  }

  private async sendWithRetries(url: string, batch: readonly BatchEntry[]): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let pending = batch;
    let lastProblem = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(fullJitterBackoff(attempt - 1, this.options.random ?? Math.random, { baseMs: 50, maxMs: 1_000 }));
      try {
        const result = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: pending.map((e) => ({ Id: e.id, MessageBody: e.body, MessageAttributes: e.attributes })),
          }),
        );
        const failed = result.Failed ?? [];
        // A sender fault (e.g. a message too large) will fail the same way every time.
        const senderFault = failed.find((f) => f.SenderFault);
        if (senderFault) throw new SqsSenderFaultError(`SQS refused a message: ${senderFault.Code}: ${senderFault.Message}`);
        if (failed.length === 0) return;
        const failedIds = new Set(failed.map((f) => f.Id));
        pending = pending.filter((e) => failedIds.has(e.id));
        lastProblem = `${failed.length} entries failed: ${failed[0]!.Code}`;
      } catch (error) {
        if (error instanceof SqsSenderFaultError) throw error;
        lastProblem = (error as Error).message;
      }
    }
    throw new RetryableError(`SendMessageBatch still failing after ${maxAttempts} attempts: ${lastProblem}`);
  }
}

/** SQS refused an entry as malformed (too large, bad attribute): retrying cannot help. */
export class SqsSenderFaultError extends PipelineError {}

interface BatchEntry {
  readonly id: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly bytes: number;
}

function encodeMessage(message: QueueMessage): RawQueueMessage {
  const attributes = messageAttributes(message);
  if (message.body.length < COMPRESS_FROM_BYTES) return { body: message.body, attributes };
  const compressed = gzipSync(message.body, { level: 1 }).toString('base64');
  if (compressed.length >= Buffer.byteLength(message.body)) return { body: message.body, attributes };
  return { body: compressed, attributes: { ...attributes, [QUEUE_ATTRIBUTES.contentEncoding]: { DataType: 'String', StringValue: GZIP_BASE64 } } };
}

function messageAttributes(message: QueueMessage): Record<string, MessageAttributeValue> {
  const original = message.original && sourceRecordAttribute(message.original);
  return {
    [QUEUE_ATTRIBUTES.source]: { DataType: 'String', StringValue: message.source },
    [QUEUE_ATTRIBUTES.requestId]: { DataType: 'String', StringValue: message.requestId },
    [QUEUE_ATTRIBUTES.receivedAt]: { DataType: 'Number', StringValue: String(message.receivedAt) },
    ...(original === undefined ? {} : { [QUEUE_ATTRIBUTES.sourceRecord]: { DataType: 'String', StringValue: original } }),
  };
}

/** What a message's attributes add to its size. */
function attributesBytes(attributes: Readonly<Record<string, MessageAttributeValue>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) bytes += messageAttributeBytes(name, value);
  return bytes;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
