// Settings of the command-line tools: environment variables first, then the running local
// stack's `.local/stack.json`, then local defaults, so `npm run query` works with no setup.
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** Where `npm run dev` describes the running local stack. */
export const STACK_FILE = '.local/stack.json';

/** What the CLIs need to reach the lake and its metadata. */
export interface CliConfig {
  readonly databaseUrl: string;
  readonly region: string;
  readonly lakeBucket: string | undefined;
  readonly s3Endpoint: string | undefined;
  readonly redisUrl: string;
  readonly redisCluster: boolean;
  /**
   * Dummy credentials when talking to emulators without any configured: the local stack
   * accepts any, and the SDK would otherwise fail looking for real ones.
   */
  readonly emulatorCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

interface StackFile {
  region?: string;
  postgresUrl?: string;
  redisUrl?: string;
  endpoints?: { s3?: string };
  resources?: { bucket?: string };
}

/**
 * Resolves CLI settings; `requireBucket` makes a missing bucket a clear error.
 *
 * @example const config = loadCliConfig(process.env, { requireBucket: true });
 */
export function loadCliConfig(
  env: Record<string, string | undefined>,
  options: { requireBucket?: boolean; stackFile?: string } = {},
): CliConfig {
  const stack = readStackFile(options.stackFile ?? STACK_FILE);
  const s3Endpoint = env['AWS_ENDPOINT_URL_S3'] ?? stack.endpoints?.s3;
  const hasCredentials = env['AWS_ACCESS_KEY_ID'] !== undefined || env['AWS_PROFILE'] !== undefined;
  const config: CliConfig = {
    databaseUrl: env['DATABASE_URL'] ?? stack.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    region: env['AWS_REGION'] ?? stack.region ?? 'us-east-1',
    lakeBucket: env['LAKE_BUCKET'] ?? stack.resources?.bucket,
    s3Endpoint,
    emulatorCredentials: s3Endpoint && !hasCredentials ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    redisUrl: env['REDIS_URL'] ?? stack.redisUrl ?? 'redis://127.0.0.1:6379',
    redisCluster: env['REDIS_CLUSTER'] === 'true',
  };
  if (options.requireBucket && !config.lakeBucket) {
    throw new ConfigError(`set LAKE_BUCKET (or start the local stack, which writes ${STACK_FILE})`);
  }
  return config;
}

function readStackFile(path: string): StackFile {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}
