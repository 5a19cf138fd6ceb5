// DuckDB as the independent Parquet reader of the tests.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ParquetReader {
  /** Rows of a SQL query; `{file}` in the SQL stands for the Parquet bytes given. */
  rows(sql: string, file?: Uint8Array): Promise<Record<string, unknown>[]>;
  /** Writes Parquet bytes to a temporary file and returns its quoted path for SQL. */
  stage(file: Uint8Array): Promise<string>;
  close(): Promise<void>;
}

export async function openParquetReader(): Promise<ParquetReader> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-test-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection: DuckDBConnection = await instance.connect();
  let n = 0;
  const stage = async (file: Uint8Array): Promise<string> => {
    const path = join(dir, `f${n++}.parquet`);
    await writeFile(path, file);
    return `'${path}'`;
  };
  return {
    stage,
    async rows(sql, file) {
      const text = file ? sql.replaceAll('{file}', await stage(file)) : sql;
      const reader = await connection.runAndReadAll(text);
      return (reader.getRowObjectsJS() as Record<string, unknown>[]).map(withSafeNumbers);
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** DuckDB returns BIGINT as bigint; tests compare with plain numbers where they fit. */
function withSafeNumbers(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
  }
  return out;
}
