import type { MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRecordPayload, TOMBSTONE_REASON } from '../../../shared/envelope/decode-payload.js';
import { kafkaHeaders, sourceRecordsFromKafka, type KafkaRecord } from '../../../shared/envelope/kafka.js';
import type { SourceRecord } from '../../../shared/envelope/types.js';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import { kafkaEvent } from '../../support/kafka-events.js';

const msk = JSON.parse(readFileSync('test/fixtures/kafka/msk-event.json', 'utf8')) as MSKEvent;
const selfManaged = JSON.parse(readFileSync('test/fixtures/kafka/self-managed-event.json', 'utf8')) as SelfManagedKafkaEvent;
const position = (r: SourceRecord) => `${r.shard}@${r.seq}`;

describe('sourceRecordsFromKafka', () => {
  it('maps the documented MSK event: topic as stream, topic-partition as shard, offset as seq, timestamp as arrival', () => {
    const records = sourceRecordsFromKafka(msk);
    expect(records.map(position)).toEqual(['events-0@100', 'events-0@101', 'events-0@102', 'events-1@40', 'events-1@41', 'events-1@42']);
    expect(records[0]).toEqual({
      origin: 'kafka',
      stream: 'events',
      shard: 'events-0',
      seq: '100',
      arrivalTs: msk.records['events-0']![0]!.timestamp,
      dataBase64: msk.records['events-0']![0]!.value,
      key: 'user-1',
      headersJson: JSON.stringify(kafkaHeaders(msk.records['events-0']![0]! as unknown as KafkaRecord)),
    });
    expect(JSON.parse(records[0]!.headersJson!)).toMatchObject({ tenant: 'acme' });
    expect(records[0]).not.toHaveProperty('tombstone');
  });

  it('keeps a record without key or headers without them, and a binary key exactly, as base64', () => {
    const event = kafkaEvent({ 0: [{ json: 1 }, { json: 2 }] }, { topic: 'events' });
    const [plain, binary] = Object.values(event.records)[0]! as { key?: string | null; headers?: unknown[] }[];
    plain!.key = null;
    plain!.headers = [];
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    binary!.key = bytes.toString('base64');
    const [first, second] = sourceRecordsFromKafka(event);
    expect(first).not.toHaveProperty('key');
    expect(first).not.toHaveProperty('headersJson');
    expect(second!.key).toBe(`base64:${bytes.toString('base64')}`);
    expect(Buffer.from(second!.key!.slice('base64:'.length), 'base64')).toEqual(bytes);
  });

  it('maps the documented self-managed event the same way', () => {
    const records = sourceRecordsFromKafka(selfManaged);
    expect(records.map(position)).toEqual(['clickstream-0@7', 'clickstream-0@8', 'clickstream-2@3', 'clickstream-2@4']);
    expect(records.every((r) => r.origin === 'kafka' && r.stream === 'clickstream')).toBe(true);
  });

  it('orders each partition by offset, numerically, whatever the delivery order', () => {
    const event = kafkaEvent({ 3: [{ json: 1 }, { json: 2 }, { json: 3 }] }, { topic: 'events' });
    const partition = Object.values(event.records)[0]! as { offset: number }[];
    [partition[0]!.offset, partition[1]!.offset, partition[2]!.offset] = [100, 9, 10];
    expect(sourceRecordsFromKafka(event).map((r) => r.seq)).toEqual(['9', '10', '100']);
  });

  it('names the shard after the record, so topics with dashes keep their whole name', () => {
    const [record] = sourceRecordsFromKafka(kafkaEvent({ 12: [{ json: 1 }] }, { topic: 'page-views-v2' }));
    expect(record).toMatchObject({ stream: 'page-views-v2', shard: 'page-views-v2-12' });
  });

  it('marks a tombstone (null or absent value) instead of failing, with no payload', () => {
    const records = sourceRecordsFromKafka(msk);
    expect(records[2]).toMatchObject({ shard: 'events-0', seq: '102', tombstone: true, dataBase64: '' });
    const absent = kafkaEvent({ 0: [{ json: 1 }] });
    delete (Object.values(absent.records)[0]![0] as { value?: string }).value;
    expect(sourceRecordsFromKafka(absent)[0]).toMatchObject({ tombstone: true, dataBase64: '' });
  });

  it('reads records with a null or absent key', () => {
    const event = kafkaEvent({ 0: [{ json: 1 }, { json: 2 }] });
    const [first, second] = Object.values(event.records)[0]! as { key?: string | null }[];
    first!.key = null;
    delete second!.key;
    expect(sourceRecordsFromKafka(event).map((r) => r.seq)).toEqual(['0', '1']);
  });
});

