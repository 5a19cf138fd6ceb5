// DuckDB as the independent Parquet reader of the tests.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ParquetReader {
  /** Rows of a SQL query; `{file}` in the SQL stands for the Parquet bytes given. */
  rows(sql: string, file?: Uint8Array): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function openParquetReader(): Promise<ParquetReader> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-test-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection: DuckDBConnection = await instance.connect();
  let n = 0;
  return {
    async rows(sql, file) {
      let text = sql;
      if (file) {
        const path = join(dir, `f${n++}.parquet`);
        await writeFile(path, file);
        text = sql.replaceAll('{file}', `'${path}'`);
      }
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
