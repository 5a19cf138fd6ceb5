// SQS events in the documented Lambda shape (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html),
// as the event source mapping delivers messages of the partner ingest queue.
import { createHash, randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export const TEST_QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:event-lake-test-partner-ingest';

/** One queue message carrying NDJSON events of one partner, as the webhook enqueues them. */
export function sqsMessage(events: readonly unknown[], options: { source?: string; messageId?: string; receiveCount?: number; body?: string } = {}): SQSRecord {
  const body = options.body ?? events.map((e) => JSON.stringify(e)).join('\n');
  const now = Date.now();
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: `AQEB${randomUUID().replaceAll('-', '')}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(now - 50),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {
      source: { stringValue: options.source ?? 'acme', stringListValues: [], binaryListValues: [], dataType: 'String' },
      received_at: { stringValue: String(now - 60), stringListValues: [], binaryListValues: [], dataType: 'Number' },
    },
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: TEST_QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

/** An SQS event of the given messages. */
export function sqsEvent(messages: readonly SQSRecord[]): SQSEvent {
  return { Records: [...messages] };
}
