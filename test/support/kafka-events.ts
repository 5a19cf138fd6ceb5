// Builds Lambda Kafka events (Amazon MSK and self-managed) in the documented shape, for tests.
import type { KafkaEvent, KafkaRecord } from '../../shared/envelope/kafka.js';
import { dataOf, type RecordInput } from './kinesis-events.js';

export const TEST_MSK_CLUSTER_ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/event-lake-test/751d2973-a626-431c-9d4e-d7975eb44dd7-2';

/** One record to put in a partition: data as for Kinesis, or a tombstone (null value). */
export type KafkaRecordInput = RecordInput | { tombstone: true };

/**
 * A Kafka event of one topic; partition p's record i gets offset `firstOffset + i`.
 *
 * @example kafkaEvent({ 0: [{ json: pageView() }], 1: [{ tombstone: true }] }, { topic: 'events' })
 */
export function kafkaEvent(
  partitions: Readonly<Record<number, readonly KafkaRecordInput[]>>,
  options: { topic?: string; firstOffset?: number; timestamp?: number; trigger?: 'msk' | 'self-managed' } = {},
): KafkaEvent {
  const topic = options.topic ?? 'events';
  const records: Record<string, KafkaRecord[]> = {};
  for (const [partition, inputs] of Object.entries(partitions)) {
    records[`${topic}-${partition}`] = inputs.map((input, i) => ({
      topic,
      partition: Number(partition),
      offset: (options.firstOffset ?? 0) + i,
      timestamp: options.timestamp ?? Date.now(),
      timestampType: 'CREATE_TIME',
      key: Buffer.from(`key-${i}`).toString('base64'),
      value: 'tombstone' in input ? null : dataOf(input),
      headers: [],
    }));
  }
  const bootstrapServers = 'b-1.event-lake-test.a1bcde.c1.kafka.us-east-1.amazonaws.com:9098';
  // The documented shapes declare value as a string; a tombstone's is null on the wire.
  const event =
    options.trigger === 'self-managed'
      ? { eventSource: 'SelfManagedKafka', bootstrapServers, records }
      : { eventSource: 'aws:kafka', eventSourceArn: TEST_MSK_CLUSTER_ARN, bootstrapServers, records };
  return event as unknown as KafkaEvent;
}
