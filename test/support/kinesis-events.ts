// Builds Lambda Kinesis events in the documented shape, for tests and the benchmark.
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { gzipSync } from 'node:zlib';

export const TEST_STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/event-lake-test-events';

/** One record to put in an event: a JS value (sent as JSON), raw text, or raw base64. */
export type RecordInput =
  | { json: unknown; gzip?: boolean }
  | { text: string; gzip?: boolean }
  | { base64: string };

/** Sequence numbers shaped like Kinesis's: 56 digits, increasing with `n`. */
export function kinesisSeq(n: number): string {
  return `4959033827149025660855969253836157109592157598913658${String(n).padStart(4, '0')}`;
}

/**
 * A Kinesis event for one shard; record i gets sequence number `kinesisSeq(firstSeq + i)`.
 */
export function kinesisEvent(
  inputs: readonly RecordInput[],
  options: { shard?: string; firstSeq?: number; arrivalTs?: number; streamArn?: string } = {},
): KinesisStreamEvent {
  const shard = options.shard ?? 'shardId-000000000000';
  const first = options.firstSeq ?? 1;
  const arrival = (options.arrivalTs ?? Date.now()) / 1000;
  return {
    Records: inputs.map((input, i): KinesisStreamRecord => {
      const seq = kinesisSeq(first + i);
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `pk-${i}`,
          sequenceNumber: seq,
          data: dataOf(input),
          approximateArrivalTimestamp: arrival,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shard}:${seq}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role',
        awsRegion: 'us-east-1',
        eventSourceARN: options.streamArn ?? TEST_STREAM_ARN,
      };
    }),
  };
}

/** The base64 data of one record input, as the Lambda event shapes carry it (Kinesis and Kafka alike). */
export function dataOf(input: RecordInput): string {
  if ('base64' in input) return input.base64;
  const text = 'json' in input ? JSON.stringify(input.json) : input.text;
  const bytes = input.gzip ? gzipSync(text) : Buffer.from(text);
  return bytes.toString('base64');
}
