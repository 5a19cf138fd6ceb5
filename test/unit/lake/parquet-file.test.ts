// The hand-written Parquet writer against two independent readers: DuckDB (C++) and
// hyparquet (JS). Random columns of every kind, with nulls, runs and Unicode, must read back
// exactly, and the footer's statistics must match the values.
import { compress, decompress, init as initZstd } from '@bokuweb/zstd-wasm';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnSpec } from '../../../shared/lake/parquet/column-chunk.js';
import { ByteSink } from '../../../shared/lake/parquet/byte-sink.js';
import { ParquetFileWriter } from '../../../shared/lake/parquet/parquet-file.js';
import { writeRleHybrid } from '../../../shared/lake/parquet/rle-hybrid.js';
import { seededRandom } from '../../../shared/producer/synthetic-events.js';
import { openParquetReader, type ParquetReader } from '../../support/duckdb.js';

let duck: ParquetReader;
let writer: ParquetFileWriter;
beforeAll(async () => {
  await initZstd();
  duck = await openParquetReader();
  writer = new ParquetFileWriter({ codec: 'ZSTD', compress: (bytes) => compress(bytes, 1), createdBy: 'test' });
});
afterAll(() => duck.close());

const WORDS = ['a', 'Zürich', 'naïve', '東京', '😀 emoji', '', 'plain ascii text', 'x'.repeat(300)];

function randomColumns(seed: number, rows: number): ColumnSpec[] {
  const random = seededRandom(seed);
  const maybeNull = <T>(value: T, share: number): T | null => (random() < share ? null : value);
  // Runs of repeated values, so the RLE/bit-packing switch is exercised at every boundary.
  const runs = <T>(make: () => T): T[] => {
    const out: T[] = [];
    while (out.length < rows) {
      const value = make();
      const length = 1 + Math.floor(random() ** 2 * 20);
      for (let i = 0; i < length && out.length < rows; i++) out.push(value);
    }
    return out;
  };
  const nullShare = random() * 0.6;
  return [
    { name: 'id', data: { kind: 'string', values: Array.from({ length: rows }, (_, i) => `id-${seed}-${i}-${WORDS[i % WORDS.length]}`) }, required: true, encoding: 'PLAIN', minMax: false, logicalType: 'STRING' },
    { name: 'word', data: { kind: 'string', values: runs(() => maybeNull(WORDS[Math.floor(random() * WORDS.length)]!, nullShare)) }, required: false, encoding: 'DICTIONARY', minMax: true, logicalType: 'STRING' },
    { name: 'many', data: { kind: 'string', values: Array.from({ length: rows }, () => `v${Math.floor(random() * 700)}`) }, required: true, encoding: 'DICTIONARY', minMax: true, logicalType: 'STRING' },
    { name: 'text', data: { kind: 'string', values: Array.from({ length: rows }, () => maybeNull(WORDS[Math.floor(random() * WORDS.length)]!.repeat(1 + Math.floor(random() * 3)), nullShare)) }, required: false, encoding: 'PLAIN', minMax: true, logicalType: 'STRING' },
    { name: 'small', data: { kind: 'int32', values: runs(() => Math.floor(random() * 5) - 2) }, required: true, encoding: 'DICTIONARY', minMax: true },
    { name: 'ts', data: { kind: 'int64', values: Array.from({ length: rows }, () => Date.UTC(2026, 0, 1) + Math.floor(random() * 1e10)) }, required: true, encoding: 'PLAIN', minMax: true, logicalType: 'TIMESTAMP_MILLIS_UTC' },
    { name: 'big', data: { kind: 'int64', values: Array.from({ length: rows }, () => maybeNull(Math.floor((random() - 0.5) * 2 ** 54) * (random() < 0.1 ? 64 : 1), nullShare)) }, required: false, encoding: 'PLAIN', minMax: true },
    { name: 'amount', data: { kind: 'double', values: Array.from({ length: rows }, () => maybeNull((random() - 0.3) * 1e6, nullShare)) }, required: false, encoding: 'PLAIN', minMax: true },
    { name: 'flag', data: { kind: 'boolean', values: runs(() => maybeNull(random() < 0.5, nullShare)) }, required: false, encoding: 'PLAIN', minMax: true },
    { name: 'nothing', data: { kind: 'string', values: new Array<string | null>(rows).fill(null) }, required: false, encoding: 'PLAIN', minMax: true, logicalType: 'STRING' },
  ];
}

