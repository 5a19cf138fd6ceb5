// Encodes one column of a row group: an optional dictionary page, then one data page holding
// every row (a lake file is one micro-batch, at most a few MB per column), plus the
// statistics the footer carries. Data pages are version 1 (DATA_PAGE), the kind every
// reader supports (Spark, Hive, Impala, Trino/Athena, pyarrow, DuckDB).
import { ByteSink } from './byte-sink.js';
import { bitWidthFor, writeRleHybrid } from './rle-hybrid.js';
import type { CompactWriter } from './thrift-compact.js';

/** The values of a column, by kind; null is an absent value of an optional column. */
export type ColumnValues =
  | { readonly kind: 'string'; readonly values: readonly (string | null)[] }
  | { readonly kind: 'int32'; readonly values: readonly (number | null)[] }
  /** Whole JS numbers (JSON numbers, epoch ms) in [-2^63, 2^63); no BigInt needed below 2^53. */
  | { readonly kind: 'int64'; readonly values: readonly (number | null)[] }
  | { readonly kind: 'double'; readonly values: readonly (number | null)[] }
  | { readonly kind: 'boolean'; readonly values: readonly (boolean | null)[] };

/** A column to write and how. */
export interface ColumnSpec {
  readonly name: string;
  readonly data: ColumnValues;
  /** REQUIRED columns may hold no null. */
  readonly required: boolean;
  /** Dictionary pays off for repeated values; PLAIN for unique ones (ids, free text). */
  readonly encoding: 'PLAIN' | 'DICTIONARY';
  /** Min/max in the footer; the null count is always written. */
  readonly minMax: boolean;
  readonly logicalType?: 'STRING' | 'TIMESTAMP_MILLIS_UTC';
}

/** Parquet enum values used in page headers and the footer. */
export const PHYSICAL_TYPE = { boolean: 0, int32: 1, int64: 2, double: 5, string: 6 } as const;
const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
const PAGE_TYPE = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;

/** What the footer needs to know of a written column chunk; offsets are from the file start. */
export interface WrittenChunk {
  readonly spec: ColumnSpec;
  readonly valueCount: number;
  readonly nullCount: number;
  readonly encodings: number[];
  readonly dataPageOffset: number;
  readonly dictionaryPageOffset: number | undefined;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
  readonly min: Uint8Array | undefined;
  readonly max: Uint8Array | undefined;
}

export type Compress = (bytes: Uint8Array) => Uint8Array;

/** Reused buffers for page bodies, so encoding allocates once per container, not per page. */
export interface Scratch {
  readonly values: ByteSink;
  readonly levels: ByteSink;
  readonly header: ByteSink;
  readonly headerWriter: CompactWriter;
}

/** Writes one column chunk to `file` (whose length is the chunk's offset) and describes it. */
export function writeColumnChunk(file: ByteSink, spec: ColumnSpec, rows: number, compress: Compress, scratch: Scratch): WrittenChunk {
  const values = spec.data.values as readonly unknown[];
  const start = file.length;
  const { levels } = scratch;
  levels.reset();
  let nullCount = 0;
  if (!spec.required) nullCount = writeDefinitionLevels(levels, values, rows);
  else if (hasNull(values, rows)) throw new Error('a REQUIRED column holds a null');

  let dictionaryPageOffset: number | undefined;
  let uncompressedSize = 0;
  let encoding: number = ENCODING.PLAIN;
  let stats: { min: Uint8Array; max: Uint8Array } | undefined;
  const body = scratch.values;
  // Only where a dictionary can hold something; doubles never (a Map takes 0 and -0 for one key).
  const useDictionary = spec.encoding === 'DICTIONARY' && rows > nullCount && spec.data.kind !== 'boolean' && spec.data.kind !== 'double';
  if (useDictionary) {
    const { dictionary, indices } = buildDictionary(values, rows, rows - nullCount);
    body.reset();
    writePlain(body, { kind: spec.data.kind, values: dictionary } as ColumnValues, dictionary.length);
    dictionaryPageOffset = file.length;
    uncompressedSize += writePage(file, scratch, compress, body.bytes(), { type: 'dictionary', count: dictionary.length });
    if (spec.minMax) stats = minMaxOf({ kind: spec.data.kind, values: dictionary } as ColumnValues);
    startDataPage(body, spec, levels);
    const width = bitWidthFor(dictionary.length - 1);
    body.u8(width);
    writeRleHybrid(body, indices, indices.length, width);
    encoding = ENCODING.RLE_DICTIONARY;
  } else {
    startDataPage(body, spec, levels);
    writePlain(body, spec.data, rows);
    if (spec.minMax && rows > nullCount) stats = minMaxOf(spec.data);
  }
  const dataPageOffset = file.length;
  uncompressedSize += writePage(file, scratch, compress, body.bytes(), { type: 'data', rows, encoding });
  return {
    spec,
    valueCount: rows,
    nullCount,
    encodings: dictionaryPageOffset === undefined ? [ENCODING.PLAIN, ENCODING.RLE] : [ENCODING.PLAIN, ENCODING.RLE, ENCODING.RLE_DICTIONARY],
    dataPageOffset,
    dictionaryPageOffset,
    uncompressedSize,
    compressedSize: file.length - start,
    min: stats?.min,
    max: stats?.max,
  };
}

