import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePayload, MAX_DECOMPRESSED_RECORD_BYTES } from '../../../shared/envelope/decode-payload.js';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const values = (items: ReturnType<typeof decodePayload>) => items.map((i) => (i.ok ? i.value : i.error.code));

describe('decodePayload', () => {
  it('decodes one JSON object', () => {
    expect(values(decodePayload(b64('{"a":1}')))).toEqual([{ a: 1 }]);
  });

  it('decodes NDJSON into one item per non-empty line, numbering them', () => {
    const items = decodePayload(b64('{"a":1}\n\n{"a":2}\r\n{"a":3}\n'));
    expect(values(items)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(items.map((i) => i.subIndex)).toEqual([0, 1, 2]);
  });

  it('decodes a JSON array into one item per element', () => {
    expect(values(decodePayload(b64('[{"a":1},{"a":2}]')))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('keeps a pretty-printed single object whole', () => {
    expect(values(decodePayload(b64('{\n  "a": 1\n}\n')))).toEqual([{ a: 1 }]);
  });

  it('inflates gzip payloads, JSON and NDJSON alike', () => {
    expect(values(decodePayload(gzipSync('{"a":1}').toString('base64')))).toEqual([{ a: 1 }]);
    expect(values(decodePayload(gzipSync('{"a":1}\n{"a":2}').toString('base64')))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('rejects data that is not base64 as a whole record', () => {
    const items = decodePayload('not base64!!');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ ok: false, subIndex: 0 });
    expect(values(items)).toEqual(['bad_base64']);
  });

  it('rejects base64 of the wrong length', () => {
    expect(values(decodePayload('eyJhIjox'.slice(0, 7)))).toEqual(['bad_base64']);
  });

  it('rejects corrupt gzip', () => {
    const gz = gzipSync('{"a":1}');
    gz.writeUInt8(gz.readUInt8(gz.length - 6) ^ 0xff, gz.length - 6); // break the CRC
    expect(values(decodePayload(gz.toString('base64')))).toEqual(['bad_gzip']);
  });

  it('refuses a gzip bomb beyond the decompressed limit', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECOMPRESSED_RECORD_BYTES + 1024, 0x20));
    expect(bomb.length).toBeLessThan(100_000);
    expect(values(decodePayload(bomb.toString('base64')))).toEqual(['record_too_large']);
  });

  it('rejects text that is not JSON, keeping the text for the quarantine', () => {
    const items = decodePayload(b64('Hello, this is a test.'));
    expect(values(items)).toEqual(['bad_json']);
    expect(items[0]!.text).toBe('Hello, this is a test.');
    expect(!items[0]!.ok && items[0]!.error.message).toMatch(/not JSON/);
  });

  it('fails only the bad line of an NDJSON record', () => {
    const items = decodePayload(b64('{"a":1}\n{oops}\n{"a":3}'));
    expect(values(items)).toEqual([{ a: 1 }, 'bad_json', { a: 3 }]);
    expect(items[1]!.text).toBe('{oops}');
  });
});
