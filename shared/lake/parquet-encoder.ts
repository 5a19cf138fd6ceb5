// Encodes one partition's events as a ZSTD Parquet file with the lake's fixed columns
// (DESIGN.md "The lake"), then the schema's payload fields as typed columns, then `extra`.
import * as zlib from 'node:zlib';
import { compress, init as initZstd } from '@bokuweb/zstd-wasm';
import { parquetWriteBuffer, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { CONTRACT_FIELDS } from '../envelope/to-envelope.js';
import type { EventEnvelope } from '../envelope/types.js';
import type { PayloadColumn } from '../schema/types.js';

/** zstd level 3 is zstd's own default: about 3x faster than 9 for a few % in size. */
const DEFAULT_ZSTD_LEVEL = 1;
const CREATED_BY = 'event-lake (hyparquet-writer)';

/** Instants in UTC at millisecond precision: Athena, Glue and DuckDB read them as zoned timestamps. */
function utcMillisColumn(name: string) {
  return {
    name,
    type: 'INT64',
    repetition_type: 'REQUIRED',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
  } as const;
}
const TIMESTAMP_COLUMNS = { event_ts: utcMillisColumn('event_ts'), ingested_at: utcMillisColumn('ingested_at') };

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
  return {
    encode(events, payloadColumns, ingestedAt) {
      if (events.length === 0) throw new Error('cannot encode an empty lake file');
      const columnData = buildColumns(events, payloadColumns, ingestedAt);
      const schema = schemaFromColumnData({ columnData, schemaOverrides: TIMESTAMP_COLUMNS });
      const buffer = parquetWriteBuffer({
        // With an explicit schema the writer takes untyped columns.
        columnData: columnData.map(({ type: _type, nullable: _nullable, ...column }) => column),
        schema,
        codec: 'ZSTD',
        compressors: { ZSTD: zstd },
        rowGroupSize: events.length,
        statistics: true,
        createdBy: CREATED_BY,
      });
      return new Uint8Array(buffer);
    },
  };
}

const UNIQUE_STRINGS = { encoding: 'PLAIN', statistics: false } as const;
/** Columns with one or a few values per file (partition keys, shard): always a dictionary. */
const REPEATED = { encoding: 'RLE_DICTIONARY' } as const;

/** Transposes events into column arrays; exported for tests and the benchmark. */
export function buildColumns(
  events: readonly EventEnvelope[],
  payloadColumns: readonly PayloadColumn[],
  ingestedAt: number,
): ColumnSource[] {
  const n = events.length;
  const eventId = new Array<string>(n);
  const eventType = new Array<string>(n);
  const source = new Array<string>(n);
  const schemaVersion = new Array<number>(n);
  const eventTs = new Array<number>(n);
  const ingested = new Array<number>(n).fill(ingestedAt);
  const shard = new Array<string>(n);
  const seq = new Array<string>(n);
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
    for (let c = 0; c < payloadColumns.length; c++) {
      const column = payloadColumns[c]!;
      payload[c]![i] = toColumnValue(e.payload[column.name], column.type);
    }
    extra[i] = extraFieldsOf(e.payload, declared);
  }

  // Unique-per-row strings skip the dictionary attempt (it cannot pay off) and min/max
  // statistics (they prune nothing for ids and free text); together about a third of the
  // encoding time. Numbers, timestamps and the constant envelope columns keep statistics.
  return [
    { name: 'event_id', data: utf8Column(eventId), type: 'STRING', nullable: false, ...UNIQUE_STRINGS },
    { name: 'event_type', data: eventType, type: 'STRING', nullable: false, ...REPEATED },
    { name: 'source', data: source, type: 'STRING', nullable: false, ...REPEATED },
    { name: 'schema_version', data: schemaVersion, type: 'INT32', nullable: false, ...REPEATED },
    { name: 'event_ts', data: eventTs }, // typed by TIMESTAMP_COLUMNS
    { name: 'ingested_at', data: ingested },
    { name: 'shard', data: shard, type: 'STRING', nullable: false, ...REPEATED },
    { name: 'seq', data: utf8Column(seq), type: 'STRING', nullable: false, ...UNIQUE_STRINGS },
    ...payloadColumns.map((column, c): ColumnSource => {
      if (column.type === 'STRING' || column.type === 'JSON') {
        return { name: column.name, type: 'STRING', statistics: false, ...stringColumn(payload[c] as (string | null)[]) };
      }
      return { name: column.name, data: payload[c]! as ColumnSource['data'], type: column.type };
    }),
    { name: 'extra', data: utf8Column(extra), type: 'STRING', ...UNIQUE_STRINGS },
  ];
}

function toColumnValue(value: unknown, type: PayloadColumn['type']): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'INT64':
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : null;
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

/**
 * Chooses the encoding of a string column from the distinct share of a sample: repeated
 * values get a dictionary, unique-ish values are written PLAIN from pre-encoded UTF-8
 * (deciding here, over strings, is cheaper than the writer's estimate over byte arrays).
 */
function stringColumn(values: (string | null)[]): Pick<ColumnSource, 'data' | 'encoding'> {
  // An evenly spread sample decides as well as the whole column and costs a fraction of it.
  const step = Math.max(1, Math.floor(values.length / DICTIONARY_SAMPLE));
  const sample = new Set<string | null>();
  let sampled = 0;
  for (let i = 0; i < values.length; i += step, sampled++) sample.add(values[i]!);
  if (sample.size <= sampled * DICTIONARY_MAX_DISTINCT_SHARE) return { data: values, encoding: 'RLE_DICTIONARY' };
  return { data: utf8Column(values), encoding: 'PLAIN' };
}

/** Values looked at to choose a string column's encoding. */
const DICTIONARY_SAMPLE = 1024;

/**
 * Encodes a column of strings as UTF-8 views into one shared buffer. The writer would call
 * TextEncoder once per value, allocating a buffer each time: a quarter of the encoding time.
 * One native encode of the joined column plus cheap views is several times faster; for
 * ASCII-only text (the common case) byte offsets equal character offsets.
 * Only for PLAIN columns: dictionary detection hashes byte arrays more slowly than strings.
 */
export function utf8Column(values: readonly (string | null)[]): (Uint8Array | null)[] {
  const joined = values.join('');
  const bytes = Buffer.from(joined, 'utf8');
  const ascii = bytes.length === joined.length;
  const out = new Array<Uint8Array | null>(values.length);
  let offset = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    const length = ascii ? v.length : Buffer.byteLength(v, 'utf8');
    out[i] = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length);
    offset += length;
  }
  return out;
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
