// Reads a webhook body into records: the content type names the format (a JSON array or
// NDJSON), gzip is inflated under a hard cap (a small body must not expand into gigabytes),
// and the record count is checked before any record is parsed.
import { gunzipSync } from 'node:zlib';
import { WebhookRequestError } from './errors.js';
import type { PartnerLimits } from './types.js';

/** How records are laid out in the body. */
export type BodyFormat = 'json-array' | 'ndjson';

/** One record of the body: its JSON value and its text, or why it could not be parsed. */
export type BodyItem =
  | { readonly index: number; readonly value: unknown; readonly text: string | null }
  | { readonly index: number; readonly error: string };

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/jsonlines']);

/**
 * The body format named by a Content-Type header; 415 for anything else.
 *
 * @example bodyFormatOf('application/x-ndjson; charset=utf-8') // 'ndjson'
 */
export function bodyFormatOf(contentType: string | undefined): BodyFormat {
  const [mediaType = '', ...params] = (contentType ?? '').toLowerCase().split(';').map((p) => p.trim());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new WebhookRequestError(415, 'unsupported_media_type', `charset ${charset} is not supported; send UTF-8`);
  }
  if (mediaType === 'application/json') return 'json-array';
  if (NDJSON_TYPES.has(mediaType)) return 'ndjson';
  throw new WebhookRequestError(
    415,
    'unsupported_media_type',
    `Content-Type ${mediaType === '' ? '(none)' : mediaType} is not accepted; send application/x-ndjson (one event per line) or application/json (an array of events)`,
  );
}

/**
 * The body as sent, inflated when Content-Encoding is gzip; never larger than `maxBytes`.
 *
 * @example inflateBody(gzipped, 'gzip', 4 * 1024 * 1024).toString('utf8')
 */
export function inflateBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Buffer {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new WebhookRequestError(415, 'unsupported_content_encoding', `Content-Encoding ${encoding} is not supported; use gzip or none`);
  }
  try {
    // maxOutputLength stops inflation at the cap instead of after it: a gzip bomb costs
    // at most maxBytes of memory.
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new WebhookRequestError(413, 'body_too_large', `the gzip body inflates past ${maxBytes} bytes; send smaller batches`);
    }
    throw new WebhookRequestError(400, 'bad_gzip', `the body is not valid gzip: ${(cause as Error).message}`);
  }
}

/**
 * Splits the text into records. A JSON array that does not parse fails the whole request
 * (400); a bad NDJSON line fails only itself. More than `maxRecords` records is a 413.
 *
 * @example splitRecords('{"a":1}\n{"a":2}\n', 'ndjson', limits).length // 2
 */
export function splitRecords(text: string, format: BodyFormat, limits: PartnerLimits): BodyItem[] {
  return format === 'ndjson' ? splitNdjson(text, limits) : splitJsonArray(text, limits);
}

function splitNdjson(text: string, limits: PartnerLimits): BodyItem[] {
  const lines = text.split('\n');
  let count = 0;
  for (const line of lines) if (!isBlank(line)) count += 1;
  checkCount(count, limits);
  if (count === 0) throw new WebhookRequestError(400, 'empty_body', 'the body holds no records');
  const items: BodyItem[] = [];
  for (const raw of lines) {
    if (isBlank(raw)) continue;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const index = items.length;
    try {
      items.push({ index, value: JSON.parse(line) as unknown, text: line });
    } catch (cause) {
      items.push({ index, error: `line ${index + 1} is not JSON: ${(cause as Error).message}` });
    }
  }
  return items;
}

function splitJsonArray(text: string, limits: PartnerLimits): BodyItem[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new WebhookRequestError(400, 'bad_json', `the body is not JSON: ${(cause as Error).message}; NDJSON needs Content-Type application/x-ndjson`);
  }
  if (!Array.isArray(value)) {
    throw new WebhookRequestError(400, 'bad_json', 'an application/json body must be an array of events');
  }
  checkCount(value.length, limits);
  if (value.length === 0) throw new WebhookRequestError(400, 'empty_body', 'the body holds no records');
  return value.map((v: unknown, index) => ({ index, value: v, text: null }));
}

function checkCount(count: number, limits: PartnerLimits): void {
  if (count > limits.maxRecords) {
    throw new WebhookRequestError(413, 'too_many_records', `${count} records in one request; the limit is ${limits.maxRecords}`);
  }
}

function isBlank(line: string): boolean {
  return line.length === 0 || (line.length <= 2 && line.trim() === '');
}
