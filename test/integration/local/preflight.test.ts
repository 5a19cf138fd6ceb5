// What `npm run dev` checks before starting, against real sockets and processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPortsFree, checkPostgres, checkRedis, cleanUpStaleStack, PreflightError } from '../../../shared/local/preflight.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';

describe('preflight', () => {
  it('accepts the running Postgres and Redis', async () => {
    await expect(checkPostgres(TEST_DATABASE_URL)).resolves.toBeUndefined();
    await expect(checkRedis('redis://127.0.0.1:6379')).resolves.toBeUndefined();
  });

  it('says how to start Postgres and Redis when they are down', async () => {
    const pgError = await checkPostgres('postgres://postgres@127.0.0.1:9/x').catch((e: unknown) => e);
    expect(pgError).toBeInstanceOf(PreflightError);
    expect((pgError as Error).message).toMatch(/PostgreSQL is not reachable[\s\S]*Start it[\s\S]*DATABASE_URL/);
    const redisError = await checkRedis('redis://127.0.0.1:9').catch((e: unknown) => e);
    expect((redisError as Error).message).toMatch(/Redis is not reachable[\s\S]*redis-server[\s\S]*REDIS_URL/);
  });

  it('names every taken port', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    await expect(checkPortsFree('127.0.0.1', { lambda: port })).rejects.toThrow(new RegExp(`port ${port} \\(lambda\\) on 127.0.0.1 is in use`));
    server.close();
  });

  it('kills the leftovers of a crashed stack and removes its pid file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'preflight-'));
    const pidFile = join(dir, 'dev.pid');
    const orphan = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    writeFileSync(pidFile, JSON.stringify({ pid: 999_999, children: [orphan.pid] }));
    const exited = new Promise((resolve) => orphan.once('exit', resolve));
    await cleanUpStaleStack(pidFile);
    expect(await exited).toBeNull(); // killed by a signal
    expect(existsSync(pidFile)).toBe(false);
  });

  it('refuses to start while another stack is alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'preflight-'));
    const pidFile = join(dir, 'dev.pid');
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    writeFileSync(pidFile, JSON.stringify({ pid: other.pid, children: [] }));
    await expect(cleanUpStaleStack(pidFile)).rejects.toThrow(new RegExp(`already running \\(pid ${other.pid}\\)`));
    other.kill();
  });
});
