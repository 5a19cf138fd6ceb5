// Messages exactly as kafkajs hands them to a consumer, for tests without a broker: each
// record is encoded as a Kafka record batch with kafkajs' own encoder and decoded with its
// own fetch decoder, so the test sees the runtime shape (including batchContext).
import { createRequire } from 'node:module';
import type { KafkaRecord } from '../../shared/envelope/kafka.js';
import type { ConsumedKafkaMessage } from '../../shared/local/kafka-lambda-event.js';

const require = createRequire(import.meta.url);
// kafkajs' protocol modules are internal (no types); these are the ones its fetch path uses.
type Encoder = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (batch: object) => Promise<Encoder> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => Encoder;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: object) => Promise<{ records: ConsumedKafkaMessage[] }>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => object;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string): unknown };

/** Offset of the low byte of the batch attributes: firstOffset 8, length 4, epoch 4, magic 1, crc 4, then int16. */
const ATTRIBUTES_LOW_BYTE = 22;
const LOG_APPEND_TIME_FLAG = 0x08;

/**
 * The message kafkajs would decode for a record of a Lambda Kafka event (the inverse of
 * what the local event source builds), in a batch of its own.
 *
 * @example const message = await kafkajsMessageOf(fixture.records['clickstream-0'][0]);
 */
export async function kafkajsMessageOf(record: KafkaRecord): Promise<ConsumedKafkaMessage> {
  const headers: Record<string, Buffer[]> = {};
  for (const header of record.headers ?? []) {
    for (const [name, bytes] of Object.entries(header)) (headers[name] ??= []).push(Buffer.from(bytes ?? []));
  }
  const batch = await RecordBatch({
    firstOffset: Long.fromValue(record.offset),
    firstTimestamp: record.timestamp,
    maxTimestamp: record.timestamp,
    records: [
      Record({
        key: record.key === null || record.key === undefined ? null : Buffer.from(record.key, 'base64'),
        value: record.value === null || record.value === undefined ? null : Buffer.from(record.value, 'base64'),
        headers: Object.fromEntries(Object.entries(headers).map(([name, values]) => [name, values.length === 1 ? values[0] : values])),
      }),
    ],
  });
  const bytes = Buffer.from(batch.buffer);
  // kafkajs' encoder always writes CREATE_TIME (producers do); the broker sets the flag.
  if (record.timestampType === 'LOG_APPEND_TIME') bytes[ATTRIBUTES_LOW_BYTE]! |= LOG_APPEND_TIME_FLAG;
  const { records } = await decodeRecordBatch(new Decoder(bytes));
  return records[0]!;
}
