// Runs one of the npm scripts' entry points as a real child process, as a user would.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tsx scripts/<name>.ts ...args` with extra environment (undefined removes a variable);
 * never throws on exit codes.
 */
export async function runScript(name: string, args: readonly string[], env: Record<string, string | undefined>): Promise<ScriptResult> {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete merged[key];
  try {
    const { stdout, stderr } = await exec('node_modules/.bin/tsx', [`scripts/${name}.ts`, ...args], {
      env: merged,
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