describe('kafkaHeaders', () => {
  it('decodes the byte-array headers of the documented event to text', () => {
    expect(kafkaHeaders(msk.records['events-0']![0]!)).toEqual({ tenant: 'acme', 'content-type': 'application/json' });
    expect(kafkaHeaders(selfManaged.records['clickstream-0']![0]!)).toEqual({ 'trace-id': '4bf92f3577b34da6' });
  });

  it('keeps the last value of a repeated header, as Kafka’s lastHeader does', () => {
    expect(kafkaHeaders(msk.records['events-1']![0]!)).toEqual({ tenant: 'globex' });
  });

  it('decodes UTF-8, reads a header without value as empty and a record without headers as none', () => {
    const headers: KafkaRecord['headers'] = [{ city: [...Buffer.from('Zürich')] }, { empty: null }];
    expect(kafkaHeaders({ headers })).toEqual({ city: 'Zürich', empty: '' });
    expect(kafkaHeaders({ headers: [] })).toEqual({});
    expect(kafkaHeaders({})).toEqual({});
  });

  it('stores a header named __proto__ as a plain entry', () => {
    const decoded = kafkaHeaders({ headers: [JSON.parse('{"__proto__":[120]}') as Record<string, number[]>] });
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.entries(decoded)).toEqual([['__proto__', 'x']]);
  });
});

describe('decodeBatch on Kafka records', () => {
  it('decodes JSON and gzip NDJSON values, quarantining the tombstone and the malformed value with reasons', () => {
    const { events, quarantined } = decodeBatch(sourceRecordsFromKafka(msk));
    expect(events.map((e) => e.eventId)).toEqual(['msk-evt-1', 'msk-evt-2', 'msk-evt-3', 'msk-evt-4', 'msk-evt-5']);
    expect(events.find((e) => e.eventId === 'msk-evt-3')).toMatchObject({ shard: 'events-0', seq: '101', subIndex: 1 });
    expect(quarantined.map((q) => [q.record.shard, q.record.seq, q.code, q.reason, q.fragment])).toEqual([
      ['events-0', '102', 'tombstone', 'Kafka tombstone (null value): nothing to ingest', null],
      ['events-1', '41', 'bad_json', expect.stringMatching(/^payload is not JSON/), 'not json {'],
    ]);
  });

  it('quarantines the self-managed fixture’s tombstone and truncated JSON the same way', () => {
    const { events, quarantined } = decodeBatch(sourceRecordsFromKafka(selfManaged));
    expect(events.map((e) => e.eventId)).toEqual(['sm-evt-1', 'sm-evt-2', 'sm-evt-3']);
    expect(quarantined.map((q) => [q.record.shard, q.record.seq, q.code])).toEqual([
      ['clickstream-0', '8', 'tombstone'],
      ['clickstream-2', '4', 'bad_json'],
    ]);
  });

  it('keeps an empty payload that is not a tombstone (an empty Kinesis record) as bad_json', () => {
    expect(decodeRecordPayload({ dataBase64: '' }).map((i) => !i.ok && i.error.code)).toEqual(['bad_json']);
    expect(decodeRecordPayload({ dataBase64: '', tombstone: true })).toEqual([
      expect.objectContaining({ ok: false, subIndex: 0, text: null, error: expect.objectContaining({ code: 'tombstone', message: TOMBSTONE_REASON }) }),
    ]);
  });
});