/**
 * Starts a version 1 data page body: an optional column's definition levels come first,
 * prefixed with their byte length; a required column has none. No repetition levels: the
 * lake has no nested columns.
 */
function startDataPage(body: ByteSink, spec: ColumnSpec, levels: ByteSink): void {
  body.reset();
  if (spec.required) return;
  body.u32le(levels.length);
  body.append(levels.bytes());
}

type PageKind =
  | { readonly type: 'dictionary'; readonly count: number }
  | { readonly type: 'data'; readonly rows: number; readonly encoding: number };

/** Writes a page header and its compressed body; returns the uncompressed size, header included. */
function writePage(file: ByteSink, scratch: Scratch, compress: Compress, body: Uint8Array, kind: PageKind): number {
  const compressed = compress(body);
  const { header, headerWriter: w } = scratch;
  header.reset();
  w.element(); // PageHeader
  w.i32(1, kind.type === 'dictionary' ? PAGE_TYPE.DICTIONARY_PAGE : PAGE_TYPE.DATA_PAGE);
  w.i32(2, body.length);
  w.i32(3, compressed.length);
  if (kind.type === 'dictionary') {
    w.struct(7); // DictionaryPageHeader
    w.i32(1, kind.count);
    w.i32(2, ENCODING.PLAIN);
    w.end();
  } else {
    w.struct(5); // DataPageHeader
    w.i32(1, kind.rows); // num_values, nulls included
    w.i32(2, kind.encoding);
    w.i32(3, ENCODING.RLE); // definition levels
    w.i32(4, ENCODING.RLE); // repetition levels (none written)
    w.end();
  }
  w.end(); // PageHeader
  file.append(header.bytes());
  file.append(compressed);
  return header.length + body.length;
}

/** Definition levels (0 = null, 1 = present) of an optional column; returns the null count. */
function writeDefinitionLevels(sink: ByteSink, values: readonly unknown[], rows: number): number {
  const levels = new Uint8Array(rows);
  let nulls = 0;
  for (let i = 0; i < rows; i++) {
    const present = values[i] !== null && values[i] !== undefined;
    levels[i] = present ? 1 : 0;
    if (!present) nulls++;
  }
  writeRleHybrid(sink, levels, rows, 1);
  return nulls;
}

function hasNull(values: readonly unknown[], rows: number): boolean {
  for (let i = 0; i < rows; i++) if (values[i] === null || values[i] === undefined) return true;
  return false;
}

/** Distinct values in first-seen order, and each present value's index into them. */
function buildDictionary(values: readonly unknown[], rows: number, present: number): { dictionary: unknown[]; indices: Int32Array } {
  const positions = new Map<unknown, number>();
  const dictionary: unknown[] = [];
  const indices = new Int32Array(present);
  let n = 0;
  let last: unknown = undefined;
  let lastIndex = -1;
  for (let i = 0; i < rows; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    // Neighbouring rows mostly repeat (partition columns): skip the map lookup then.
    if (value !== last) {
      let index = positions.get(value);
      if (index === undefined) {
        index = dictionary.length;
        positions.set(value, index);
        dictionary.push(value);
      }
      last = value;
      lastIndex = index;
    }
    indices[n++] = lastIndex;
  }
  return { dictionary, indices };
}

