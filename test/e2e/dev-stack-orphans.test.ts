// `npm run dev` runs serverless offline in a process group of its own (so Ctrl-C handling is
// ours). If the stack's own process dies without stopping it (its parent gone, so its next
// write to the closed pipe throws), offline must die with it, not hold the ports forever.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StackFile } from '../../shared/local/dev-stack.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A parent that starts the stack with piped output, waits until it is ready, then exits without a word to it. */
const PARENT = `
const { spawn } = require('node:child_process');
const child = spawn('node_modules/.bin/tsx', ['scripts/dev.ts', '--no-producer', '--port-offset', process.argv[1], '--state-dir', process.argv[2]], { stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
child.stdout.on('data', (c) => (output += c));
child.stderr.on('data', (c) => (output += c));
child.on('exit', (code) => { console.error(output); process.exit(10 + (code ?? 0)); });
const deadline = Date.now() + 90000;
setInterval(() => {
  if (output.includes('ready in')) process.exit(0);
  if (Date.now() > deadline) { console.error(output); process.exit(2); }
}, 100);
`;

describe('npm run dev when the process that started it dies', () => {
  it('takes serverless offline down with it at its next write', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dev-orphan-'));
    const portOffset = 10_005 + Math.floor(Math.random() * 400) * 10;
    const parent = spawn(process.execPath, ['-e', PARENT, String(portOffset), stateDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let parentErr = '';
    parent.stderr!.on('data', (c: Buffer) => (parentErr += c.toString()));
    const code = await new Promise<number | null>((resolve) => parent.once('exit', resolve));
    expect(code, parentErr).toBe(0);
    const { children } = JSON.parse(readFileSync(join(stateDir, 'dev.pid'), 'utf8')) as { children: number[] };
    expect(children.length).toBeGreaterThan(0);
    try {
      expect(children.every(alive)).toBe(true);
      // A refused webhook request makes the function log a warning, which the stack prints:
      // its first write since the pipe closed. (The answer may never come: the stack's own
      // process, which serves the HTTP API, can die before it answers.)
      const stack = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as StackFile;
      await fetch(stack.demoPartner.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }).catch(() => undefined);
      await expect.poll(() => children.some(alive), { timeout: 30_000, interval: 250 }).toBe(false);
      expect(existsSync(join(stateDir, 'stack.json'))).toBe(false);
    } finally {
      for (const pid of children) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone, as it should be */
        }
      }
    }
  });
});
