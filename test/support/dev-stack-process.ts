// Starts `npm run dev`'s entry point as a real child process on its own ports and state
// folder, and waits until it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackFile } from '../../shared/local/dev-stack.js';

export interface DevStackProcess {
  readonly stack: StackFile;
  readonly stateDir: string;
  readonly output: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Stops a stack that never got ready: SIGTERM lets it stop its emulators and serverless
 * offline; if it does not exit in time, SIGKILL it and kill the process groups it recorded in
 * dev.pid (offline runs detached, so it would outlive its parent and hold its ports).
 */
async function forceStop(child: ChildProcess, exited: Promise<number | null>, stateDir: string): Promise<void> {
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
  if (stopped) return;
  child.kill('SIGKILL');
  const pidFile = join(stateDir, 'dev.pid');
  if (!existsSync(pidFile)) return;
  const { children } = JSON.parse(readFileSync(pidFile, 'utf8')) as { children: number[] };
  for (const pid of children) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Starts the local stack with `--no-producer` on ports shifted by a random offset. */
export async function startDevStackProcess(env: Record<string, string>, extraArgs: string[] = []): Promise<DevStackProcess> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dev-stack-'));
  const portOffset = 10_000 + Math.floor(Math.random() * 400) * 10;
  const child: ChildProcess = spawn(
    'node_modules/.bin/tsx',
    ['scripts/dev.ts', '--no-producer', '--port-offset', String(portOffset), '--state-dir', stateDir, ...extraArgs],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stackFile = join(stateDir, 'stack.json');
  const deadline = Date.now() + 90_000;
  while (!existsSync(stackFile) || !output.includes('ready in')) {
    if (child.exitCode !== null) throw new Error(`the local stack exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await forceStop(child, exited, stateDir);
      throw new Error(`the local stack was not ready in 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    stack: JSON.parse(readFileSync(stackFile, 'utf8')) as StackFile,
    stateDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
