// Adapts the Lambda SQS event shape to SourceRecords: one record per message, `stream` and
// `shard` the queue's name, `seq` the message id. Messages carry NDJSON records of one
// partner request (or of a replay), so one message may hold many events.
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { SourceRecord } from './types.js';

/** Names of the message attributes the ingest queue's producers set and its consumer reads. */
export const QUEUE_ATTRIBUTES = {
  source: 'source',
  requestId: 'request_id',
  receivedAt: 'received_at',
  contentEncoding: 'content_encoding',
  /** The key and headers of the record a replayed event first came in (see {@link sourceRecordAttribute}). */
  sourceRecord: 'source_record',
} as const;

/** The `content_encoding` message attribute of a body that is base64 of gzip'd NDJSON. */
export const GZIP_BASE64 = 'gzip-base64';

/** What a message's events keep of the record they first arrived in, for the lake's source_key / source_headers. */
export interface OriginalRecordFields {
  readonly key?: string | undefined;
  readonly headersJson?: string | undefined;
}

/**
 * The `source_record` attribute value for a message whose events came from a record with a
 * key or headers (a replayed Kinesis or Kafka record), or undefined when there is neither.
 * JSON with every character SQS refuses escaped: keys may hold control characters and
 * headers any text, but an attribute, like a body, must be XML characters.
 *
 * @example sourceRecordAttribute({ key: 'user-7' }) // '{"key":"user-7"}'
 */
export function sourceRecordAttribute(fields: OriginalRecordFields): string | undefined {
  if (fields.key === undefined && fields.headersJson === undefined) return undefined;
  return sqsSafeLine(JSON.stringify({ key: fields.key, headers: fields.headersJson }));
}

/**
 * Bytes the `source_record` attribute adds to a message (SQS counts name, type and value),
 * 0 when there is none; a replay takes them off the message's body budget.
 *
 * @example sourceRecordAttributeBytes({ key: 'user-7' }) // 35
 */
export function sourceRecordAttributeBytes(fields: OriginalRecordFields): number {
  const value = sourceRecordAttribute(fields);
  return value === undefined ? 0 : messageAttributeBytes(QUEUE_ATTRIBUTES.sourceRecord, { DataType: 'String', StringValue: value });
}

/**
 * What one message attribute adds to a message's size: SQS counts its name, data type and value.
 *
 * @example messageAttributeBytes('source', { DataType: 'String', StringValue: 'acme' }) // 16
 */
export function messageAttributeBytes(
  name: string,
  attribute: { readonly DataType?: string | undefined; readonly StringValue?: string | undefined; readonly BinaryValue?: Uint8Array | undefined },
): number {
  return Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType ?? '') + Buffer.byteLength(attribute.StringValue ?? '') + (attribute.BinaryValue?.byteLength ?? 0);
}

/**
 * SQS refuses message bodies and attributes with U+FFFE or U+FFFF (outside XML's character
 * set). In valid JSON they can only stand inside strings, where the \uXXXX escape means the
 * same. (JSON.stringify already escapes the other characters SQS refuses: controls and lone
 * surrogates.)
 *
 * @example sqsSafeLine('{"u":"\uffff"}') // the same JSON with the character escaped
 */
export function sqsSafeLine(line: string): string {
  return NON_XML.test(line) ? line.replace(NON_XML_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : line;
}

const NON_XML = /[\uFFFE\uFFFF]/;
const NON_XML_GLOBAL = /[\uFFFE\uFFFF]/g;

/**
 * Maps every message of an SQS event to a SourceRecord. The arrival time is when the webhook
 * accepted the records (attribute `received_at`), else when SQS received the message.
 *
 * @example const records = sourceRecordsFromSqs(event); // records[0].seq === event.Records[0].messageId
 */
export function sourceRecordsFromSqs(event: SQSEvent): SourceRecord[] {
  return event.Records.map(toSourceRecord);
}

function toSourceRecord(message: SQSRecord): SourceRecord {
  const queue = queueNameOf(message.eventSourceARN);
  const attributes = message.messageAttributes ?? {};
  const receivedAt = Number(attributes[QUEUE_ATTRIBUTES.receivedAt]?.stringValue);
  const sentAt = Number(message.attributes.SentTimestamp);
  const original = originalRecordFields(attributes[QUEUE_ATTRIBUTES.sourceRecord]?.stringValue);
  return {
    origin: 'sqs',
    stream: queue,
    shard: queue,
    seq: message.messageId,
    arrivalTs: Number.isFinite(receivedAt) && receivedAt > 0 ? receivedAt : Number.isFinite(sentAt) ? sentAt : Date.now(),
    // A compressed body is base64 of gzip already, which decoding inflates like any gzip record.
    dataBase64: attributes[QUEUE_ATTRIBUTES.contentEncoding]?.stringValue === GZIP_BASE64 ? message.body : Buffer.from(message.body, 'utf8').toString('base64'),
    ...original,
  };
}

/**
 * Reads a `source_record` attribute back. Only our replay sets it; a value that is not what
 * it writes is ignored (the events still land, without a key), rather than failing a
 * message whose events are fine.
 */
function originalRecordFields(value: string | undefined): { key?: string; headersJson?: string } {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return {};
  }
  const { key, headers } = (parsed ?? {}) as { key?: unknown; headers?: unknown };
  return { ...(typeof key === 'string' ? { key } : {}), ...(typeof headers === 'string' ? { headersJson: headers } : {}) };
}

/**
 * The queue name at the end of a queue ARN.
 *
 * @example queueNameOf('arn:aws:sqs:us-east-1:123456789012:event-lake-prod-partner-ingest') // 'event-lake-prod-partner-ingest'
 */
export function queueNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1) || arn;
}
