// npm run bench: throughput of the ingest core (decode → validate → partition → Parquet) on
// generated 500-byte events, beside DuckDB converting the same events from NDJSON to Parquet
// in the same run; peak memory of one batch; and the commit of one batch to S3 + Postgres.
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Cluster, Redis } from 'ioredis';
import { buildApp } from 'fauxqs';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { runCli, UsageError } from '../shared/cli/run-cli.js';
import type { SourceRecord } from '../shared/envelope/types.js';
import { decodeBatch } from '../shared/ingest/decode-batch.js';
import { ingestShardBatch, type CommitStep, type IngestDependencies } from '../shared/ingest/ingest-shard-batch.js';
import { planLakeFiles } from '../shared/ingest/plan-lake-files.js';
import { createParquetEncoder, type ParquetEncoder } from '../shared/lake/parquet-encoder.js';
import { seededRandom, syntheticEvent } from '../shared/producer/synthetic-events.js';
import { SchemaRegistry } from '../shared/schema/schema-registry.js';
import type { EventSchemaDefinition } from '../shared/schema/types.js';
import { createPgPool, withSearchPath } from '../shared/stores/postgres/pg-pool.js';
import { loadMigrations, migrate } from '../shared/stores/postgres/migrator.js';
import { PgBatchCommitter } from '../shared/stores/postgres/pg-batch-committer.js';
import { PgCheckpointStore } from '../shared/stores/postgres/pg-checkpoint-store.js';
import { PgSchemaStore } from '../shared/stores/postgres/pg-schema-store.js';
import { createS3Client, S3LakeStore } from '../shared/stores/s3/s3-lake-store.js';
import { computeDeltas } from '../shared/aggregates/compute-deltas.js';
import { PgAggregateSpecs } from '../shared/stores/postgres/pg-aggregate-specs.js';
import { createRedisClient } from '../shared/stores/redis/redis-client.js';
import { hourGroups, RedisAggregateStore } from '../shared/stores/redis/redis-aggregate-store.js';

const usage = `Usage: npm run bench [-- --events N] [--batch N] [--commits N] [--rounds N]

Measures, on one core (Node's main thread; DuckDB pinned to 1 thread for the reference):
  core     decode + validate + partition + Parquet (ZSTD) of N generated ~500-byte events
           in Lambda-sized batches, events/s and MB/s of JSON input
  duckdb   DuckDB converting the same events from an NDJSON file to ZSTD Parquet, in
           rounds alternating with the core's (a slow spell hits both sides alike)
  memory   peak RSS of a fresh process that processes one batch
  commit   one batch through the whole protocol against Postgres and the S3 emulator

  --events N    events for the throughput runs (default 200000)
  --batch N     records per batch, as Lambda's batch size (default 10000)
  --commits N   commit runs; the median is reported (default 5)
  --rounds N    alternating core / DuckDB rounds; each side's median is reported (default 3)

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) gets a temporary schema.`;

const MB = 1024 * 1024;
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A partition key per record, spread like the traffic producer's (event ids hash evenly). */
function partitionKeyOf(i: number): string {
  return `pk-${(i * 2_654_435_761) % 100_000}`;
}

function generateRecords(count: number, seed: number, shard = 'shardId-000000000000'): { records: SourceRecord[]; ndjson: string } {
  const random = seededRandom(seed);
  const now = Date.now();
  const lines: string[] = [];
  const records: SourceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const line = JSON.stringify(syntheticEvent(random, i, { now }));
    lines.push(line);
    records.push({
      origin: 'kinesis',
      stream: 'bench',
      shard,
      seq: String(10_000_000_000 + i),
      arrivalTs: now,
      dataBase64: Buffer.from(line).toString('base64'),
      key: partitionKeyOf(i), // as the producer sets it; lands in source_key
    });
  }
  return { records, ndjson: `${lines.join('\n')}\n` };
}

/** The core of one batch, as ingestShardBatch runs it, without the stores. */
async function processBatch(records: readonly SourceRecord[], registry: SchemaRegistry, encoder: ParquetEncoder): Promise<number> {
  const decoded = decodeBatch(records);
  await registry.prepare(decoded.events.map((e) => [e.eventType, e.schemaVersion] as const));
  const plan = planLakeFiles(decoded.events, registry, { shardKey: 'bench.shard', lateThresholdMs: 300_000 });
  let bytes = 0;
  for (const file of plan.files) bytes += encoder.encode(file.events, file.columns, Date.now()).byteLength;
  return bytes;
}

