// Adapts the Lambda Kinesis event shape to SourceRecords. One invocation carries records of
// one shard; the shard id is the prefix of each record's eventID.
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { SourceRecord } from './types.js';

/**
 * Maps each Kinesis record of a Lambda event to a SourceRecord, keeping delivery order.
 *
 * @example const records = sourceRecordsFromKinesis(event); // records[0].shard === 'shardId-000000000000'
 */
export function sourceRecordsFromKinesis(event: KinesisStreamEvent): SourceRecord[] {
  return event.Records.map(toSourceRecord);
}

function toSourceRecord(record: KinesisStreamRecord): SourceRecord {
  return {
    origin: 'kinesis',
    stream: streamNameFromArn(record.eventSourceARN),
    shard: shardIdFromEventId(record.eventID),
    seq: record.kinesis.sequenceNumber,
    // approximateArrivalTimestamp is epoch seconds with a fraction.
    arrivalTs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
    dataBase64: record.kinesis.data,
    key: record.kinesis.partitionKey,
  };
}

/** `arn:aws:kinesis:us-east-1:123456789012:stream/events` → `events`. */
export function streamNameFromArn(arn: string): string {
  const slash = arn.lastIndexOf('/');
  return slash >= 0 ? arn.slice(slash + 1) : arn;
}

/** `shardId-000000000006:4959...` → `shardId-000000000006`. */
export function shardIdFromEventId(eventId: string): string {
  const colon = eventId.indexOf(':');
  return colon >= 0 ? eventId.slice(0, colon) : eventId;
}
