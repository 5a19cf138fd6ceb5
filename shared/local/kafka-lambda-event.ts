// Turns messages read by a Kafka client (kafkajs) into the event Lambda's self-managed Apache
// Kafka event source sends: records keyed `topic-partition`, key and value base64, headers
// as byte arrays. Pure, so the shape is tested against the documented one without a broker.
import type { KafkaMessage } from 'kafkajs';
import { kafkaShardOf, type KafkaRecord } from '../envelope/kafka.js';

/** The batch attribute bit (and legacy message attribute bit) for broker-set timestamps. */
const LOG_APPEND_TIME_ATTRIBUTE = 0x08;
/** kafkajs' code for LOG_APPEND_TIME in a record batch (`TimestampTypes.LOG_APPEND_TIME`). */
const KAFKAJS_LOG_APPEND_TIME = 1;

/**
 * A message as kafkajs decodes it. Messages of a record batch (Kafka ≥ 0.11) also carry
 * their batch's context at runtime, where the timestamp type lives; kafkajs' types omit it.
 */
export type ConsumedKafkaMessage = KafkaMessage & { readonly batchContext?: { readonly timestampType?: number } };

/** The self-managed Kafka event, with the record shape Lambda really sends (null key/value). */
export interface SelfManagedKafkaLambdaEvent {
  readonly eventSource: 'SelfManagedKafka';
  /** The bootstrap brokers as configured on the mapping, comma-separated. */
  readonly bootstrapServers: string;
  readonly records: Readonly<Record<string, readonly KafkaRecord[]>>;
}

/**
 * One consumed message as a record of the Lambda event. A record without a key gets
 * `key: null`, a tombstone `value: null`; a repeated header becomes one entry per value, in
 * the order kafkajs kept them.
 *
 * @example lambdaKafkaRecordOf('events', 0, message) // { topic: 'events', partition: 0, offset: 42, key: 'dXNlci0x', … }
 */
export function lambdaKafkaRecordOf(topic: string, partition: number, message: ConsumedKafkaMessage): KafkaRecord {
  return {
    topic,
    partition,
    // Offsets are int64 on the wire; Lambda sends JSON numbers, exact up to 2^53.
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: timestampTypeOf(message),
    key: message.key === null ? null : message.key.toString('base64'),
    value: message.value === null ? null : message.value.toString('base64'),
    headers: headersOf(message),
  };
}

/**
 * The Lambda event for records of one or more partitions. Records are grouped by
 * `topic-partition` in the order given, which must be offset order within a partition.
 *
 * @example selfManagedKafkaEventOf(['127.0.0.1:9092'], [lambdaKafkaRecordOf('events', 0, message)])
 * // { eventSource: 'SelfManagedKafka', bootstrapServers: '127.0.0.1:9092', records: { 'events-0': [ … ] } }
 */
export function selfManagedKafkaEventOf(brokers: readonly string[], records: readonly KafkaRecord[]): SelfManagedKafkaLambdaEvent {
  // A Map keeps first-seen order and cannot be confused by a topic named like an Object key.
  const byPartition = new Map<string, KafkaRecord[]>();
  for (const record of records) {
    const key = kafkaShardOf(record.topic, record.partition);
    const partition = byPartition.get(key) ?? [];
    partition.push(record);
    byPartition.set(key, partition);
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers: brokers.join(','), records: Object.fromEntries(byPartition) };
}

function timestampTypeOf(message: ConsumedKafkaMessage): KafkaRecord['timestampType'] {
  const batchType = message.batchContext?.timestampType;
  // Record batches keep the type per batch; legacy (v1) message sets per message.
  const logAppend = batchType !== undefined ? batchType === KAFKAJS_LOG_APPEND_TIME : (message.attributes & LOG_APPEND_TIME_ATTRIBUTE) !== 0;
  return logAppend ? 'LOG_APPEND_TIME' : 'CREATE_TIME';
}

function headersOf(message: ConsumedKafkaMessage): NonNullable<KafkaRecord['headers']> {
  const headers: Record<string, number[] | null>[] = [];
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      headers.push({ [name]: one === undefined || one === null ? null : [...Buffer.from(one)] });
    }
  }
  return headers;
}
