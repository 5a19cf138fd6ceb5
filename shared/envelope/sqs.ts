// Adapts the Lambda SQS event shape to SourceRecords: one record per message, `stream` and
// `shard` the queue's name, `seq` the message id. Messages carry NDJSON records of one
// partner request (or of a replay), so one message may hold many events.
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { SourceRecord } from './types.js';

/** The `content_encoding` message attribute of a body that is base64 of gzip'd NDJSON. */
export const GZIP_BASE64 = 'gzip-base64';

/**
 * Maps every message of an SQS event to a SourceRecord. The arrival time is when the webhook
 * accepted the records (attribute `received_at`), else when SQS received the message.
 *
 * @example const records = sourceRecordsFromSqs(event); // records[0].seq === event.Records[0].messageId
 */
export function sourceRecordsFromSqs(event: SQSEvent): SourceRecord[] {
  return event.Records.map(toSourceRecord);
}

function toSourceRecord(message: SQSRecord): SourceRecord {
  const queue = queueNameOf(message.eventSourceARN);
  const receivedAt = Number(message.messageAttributes?.['received_at']?.stringValue);
  const sentAt = Number(message.attributes.SentTimestamp);
  return {
    origin: 'sqs',
    stream: queue,
    shard: queue,
    seq: message.messageId,
    arrivalTs: Number.isFinite(receivedAt) && receivedAt > 0 ? receivedAt : Number.isFinite(sentAt) ? sentAt : Date.now(),
    // A compressed body is base64 of gzip already, which decoding inflates like any gzip record.
    dataBase64: message.messageAttributes?.['content_encoding']?.stringValue === GZIP_BASE64 ? message.body : Buffer.from(message.body, 'utf8').toString('base64'),
  };
}

/**
 * The queue name at the end of a queue ARN.
 *
 * @example queueNameOf('arn:aws:sqs:us-east-1:123456789012:event-lake-prod-partner-ingest') // 'event-lake-prod-partner-ingest'
 */
export function queueNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1) || arn;
}
