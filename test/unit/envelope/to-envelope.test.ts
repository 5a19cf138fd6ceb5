import { describe, expect, it } from 'vitest';
import { toEnvelope } from '../../../shared/envelope/to-envelope.js';
import type { SourceRecord } from '../../../shared/envelope/types.js';
import { PermanentRecordError } from '../../../shared/errors.js';

const arrivalTs = Date.UTC(2026, 10, 26, 12, 0, 0);
const record: SourceRecord = { origin: 'kinesis', stream: 's', shard: 'shardId-1', seq: '42', arrivalTs, dataBase64: '' };
const valid = { event_id: 'e-1', event_type: 'page_view', source: 'web', ts: '2026-11-26T11:59:00Z', url: '/a', user_id: 'u' };

function codeOf(value: unknown): string {
  try {
    toEnvelope(value, record, 0);
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentRecordError);
    return (error as PermanentRecordError).code;
  }
  throw new Error('expected a PermanentRecordError');
}

describe('toEnvelope', () => {
  it('splits envelope fields from the payload and keeps the record coordinates', () => {
    const envelope = toEnvelope(valid, record, 3);
    expect(envelope).toMatchObject({
      eventId: 'e-1',
      eventType: 'page_view',
      source: 'web',
      schemaVersion: 1,
      eventTs: Date.UTC(2026, 10, 26, 11, 59),
      stream: 's',
      shard: 'shardId-1',
      seq: '42',
      subIndex: 3,
      arrivalTs,
      payload: valid,
    });
    expect(envelope.record).toBe(record);
  });

  it('accepts epoch milliseconds, zoned ISO times and plain dates', () => {
    expect(toEnvelope({ ...valid, ts: 1_764_158_340_000 }, record, 0).eventTs).toBe(1_764_158_340_000);
    expect(toEnvelope({ ...valid, ts: '2026-11-26T13:00:00+02:00' }, record, 0).eventTs).toBe(Date.UTC(2026, 10, 26, 11));
    expect(toEnvelope({ ...valid, ts: '2026-11-25' }, record, 0).eventTs).toBe(Date.UTC(2026, 10, 25));
  });

  it('reads schema_version and rejects a non-integer one', () => {
    expect(toEnvelope({ ...valid, schema_version: 2 }, record, 0).schemaVersion).toBe(2);
    expect(codeOf({ ...valid, schema_version: '2' })).toBe('bad_field');
    expect(codeOf({ ...valid, schema_version: 0 })).toBe('bad_field');
  });

  it.each(['event_id', 'event_type', 'source', 'ts'])('rejects an event without %s', (field) => {
    const { [field]: _removed, ...rest } = valid as Record<string, unknown>;
    expect(codeOf(rest)).toBe('missing_field');
  });

  it('rejects values that are not objects', () => {
    expect(codeOf([1, 2])).toBe('not_an_object');
    expect(codeOf('text')).toBe('not_an_object');
    expect(codeOf(null)).toBe('not_an_object');
  });

  it('rejects event types and sources that would break S3 keys', () => {
    expect(codeOf({ ...valid, event_type: '../etc' })).toBe('bad_field');
    expect(codeOf({ ...valid, source: 'a/b' })).toBe('bad_field');
  });

  it('rejects unzoned, unparseable, ancient and far-future times', () => {
    expect(codeOf({ ...valid, ts: '2026-11-26T11:59:00' })).toBe('bad_field');
    expect(codeOf({ ...valid, ts: 'yesterday' })).toBe('bad_field');
    expect(codeOf({ ...valid, ts: 5 })).toBe('bad_field');
    expect(codeOf({ ...valid, ts: arrivalTs + 25 * 3600 * 1000 })).toBe('bad_field');
  });

  it('says which field is wrong in the reason', () => {
    expect(() => toEnvelope({ ...valid, event_id: 7 }, record, 0)).toThrow(/event_id must be a non-empty string, got number 7/);
  });
});