function arrayBufferOf(file: Uint8Array): ArrayBuffer {
  return file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
}

/** The rows the columns describe, as DuckDB returns them (timestamps as epoch ms). */
function expectedRows(columns: ColumnSpec[], rows: number): Record<string, unknown>[] {
  return Array.from({ length: rows }, (_, i) => Object.fromEntries(columns.map((c) => [c.name, c.data.values[i] ?? null])));
}

const SELECT_ALL = `SELECT id, word, many, text, small, epoch_ms(ts) AS ts, big, amount, flag, nothing FROM read_parquet({file})`;

describe('ParquetFileWriter', () => {
  for (const [seed, rows] of [[1, 1], [2, 7], [3, 8], [4, 9], [5, 1000], [6, 4099]] as const) {
    it(`round-trips ${rows} random rows through DuckDB and hyparquet (seed ${seed})`, async () => {
      const columns = randomColumns(seed, rows);
      const file = writer.write(columns, rows);
      const expected = expectedRows(columns, rows);
      const viaDuck = await duck.rows(`${SELECT_ALL} ORDER BY id`, file);
      const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => ((a['id'] as string) < (b['id'] as string) ? -1 : 1);
      // Integers past 2^53 come back as bigint; the written doubles convert back exactly.
      const bigAsNumber = (row: Record<string, unknown>) => ({ ...row, big: row['big'] === null ? null : Number(row['big']) });
      expect(viaDuck.map(bigAsNumber)).toEqual([...expected].sort(byId));

      const viaHyparquet = await parquetReadObjects({
        file: arrayBufferOf(file),
        compressors: { ZSTD: (input: Uint8Array) => decompress(input) },
        utf8: true,
      });
      const normalised = viaHyparquet.map((row) => bigAsNumber({ ...row, ts: (row['ts'] as Date).getTime() }));
      expect(normalised).toEqual(expected);
    });
  }

  it('writes min/max and null counts that match the values, strings ordered by UTF-8 bytes', async () => {
    const rows = 500;
    const columns = randomColumns(11, rows);
    const file = writer.write(columns, rows);
    const stats = await duck.rows(
      `SELECT path_in_schema AS name, stats_min_value AS min, stats_max_value AS max, stats_null_count::INT AS nulls FROM parquet_metadata({file})`,
      file,
    );
    const byName = new Map(stats.map((s) => [s['name'], s]));
    for (const column of columns) {
      const present = (column.data.values as unknown[]).filter((v) => v !== null);
      const stat = byName.get(column.name)!;
      expect(stat['nulls'], column.name).toBe(rows - present.length);
      if (!column.minMax || present.length === 0) {
        expect(stat['min'], column.name).toBeNull();
        continue;
      }
      const sorted = column.data.kind === 'string'
        ? (present as string[]).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
        : (present as number[]).sort((a, b) => Number(a) - Number(b));
      if (column.data.kind === 'string' || column.data.kind === 'boolean') {
        // DuckDB shows boolean bounds as 'false' / 'true'.
        expect([stat['min'], stat['max']], column.name).toEqual([String(sorted[0]), String(sorted.at(-1))]);
      } else if (column.logicalType !== 'TIMESTAMP_MILLIS_UTC') { // shown as text; checked in the next test
        expect([Number(stat['min']), Number(stat['max'])], column.name).toEqual([Number(sorted[0]), Number(sorted.at(-1))]);
      }
    }
  });

  it('lets DuckDB prune row groups by timestamp statistics', async () => {
    const columns = randomColumns(12, 100);
    const file = writer.write(columns, 100);
    const ts = columns.find((c) => c.name === 'ts')!.data.values as number[];
    const rows = await duck.rows(`SELECT epoch_ms(min(ts)) AS lo, epoch_ms(max(ts)) AS hi FROM read_parquet({file})`, file);
    expect(rows).toEqual([{ lo: Math.min(...ts), hi: Math.max(...ts) }]);
    const meta = parquetMetadata(arrayBufferOf(file));
    const tsChunk = meta.row_groups[0]!.columns.find((c) => c.meta_data?.path_in_schema[0] === 'ts')!;
    expect(Number(tsChunk.meta_data!.statistics!.min_value instanceof Date ? (tsChunk.meta_data!.statistics!.min_value as Date).getTime() : tsChunk.meta_data!.statistics!.min_value)).toBe(Math.min(...ts));
  });

  it('refuses a null in a required column and a column of the wrong length, naming the column', () => {
    expect(() => writer.write([{ name: 'id', data: { kind: 'string', values: ['a', null] }, required: true, encoding: 'PLAIN', minMax: false }], 2)).toThrow(/column id: a REQUIRED column holds a null/);
    expect(() => writer.write([{ name: 'id', data: { kind: 'string', values: ['a'] }, required: true, encoding: 'PLAIN', minMax: false }], 2)).toThrow(/column id has 1 values for 2 rows/);
  });

  it('writes a column with no values as PLAIN even when a dictionary was asked for (an empty dictionary page trips strict readers)', async () => {
    const nothing: ColumnSpec = { name: 'nothing', data: { kind: 'string', values: [null, null, null] }, required: false, encoding: 'DICTIONARY', minMax: true, logicalType: 'STRING' };
    const file = writer.write([nothing], 3);
    const meta = await duck.rows(`SELECT dictionary_page_offset, encodings, stats_null_count::INT AS nulls FROM parquet_metadata({file})`, file);
    expect(meta).toEqual([{ dictionary_page_offset: null, encodings: 'PLAIN, RLE', nulls: 3 }]);
    // Every page body is a real zstd frame: the strict decompressor (which refuses 0 bytes) reads the file.
    const rows = await parquetReadObjects({ file: arrayBufferOf(file), compressors: { ZSTD: (input: Uint8Array) => decompress(input) } });
    expect(rows).toEqual([{ nothing: null }, { nothing: null }, { nothing: null }]);
  });

  it('refuses compressor output that is not a zstd frame instead of writing an unreadable file', () => {
    const broken = new ParquetFileWriter({ codec: 'ZSTD', compress: (bytes) => new Uint8Array(bytes.length), createdBy: 'test' });
    expect(() => broken.write(randomColumns(14, 10), 10)).toThrow(/column id: the zstd compressor returned something that is not a zstd frame/);
  });

  it('writes zero bounds of doubles as the spec asks (min -0, max +0) and leaves NaN out of them', () => {
    const zeros: ColumnSpec = { name: 'z', data: { kind: 'double', values: [0, -0, 0] }, required: true, encoding: 'PLAIN', minMax: true };
    const withNaN: ColumnSpec = { name: 'n', data: { kind: 'double', values: [Number.NaN, 2, 1] }, required: true, encoding: 'PLAIN', minMax: true };
    const meta = parquetMetadata(arrayBufferOf(writer.write([zeros, withNaN], 3)));
    const stats = (name: string) => meta.row_groups[0]!.columns.find((c) => c.meta_data?.path_in_schema[0] === name)!.meta_data!.statistics!;
    expect(Object.is(stats('z').min_value, -0)).toBe(true);
    expect(Object.is(stats('z').max_value, 0)).toBe(true);
    expect([stats('n').min_value, stats('n').max_value]).toEqual([1, 2]);
  });

  it('refuses an RLE bit width the packing cannot hold (past 24 bits: over 16 million dictionary entries)', () => {
    expect(() => writeRleHybrid(new ByteSink(), [1, 2, 3], 3, 25)).toThrow(/RLE bit width 25 is outside 1-24/);
  });

  it('names the column of a value its type cannot hold', () => {
    const fraction: ColumnSpec = { name: 'version', data: { kind: 'int32', values: [1, 1.5] }, required: true, encoding: 'PLAIN', minMax: false };
    expect(() => writer.write([fraction], 2)).toThrow(/column version: 1.5 is not an INT32/);
  });

  it('writes an uncompressed file when asked', async () => {
    const plain = new ParquetFileWriter({ codec: 'UNCOMPRESSED', compress: () => { throw new Error('must not compress'); }, createdBy: 'test' });
    const columns = randomColumns(13, 50);
    const rows = await duck.rows(`SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids FROM read_parquet({file})`, plain.write(columns, 50));
    expect(rows).toEqual([{ n: 50, ids: 50 }]);
  });
});
