// Shared shell of every script: help text, errors as one readable line, exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PipelineError } from '../errors.js';

// The AWS SDK warns on Node 20 about its releases after January 2027 at every client
// construction; for the CLIs (run locally, not in Lambda) the README says it once instead.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** Exit codes: 0 ok, 1 failure while running, 2 bad usage. */
export class UsageError extends PipelineError {}

/**
 * Parses arguments (with `--help`) and runs `main`, printing failures without a stack trace
 * unless DEBUG is set.
 *
 * @example await runCli({ usage, options: { json: { type: 'boolean' } } }, async ({ values, positionals }) => { ... });
 */
export async function runCli<T extends NonNullable<ParseArgsConfig['options']>>(
  spec: { usage: string; options: T; allowPositionals?: boolean },
  main: (args: { values: Record<string, string | boolean | undefined>; positionals: string[] }) => Promise<void>,
): Promise<void> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: spec.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${spec.usage}\n`);
    process.exit(2);
  }
  if (parsed.values['help']) {
    process.stdout.write(`${spec.usage}\n`);
    return;
  }
  try {
    await main(parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (error) {
    const usage = error instanceof UsageError;
    process.stderr.write(`error: ${describeError(error)}\n${usage ? `\n${spec.usage}\n` : ''}`);
    if (process.env['DEBUG']) console.error(error);
    process.exit(usage ? 2 : 1);
  }
}

function describeError(error: unknown): string {
  const e = error as Error & { code?: string; errors?: Error[] };
  if (e.code === 'ECONNREFUSED' || e.errors?.some((x) => (x as { code?: string }).code === 'ECONNREFUSED')) {
    return `${e.message || 'connection refused'} (is the service running? see README "Quick start")`;
  }
  if (e.code === '42P01') return `${e.message} (has this database been migrated? npm run migrate)`;
  return e.message || String(error);
}
