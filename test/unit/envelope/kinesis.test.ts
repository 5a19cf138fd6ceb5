import type { KinesisStreamEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { compareSeq } from '../../../shared/envelope/sequence.js';

const documented = JSON.parse(readFileSync('test/fixtures/kinesis/documented-event.json', 'utf8')) as KinesisStreamEvent;

describe('sourceRecordsFromKinesis', () => {
  it('maps the documented Lambda Kinesis event to records with shard, stream, seq and arrival', () => {
    const records = sourceRecordsFromKinesis(documented);
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({
      origin: 'kinesis',
      stream: 'lambda-stream',
      shard: 'shardId-000000000006',
      seq: '49590338271490256608559692538361571095921575989136588898',
      arrivalTs: 1545084650987,
      dataBase64: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
      key: '1', // the partition key, kept in the lake's source_key
    });
    expect(records[1]!.arrivalTs).toBe(1545084711166);
  });
});

describe('compareSeq', () => {
  it('orders sequence numbers beyond 2^53 exactly', () => {
    const a = '49590338271490256608559692538361571095921575989136588898';
    const b = '49590338271490256608559692538361571095921575989136588899';
    expect(compareSeq(a, b)).toBeLessThan(0);
    expect(compareSeq(b, a)).toBeGreaterThan(0);
    expect(compareSeq(a, a)).toBe(0);
    expect(compareSeq('9', '10')).toBeLessThan(0);
  });
});
