// Reads serverless.yml as the framework resolves it for a stage (`sls print`), so the local
// stack uses exactly the functions, event settings and resources that would be deployed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PipelineError } from '../errors.js';

const exec = promisify(execFile);

/** A CloudFormation resource as written in resources/*.yml. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** A function of serverless.yml, resolved. */
export interface FunctionDescription {
  /** The key in serverless.yml, e.g. `ingestKinesis`. */
  readonly key: string;
  /** The deployed name, e.g. `event-lake-dev-ingestKinesis`. */
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  readonly events: readonly Record<string, unknown>[];
}

/** What the local stack needs to know about the service. */
export interface ServiceDescription {
  readonly service: string;
  readonly stage: string;
  readonly region: string;
  readonly functions: readonly FunctionDescription[];
  readonly resources: Readonly<Record<string, CfnResource>>;
  readonly environment: Readonly<Record<string, string>>;
  /** The stage's `params` (its own over `default`), for settings no event carries. */
  readonly params: Readonly<Record<string, unknown>>;
}

/** `sls print` failed: serverless.yml does not resolve. */
export class ServiceDescriptionError extends PipelineError {}

/**
 * Resolves serverless.yml for a stage by running the pinned framework's `print` command.
 *
 * @example const service = await describeService({ stage: 'dev' });
 */
export async function describeService(options: { stage: string; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<ServiceDescription> {
  let stdout: string;
  try {
    ({ stdout } = await exec('node_modules/.bin/sls', ['print', '--stage', options.stage, '--format', 'json'], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    }));
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new ServiceDescriptionError(`sls print failed: ${(e.stderr || e.message).trim()}`, { cause: error });
  }
  return parseServiceDescription(JSON.parse(stdout) as Record<string, unknown>, options.stage);
}

/** Extracts the description from `sls print --format json` output. Pure, for tests. */
export function parseServiceDescription(printed: Record<string, unknown>, stage: string): ServiceDescription {
  const provider = (printed['provider'] ?? {}) as Record<string, unknown>;
  const functions = (printed['functions'] ?? {}) as Record<string, Record<string, unknown>>;
  const service = String(printed['service']);
  const params = (printed['params'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return {
    service,
    stage,
    region: String(provider['region'] ?? 'us-east-1'),
    environment: (provider['environment'] ?? {}) as Record<string, string>,
    params: { ...params['default'], ...params[stage] },
    functions: Object.entries(functions).map(([key, f]) => ({
      key,
      name: String(f['name'] ?? `${service}-${stage}-${key}`),
      timeoutSeconds: Number(f['timeout'] ?? provider['timeout'] ?? 6),
      memorySizeMb: Number(f['memorySize'] ?? provider['memorySize'] ?? 1024),
      events: (f['events'] ?? []) as Record<string, unknown>[],
    })),
    resources: (((printed['resources'] ?? {}) as Record<string, unknown>)['Resources'] ?? {}) as Record<string, CfnResource>,
  };
}
