// Reads the lake back the way an exact reader must: only the files the manifest lists,
// fetched from S3 and read by DuckDB.
import type pg from 'pg';
import { PgManifestReader } from '../../shared/stores/postgres/pg-manifest-reader.js';
import type { ParquetReader } from './duckdb.js';
import type { S3Emulator } from './s3-emulator.js';

/** Rows of `sql` over `lake`, the union of every file in the manifest. */
export async function queryLake(
  pool: pg.Pool,
  s3: S3Emulator,
  duck: ParquetReader,
  sql = 'SELECT * FROM lake',
): Promise<Record<string, unknown>[]> {
  const files = await new PgManifestReader(pool).listFiles();
  if (files.length === 0) return [];
  const paths: string[] = [];
  for (const file of files) paths.push(await duck.stage(await s3.getObjectBytes(file.key)));
  return duck.rows(`WITH lake AS (SELECT * FROM read_parquet([${paths.join(', ')}], union_by_name = true)) ${sql}`);
}
