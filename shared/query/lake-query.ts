// Runs SQL with DuckDB over exactly the files the manifest lists (never an S3 listing, which
// also holds orphans). Files are fetched once into a local cache: DuckDB's S3 support is an
// extension downloaded at run time, which a sealed machine cannot do, and lake files are
// immutable once committed, so a cache keyed by key and size stays correct.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { LakeFileRow } from '../stores/postgres/pg-manifest-reader.js';
import { DEFAULT_QUERY_CACHE_MAX_BYTES, touchCachedFiles, trimQueryCache, type TrimResult } from './query-cache.js';

/** The columns every lake file has, for an empty `events` view that still answers queries. */
const EMPTY_EVENTS = `SELECT NULL::VARCHAR AS event_id, NULL::VARCHAR AS event_type, NULL::VARCHAR AS source,
  NULL::INTEGER AS schema_version, NULL::TIMESTAMPTZ AS event_ts, NULL::TIMESTAMPTZ AS ingested_at,
  NULL::VARCHAR AS shard, NULL::VARCHAR AS seq, NULL::VARCHAR AS source_key, NULL::VARCHAR AS source_headers,
  NULL::VARCHAR AS extra WHERE false`;

/** Options of {@link LakeQueryEngine.open}. */
export interface LakeQueryOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly cacheDir: string;
  /** Parallel downloads. */
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Cap of the cache in bytes after the fetch; least recently used files go first. */
  readonly cacheMaxBytes?: number;
  /** Called when trimming removed files. */
  readonly onTrim?: (result: TrimResult) => void;
}

/**
 * DuckDB with a view `events` over the given manifest files.
 *
 * @example
 * const engine = await LakeQueryEngine.open(files, { s3, bucket, cacheDir: '.local/query-cache' });
 * const rows = await engine.query('SELECT event_type, count(*) FROM events GROUP BY 1');
 */
export class LakeQueryEngine {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(files: readonly LakeFileRow[], options: LakeQueryOptions): Promise<LakeQueryEngine> {
    const paths = await fetchToCache(files, options);
    await touchCachedFiles(paths);
    const trimmed = await trimQueryCache(options.cacheDir, options.cacheMaxBytes ?? DEFAULT_QUERY_CACHE_MAX_BYTES, new Set(paths));
    if (trimmed.removedFiles > 0) options.onTrim?.(trimmed);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const source =
      paths.length === 0
        ? EMPTY_EVENTS
        : // The cache mirrors the S3 keys, so Hive partitioning adds the dt and hour columns.
          `SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = true, hive_types = {'dt': DATE, 'hour': INTEGER})`;
    await connection.run(`CREATE VIEW events AS ${source}`);
    return new LakeQueryEngine(instance, connection);
  }

  /** Column names and rows of a query, values converted to JSON-friendly JS values. */
  async query(sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
    const reader = await this.connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const dateColumns = columns.filter((_, i) => reader.columnTypes()[i]!.toString() === 'DATE');
    const rows = (reader.getRowObjectsJS() as Record<string, unknown>[]).map((row) => {
      const plain = toPlainRow(row);
      // A DATE is a calendar day, not an instant: print 2026-11-26, not midnight UTC.
      for (const c of dateColumns) if (typeof plain[c] === 'string') plain[c] = (plain[c] as string).slice(0, 10);
      return plain;
    });
    return { columns, rows };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

async function fetchToCache(files: readonly LakeFileRow[], options: LakeQueryOptions): Promise<string[]> {
  const paths = files.map((f) => resolve(join(options.cacheDir, options.bucket, f.key)));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      const file = files[index]!;
      const path = paths[index]!;
      const cached = await stat(path).catch(() => undefined);
      if (cached?.size !== file.byteSize) {
        const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: file.key })).catch((error: unknown) => {
          if ((error as { name?: string }).name !== 'NoSuchKey') throw error;
          throw new Error(
            `lake file ${file.key} is in the manifest but not in bucket ${options.bucket} ` +
              '(was the bucket emptied, or is DATABASE_URL the metadata of another lake?)',
            { cause: error },
          );
        });
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, await object.Body!.transformToByteArray());
      }
      options.onProgress?.(++done, files.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, files.length) }, worker));
  return paths;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** BIGINT → number when exact (else string); timestamps → ISO strings; nested values kept. */
function toPlainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key] = toPlainValue(value);
  return out;
}

function toPlainValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toPlainValue);
  if (value !== null && typeof value === 'object') return toPlainRow(value as Record<string, unknown>);
  return value;
}
