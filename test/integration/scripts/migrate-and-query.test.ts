// `npm run migrate` and `npm run query` as child processes against real Postgres and the S3 emulator.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { ingestShardBatch } from '../../../shared/ingest/ingest-shard-batch.js';
import { pageView, purchase } from '../../support/events.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { createIngestDeps } from '../../support/ingest-deps.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { runScript } from '../../support/run-script.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';

let db: TestDatabase;
let s3: S3Emulator;
let cache: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  [db, s3] = await Promise.all([createTestDatabase({ migrate: false }), startS3Emulator()]);
  cache = await mkdtemp(join(tmpdir(), 'query-cache-'));
  // No AWS credentials at all: the CLI must use dummy ones for an emulator endpoint by itself.
  env = { DATABASE_URL: db.url, LAKE_BUCKET: s3.bucket, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
});

afterAll(async () => {
  await Promise.all([db?.drop(), s3?.stop(), rm(cache, { recursive: true, force: true })]);
});

describe('npm run migrate', () => {
  it('applies every migration once and is a no-op the second time', async () => {
    const files = readdirSync('migrations').filter((f) => f.endsWith('.sql')).sort();
    const first = await runScript('migrate', [], env);
    expect(first.stderr).not.toMatch(/error/);
    const appliedLines = files.map((f) => `applied ${f.replace(/\.sql$/, '')}`).join('\n');
    expect(first.stdout).toContain(`${appliedLines}\n${files.length} applied, 0 already applied`);
    const second = await runScript('migrate', [], env);
    expect(second.stdout).toContain(`0 applied, ${files.length} already applied`);
    const schemas = await db.pool.query('SELECT event_type FROM event_schemas ORDER BY 1');
    expect(schemas.rows.map((r) => r.event_type)).toEqual(['page_view', 'purchase']);
  });

  it('says how to start Postgres when it is unreachable', async () => {
    const result = await runScript('migrate', [], { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:9/test' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*is the service running\?/m);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });
});

describe('npm run query', () => {
  beforeAll(async () => {
    const deps = await createIngestDeps(db.pool, s3);
    const inputs = [
      ...Array.from({ length: 7 }, () => ({ json: pageView() })),
      ...Array.from({ length: 3 }, () => ({ json: purchase({ amount: 10 }) })),
    ];
    await ingestShardBatch(sourceRecordsFromKinesis(kinesisEvent(inputs)), deps, { lateThresholdMs: 300_000 });
    // An orphan: a file on S3 that no manifest row lists must never be read.
    await s3.store.putObject('events/source=web/event_type=page_view/dt=2026-11-26/hour=09/orphan-1-2.parquet', new Uint8Array([1]), 'application/vnd.apache.parquet');
  });

  it('prints JSON rows computed over exactly the manifest files', async () => {
    const result = await runScript(
      'query',
      ['SELECT event_type, count(*) AS n, sum(amount) AS total FROM events GROUP BY 1 ORDER BY 1', '--json', '--cache', cache],
      env,
    );
    expect(result.stderr).not.toMatch(/error/i);
    expect(JSON.parse(result.stdout)).toEqual([
      { event_type: 'page_view', n: 7, total: null },
      { event_type: 'purchase', n: 3, total: 30 },
    ]);
  });

  it('prints an aligned table by default and narrows files by --type', async () => {
    const result = await runScript('query', ['SELECT count(*) AS count FROM events', '--type', 'purchase', '--cache', cache], env);
    expect(result.stdout).toBe('count\n-----\n    3\n(1 row)\n');
  });

  it('exposes the Hive partition columns dt and hour', async () => {
    const result = await runScript('query', ['SELECT DISTINCT dt, hour FROM events ORDER BY hour', '--json', '--cache', cache], env);
    expect(JSON.parse(result.stdout)).toEqual([
      { dt: '2026-11-26', hour: 9 },
      { dt: '2026-11-26', hour: 10 },
    ]);
  });

  it('trims its cache to --cache-max-mb, least recently used first, never a file the query reads', async () => {
    const stale = join(cache, 'stale-bucket', 'old.parquet');
    await mkdir(dirname(stale), { recursive: true });
    await writeFile(stale, Buffer.alloc(64 * 1024));
    const longAgo = new Date(Date.now() - 86_400_000);
    await utimes(stale, longAgo, longAgo);
    // A cap of 0 MB: everything not read by this query goes; what it reads stays.
    const result = await runScript('query', ['SELECT count(*) AS n FROM events', '--json', '--cache', cache, '--cache-max-mb', '0'], env);
    expect(JSON.parse(result.stdout)).toEqual([{ n: 10 }]);
    expect(result.stderr).toMatch(/query cache: removed 1 least recently used files \(0\.1 MB\) to stay under 0 MB/);
    expect(existsSync(stale)).toBe(false);
    const again = await runScript('query', ['SELECT count(*) AS n FROM events', '--json', '--cache', cache, '--cache-max-mb', '0'], env);
    expect(JSON.parse(again.stdout)).toEqual([{ n: 10 }]);
    expect(again.stderr).not.toMatch(/removed/);
  });

  it('answers over an empty selection instead of failing', async () => {
    const result = await runScript('query', ['SELECT count(*) AS n FROM events', '--json', '--source', 'nobody', '--cache', cache], env);
    expect(JSON.parse(result.stdout)).toEqual([{ n: 0 }]);
  });

  it('rejects bad usage with exit code 2 and the usage text', async () => {
    const result = await runScript('query', ['--from', 'yesterday', 'SELECT 1'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--from must be a date YYYY-MM-DD, got "yesterday"[\s\S]*Usage: npm run query/);
    const impossible = await runScript('query', ['--to', '2026-13-01', 'SELECT 1'], env);
    expect(impossible.code).toBe(2);
    expect(impossible.stderr).toMatch(/--to must be a date YYYY-MM-DD, got "2026-13-01"/);
  });

  it('reports a SQL error as one line', async () => {
    const result = await runScript('query', ['SELECT nope FROM events', '--cache', cache], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: Binder Error: .*"nope"/m);
  });
});
