// Checks before the local stack starts, each failing with what to do instead of a stack
// trace: Postgres and Redis reachable, ports free, no other stack running, leftovers of a
// crashed one cleaned up.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import pg from 'pg';
import { redactUrl } from '../stores/postgres/pg-pool.js';
import { PipelineError } from '../errors.js';

/** Something the local stack needs is missing; the message says how to fix it. */
export class PreflightError extends PipelineError {}

/** The processes of a running stack, written to its pid file. */
export interface StackProcesses {
  readonly pid: number;
  readonly children: number[];
}

/**
 * Fails if another stack is running; kills children a crashed stack left behind (e.g. a
 * `serverless offline` still holding its ports) and removes its stale pid file.
 *
 * @example await cleanUpStaleStack('.local/dev.pid');
 */
export async function cleanUpStaleStack(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  let previous: StackProcesses;
  try {
    previous = JSON.parse(readFileSync(pidFile, 'utf8')) as StackProcesses;
  } catch {
    rmSync(pidFile, { force: true });
    return;
  }
  if (previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new PreflightError(
      `a local stack is already running (pid ${previous.pid}); stop it with Ctrl-C in its terminal or \`kill ${previous.pid}\``,
    );
  }
  const leftovers = (previous.children ?? []).filter(isAlive);
  for (const child of leftovers) {
    try {
      process.kill(-child, 'SIGKILL'); // its process group: offline and its workers
    } catch {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  // Their ports are free only once they are gone.
  const deadline = Date.now() + 5000;
  while (leftovers.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  rmSync(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Connects to Postgres once; on failure says how to start it or where to point DATABASE_URL.
 *
 * @example await checkPostgres('postgres://postgres@127.0.0.1:5432/postgres');
 */
export async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new PreflightError(
      `PostgreSQL is not reachable at ${redactUrl(url)}: ${describe(error)}.\n` +
        `  Start it (Debian: \`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\`; ` +
        'macOS: `brew services start postgresql`) or set DATABASE_URL.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Sends PING to Redis; on failure says how to start it or where to point REDIS_URL.
 *
 * @example await checkRedis('redis://127.0.0.1:6379');
 */
export async function checkRedis(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port || 6379) });
      const timer = setTimeout(() => socket.destroy(new Error('no answer within 3 s')), 3000);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        clearTimeout(timer);
        socket.end();
        if (/^(\+PONG|-NOAUTH)/.test(data.toString())) resolve();
        else reject(new Error(`unexpected answer ${JSON.stringify(data.toString().trim())}`));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    throw new PreflightError(
      `Redis is not reachable at ${url}: ${describe(error)}.\n` +
        '  Start it (`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""`; ' +
        'macOS: `brew services start redis`) or set REDIS_URL.',
      { cause: error },
    );
  }
}

/**
 * Fails naming every port that is taken, with the likely cause.
 *
 * @example await checkPortsFree('127.0.0.1', { s3: 4566, kinesis: 4567 });
 */
export async function checkPortsFree(host: string, ports: Readonly<Record<string, number>>): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    if (!(await isPortFree(host, port))) taken.push(`${port} (${name})`);
  }
  if (taken.length > 0) {
    throw new PreflightError(
      `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} on ${host} ${taken.length > 1 ? 'are' : 'is'} in use.\n` +
        '  Another program holds them (`ss -ltnp` shows which), or pass --port-offset N to move every port of the stack.',
    );
  }
}

function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { errors?: Error[] };
  return e.code ?? e.errors?.[0]?.message ?? e.message;
}

