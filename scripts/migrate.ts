// npm run migrate: applies the SQL migrations in migrations/ to DATABASE_URL.
import { loadCliConfig } from '../shared/cli/cli-config.js';
import { runCli } from '../shared/cli/run-cli.js';
import { createPgPool, redactUrl } from '../shared/stores/postgres/pg-pool.js';
import { loadMigrations, migrate } from '../shared/stores/postgres/migrator.js';

const usage = `Usage: npm run migrate [-- --dir migrations]

Applies migrations/NNNN_*.sql not yet applied to DATABASE_URL (default: the local stack's
Postgres, else postgres://postgres@127.0.0.1:5432/postgres). Safe to run again: applied
migrations are skipped; an applied file that was edited is an error.`;

await runCli({ usage, options: { dir: { type: 'string' } } }, async ({ values }) => {
  const { databaseUrl } = loadCliConfig(process.env);
  const pool = createPgPool({ connectionString: databaseUrl, statementTimeoutMs: 120_000 });
  try {
    const migrations = await loadMigrations(String(values['dir'] ?? 'migrations'));
    const report = await migrate(pool, migrations, (line) => console.log(line));
    console.log(`${report.applied.length} applied, ${report.alreadyApplied} already applied (${redactUrl(databaseUrl)})`);
  } finally {
    await pool.end();
  }
});

