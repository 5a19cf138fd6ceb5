// Adapts the Lambda Kafka event shapes (Amazon MSK and self-managed Apache Kafka) to
// SourceRecords. One invocation carries records of several partitions, keyed `topic-partition`.
import { isUtf8 } from 'node:buffer';
import type { MSKEvent, MSKRecord, SelfManagedKafkaEvent } from 'aws-lambda';
import type { SourceRecord } from './types.js';

/** The event of either Kafka trigger; both carry the same record shape. */
export type KafkaEvent = MSKEvent | SelfManagedKafkaEvent;

/**
 * One record of a Kafka event as Lambda sends it. @types/aws-lambda declares `key` and `value`
 * as strings, but a record produced without a key has none, and a tombstone's value is null.
 */
export type KafkaRecord = Omit<MSKRecord, 'key' | 'value' | 'headers'> & {
  readonly key?: string | null;
  readonly value?: string | null;
  /** One single-entry object per header: the name, and the value as a byte array. */
  readonly headers?: readonly Readonly<Record<string, readonly number[] | null>>[];
};

/**
 * Maps every record of a Kafka event to a SourceRecord: `stream` is the topic, `shard` the
 * topic-partition and `seq` the offset, in offset order within each partition. The key and
 * headers travel with the record into the lake's source_key and source_headers columns; a
 * tombstone is marked so decoding quarantines it.
 *
 * @example const records = sourceRecordsFromKafka(event); // records[0].shard === 'events-0'
 */
export function sourceRecordsFromKafka(event: KafkaEvent): SourceRecord[] {
  const records: SourceRecord[] = [];
  for (const partition of Object.values<readonly KafkaRecord[]>(event.records)) {
    // Lambda delivers a partition in offset order; sorting makes the checkpoint (the last
    // offset of the batch) independent of that promise.
    const ordered = [...partition].sort((a, b) => a.offset - b.offset);
    for (const record of ordered) records.push(toSourceRecord(record));
  }
  return records;
}

function toSourceRecord(record: KafkaRecord): SourceRecord {
  const common = {
    origin: 'kafka',
    stream: record.topic,
    shard: kafkaShardOf(record.topic, record.partition),
    // Offsets are int64 on the wire; JSON numbers stay exact up to 2^53, far past any real offset.
    seq: String(record.offset),
    // CREATE_TIME (the producer's clock) or LOG_APPEND_TIME (the broker's), epoch milliseconds;
    // -1 (messages written in the pre-0.10 format carry none) means "now".
    arrivalTs: record.timestamp >= 0 ? record.timestamp : Date.now(),
    ...transportFields(record),
  } as const;
  if (record.value === null || record.value === undefined) return { ...common, dataBase64: '', tombstone: true };
  return { ...common, dataBase64: record.value };
}

/** The key and headers a Kafka record carried, for the lake's source_key / source_headers. */
function transportFields(record: KafkaRecord): Pick<SourceRecord, 'key' | 'headersJson'> {
  const fields: { key?: string; headersJson?: string } = {};
  if (record.key !== null && record.key !== undefined) fields.key = kafkaKeyText(record.key);
  if (record.headers && record.headers.length > 0) fields.headersJson = JSON.stringify(kafkaHeaders(record));
  return fields;
}

/**
 * A Kafka key (base64 in the Lambda event) as text: its UTF-8 when the bytes are valid UTF-8
 * (string keys, the common case), else `base64:<the bytes>` so a binary key is kept exactly.
 *
 * @example kafkaKeyText(Buffer.from('user-1').toString('base64')) // 'user-1'
 */
export function kafkaKeyText(keyBase64: string): string {
  const bytes = Buffer.from(keyBase64, 'base64');
  return isUtf8(bytes) ? bytes.toString('utf8') : `base64:${keyBase64}`;
}

/**
 * The shard id of a Kafka partition, as Lambda keys the records map.
 *
 * @example kafkaShardOf('events', 3) // 'events-3'
 */
export function kafkaShardOf(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Decodes a record's headers to text (UTF-8). Lambda sends each header as `{ name: [bytes] }`;
 * a repeated name keeps its last value, as Kafka's `Headers.lastHeader` does, and a header
 * without a value reads as ''.
 *
 * @example kafkaHeaders({ headers: [{ tenant: [97, 99, 109, 101] }] }) // { tenant: 'acme' }
 */
export function kafkaHeaders(record: Pick<KafkaRecord, 'headers'>): Record<string, string> {
  // A Map, then fromEntries: a header may be named `__proto__`, which plain assignment would not store.
  const headers = new Map<string, string>();
  for (const header of record.headers ?? []) {
    for (const [name, bytes] of Object.entries(header)) {
      headers.set(name, Array.isArray(bytes) ? Buffer.from(bytes).toString('utf8') : '');
    }
  }
  return Object.fromEntries(headers);
}
