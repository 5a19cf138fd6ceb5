import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kafkaHeaders, sourceRecordsFromKafka, type KafkaEvent, type KafkaRecord } from '../../../shared/envelope/kafka.js';
import { lambdaKafkaRecordOf, selfManagedKafkaEventOf, type ConsumedKafkaMessage } from '../../../shared/local/kafka-lambda-event.js';
import { kafkajsMessageOf } from '../../support/kafkajs-messages.js';

interface FixtureEvent {
  readonly eventSource: string;
  readonly bootstrapServers: string;
  readonly records: Record<string, KafkaRecord[]>;
}
const selfManaged = JSON.parse(readFileSync('test/fixtures/kafka/self-managed-event.json', 'utf8')) as FixtureEvent;
const msk = JSON.parse(readFileSync('test/fixtures/kafka/msk-event.json', 'utf8')) as FixtureEvent;

/** The fixture's records as kafkajs would deliver them, back through the builder. */
async function rebuilt(fixture: FixtureEvent): Promise<KafkaRecord[]> {
  const records: KafkaRecord[] = [];
  for (const record of Object.values(fixture.records).flat()) {
    records.push(lambdaKafkaRecordOf(record.topic, record.partition, await kafkajsMessageOf(record)));
  }
  return records;
}

describe('the local Kafka mapping builds the Lambda self-managed Kafka event', () => {
  it('reproduces the documented self-managed event from the messages kafkajs decodes', async () => {
    const event = selfManagedKafkaEventOf(selfManaged.bootstrapServers.split(','), await rebuilt(selfManaged));
    expect(event).toEqual(selfManaged);
  });

  it('reproduces LOG_APPEND_TIME, repeated headers (one entry each, in order), null keys and tombstones', async () => {
    const event = selfManagedKafkaEventOf(['127.0.0.1:9092'], await rebuilt(msk));
    expect(event.records).toEqual(msk.records);
    expect(event.records['events-1']![0]!.headers).toEqual([{ tenant: [...Buffer.from('acme')] }, { tenant: [...Buffer.from('globex')] }]);
    expect(event.records['events-0']![2]).toMatchObject({ offset: 102, value: null });
  });

  it('round-trips through sourceRecordsFromKafka and kafkaHeaders like the fixture itself', async () => {
    const event = selfManagedKafkaEventOf(selfManaged.bootstrapServers.split(','), await rebuilt(selfManaged)) as unknown as KafkaEvent;
    expect(sourceRecordsFromKafka(event)).toEqual(sourceRecordsFromKafka(selfManaged as unknown as KafkaEvent));
    const built = Object.values(event.records).flat() as KafkaRecord[];
    expect(built.map(kafkaHeaders)).toEqual(Object.values(selfManaged.records).flat().map(kafkaHeaders));
  });

  it('keys records by topic-partition in first-seen order, offsets as numbers, a partition in the order given', () => {
    const message = (offset: string, value: string | null): ConsumedKafkaMessage => ({
      key: null,
      value: value === null ? null : Buffer.from(value),
      timestamp: '1795684503000',
      attributes: 0,
      offset,
      headers: {},
    });
    const event = selfManagedKafkaEventOf(
      ['a:9092', 'b:9092'],
      [
        lambdaKafkaRecordOf('page-views-v2', 3, message('9007199254740990', '{}')),
        lambdaKafkaRecordOf('events', 0, message('5', 'x')),
        lambdaKafkaRecordOf('page-views-v2', 3, message('9007199254740991', null)),
      ],
    );
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event.bootstrapServers).toBe('a:9092,b:9092');
    expect(Object.keys(event.records)).toEqual(['page-views-v2-3', 'events-0']);
    expect(event.records['page-views-v2-3']!.map((r) => r.offset)).toEqual([9007199254740990, 9007199254740991]);
    expect(event.records['events-0']![0]).toEqual({
      topic: 'events',
      partition: 0,
      offset: 5,
      timestamp: 1795684503000,
      timestampType: 'CREATE_TIME',
      key: null,
      value: Buffer.from('x').toString('base64'),
      headers: [],
    });
  });

  it('reads the timestamp type of a legacy (v1) message set from the message attributes', () => {
    const legacy = { key: null, value: Buffer.from('{}'), timestamp: '1', attributes: 0x08, offset: '0', size: 10 } as ConsumedKafkaMessage;
    expect(lambdaKafkaRecordOf('t', 0, legacy).timestampType).toBe('LOG_APPEND_TIME');
    expect(lambdaKafkaRecordOf('t', 0, { ...legacy, attributes: 0 } as ConsumedKafkaMessage).timestampType).toBe('CREATE_TIME');
  });

  it('sends a header without a value as null and keeps a header named __proto__', () => {
    const message = {
      key: Buffer.from('k'),
      value: Buffer.from('{}'),
      timestamp: '1',
      attributes: 0,
      offset: '0',
      headers: JSON.parse('{"__proto__": "p", "empty": null}') as Record<string, string>,
    } as ConsumedKafkaMessage;
    const record = lambdaKafkaRecordOf('t', 0, message);
    expect(record.headers).toEqual([{ ['__proto__']: [112] }, { empty: null }]);
    expect(kafkaHeaders(record)).toEqual(JSON.parse('{"__proto__": "p", "empty": ""}'));
  });
});
