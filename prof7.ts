import { performance } from 'node:perf_hooks';
import { decodeBatch } from './shared/ingest/decode-batch.js';
import { planLakeFiles } from './shared/ingest/plan-lake-files.js';
import { buildColumns } from './shared/lake/parquet-encoder.js';
import { seededRandom, syntheticEvent } from './shared/producer/synthetic-events.js';
import { SchemaRegistry } from './shared/schema/schema-registry.js';
import { exampleSchemas } from './test/support/schemas.js';
import { parquetWriteBuffer, schemaFromColumnData } from 'hyparquet-writer';
import { compress, init } from '@bokuweb/zstd-wasm';
await init();
const random = seededRandom(1); const now = Date.now();
const records = Array.from({ length: 10000 }, (_, i) => ({ origin: 'kinesis' as const, stream: 'b', shard: 's', seq: String(1e10 + i), arrivalTs: now, dataBase64: Buffer.from(JSON.stringify(syntheticEvent(random, i, { now }))).toString('base64') }));
const registry = new SchemaRegistry({ loadSchemas: async () => exampleSchemas() }); await registry.reload();
const over = { event_ts: { name: 'event_ts', type: 'INT64', repetition_type: 'REQUIRED', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } }, ingested_at: { name: 'ingested_at', type: 'INT64', repetition_type: 'REQUIRED', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } } } as any;
const N = 40; const acc = { parse: 0, decode: 0, plan: 0, build: 0, write: 0, zstd: 0 };
let zt = 0;
const z = (b: Uint8Array) => { const t = performance.now(); const r = compress(b, 1); zt += performance.now() - t; return r; };
for (let r = 0; r < N + 5; r++) {
  const w = r >= 5;
  let t = performance.now();
  for (const rec of records) JSON.parse(Buffer.from(rec.dataBase64, 'base64').toString());
  if (w) acc.parse += performance.now() - t; t = performance.now();
  const decoded = decodeBatch(records);
  if (w) acc.decode += performance.now() - t; t = performance.now();
  const plan = planLakeFiles(decoded.events, registry, { shardKey: 'k', lateThresholdMs: 300000 });
  if (w) acc.plan += performance.now() - t; t = performance.now();
  const cols = plan.files.map(f => buildColumns(f.events, f.columns, now));
  if (w) acc.build += performance.now() - t; t = performance.now();
  zt = 0;
  for (const c of cols) parquetWriteBuffer({ columnData: c.map(({ type, nullable, ...x }) => x), schema: schemaFromColumnData({ columnData: c, schemaOverrides: over }), codec: 'ZSTD', compressors: { ZSTD: z }, rowGroupSize: 10000, statistics: process.env.STATS !== '0', pageSize: Number(process.env.PAGE ?? 1048576) });
  if (w) { acc.write += performance.now() - t - zt; acc.zstd += zt; }
}
for (const k in acc) (acc as any)[k] = ((acc as any)[k] / N).toFixed(1);
console.log(acc);
