// Encodes one partition's events as a ZSTD Parquet file with the lake's fixed columns
// (DESIGN.md "The lake"), then the schema's payload fields as typed columns, then `extra`.
// The file format itself is written by ./parquet/ (see the README for why not a library).
import * as zlib from 'node:zlib';
import { compress, init as initZstd } from '@bokuweb/zstd-wasm';
import { CONTRACT_FIELDS } from '../envelope/to-envelope.js';
import type { EventEnvelope } from '../envelope/types.js';
import type { PayloadColumn } from '../schema/types.js';
import type { ColumnSpec } from './parquet/column-chunk.js';
import { ParquetFileWriter } from './parquet/parquet-file.js';

/**
 * zstd level 1: the ingest path favours speed (files are small and compaction may recompress);
 * it writes ~7% more bytes than DuckDB's level 3 on the benchmark's events.
 */
const DEFAULT_ZSTD_LEVEL = 1;
/** In the form parquet-java's VersionParser reads ("<app> version <semver>"). */
const CREATED_BY = 'event-lake version 1.0.0';

/** Encodes lake files; create one per container with {@link createParquetEncoder}. */
export interface ParquetEncoder {
  /**
   * Encodes events of one partition into a Parquet file held in memory.
   * `ingestedAt` is epoch milliseconds; one row group per file (a file is one micro-batch).
   */
  encode(events: readonly EventEnvelope[], payloadColumns: readonly PayloadColumn[], ingestedAt: number): Uint8Array;
}

let zstdReady: Promise<void> | undefined;

type NativeZstdCompress = (input: Uint8Array, options: { params: Record<number, number> }) => Buffer;

/**
 * Node's own zstd (zlib.zstdCompressSync, Node 22.15+ and so Lambda's nodejs22.x), about a
 * quarter faster than the wasm build; undefined on older Node, where the wasm build is used.
 */
export function nativeZstdCompressor(level: number): ((input: Uint8Array) => Uint8Array) | undefined {
  const compressSync = (zlib as unknown as { zstdCompressSync?: NativeZstdCompress }).zstdCompressSync;
  const levelParam = (zlib.constants as unknown as Record<string, number | undefined>)['ZSTD_c_compressionLevel'];
  if (!compressSync || levelParam === undefined) return undefined;
  return (input) => compressSync(input, { params: { [levelParam]: level } });
}

/**
 * Returns an encoder, compressing with Node's zstd where it has one, else with the wasm
 * build (loaded once per process).
 *
 * @example const encoder = await createParquetEncoder(); const bytes = encoder.encode(events, columns, Date.now());
 */
export async function createParquetEncoder(options: { zstdLevel?: number; compressor?: 'native' | 'wasm' } = {}): Promise<ParquetEncoder> {
  const level = options.zstdLevel ?? DEFAULT_ZSTD_LEVEL;
  const native = options.compressor === 'wasm' ? undefined : nativeZstdCompressor(level);
  if (options.compressor === 'native' && !native) throw new Error(`Node ${process.version} has no zstd in zlib (22.15+ does)`);
  let zstd = native;
  if (!zstd) {
    zstdReady ??= initZstd();
    await zstdReady;
    zstd = (input: Uint8Array): Uint8Array => compress(input, level);
  }
  const writer = new ParquetFileWriter({ codec: 'ZSTD', compress: zstd, createdBy: CREATED_BY });
  return {
    encode(events, payloadColumns, ingestedAt) {
      if (events.length === 0) throw new Error('cannot encode an empty lake file');
      return writer.write(buildColumns(events, payloadColumns, ingestedAt), events.length);
    },
  };
}

/** Transposes events into the lake's columns; exported for tests and the benchmark. */
export function buildColumns(
  events: readonly EventEnvelope[],
  payloadColumns: readonly PayloadColumn[],
  ingestedAt: number,
): ColumnSpec[] {
  const n = events.length;
  const eventId = new Array<string>(n);
  const eventType = new Array<string>(n);
  const source = new Array<string>(n);
  const schemaVersion = new Array<number>(n);
  const eventTs = new Array<number>(n);
  const ingested = new Array<number>(n).fill(ingestedAt);
  const shard = new Array<string>(n);
  const seq = new Array<string>(n);
  const sourceKey = new Array<string | null>(n);
  const sourceHeaders = new Array<string | null>(n);
  const extra = new Array<string | null>(n);
  const payload = payloadColumns.map(() => new Array<unknown>(n));
  // Contract fields have their own columns; everything else undeclared goes to `extra`.
  const declared = new Set([...CONTRACT_FIELDS, ...payloadColumns.map((c) => c.name)]);

  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    eventId[i] = e.eventId;
    eventType[i] = e.eventType;
    source[i] = e.source;
    schemaVersion[i] = e.schemaVersion;
    eventTs[i] = e.eventTs;
    shard[i] = e.shard;
    seq[i] = e.seq;
    sourceKey[i] = e.record.key ?? null;
    sourceHeaders[i] = e.record.headersJson ?? null;
    for (let c = 0; c < payloadColumns.length; c++) {
      const column = payloadColumns[c]!;
      payload[c]![i] = toColumnValue(e.payload[column.name], column.type);
    }
    extra[i] = extraFieldsOf(e.payload, declared);
  }

  // Unique-per-row strings are PLAIN without min/max (a dictionary cannot pay off and
  // statistics prune nothing for ids and free text); the envelope's repeated columns are
  // dictionaries with statistics, as are numbers and timestamps.
  return [
    { name: 'event_id', data: { kind: 'string', values: eventId }, ...UNIQUE_STRINGS },
    { name: 'event_type', data: { kind: 'string', values: eventType }, ...REPEATED_STRINGS },
    { name: 'source', data: { kind: 'string', values: source }, ...REPEATED_STRINGS },
    { name: 'schema_version', data: { kind: 'int32', values: schemaVersion }, required: true, encoding: 'DICTIONARY', minMax: true },
    { name: 'event_ts', data: { kind: 'int64', values: eventTs }, required: true, encoding: 'PLAIN', minMax: true, logicalType: 'TIMESTAMP_MILLIS_UTC' },
    { name: 'ingested_at', data: { kind: 'int64', values: ingested }, required: true, encoding: 'DICTIONARY', minMax: true, logicalType: 'TIMESTAMP_MILLIS_UTC' },
    { name: 'shard', data: { kind: 'string', values: shard }, ...REPEATED_STRINGS },
    { name: 'seq', data: { kind: 'string', values: seq }, ...UNIQUE_STRINGS },
    // What the transport carried besides the payload: the Kinesis partition key or Kafka key,
    // and Kafka headers (JSON). Keys repeat (users, devices), so the encoding is sampled.
    { name: 'source_key', data: { kind: 'string', values: sourceKey }, required: false, encoding: stringEncoding(sourceKey), minMax: false, logicalType: 'STRING' },
    { name: 'source_headers', data: { kind: 'string', values: sourceHeaders }, required: false, encoding: stringEncoding(sourceHeaders), minMax: false, logicalType: 'STRING' },
    ...payloadColumns.map((column, c) => payloadColumnSpec(column, payload[c]!)),
    { name: 'extra', data: { kind: 'string', values: extra }, ...UNIQUE_STRINGS, required: false },
  ];
}

