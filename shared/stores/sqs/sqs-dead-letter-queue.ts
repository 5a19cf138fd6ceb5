// The ingest queue's dead-letter queue over the AWS SDK v3, for replays: receive with the
// attributes a replay filters on, delete what was moved, release what was only looked at.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type BatchResultErrorEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { RetryableError } from '../../errors.js';
import type { DeadLetter, DeadLetterQueue } from '../../replay/ports.js';
import { SQS_BATCH_MAX_ENTRIES } from '../../webhook/pack-queue-messages.js';

/** SQS returns at most 10 messages per ReceiveMessage call. */
const RECEIVE_LIMIT = 10;
/**
 * Long polling asks every SQS server, so an empty answer means the queue has nothing
 * visible; a short poll samples a subset and may come back empty while messages wait.
 */
const WAIT_SECONDS = 1;

/** @example const letters = await new SqsDeadLetterQueue(sqs, dlqUrl).receive(900); */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receive(visibilityTimeoutSeconds: number): Promise<DeadLetter[]> {
    const { Messages } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: RECEIVE_LIMIT,
        VisibilityTimeout: visibilityTimeoutSeconds,
        WaitTimeSeconds: WAIT_SECONDS,
        MessageSystemAttributeNames: ['SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    );
    return (Messages ?? []).map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([name, a]) => [
          name,
          { DataType: a.DataType ?? 'String', ...(a.StringValue !== undefined ? { StringValue: a.StringValue } : {}), ...(a.BinaryValue !== undefined ? { BinaryValue: a.BinaryValue } : {}) },
        ]),
      ),
      sentAt: Number(m.Attributes?.SentTimestamp ?? 0),
    }));
  }

  async delete(letters: readonly DeadLetter[]): Promise<void> {
    for (let i = 0; i < letters.length; i += SQS_BATCH_MAX_ENTRIES) {
      const chunk = letters.slice(i, i + SQS_BATCH_MAX_ENTRIES);
      const { Failed } = await this.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: chunk.map((l, j) => ({ Id: String(j), ReceiptHandle: l.receiptHandle })) }),
      );
      // Not deleted means it comes back to the DLQ and a later run forwards it again; the
      // consumer drops the repeats, but the caller must know this run did not finish cleanly.
      if (Failed?.length) throw new RetryableError(`DeleteMessageBatch failed for ${Failed.length} messages: ${describe(Failed)}`);
    }
  }

  async release(letters: readonly DeadLetter[]): Promise<void> {
    const failed: BatchResultErrorEntry[] = [];
    // Every chunk is tried even after one fails: each released message is one less hidden.
    for (let i = 0; i < letters.length; i += SQS_BATCH_MAX_ENTRIES) {
      const chunk = letters.slice(i, i + SQS_BATCH_MAX_ENTRIES);
      try {
        const { Failed } = await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((l, j) => ({ Id: String(j), ReceiptHandle: l.receiptHandle, VisibilityTimeout: 0 })),
          }),
        );
        failed.push(...(Failed ?? []));
      } catch (error) {
        failed.push(...chunk.map((_, j) => ({ Id: String(j), Code: 'RequestFailed', Message: (error as Error).message, SenderFault: false })));
      }
    }
    // Messages not released are not lost: they reappear when their visibility timeout ends.
    if (failed.length > 0) {
      throw new RetryableError(`${failed.length} messages stay hidden until their visibility timeout ends: ${describe(failed)}`);
    }
  }
}

function describe(failed: readonly BatchResultErrorEntry[]): string {
  return `${failed[0]!.Code}: ${failed[0]!.Message ?? ''}`;
}
