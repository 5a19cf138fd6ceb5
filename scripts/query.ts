// npm run query -- "<SQL>": DuckDB over the lake files listed in the manifest (view `events`).
import { loadCliConfig } from '../shared/cli/cli-config.js';
import { formatTable } from '../shared/cli/format-table.js';
import { runCli, UsageError } from '../shared/cli/run-cli.js';
import { LakeQueryEngine } from '../shared/query/lake-query.js';
import { PgManifestReader } from '../shared/stores/postgres/pg-manifest-reader.js';
import { createPgPool } from '../shared/stores/postgres/pg-pool.js';
import { createS3Client } from '../shared/stores/s3/s3-lake-store.js';

const usage = `Usage: npm run query -- "<SQL>" [--json] [--source S] [--type T] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--cache DIR] [--cache-max-mb N]

Runs SQL with DuckDB over a view named "events": exactly the Parquet files committed in the
manifest (orphans of crashed batches are never read). --source/--type/--from/--to narrow
which files are fetched (by event date); the SQL can filter further.

  --json        print a JSON array of row objects instead of a table
  --cache DIR   where fetched files are kept (default .local/query-cache)
  --cache-max-mb N  cap of that cache; least recently used files are removed after the
                fetch, never the ones this query reads (default 2048)

Settings: DATABASE_URL, LAKE_BUCKET, AWS_ENDPOINT_URL_S3, AWS_REGION, or the local stack's .local/stack.json.

Example: npm run query -- "SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1"`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

await runCli(
  {
    usage,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      source: { type: 'string' },
      type: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      cache: { type: 'string' },
      'cache-max-mb': { type: 'string' },
    },
  },
  async ({ values, positionals }) => {
    if (positionals.length !== 1) throw new UsageError('give exactly one SQL statement (quote it)');
    for (const bound of ['from', 'to'] as const) {
      const v = values[bound];
      if (v !== undefined && !isCalendarDate(String(v))) throw new UsageError(`--${bound} must be a date YYYY-MM-DD, got "${String(v)}"`);
    }
    const cacheMaxMb = values['cache-max-mb'] === undefined ? 2048 : Number(values['cache-max-mb']);
    if (!Number.isFinite(cacheMaxMb) || cacheMaxMb < 0) throw new UsageError(`--cache-max-mb must be a number of MB ≥ 0, got "${String(values['cache-max-mb'])}"`);
    const config = loadCliConfig(process.env, { requireBucket: true });
    const pool = createPgPool({ connectionString: config.databaseUrl, statementTimeoutMs: 60_000 });
    let engine: LakeQueryEngine | undefined;
    try {
      const files = await new PgManifestReader(pool).listFiles({
        source: values['source'] as string | undefined,
        eventType: values['type'] as string | undefined,
        fromDt: values['from'] as string | undefined,
        toDt: values['to'] as string | undefined,
      });
      const progress = process.stderr.isTTY && files.length > 20;
      engine = await LakeQueryEngine.open(files, {
        s3: createS3Client({ region: config.region, endpoint: config.s3Endpoint, credentials: config.emulatorCredentials }),
        bucket: config.lakeBucket!,
        cacheDir: String(values['cache'] ?? '.local/query-cache'),
        onProgress: progress ? (done, total) => process.stderr.write(`\rfetching lake files ${done}/${total}`) : undefined,
        cacheMaxBytes: cacheMaxMb * 1024 * 1024,
        onTrim: ({ removedFiles, removedBytes }) =>
          process.stderr.write(`query cache: removed ${removedFiles} least recently used files (${(removedBytes / 1024 ** 2).toFixed(1)} MB) to stay under ${cacheMaxMb} MB\n`),
      });
      if (progress) process.stderr.write('\n');
      const { columns, rows } = await engine.query(positionals[0]!);
      process.stdout.write(values['json'] ? `${JSON.stringify(rows, null, 2)}\n` : `${formatTable(columns, rows)}\n`);
    } finally {
      engine?.close();
      await pool.end();
    }
  },
);

/** YYYY-MM-DD naming a real day (2026-13-01 and 2026-02-30 are not). */
function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}
