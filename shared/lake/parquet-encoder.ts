// Encodes one partition's events as a ZSTD Parquet file with the lake's fixed columns
// (DESIGN.md "The lake"), then the schema's payload fields as typed columns, then `extra`.
import { compress, init as initZstd } from '@bokuweb/zstd-wasm';
import { parquetWriteBuffer, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import type { EventEnvelope } from '../envelope/types.js';
import type { PayloadColumn } from '../schema/types.js';

/** zstd level 3 is zstd's own default: about 3x faster than 9 for a few % in size. */
const DEFAULT_ZSTD_LEVEL = 3;
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

/**
 * Loads the zstd wasm module (once per process) and returns an encoder.
 *
 * @example const encoder = await createParquetEncoder(); const bytes = encoder.encode(events, columns, Date.now());
 */
export async function createParquetEncoder(options: { zstdLevel?: number } = {}): Promise<ParquetEncoder> {
  zstdReady ??= initZstd();
  await zstdReady;
  const level = options.zstdLevel ?? DEFAULT_ZSTD_LEVEL;
  const zstd = (input: Uint8Array): Uint8Array => compress(input, level);
  return {
    encode(events, payloadColumns, ingestedAt) {
      if (events.length === 0) throw new Error('cannot encode an empty lake file');
      const columnData = buildColumns(events, payloadColumns, ingestedAt);
      const schema = schemaFromColumnData({ columnData, schemaOverrides: TIMESTAMP_COLUMNS });
      const buffer = parquetWriteBuffer({
        // With an explicit schema the writer takes untyped columns.
        columnData: columnData.map(({ name, data }) => ({ name, data })),
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
  const declared = new Set(payloadColumns.map((c) => c.name));

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

  return [
    { name: 'event_id', data: eventId, type: 'STRING', nullable: false },
    { name: 'event_type', data: eventType, type: 'STRING', nullable: false },
    { name: 'source', data: source, type: 'STRING', nullable: false },
    { name: 'schema_version', data: schemaVersion, type: 'INT32', nullable: false },
    { name: 'event_ts', data: eventTs }, // typed by TIMESTAMP_COLUMNS
    { name: 'ingested_at', data: ingested },
    { name: 'shard', data: shard, type: 'STRING', nullable: false },
    { name: 'seq', data: seq, type: 'STRING', nullable: false },
    ...payloadColumns.map((column, c): ColumnSource => ({
      name: column.name,
      data: payload[c]! as ColumnSource['data'],
      type: column.type === 'JSON' ? 'STRING' : column.type,
    })),
    { name: 'extra', data: extra, type: 'STRING' },
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

/** Undeclared payload fields as one JSON object string, or null when there are none. */
function extraFieldsOf(payload: Record<string, unknown>, declared: ReadonlySet<string>): string | null {
  let extra: Record<string, unknown> | undefined;
  for (const key in payload) {
    if (declared.has(key)) continue;
    (extra ??= {})[key] = payload[key];
  }
  return extra === undefined ? null : JSON.stringify(extra);
}