/** The Node major of the functions' runtime (serverless.yml `runtime: nodejsNN.x`), if it can be read. */
async function lambdaNodeMajor(): Promise<number | undefined> {
  const yml = await readFile('serverless.yml', 'utf8').catch(() => '');
  const match = /^\s*runtime:\s*nodejs(\d+)\.x\s*$/m.exec(yml);
  return match ? Number(match[1]) : undefined;
}

async function withBenchSchema<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const schema = `bench_${process.pid}`;
  const admin = createPgPool({ connectionString: DATABASE_URL });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = withSearchPath(DATABASE_URL, schema);
  try {
    const pool = createPgPool({ connectionString: url });
    await migrate(pool, await loadMigrations('migrations'));
    await pool.end();
    return await fn(url);
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

async function loadSchemas(url: string): Promise<EventSchemaDefinition[]> {
  const pool = createPgPool({ connectionString: url });
  try {
    return await new PgSchemaStore(pool).loadSchemas();
  } finally {
    await pool.end();
  }
}

/**
 * Times the core batch by batch. Each batch's records are copied out of the generated set
 * untimed, so the timed heap holds one batch like a Lambda container does, not all events.
 */
async function benchCore(records: SourceRecord[], batch: number, schemas: EventSchemaDefinition[], inputBytes: number) {
  const registry = new SchemaRegistry({ loadSchemas: async () => schemas });
  const encoder = await createParquetEncoder();
  await processBatch(records.slice(0, batch), registry, encoder); // warm-up: JIT, wasm, schema compile
  let timedMs = 0;
  let parquetBytes = 0;
  for (let i = 0; i < records.length; i += batch) {
    const slice = records.slice(i, i + batch);
    const start = performance.now();
    parquetBytes += await processBatch(slice, registry, encoder);
    timedMs += performance.now() - start;
  }
  const seconds = timedMs / 1000;
  return { seconds, eventsPerSecond: records.length / seconds, mbPerSecond: inputBytes / MB / seconds, parquetBytes };
}

/** DuckDB converting the NDJSON file to ZSTD Parquet, set up once and run as often as asked. */
async function openDuckDbReference(ndjson: string, threads: number) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-duckdb-'));
  const input = join(dir, 'events.ndjson');
  const output = join(dir, 'events.parquet');
  await writeFile(input, ndjson);
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  const copy = `COPY (SELECT * FROM read_json('${input}', format = 'newline_delimited')) TO '${output}' (FORMAT parquet, COMPRESSION zstd)`;
  await connection.run(copy); // warm-up
  return {
    async run() {
      const start = performance.now();
      await connection.run(copy);
      const seconds = (performance.now() - start) / 1000;
      return { seconds, parquetBytes: (await stat(output)).size };
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The core and DuckDB (1 thread) run in alternating rounds, so a slow spell of this shared
 * machine hits both sides alike; each side's median round is reported, and the ratio's spread.
 */
async function benchCoreAgainstDuckDb(records: SourceRecord[], ndjson: string, batch: number, schemas: EventSchemaDefinition[], inputBytes: number, rounds: number) {
  const duckdb = await openDuckDbReference(ndjson, 1);
  const cores: Awaited<ReturnType<typeof benchCore>>[] = [];
  const ducks: Awaited<ReturnType<typeof duckdb.run>>[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      console.error(`round ${round}/${rounds}: core…`);
      cores.push(await benchCore(records, batch, schemas, inputBytes));
      console.error(`round ${round}/${rounds}: duckdb (1 thread)…`);
      ducks.push(await duckdb.run());
    }
  } finally {
    await duckdb.close();
  }
  const ratios = cores.map((core, i) => ducks[i]!.seconds / core.seconds);
  const bySeconds = (run: { seconds: number }) => run.seconds;
  return { core: medianBy(cores, bySeconds), duck1: medianBy(ducks, bySeconds), minRatio: Math.min(...ratios), maxRatio: Math.max(...ratios) };
}

/** Runs in a forked child: generate one batch, process it, report peak RSS. */
async function memoryChild(batch: number, schemas: EventSchemaDefinition[]) {
  const baseline = process.memoryUsage().rss;
  const { records } = generateRecords(batch, 7);
  const registry = new SchemaRegistry({ loadSchemas: async () => schemas });
  const encoder = await createParquetEncoder();
  await processBatch(records, registry, encoder);
  await processBatch(records, registry, encoder);
  process.send!({ peakRssMb: process.resourceUsage().maxRSS / 1024, baselineRssMb: baseline / MB });
}

async function benchMemory(batch: number, schemas: EventSchemaDefinition[]): Promise<{ peakRssMb: number; baselineRssMb: number }> {
  const child = fork(process.argv[1]!, ['--memory-child', String(batch)], {
    execArgv: process.execArgv,
    env: { ...process.env, BENCH_SCHEMAS: JSON.stringify(schemas) },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as { peakRssMb: number; baselineRssMb: number }));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`memory child exited with ${code}`)));
  });
}

