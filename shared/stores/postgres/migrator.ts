// Applies versioned SQL migrations once each, in order, under an advisory lock so that two
// deploys (or test workers) migrating at once do not race. Applied files must not change.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { PipelineError } from '../../errors.js';

/** One migration file: `0001_name.sql`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** What {@link migrate} did. */
export interface MigrationReport {
  readonly applied: string[];
  readonly alreadyApplied: number;
}

/** A migration already applied was edited afterwards, or files are misnamed. */
export class MigrationError extends PipelineError {}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/** Arbitrary but fixed key for pg_advisory_xact_lock: "event-lake migrations". */
const MIGRATION_LOCK_KEY = 0x65766c6b;

/**
 * Reads `NNNN_name.sql` files from a folder, sorted by version.
 *
 * @example const migrations = await loadMigrations('migrations');
 */
export async function loadMigrations(folder: string): Promise<Migration[]> {
  const names = (await readdir(folder)).filter((n) => n.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (!match) throw new MigrationError(`migration file ${name} must be named NNNN_lower_snake.sql`);
    migrations.push({ version: Number(match[1]), name: match[2]!, sql: await readFile(join(folder, name), 'utf8') });
  }
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new MigrationError('two migration files share a version');
  return migrations;
}

/**
 * Applies the migrations not applied yet, each in its own transaction.
 *
 * @example const report = await migrate(pool, await loadMigrations('migrations'), console.log);
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[],
  log: (line: string) => void = () => undefined,
): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied: string[] = [];
    let alreadyApplied = 0;
    for (const migration of migrations) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        const checksum = createHash('sha256').update(migration.sql).digest('hex');
        const existing = await client.query<{ checksum: string }>(
          'SELECT checksum FROM schema_migrations WHERE version = $1',
          [migration.version],
        );
        const label = `${String(migration.version).padStart(4, '0')}_${migration.name}`;
        if (existing.rows[0]) {
          if (existing.rows[0].checksum !== checksum) {
            throw new MigrationError(`migration ${label} was edited after it was applied; add a new migration instead`);
          }
          alreadyApplied += 1;
        } else {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            checksum,
          ]);
          applied.push(label);
          log(`applied ${label}`);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return { applied, alreadyApplied };
  } finally {
    client.release();
  }
}
