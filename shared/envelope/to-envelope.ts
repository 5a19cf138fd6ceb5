// Checks one decoded JSON value against the producer contract (DESIGN.md "The event
// contract") and reads its envelope fields; the rest of the object is the payload.
import { PermanentRecordError } from '../errors.js';
import type { EventEnvelope, SourceRecord } from './types.js';

/** The snake_case envelope fields a producer sends; everything else is payload. */
export const CONTRACT_FIELDS = new Set(['event_id', 'event_type', 'source', 'ts', 'schema_version']);

/** event_type and source appear in S3 keys, so they are limited to key-safe characters. */
const EVENT_TYPE = /^[a-z][a-z0-9_]{0,63}$/;
const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_EVENT_ID_LENGTH = 128;
/** Events stamped further ahead of arrival than this are producer clock bugs, not data. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;
const MIN_EVENT_TS = Date.UTC(2000, 0, 1);

/**
 * Builds the envelope of one event, or throws {@link PermanentRecordError} saying which field is wrong.
 *
 * @example toEnvelope({ event_id: 'e1', event_type: 'page_view', source: 'web', ts: 0, url: '/' }, record, 0)
 */
export function toEnvelope(value: unknown, record: SourceRecord, subIndex: number): EventEnvelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PermanentRecordError('not_an_object', `event must be a JSON object, got ${describe(value)}`);
  }
  const event = value as Record<string, unknown>;
  const eventId = requireString(event, 'event_id');
  if (eventId.length > MAX_EVENT_ID_LENGTH) {
    throw new PermanentRecordError('bad_field', `event_id is longer than ${MAX_EVENT_ID_LENGTH} characters`);
  }
  const eventType = requireString(event, 'event_type');
  if (!EVENT_TYPE.test(eventType)) {
    throw new PermanentRecordError('bad_field', `event_type "${clip(eventType)}" must match ${EVENT_TYPE}`);
  }
  const source = requireString(event, 'source');
  if (!SOURCE.test(source)) {
    throw new PermanentRecordError('bad_field', `source "${clip(source)}" must match ${SOURCE}`);
  }
  const eventTs = parseEventTime(event['ts'], record.arrivalTs);
  const schemaVersion = parseSchemaVersion(event['schema_version']);

  return {
    source,
    stream: record.stream,
    shard: record.shard,
    seq: record.seq,
    subIndex,
    arrivalTs: record.arrivalTs,
    eventId,
    eventType,
    schemaVersion,
    eventTs,
    payload: event,
    record,
  };
}

/** Reads the producer's `source` from a value that may fail the contract, for quarantine rows. */
export function sourceOf(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const source = (value as Record<string, unknown>)['source'];
  return typeof source === 'string' && SOURCE.test(source) ? source : null;
}

function requireString(event: Record<string, unknown>, field: string): string {
  const value = event[field];
  if (value === undefined || value === null) {
    throw new PermanentRecordError('missing_field', `required field ${field} is missing`);
  }
  if (typeof value !== 'string' || value.length === 0) {
    throw new PermanentRecordError('bad_field', `${field} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function parseEventTime(ts: unknown, arrivalTs: number): number {
  if (ts === undefined || ts === null) {
    throw new PermanentRecordError('missing_field', 'required field ts is missing');
  }
  let millis: number;
  if (typeof ts === 'number') {
    millis = ts;
  } else if (typeof ts === 'string' && (millis = canonicalUtcMillis(ts)) >= 0) {
    // The common shape, read without a regex and Date.parse (a tenth of decoding).
  } else if (typeof ts === 'string' && ISO_8601.test(ts)) {
    millis = Date.parse(ts);
  } else {
    throw new PermanentRecordError('bad_field', `ts must be an ISO-8601 string or epoch milliseconds, got ${describe(ts)}`);
  }
  if (!Number.isFinite(millis) || millis < MIN_EVENT_TS) {
    throw new PermanentRecordError('bad_field', `ts ${describe(ts)} is not a valid time after 2000-01-01`);
  }
  if (millis > arrivalTs + MAX_FUTURE_SKEW_MS) {
    throw new PermanentRecordError('bad_field', `ts ${describe(ts)} is more than 24 h ahead of arrival`);
  }
  return Math.trunc(millis);
}

/** Date-time with an explicit zone (Z or ±hh:mm), or a plain date; rejects locale formats Date.parse accepts. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

const DIGIT_0 = 48;

/**
 * Epoch ms of `YYYY-MM-DDTHH:MM:SS.sssZ` or `YYYY-MM-DDTHH:MM:SSZ` (what toISOString and
 * most producers write), or -1 for anything else, which then takes the general path. Days
 * past 28 and hour 24 also take it, so calendar edge cases stay exactly Date.parse's.
 */
export function canonicalUtcMillis(ts: string): number {
  const length = ts.length;
  if ((length !== 24 && length !== 20) || ts.charCodeAt(length - 1) !== 0x5a /* Z */) return -1;
  if (ts.charCodeAt(4) !== 0x2d || ts.charCodeAt(7) !== 0x2d || ts.charCodeAt(10) !== 0x54 || ts.charCodeAt(13) !== 0x3a || ts.charCodeAt(16) !== 0x3a) return -1;
  if (length === 24 && ts.charCodeAt(19) !== 0x2e) return -1;
  const year = digits(ts, 0, 4);
  const month = digits(ts, 5, 2);
  const day = digits(ts, 8, 2);
  const hour = digits(ts, 11, 2);
  const minute = digits(ts, 14, 2);
  const second = digits(ts, 17, 2);
  const millis = length === 24 ? digits(ts, 20, 3) : 0;
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) return -1;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/** The decimal number of `count` digits at `start`, or -1 if one is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function parseSchemaVersion(version: unknown): number {
  if (version === undefined || version === null) return 1;
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1 && version <= 10_000) return version;
  throw new PermanentRecordError('bad_field', `schema_version must be a positive integer, got ${describe(version)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${clip(value)}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