async function benchCommit(url: string, batch: number, runs: number) {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  process.env['AWS_ACCESS_KEY_ID'] ??= 'bench';
  process.env['AWS_SECRET_ACCESS_KEY'] ??= 'bench';
  const s3 = createS3Client({ region: 'us-east-1', endpoint });
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  const pool = createPgPool({ connectionString: url });
  const deps: IngestDependencies = {
    checkpoints: new PgCheckpointStore(pool),
    committer: new PgBatchCommitter(pool),
    objects: new S3LakeStore(s3, 'bench'),
    registry: new SchemaRegistry(new PgSchemaStore(pool)),
    encoder: await createParquetEncoder(),
  };
  const totals: number[] = [];
  const commits: number[] = [];
  try {
    for (let run = 0; run <= runs; run++) {
      const { records } = generateRecords(batch, 100 + run, `shardId-${String(run).padStart(12, '0')}`);
      const marks: Partial<Record<CommitStep, number>> = {};
      const start = performance.now();
      await ingestShardBatch(records, deps, { lateThresholdMs: 300_000, onStep: (step) => void (marks[step] = performance.now()) });
      if (run === 0) continue; // warm-up
      totals.push(marks['after-commit']! - start);
      commits.push(marks['after-commit']! - marks['after-objects-written']!);
    }
  } finally {
    await pool.end();
    s3.destroy();
    await app.close();
  }
  return { totalMs: median(totals), commitMs: median(commits), maxTotalMs: Math.max(...totals) };
}

