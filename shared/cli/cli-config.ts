// Settings of the command-line tools: environment variables first, then the running local
// stack's `.local/stack.json`, then local defaults, so `npm run query` works with no setup.
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { SQS_DEFAULT_MAX_MESSAGE_BYTES } from '../webhook/pack-queue-messages.js';

/** Where `npm run dev` describes the running local stack. */
export const STACK_FILE = '.local/stack.json';

/** What the CLIs need to reach the lake and its metadata. */
export interface CliConfig {
  readonly databaseUrl: string;
  readonly region: string;
  readonly lakeBucket: string | undefined;
  readonly s3Endpoint: string | undefined;
  readonly sqsEndpoint: string | undefined;
  /** The partner ingest queue, by URL or by name. */
  readonly ingestQueue: string | undefined;
  /** Its dead-letter queue, by URL or by name. */
  readonly ingestDlq: string | undefined;
  /** The ingest queue's message size limit (its MaximumMessageSize). */
  readonly queueMaxMessageBytes: number;
  readonly redisUrl: string;
  readonly redisCluster: boolean;
  /** Before every aggregate key and the change channel (REDIS_KEY_PREFIX, or the local stack's). */
  readonly redisKeyPrefix: string;
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
  redisKeyPrefix?: string;
  endpoints?: { s3?: string; sqs?: string };
  resources?: { bucket?: string; queue?: string; dlq?: string };
}

/** The settings a CLI can insist on, each failing with the variable to set. */
export type RequiredCliSetting = 'bucket' | 'queue' | 'dlq';

const MISSING: Record<RequiredCliSetting, string> = {
  bucket: 'set LAKE_BUCKET',
  queue: 'set INGEST_QUEUE_URL or pass --queue',
  dlq: 'set INGEST_DLQ_URL or pass --dlq',
};

/**
 * Resolves CLI settings; `requireBucket` (or `require`) makes a missing setting a clear error.
 *
 * @example const config = loadCliConfig(process.env, { requireBucket: true });
 */
export function loadCliConfig(
  env: Record<string, string | undefined>,
  options: { requireBucket?: boolean; require?: readonly RequiredCliSetting[]; stackFile?: string } = {},
): CliConfig {
  const stack = readStackFile(options.stackFile ?? STACK_FILE);
  const s3Endpoint = env['AWS_ENDPOINT_URL_S3'] ?? stack.endpoints?.s3;
  const sqsEndpoint = env['AWS_ENDPOINT_URL_SQS'] ?? stack.endpoints?.sqs;
  const hasCredentials = env['AWS_ACCESS_KEY_ID'] !== undefined || env['AWS_PROFILE'] !== undefined;
  const config: CliConfig = {
    databaseUrl: env['DATABASE_URL'] ?? stack.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    region: env['AWS_REGION'] ?? stack.region ?? 'us-east-1',
    lakeBucket: env['LAKE_BUCKET'] ?? stack.resources?.bucket,
    s3Endpoint,
    sqsEndpoint,
    ingestQueue: env['INGEST_QUEUE_URL'] ?? stack.resources?.queue,
    ingestDlq: env['INGEST_DLQ_URL'] ?? stack.resources?.dlq,
    queueMaxMessageBytes: positiveInteger(env, 'QUEUE_MAX_MESSAGE_BYTES', SQS_DEFAULT_MAX_MESSAGE_BYTES),
    emulatorCredentials: (s3Endpoint || sqsEndpoint) && !hasCredentials ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    redisUrl: env['REDIS_URL'] ?? stack.redisUrl ?? 'redis://127.0.0.1:6379',
    redisCluster: env['REDIS_CLUSTER'] === 'true',
    // The stack's prefix goes with the stack's Redis: pointing REDIS_URL elsewhere drops it.
    redisKeyPrefix: env['REDIS_KEY_PREFIX'] ?? (env['REDIS_URL'] === undefined || env['REDIS_URL'] === stack.redisUrl ? stack.redisKeyPrefix : undefined) ?? '',
  };
  const required = new Set(options.require ?? []);
  if (options.requireBucket) required.add('bucket');
  const values: Record<RequiredCliSetting, string | undefined> = { bucket: config.lakeBucket, queue: config.ingestQueue, dlq: config.ingestDlq };
  for (const setting of required) {
    if (!values[setting]) throw new ConfigError(`${MISSING[setting]} (or start the local stack, which writes ${STACK_FILE})`);
  }
  return config;
}

function positiveInteger(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive whole number, got "${text}"`);
  return value;
}

function readStackFile(path: string): StackFile {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}
