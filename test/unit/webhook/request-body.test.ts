import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WebhookRequestError } from '../../../shared/webhook/errors.js';
import { groupIntoBatches, packMessageBodies } from '../../../shared/webhook/pack-queue-messages.js';
import { bodyFormatOf, inflateBody, splitRecords } from '../../../shared/webhook/request-body.js';

const LIMITS = { maxBodyBytes: 1024 * 1024, maxRecords: 3, maxRecordBytes: 1024 };

function refusal(fn: () => unknown): { status: number; code: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookRequestError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('bodyFormatOf', () => {
  it('reads NDJSON and JSON media types, with parameters', () => {
    expect(bodyFormatOf('application/x-ndjson')).toBe('ndjson');
    expect(bodyFormatOf('application/x-ndjson; charset=UTF-8')).toBe('ndjson');
    expect(bodyFormatOf('Application/JSON')).toBe('json-array');
  });

  it('refuses anything else, and charsets other than UTF-8, with 415', () => {
    expect(refusal(() => bodyFormatOf('text/plain'))).toEqual({ status: 415, code: 'unsupported_media_type' });
    expect(refusal(() => bodyFormatOf(undefined))).toEqual({ status: 415, code: 'unsupported_media_type' });
    expect(refusal(() => bodyFormatOf('application/json; charset=latin1'))).toEqual({ status: 415, code: 'unsupported_media_type' });
  });
});

describe('inflateBody', () => {
  it('inflates gzip up to the cap and refuses beyond it with 413', () => {
    const text = 'x'.repeat(10_000);
    expect(inflateBody(gzipSync(text), 'gzip', 10_000).toString()).toBe(text);
    expect(refusal(() => inflateBody(gzipSync(text), 'gzip', 9_999))).toEqual({ status: 413, code: 'body_too_large' });
  });

  it('refuses corrupt gzip (400) and unknown encodings (415)', () => {
    expect(refusal(() => inflateBody(Buffer.from('not gzip'), 'gzip', 1000))).toEqual({ status: 400, code: 'bad_gzip' });
    expect(refusal(() => inflateBody(Buffer.from('x'), 'br', 1000))).toEqual({ status: 415, code: 'unsupported_content_encoding' });
  });
});

describe('splitRecords', () => {
  it('splits NDJSON, skipping blank lines and CRLF endings, failing bad lines alone', () => {
    const items = splitRecords('{"a":1}\r\n\n{oops}\n{"a":3}\n', 'ndjson', LIMITS);
    expect(items).toEqual([
      { index: 0, value: { a: 1 }, text: '{"a":1}' },
      { index: 1, error: expect.stringMatching(/^line 2 is not JSON/) },
      { index: 2, value: { a: 3 }, text: '{"a":3}' },
    ]);
  });

  it('counts records before parsing them and refuses too many with 413', () => {
    expect(refusal(() => splitRecords('1\n2\n3\n4\n', 'ndjson', LIMITS))).toEqual({ status: 413, code: 'too_many_records' });
    expect(refusal(() => splitRecords('[1,2,3,4]', 'json-array', LIMITS))).toEqual({ status: 413, code: 'too_many_records' });
  });

  it('refuses a JSON body that is not an array, or empty bodies, with 400', () => {
    expect(refusal(() => splitRecords('{"a":1}', 'json-array', LIMITS))).toEqual({ status: 400, code: 'bad_json' });
    expect(refusal(() => splitRecords('[', 'json-array', LIMITS))).toEqual({ status: 400, code: 'bad_json' });
    expect(refusal(() => splitRecords('\n\n', 'ndjson', LIMITS))).toEqual({ status: 400, code: 'empty_body' });
  });
});

describe('packing queue messages', () => {
  it('fills each message up to the byte limit, keeping order and every line', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(20)}"}`);
    const bodies = packMessageBodies(lines, 100);
    expect(bodies.every((b) => Buffer.byteLength(b) <= 100)).toBe(true);
    expect(bodies.join('\n').split('\n')).toEqual(lines);
    expect(bodies.length).toBe(Math.ceil(lines.length / Math.floor(101 / (lines[0]!.length + 1))));
  });

  it('groups messages into SendMessageBatch calls of at most 10 entries and the byte limit', () => {
    const small = Array.from({ length: 25 }, () => ({ bytes: 10 }));
    expect(groupIntoBatches(small, 1_000).map((b) => b.length)).toEqual([10, 10, 5]);
    const large = [{ bytes: 600 }, { bytes: 500 }, { bytes: 400 }];
    expect(groupIntoBatches(large, 1_000).map((b) => b.map((m) => m.bytes))).toEqual([[600], [500, 400]]);
  });
});