/** Deltas of a 10,000-record batch computed and applied to the local Redis, median of runs. */
async function benchAggregates(url: string, batch: number, runs: number) {
  const pool = createPgPool({ connectionString: url });
  const redis = createRedisClient({ urls: [process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'], cluster: false });
  const store = new RedisAggregateStore(redis);
  const specs = await new PgAggregateSpecs(pool).current();
  const registry = new SchemaRegistry(new PgSchemaStore(pool));
  const compute: number[] = [];
  const apply: number[] = [];
  const serverMs: number[] = [];
  const buckets: number[] = [];
  const hours: number[] = [];
  try {
    for (let run = 0; run <= runs; run++) {
      const { records } = generateRecords(batch, 500 + run, `bench-agg-${process.pid}-${run}`);
      const { events } = decodeBatch(records);
      await registry.prepare(events.map((e) => [e.eventType, e.schemaVersion] as const));
      const valid = planLakeFiles(events, registry, { shardKey: 'b', lateThresholdMs: 300_000 }).files.flatMap((f) => f.events);
      const t0 = performance.now();
      const deltas = computeDeltas(`bench-${process.pid}-${run}`, valid, specs, { lateThresholdMs: 300_000 });
      const scriptsBefore = await scriptMicroseconds(redis);
      const t1 = performance.now();
      await store.apply(deltas);
      const t2 = performance.now();
      const scriptsAfter = await scriptMicroseconds(redis);
      if (run === 0) continue; // warm-up: script load, connections
      compute.push(t1 - t0);
      apply.push(t2 - t1);
      serverMs.push((scriptsAfter - scriptsBefore) / 1000);
      buckets.push(deltas.buckets.length);
      hours.push(hourGroups(deltas.buckets).length);
    }
  } finally {
    redis.disconnect();
    await pool.end();
  }
  return { computeMs: median(compute), applyMs: median(apply), serverMs: median(serverMs), buckets: median(buckets), scripts: median(hours) };
}

/**
 * Redis's own time in scripts so far (`INFO commandstats`, µs): the apply's reference, the
 * part no client code can shorten.
 */
async function scriptMicroseconds(redis: Redis | Cluster): Promise<number> {
  const info = await (redis as Redis).info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_(?:eval|evalsha):calls=\d+,usec=(\d+)/gm)) total += Number(match[1]);
  return total;
}

function median(values: number[]): number {
  return medianBy(values, (value) => value);
}

/** The item whose key is the median (the upper one of an even count). */
function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

if (process.argv.includes('--memory-child')) {
  const batch = Number(process.argv[process.argv.indexOf('--memory-child') + 1]);
  await memoryChild(batch, JSON.parse(process.env['BENCH_SCHEMAS']!) as EventSchemaDefinition[]);
} else {
  await runCli(
    { usage, options: { events: { type: 'string' }, batch: { type: 'string' }, commits: { type: 'string' }, rounds: { type: 'string' } } },
    async ({ values }) => {
      const events = Number(values['events'] ?? 200_000);
      const batch = Number(values['batch'] ?? 10_000);
      const commitRuns = Number(values['commits'] ?? 5);
      const rounds = Number(values['rounds'] ?? 3);
      if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds must be a whole number ≥ 1, got ${String(values['rounds'])}`);
      await withBenchSchema(async (url) => {
        const schemas = await loadSchemas(url);
        console.error(`generating ${fmt(events)} events…`);
        const { records, ndjson } = generateRecords(events, 42);
        const inputBytes = Buffer.byteLength(ndjson);
        console.error(`average event: ${fmt(inputBytes / events)} bytes of JSON`);

        const { core, duck1, minRatio, maxRatio } = await benchCoreAgainstDuckDb(records, ndjson, batch, schemas, inputBytes, rounds);
        console.error('duckdb (2 threads)…');
        const duckdb2 = await openDuckDbReference(ndjson, 2);
        const duck2 = await duckdb2.run().finally(() => duckdb2.close());
        console.error('memory…');
        const memory = await benchMemory(batch, schemas);
        console.error('commit…');
        const commit = await benchCommit(url, batch, commitRuns);
        console.error('aggregates…');
        const aggregates = await benchAggregates(url, batch, commitRuns);

        const rate = (s: number) => events / s;
        const rows = [
          ['ingest core (Node, 1 thread)', fmt(rate(core.seconds)), fmt(inputBytes / MB / core.seconds, 1), fmt(core.parquetBytes / MB, 1)],
          ['DuckDB NDJSON→Parquet (1 thread)', fmt(rate(duck1.seconds)), fmt(inputBytes / MB / duck1.seconds, 1), fmt(duck1.parquetBytes / MB, 1)],
          ['DuckDB NDJSON→Parquet (2 threads)', fmt(rate(duck2.seconds)), fmt(inputBytes / MB / duck2.seconds, 1), fmt(duck2.parquetBytes / MB, 1)],
        ];
        // The ingest functions run with these (serverless.yml ingestNodeOptions); so does `npm run bench`.
        const v8Flags = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].filter((arg) => arg.startsWith('--max-'));
        console.log(
          `\n${fmt(events)} events of ~${fmt(inputBytes / events)} bytes, batches of ${fmt(batch)}, ` +
            `Node ${process.version}, V8 flags: ${v8Flags.join(' ') || 'none'}\n`,
        );
        console.log('| run | events/s | MB/s (JSON in) | Parquet MB |');
        console.log('|---|---:|---:|---:|');
        for (const r of rows) console.log(`| ${r.join(' | ')} |`);
        console.log(
          `\ncore / DuckDB (1 thread): ${fmt(duck1.seconds / core.seconds, 2)}x ` +
            `(median rounds of ${rounds} alternating; per round ${fmt(minRatio, 2)}x-${fmt(maxRatio, 2)}x)`,
        );
        console.log(`peak RSS of a process processing one ${fmt(batch)}-record batch: ${fmt(memory.peakRssMb)} MB (baseline ${fmt(memory.baselineRssMb)} MB)`);
        console.log(
          `commit of one ${fmt(batch)}-record batch (S3 emulator + Postgres), median of ${commitRuns}: ` +
            `${fmt(commit.totalMs)} ms end to end, of which ${fmt(commit.commitMs)} ms the Postgres transaction (max ${fmt(commit.maxTotalMs)} ms)`,
        );
        console.log(
          `live aggregates of one ${fmt(batch)}-record batch, median of ${commitRuns}: deltas computed in ${fmt(aggregates.computeMs, 1)} ms, ` +
            `applied to Redis in ${fmt(aggregates.applyMs, 1)} ms, of which ${fmt(aggregates.serverMs, 1)} ms Redis's own time in the scripts (${aggregates.buckets} buckets, one script per hour of a metric: ${aggregates.scripts})`,
        );
        const lambdaMajor = await lambdaNodeMajor();
        if (lambdaMajor !== undefined && lambdaMajor !== Number(process.versions.node.split('.')[0])) {
          console.log(`\nnote: this ran on Node ${process.version}; the functions deploy on nodejs${lambdaMajor}.x (serverless.yml), whose V8 runs this core faster: npm run bench:lambda-node measures there.`);
        }
      });
    },
  );
}
