// A fresh, migrated Postgres schema per test file in the real local Postgres, so test files
// can run in parallel without seeing each other's rows.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createPgPool, withSearchPath } from '../../shared/stores/postgres/pg-pool.js';
import { loadMigrations, migrate } from '../../shared/stores/postgres/migrator.js';

/** Base URL of the test database; CI and the dev machine run Postgres with trust auth. */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** Connection string whose search_path is the test schema. */
  readonly url: string;
  readonly schema: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

/** Creates and migrates a schema named `t_<random>`; `drop()` removes it. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = createPgPool({ connectionString: TEST_DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = withSearchPath(TEST_DATABASE_URL, schema);
  const pool = createPgPool({ connectionString: url, max: 4 });
  if (options.migrate !== false) await migrate(pool, await loadMigrations('migrations'));
  return {
    url,
    schema,
    pool,
    async drop() {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    },
  };
}
