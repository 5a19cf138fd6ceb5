import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import { queueNameOf, sourceRecordAttribute, sourceRecordsFromSqs } from '../../../shared/envelope/sqs.js';

const documented = JSON.parse(readFileSync('test/fixtures/sqs/documented-event.json', 'utf8')) as SQSEvent;

describe('sourceRecordsFromSqs', () => {
  it('maps each message to a record of its queue, sequenced by message id', () => {
    const records = sourceRecordsFromSqs(documented);
    expect(records.map(({ dataBase64: _data, ...r }) => r)).toEqual([
      { origin: 'sqs', stream: 'event-lake-prod-partner-ingest', shard: 'event-lake-prod-partner-ingest', seq: '059f36b4-87a3-44ab-83d2-661975830a7d', arrivalTs: 1795687199990 },
      // No received_at attribute (e.g. a message sent by another producer): SentTimestamp.
      { origin: 'sqs', stream: 'event-lake-prod-partner-ingest', shard: 'event-lake-prod-partner-ingest', seq: '2e1424d4-f796-459a-8184-9c92662be6da', arrivalTs: 1795687202000 },
    ]);
  });

  it('decodes the NDJSON body of a message into one envelope per line', () => {
    const { events, quarantined } = decodeBatch(sourceRecordsFromSqs(documented));
    expect(quarantined).toEqual([]);
    expect(events.map((e) => [e.eventId, e.subIndex, e.source])).toEqual([
      ['sqs-evt-1', 0, 'acme'],
      ['sqs-evt-2', 1, 'acme'],
      ['sqs-evt-3', 0, 'acme'],
    ]);
  });

  it('decodes a gzip-base64 body (content_encoding attribute) like a plain one', () => {
    const plain = documented.Records[0]!;
    const compressed = {
      ...plain,
      body: gzipSync(plain.body).toString('base64'),
      messageAttributes: { ...plain.messageAttributes, content_encoding: { stringValue: 'gzip-base64', stringListValues: [], binaryListValues: [], dataType: 'String' } },
    };
    const ids = (event: SQSEvent) => decodeBatch(sourceRecordsFromSqs(event)).events.map((e) => e.eventId);
    expect(ids({ Records: [compressed] })).toEqual(ids({ Records: [plain] }));
    expect(ids({ Records: [compressed] })).toEqual(['sqs-evt-1', 'sqs-evt-2']);
  });

  it('gives a replayed message’s records the key and headers of the record they first came in', () => {
    const plain = documented.Records[0]!;
    const withOriginal = (value: string) => ({
      ...plain,
      messageAttributes: { ...plain.messageAttributes, source_record: { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' } },
    });
    // A key with characters SQS refuses in attributes (controls, U+FFFE/U+FFFF, a lone
    // surrogate), escaped by the writer and restored here.
    const original = { key: 'user\u0001-\uffff\ufffe\ud800', headersJson: '{"trace":"t-1"}' };
    const value = sourceRecordAttribute(original)!;
    expect([...value].filter((c) => c < ' ' || c === '\uffff' || c === '\ufffe' || c === '\ud800')).toEqual([]);
    const [record] = sourceRecordsFromSqs({ Records: [withOriginal(value)] });
    expect(record).toMatchObject(original);
    const [event] = decodeBatch([record!]).events;
    expect(event!.record).toMatchObject(original);
    // Not what the replay writes: the events still come through, without a key.
    const [damaged] = sourceRecordsFromSqs({ Records: [withOriginal('{not json')] });
    expect(damaged!.key).toBeUndefined();
    expect(sourceRecordAttribute({})).toBeUndefined();
  });

  it('reads the queue name from the end of the ARN', () => {
    expect(queueNameOf('arn:aws:sqs:eu-west-1:123456789012:q-1')).toBe('q-1');
  });
});
