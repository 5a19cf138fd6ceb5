// Queues in the SQS emulator (fauxqs, the same app that serves S3): an ingest queue with its
// DLQ and redrive policy as resources/sqs.yml declares them, and reads of what they hold.
import { randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { lambdaSqsEvent as mappingSqsEvent } from '../../shared/local/sqs-event-source.js';
import type { SQSEvent } from 'aws-lambda';

export interface TestQueues {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly dlqName: string;
  readonly dlqUrl: string;
}

/** An SQS client for the emulator at `endpoint`, with dummy credentials. */
export function emulatorSqsClient(endpoint: string): SQSClient {
  return new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

/** A fresh queue `<prefix>-<random>` and its `-dlq`, redriven after `maxReceiveCount` receives. */
export async function createQueuesWithDlq(
  sqs: SQSClient,
  options: { prefix?: string; maxReceiveCount?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<TestQueues> {
  const name = `${options.prefix ?? 'ingest'}-${randomBytes(4).toString('hex')}`;
  const dlqName = `${name}-dlq`;
  const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: dlqName }));
  const { QueueUrl: url } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${dlqName}`, maxReceiveCount: options.maxReceiveCount ?? 3 }),
      },
    }),
  );
  return { name, url: url!, arn: `arn:aws:sqs:us-east-1:000000000000:${name}`, dlqName, dlqUrl: dlqUrl! };
}

/** Visible plus in-flight messages of a queue. */
export async function queueDepth(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

/** Receives every visible message (hiding each for `visibilityTimeoutSeconds`), with all attributes. */
export async function receiveAll(sqs: SQSClient, url: string, visibilityTimeoutSeconds = 30): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilityTimeoutSeconds,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (!Messages?.length) return messages;
    messages.push(...Messages);
  }
}

/** The Lambda SQS event the event source mapping would deliver for these messages. */
export function lambdaSqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  return mappingSqsEvent(messages, { queueArn, region: 'us-east-1' });
}

/** Deletes received messages (at most 10 per call, as SQS allows). */
export async function deleteMessages(sqs: SQSClient, url: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }),
    );
  }
}
