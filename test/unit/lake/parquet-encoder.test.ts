import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import { createParquetEncoder, nativeZstdCompressor, type ParquetEncoder } from '../../../shared/lake/parquet-encoder.js';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { payloadColumnsOf } from '../../../shared/schema/payload-columns.js';
import { openParquetReader, type ParquetReader } from '../../support/duckdb.js';
import { pageView } from '../../support/events.js';
import { exampleSchemas } from '../../support/schemas.js';
import { kinesisEvent } from '../../support/kinesis-events.js';

let encoder: ParquetEncoder;
let duck: ParquetReader;
const columns = payloadColumnsOf(exampleSchemas().find((s) => s.eventType === 'page_view')!.jsonSchema);

beforeAll(async () => {
  encoder = await createParquetEncoder();
  duck = await openParquetReader();
});
afterAll(() => duck.close());

describe('ParquetEncoder, read back by DuckDB', () => {
  const inputs = [
    pageView({ event_id: 'a', ts: '2026-11-26T09:00:00.123Z', duration_ms: 7, campaign: 'x' }),
    pageView({ event_id: 'b', ts: '2026-11-26T09:30:00Z', duration_ms: undefined, referrer: 'r', session_id: undefined }),
  ];
  const events = decodeBatch(sourceRecordsFromKinesis(kinesisEvent(inputs.map((json) => ({ json })), { firstSeq: 5 }))).events;
  const ingestedAt = Date.parse('2026-11-26T09:31:00Z');

  it('writes the fixed columns, typed payload columns and extra, in order and with types', async () => {
    const file = encoder.encode(events, columns, ingestedAt);
    const schema = await duck.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet({file}))`, file);
    expect(schema.map((c) => [c['column_name'], c['column_type']])).toEqual([
      ['event_id', 'VARCHAR'],
      ['event_type', 'VARCHAR'],
      ['source', 'VARCHAR'],
      ['schema_version', 'INTEGER'],
      ['event_ts', 'TIMESTAMP WITH TIME ZONE'],
      ['ingested_at', 'TIMESTAMP WITH TIME ZONE'],
      ['shard', 'VARCHAR'],
      ['seq', 'VARCHAR'],
      ['source_key', 'VARCHAR'],
      ['source_headers', 'VARCHAR'],
      ['user_id', 'VARCHAR'],
      ['session_id', 'VARCHAR'],
      ['url', 'VARCHAR'],
      ['referrer', 'VARCHAR'],
      ['country', 'VARCHAR'],
      ['duration_ms', 'BIGINT'],
      ['extra', 'VARCHAR'],
    ]);
  });

  it('round-trips every value, nulls for absent optional fields and undeclared fields in extra', async () => {
    const file = encoder.encode(events, columns, ingestedAt);
    const rows = await duck.rows(
      `SELECT event_id, epoch_ms(event_ts) AS ts, epoch_ms(ingested_at) AS ing, seq, duration_ms, session_id, referrer, extra
         FROM read_parquet({file}) ORDER BY event_id`,
      file,
    );
    expect(rows).toEqual([
      { event_id: 'a', ts: Date.parse('2026-11-26T09:00:00.123Z'), ing: ingestedAt, seq: events[0]!.seq, duration_ms: 7, session_id: 's-1', referrer: null, extra: '{"campaign":"x"}' },
      { event_id: 'b', ts: Date.parse('2026-11-26T09:30:00Z'), ing: ingestedAt, seq: events[1]!.seq, duration_ms: null, session_id: null, referrer: 'r', extra: null },
    ]);
  });

  it('compresses with ZSTD and keeps column statistics', async () => {
    const file = encoder.encode(events, columns, ingestedAt);
    const meta = await duck.rows(
      `SELECT DISTINCT compression, stats_min_value = '7' AND stats_max_value = '7' AND stats_null_count = 1 AS has_stats FROM parquet_metadata({file}) WHERE path_in_schema = 'duration_ms'`,
      file,
    );
    expect(meta).toEqual([{ compression: 'ZSTD', has_stats: true }]);
  });
});

describe('zstd compressors', () => {
  const events = decodeBatch(sourceRecordsFromKinesis(kinesisEvent(Array.from({ length: 50 }, (_, i) => ({ json: pageView({ event_id: `z${i}` }) }))))).events;

  it('the wasm build writes files DuckDB reads', async () => {
    const wasm = await createParquetEncoder({ compressor: 'wasm' });
    const rows = await duck.rows(`SELECT count(*)::INT AS n, min(event_id) AS first FROM read_parquet({file})`, wasm.encode(events, columns, 0));
    expect(rows).toEqual([{ n: 50, first: 'z0' }]);
  });

  // Node 22.15+ (Lambda's runtime) only; on older Node the encoder falls back to wasm.
  it.skipIf(!nativeZstdCompressor(1))("Node's own zstd writes files DuckDB reads, like the wasm build's", async () => {
    const native = await createParquetEncoder({ compressor: 'native' });
    const rows = await duck.rows(`SELECT count(*)::INT AS n, min(event_id) AS first FROM read_parquet({file})`, native.encode(events, columns, 0));
    expect(rows).toEqual([{ n: 50, first: 'z0' }]);
  });

  it('refuses a native compressor this Node does not have, naming the version', async () => {
    if (nativeZstdCompressor(1)) return expect(await createParquetEncoder({ compressor: 'native' })).toBeDefined();
    await expect(createParquetEncoder({ compressor: 'native' })).rejects.toThrow(/has no zstd in zlib/);
  });
});
