// Decides, for one quarantined row, whether its event can be ingested now: recovers the
// event from the record the quarantine object kept, then runs the ingest's own checks
// (the producer contract, then the currently registered schema) on it.
import { decodeRecordPayload } from '../envelope/decode-payload.js';
import { toEnvelope } from '../envelope/to-envelope.js';
import type { EventEnvelope, Origin, SourceRecord } from '../envelope/types.js';
import { PermanentRecordError } from '../errors.js';
import { planLakeFiles, type SchemaLookup } from '../ingest/plan-lake-files.js';
import { recordKeyOf, type QuarantinedRecords } from './quarantine-object.js';
import type { QuarantineRow } from './ports.js';

/** The event of a row that passes every check now, as the NDJSON line to send. */
export interface ReplayableEvent {
  readonly ok: true;
  readonly event: EventEnvelope;
  readonly line: string;
}

/** A row that would fail again, and why. */
export interface StillFailing {
  readonly ok: false;
  /** A quarantine code (see errors.ts), or `object_missing` / `data_missing` when the raw record is gone. */
  readonly code: string;
  readonly reason: string;
}

/**
 * Rechecks one row against the records of its quarantine object (undefined: the object is
 * gone) and the schemas as they are registered now.
 *
 * @example const verdict = recheckQuarantined(row, quarantinedRecords(text), registry); if (verdict.ok) lines.push(verdict.line);
 */
export function recheckQuarantined(row: QuarantineRow, records: QuarantinedRecords | undefined, schemas: SchemaLookup): ReplayableEvent | StillFailing {
  // A Kafka tombstone carries no value at all: there is no event to recover, ever.
  if (row.code === 'tombstone') return { ok: false, code: 'tombstone', reason: 'a Kafka tombstone has no event to replay' };
  if (!records) return { ok: false, code: 'object_missing', reason: `quarantine object ${row.objectKey} no longer exists` };
  const kept = records.get(recordKeyOf(row));
  if (kept === undefined) {
    return { ok: false, code: 'data_missing', reason: `quarantine object ${row.objectKey} holds no data for the record` };
  }
  const record: SourceRecord = {
    origin: row.origin as Origin,
    stream: row.stream,
    shard: row.shard,
    seq: row.seq,
    arrivalTs: row.arrivalTs,
    ...kept,
  };
  const item = decodeRecordPayload(record).find((i) => i.subIndex === row.subIndex);
  if (!item) return { ok: false, code: 'data_missing', reason: `the record has no item ${row.subIndex}` };
  if (!item.ok) return { ok: false, code: item.error.code, reason: item.error.message };
  let event: EventEnvelope;
  try {
    event = toEnvelope(item.value, record, row.subIndex);
  } catch (error) {
    if (!(error instanceof PermanentRecordError)) throw error;
    return { ok: false, code: error.code, reason: error.message };
  }
  // The planner is the ingest's schema check; running it keeps replay's verdict identical.
  const failure = planLakeFiles([event], schemas, { shardKey: 'replay', lateThresholdMs: 0 }).quarantined[0];
  if (failure) return { ok: false, code: failure.code, reason: failure.reason };
  return { ok: true, event, line: item.text ?? JSON.stringify(item.value) };
}