const UNIQUE_STRINGS = { required: true, encoding: 'PLAIN', minMax: false, logicalType: 'STRING' } as const;
/** Columns with one or a few values per file (partition keys, shard): always a dictionary. */
const REPEATED_STRINGS = { required: true, encoding: 'DICTIONARY', minMax: true, logicalType: 'STRING' } as const;

function payloadColumnSpec(column: PayloadColumn, values: unknown[]): ColumnSpec {
  switch (column.type) {
    case 'STRING':
    case 'JSON': {
      const strings = values as (string | null)[];
      // Free text prunes nothing by min/max; repeated values (countries, plans) get a dictionary.
      return { name: column.name, data: { kind: 'string', values: strings }, required: false, encoding: stringEncoding(strings), minMax: false, logicalType: 'STRING' };
    }
    case 'INT64':
      return { name: column.name, data: { kind: 'int64', values: values as (number | null)[] }, required: false, encoding: 'PLAIN', minMax: true };
    case 'DOUBLE':
      return { name: column.name, data: { kind: 'double', values: values as (number | null)[] }, required: false, encoding: 'PLAIN', minMax: true };
    case 'BOOLEAN':
      return { name: column.name, data: { kind: 'boolean', values: values as (boolean | null)[] }, required: false, encoding: 'PLAIN', minMax: true };
  }
}

/** 2^63: JSON integers outside [-2^63, 2^63) do not fit INT64 and are stored as null. */
const INT64_LIMIT = 2 ** 63;

function toColumnValue(value: unknown, type: PayloadColumn['type']): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'INT64':
      return typeof value === 'number' && Number.isInteger(value) && value >= -INT64_LIMIT && value < INT64_LIMIT ? value : null;
    case 'DOUBLE':
      return typeof value === 'number' ? value : null;
    case 'BOOLEAN':
      return typeof value === 'boolean' ? value : null;
    case 'STRING':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'JSON':
      return JSON.stringify(value);
  }
}

/** A dictionary pays off when values repeat; below this share of distinct values, use one. */
const DICTIONARY_MAX_DISTINCT_SHARE = 0.5;
/** Values looked at to choose a string column's encoding. */
const DICTIONARY_SAMPLE = 256;

/** Chooses the encoding of a string column from the distinct share of an evenly spread sample. */
function stringEncoding(values: readonly (string | null)[]): 'PLAIN' | 'DICTIONARY' {
  const step = Math.max(1, Math.floor(values.length / DICTIONARY_SAMPLE));
  const sample = new Set<string | null>();
  let sampled = 0;
  for (let i = 0; i < values.length; i += step, sampled++) sample.add(values[i]!);
  return sample.size <= sampled * DICTIONARY_MAX_DISTINCT_SHARE ? 'DICTIONARY' : 'PLAIN';
}

/**
 * Undeclared payload fields as one JSON object string, or null when there are none. Built
 * as text with the quoted keys cached: most events have no or one extra field, and an
 * intermediate object per event costs more than the stringify.
 */
function extraFieldsOf(payload: Record<string, unknown>, declared: ReadonlySet<string>): string | null {
  let json: string | null = null;
  for (const key in payload) {
    if (declared.has(key)) continue;
    const value = payload[key];
    if (value === undefined) continue;
    const member = quotedKey(key) + JSON.stringify(value);
    json = json === null ? `{${member}` : `${json},${member}`;
  }
  return json === null ? null : `${json}}`;
}

const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 10_000;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    if (quotedKeys.size >= MAX_QUOTED_KEYS) quotedKeys.clear();
    quoted = `${JSON.stringify(key)}:`;
    quotedKeys.set(key, quoted);
  }
  return quoted;
}
