// One Postgres pool per container. In Lambda a container serves one invocation at a time,
// so one connection is enough, and more would exhaust RDS Proxy/Postgres at high concurrency.
import pg from 'pg';

/**
 * The connection string with a search_path, so unqualified table names resolve in `schema`
 * (migrations and queries are schema-agnostic; tests and the local stack use their own).
 *
 * @example withSearchPath('postgres://postgres@127.0.0.1:5432/test', 't_1') // '…/test?options=-c%20search_path%3Dt_1'
 */
export function withSearchPath(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/**
 * The connection string with one more server option (`-c name=value`) in its `options`
 * parameter, kept beside any already there (e.g. a search_path).
 *
 * @example withSessionOption('postgres://h/db?options=-c%20search_path%3Dx', '-c synchronous_commit=off')
 */
export function withSessionOption(url: string, option: string): string {
  const parsed = new URL(url);
  const existing = parsed.searchParams.get('options');
  parsed.searchParams.set('options', existing ? `${existing} ${option}` : option);
  return parsed.toString();
}

/** A connection string fit for logs: the password replaced by ***. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');
}

/** Options of {@link createPgPool}. */
export interface PgPoolOptions {
  readonly connectionString: string;
  /** Connections kept; 1 in Lambda, more in CLIs and servers. */
  readonly max?: number;
  readonly statementTimeoutMs?: number;
  readonly applicationName?: string;
  /**
   * Commit without waiting for the WAL flush (synchronous_commit off): for pools whose writes
   * may be lost in a Postgres crash without harm, e.g. the webhook's idempotency keys.
   */
  readonly asynchronousCommit?: boolean;
}

/**
 * Creates a pg Pool with a statement timeout, so a stuck query fails the batch (and is
 * retried) instead of running into the Lambda timeout.
 *
 * @example const pool = createPgPool({ connectionString: config.databaseUrl });
 */
export function createPgPool(options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    // A startup option rather than a SET after connecting: it holds from the first statement.
    connectionString: options.asynchronousCommit ? withSessionOption(options.connectionString, '-c synchronous_commit=off') : options.connectionString,
    max: options.max ?? 1,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 60_000,
    application_name: options.applicationName ?? 'event-lake',
  });
  // An idle client losing its connection emits 'error' on the pool; without a listener that
  // would crash the process. The next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
