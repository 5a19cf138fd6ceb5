// The webhook checks records for shape only: the producer contract (DESIGN.md "The event
// contract"), the partner's own source and its allowed event types. Payload schemas are the
// queue consumer's job, which quarantines failures with their reason.
import { sqsSafeLine } from '../envelope/sqs.js';
import { toEnvelope } from '../envelope/to-envelope.js';
import type { SourceRecord } from '../envelope/types.js';
import { PermanentRecordError } from '../errors.js';
import type { BodyItem } from './request-body.js';
import type { Partner, RejectedRecord } from './types.js';


/** The records of a request split into lines to enqueue and refusals with reasons. */
export interface EdgeCheckResult {
  /** One NDJSON line per accepted record, `source` set to the partner. */
  readonly lines: string[];
  readonly rejected: RejectedRecord[];
}

/**
 * Checks each record; an accepted record keeps its own text when it already names the
 * partner as `source`, otherwise it is serialised again with `source` set.
 *
 * @example checkRecords(items, partner, Date.now()).lines.length
 */
export function checkRecords(items: readonly BodyItem[], partner: Partner, nowMs: number, maxMessageBodyBytes: number): EdgeCheckResult {
  // A record must also fit one queue message, whatever the partner's own limit says.
  const maxRecordBytes = Math.min(partner.limits.maxRecordBytes, maxMessageBodyBytes);
  const lines: string[] = [];
  const rejected: RejectedRecord[] = [];
  // toEnvelope checks the contract against a record's arrival time: here, now.
  const arrival: SourceRecord = { origin: 'sqs', stream: 'webhook', shard: partner.id, seq: '0', arrivalTs: nowMs, dataBase64: '' };
  for (const item of items) {
    if ('error' in item) {
      rejected.push({ index: item.index, reason: item.error });
      continue;
    }
    const outcome = checkRecord(item.value, item.text, partner, arrival, maxRecordBytes);
    if (typeof outcome === 'string') rejected.push({ index: item.index, reason: outcome });
    else lines.push(outcome.line);
  }
  return { lines, rejected };
}

function checkRecord(value: unknown, text: string | null, partner: Partner, arrival: SourceRecord, maxRecordBytes: number): string | { line: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'an event must be a JSON object';
  const event = value as Record<string, unknown>;
  const source = event['source'];
  if (source !== undefined && source !== partner.id) {
    return `source ${JSON.stringify(source)} does not match the partner ${partner.id} in the URL; omit it or send ${partner.id}`;
  }
  const reuseText = source === partner.id && text !== null;
  if (source === undefined) event['source'] = partner.id;
  try {
    const envelope = toEnvelope(event, arrival, 0);
    if (partner.allowedEventTypes.size > 0 && !partner.allowedEventTypes.has(envelope.eventType)) {
      return `event_type ${envelope.eventType} is not allowed for partner ${partner.id}`;
    }
  } catch (error) {
    if (error instanceof PermanentRecordError) return error.message;
    throw error;
  }
  const line = sqsSafeLine(reuseText ? text : JSON.stringify(event));
  const bytes = line.length * 3 <= maxRecordBytes ? line.length : Buffer.byteLength(line);
  if (bytes > maxRecordBytes) {
    return `record is ${bytes} bytes; the limit is ${maxRecordBytes}`;
  }
  return { line };
}