/** PLAIN encoding of the non-null values among the first `rows`. */
function writePlain(sink: ByteSink, data: ColumnValues, rows: number): void {
  switch (data.kind) {
    case 'string': {
      const values = data.values;
      let room = 0;
      for (let i = 0; i < rows; i++) room += (values[i]?.length ?? 0) * 3 + 4;
      sink.reserve(room);
      for (let i = 0; i < rows; i++) {
        const value = values[i];
        if (value !== null && value !== undefined) sink.lengthPrefixedUtf8(value);
      }
      return;
    }
    case 'int32':
      for (let i = 0; i < rows; i++) {
        const value = data.values[i];
        if (value === null || value === undefined) continue;
        if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw new RangeError(`${value} is not an INT32`);
        sink.i32le(value);
      }
      return;
    case 'int64':
      for (let i = 0; i < rows; i++) if (data.values[i] != null) sink.i64le(data.values[i]!);
      return;
    case 'double':
      for (let i = 0; i < rows; i++) if (data.values[i] != null) sink.f64le(data.values[i]!);
      return;
    case 'boolean': {
      // Bit-packed, least significant bit first, no run header.
      let bits = 0;
      let byte = 0;
      for (let i = 0; i < rows; i++) {
        const value = data.values[i];
        if (value === null || value === undefined) continue;
        if (value) byte |= 1 << bits;
        if (++bits === 8) {
          sink.u8(byte);
          bits = 0;
          byte = 0;
        }
      }
      if (bits > 0) sink.u8(byte);
      return;
    }
  }
}

/**
 * Min and max of the non-null values, PLAIN-encoded without a length prefix, as the footer's
 * min_value/max_value. Strings compare by their UTF-8 bytes (Parquet's order for STRING).
 */
function minMaxOf(data: ColumnValues): { min: Uint8Array; max: Uint8Array } | undefined {
  if (data.kind === 'string') {
    let min: Buffer | undefined;
    let max: Buffer | undefined;
    for (const value of data.values) {
      if (value === null || value === undefined) continue;
      const bytes = Buffer.from(value, 'utf8');
      if (!min || Buffer.compare(bytes, min) < 0) min = bytes;
      if (!max || Buffer.compare(bytes, max) > 0) max = bytes;
    }
    return min && max ? { min, max } : undefined;
  }
  let min: number | boolean | undefined;
  let max: number | boolean | undefined;
  for (const value of data.values) {
    // NaN orders nowhere: the spec leaves it out of min/max (JSON cannot carry one anyway).
    if (value === null || value === undefined || Number.isNaN(value)) continue;
    if (min === undefined || value < min) min = value;
    if (max === undefined || value > max) max = value;
  }
  if (min === undefined || max === undefined) return undefined;
  if (data.kind === 'double') {
    // The spec's rule for zeros: a zero minimum is written as -0, a zero maximum as +0.
    if (min === 0) min = -0;
    if (max === 0) max = 0;
  }
  return { min: plainBytes(data.kind, min), max: plainBytes(data.kind, max) };
}

function plainBytes(kind: Exclude<ColumnValues['kind'], 'string'>, value: number | boolean): Uint8Array {
  const sink = new ByteSink(8);
  writePlain(sink, { kind, values: [value] } as ColumnValues, 1);
  return Uint8Array.from(sink.bytes());
}

/** The footer's ColumnChunk of a written chunk. */
export function writeColumnChunkMetadata(w: CompactWriter, chunk: WrittenChunk, codec: number): void {
  const firstPage = chunk.dictionaryPageOffset ?? chunk.dataPageOffset;
  w.element();
  w.i64(2, firstPage); // file_offset: deprecated, readers use the page offsets below
  w.struct(3);
  w.i32(1, PHYSICAL_TYPE[chunk.spec.data.kind]);
  w.i32List(2, chunk.encodings);
  w.stringList(3, [chunk.spec.name]);
  w.i32(4, codec);
  w.i64(5, chunk.valueCount);
  w.i64(6, chunk.uncompressedSize);
  w.i64(7, chunk.compressedSize);
  w.i64(9, chunk.dataPageOffset);
  if (chunk.dictionaryPageOffset !== undefined) w.i64(11, chunk.dictionaryPageOffset);
  w.struct(12);
  w.i64(3, chunk.nullCount);
  if (chunk.max && chunk.min) {
    w.binary(5, chunk.max);
    w.binary(6, chunk.min);
  }
  w.end(); // Statistics
  w.end(); // ColumnMetaData
  w.end(); // ColumnChunk
}
