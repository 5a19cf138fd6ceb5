import { describe, expect, it } from 'vitest';
import { canonicalUtcMillis, toEnvelope } from '../../../shared/envelope/to-envelope.js';
import { seededRandom } from '../../../shared/producer/synthetic-events.js';
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

describe('canonicalUtcMillis (the fast path for ts)', () => {
  it('agrees with Date.parse on random instants, with and without milliseconds', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 20_000; i++) {
      const iso = new Date(Date.UTC(2000, 0, 1) + Math.floor(random() * 100 * 365 * 86_400_000)).toISOString();
      const fast = canonicalUtcMillis(iso);
      // Days past 28 fall back to the general path (-1); everything else must match exactly.
      if (fast !== -1) expect(fast, iso).toBe(Date.parse(iso));
      const seconds = `${iso.slice(0, 19)}Z`;
      if (canonicalUtcMillis(seconds) !== -1) expect(canonicalUtcMillis(seconds), seconds).toBe(Date.parse(seconds));
    }
    expect(canonicalUtcMillis('2026-11-26T11:59:00.123Z')).toBe(Date.UTC(2026, 10, 26, 11, 59, 0, 123));
  });

  it('leaves every other shape, and calendar edge cases, to the general path', () => {
    for (const ts of ['2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T23:60:00Z',
      '2026-01-01T12:00:00.000+01:00', '2026-01-01 12:00:00Z', 'abcd-01-01T00:00:00Z', '2026-01-01T12:00:00.12Z', '2026-01-01']) {
      expect(canonicalUtcMillis(ts), ts).toBe(-1);
    }
  });

  it('keeps the general path for the shapes it leaves: Feb 30 reads as Date.parse reads it, an offset is honoured', () => {
    expect(toEnvelope({ ...valid, ts: '2026-02-30T00:00:00Z' }, record, 0).eventTs).toBe(Date.parse('2026-02-30T00:00:00Z'));
    expect(toEnvelope({ ...valid, ts: '2026-11-26T12:59:00+01:00' }, record, 0).eventTs).toBe(Date.UTC(2026, 10, 26, 11, 59));
    expect(codeOf({ ...valid, ts: '2026-13-01T00:00:00Z' })).toBe('bad_field');
  });
});
