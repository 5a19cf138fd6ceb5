// Real Redis for tests: the machine's single Redis, and a 3-node Redis Cluster started on
// spare ports with redis-server and `redis-cli --cluster create`.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';

const exec = promisify(execFile);
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface RedisCluster {
  readonly ports: number[];
  client(): Cluster;
  stop(): Promise<void>;
}

/**
 * Ports for a test cluster. Each node's cluster bus listens on port + 10000, which must stay
 * below the ephemeral range (32768+ on Linux): a bus port that an outgoing connection already
 * holds makes the node exit at start. Also clear of the dev stacks tests start (13000-18568).
 */
function clusterPorts(): number[] {
  const base = 19_000 + Math.floor(Math.random() * 1150) * 3;
  return [base, base + 1, base + 2];
}

/** How many fresh sets of ports a cluster start tries (two test files may race for one). */
const CLUSTER_START_ATTEMPTS = 3;

/** Starts a 3-master cluster (no replicas) and waits until every node reports cluster_state:ok. */
export async function startRedisCluster(): Promise<RedisCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOn(clusterPorts());
    } catch (error) {
      if (attempt >= CLUSTER_START_ATTEMPTS) throw error;
    }
  }
}

async function startClusterOn(ports: number[]): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const nodes: ChildProcess[] = ports.map((port) =>
    spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no',
    ], { stdio: 'ignore' }),
  );
  const stop = async () => {
    for (const node of nodes) node.kill('SIGKILL');
    await Promise.all(nodes.map((n) => new Promise((r) => (n.exitCode !== null || n.signalCode !== null ? r(null) : n.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, port] of ports.entries()) await waitForPing(port, nodes[i]!);
    await exec('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await waitForClusterOk(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ports,
    client: () => new Cluster(ports.map((port) => ({ host: '127.0.0.1', port }))),
    stop,
  };
}

export function singleRedis(): Redis {
  return new Redis(TEST_REDIS_URL);
}

async function waitForPing(port: number, node: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (node.exitCode !== null) throw new Error(`redis-server on ${port} exited with code ${node.exitCode} (port or cluster bus port ${port + 10_000} taken?)`);
    const out = await exec('redis-cli', ['-p', String(port), 'ping']).catch(() => ({ stdout: '' }));
    if (out.stdout.trim() === 'PONG') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on ${port} did not start`);
}

async function waitForClusterOk(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const out = await exec('redis-cli', ['-p', String(port), 'cluster', 'info']).catch(() => ({ stdout: '' }));
    if (out.stdout.includes('cluster_state:ok')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`cluster node ${port} did not reach cluster_state:ok`);
}
