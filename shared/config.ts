// Reads and validates the environment once, at cold start; everything else receives the
// frozen result, so no module reads process.env deep inside logic.
import { z } from 'zod';
import { ConfigError } from './errors.js';

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional());

const configSchema = z.object({
  STAGE: z.string().min(1).default('dev'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  LAKE_BUCKET: z.string().min(3, 'set LAKE_BUCKET to the S3 bucket of the lake'),
  DATABASE_URL: z
    .string()
    .min(1, 'set DATABASE_URL to the Postgres connection string (RDS Proxy in AWS)')
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'DATABASE_URL must start with postgres://'),
  LATE_THRESHOLD_SECONDS: z.coerce.number().int().min(0).default(300),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Redis (live aggregates): one URL, or comma-separated node URLs with REDIS_CLUSTER=true. Unset: aggregates off. */
  REDIS_URL: z.string().trim().optional(),
  REDIS_CLUSTER: z.enum(['true', 'false']).default('false'),
  /**
   * Put before every aggregate key and the change channel, so stages (or local stacks) can
   * share one Redis without mixing their counters. Empty by default.
   */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{0,64}$/, 'REDIS_KEY_PREFIX may hold up to 64 letters, digits and _ . : - (no braces: keys carry a hash tag)')
    .default(''),
  AGG_MINUTE_TTL_HOURS: z.coerce.number().positive().default(48),
  AGG_HOUR_TTL_DAYS: z.coerce.number().positive().default(90),
  /** How long an applied batch is remembered in Redis: re-applying it later would count twice. */
  AGG_APPLIED_TTL_HOURS: z.coerce.number().positive().default(48),
  /** Local stack only: an S3-compatible emulator (the AWS SDK's own variable name, which
   * serverless offline passes through to functions); unset in AWS. */
  AWS_ENDPOINT_URL_S3: optionalUrl.optional(),
});

/** The validated settings of a function. */
export interface PipelineConfig {
  readonly stage: string;
  readonly region: string;
  readonly lakeBucket: string;
  readonly databaseUrl: string;
  readonly lateThresholdMs: number;
  readonly statementTimeoutMs: number;
  readonly s3Endpoint: string | undefined;
  /** Redis node URLs; empty when live aggregates are off. */
  readonly redisUrls: readonly string[];
  readonly redisCluster: boolean;
  /** Before every aggregate key and the change channel; '' for none. */
  readonly redisKeyPrefix: string;
  readonly aggregateMinuteTtlSeconds: number;
  readonly aggregateHourTtlSeconds: number;
  readonly aggregateAppliedTtlSeconds: number;
}

/**
 * Parses the environment into a frozen config; throws {@link ConfigError} naming each bad variable.
 *
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): PipelineConfig {
  const e = parseEnvironment(configSchema, env);
  return Object.freeze({
    stage: e.STAGE,
    region: e.AWS_REGION,
    lakeBucket: e.LAKE_BUCKET,
    databaseUrl: e.DATABASE_URL,
    lateThresholdMs: e.LATE_THRESHOLD_SECONDS * 1000,
    statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    s3Endpoint: e.AWS_ENDPOINT_URL_S3,
    redisUrls: (e.REDIS_URL ?? '').split(',').map((u) => u.trim()).filter((u) => u !== ''),
    redisCluster: e.REDIS_CLUSTER === 'true',
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    aggregateMinuteTtlSeconds: Math.round(e.AGG_MINUTE_TTL_HOURS * 3600),
    aggregateHourTtlSeconds: Math.round(e.AGG_HOUR_TTL_DAYS * 86_400),
    aggregateAppliedTtlSeconds: Math.round(e.AGG_APPLIED_TTL_HOURS * 3600),
  });
}

/**
 * Parses environment variables with a zod schema; throws {@link ConfigError} naming every
 * bad variable at once, so a cold start fails with all of them, not the first.
 *
 * @example const e = parseEnvironment(z.object({ QUEUE_URL: z.url() }), process.env);
 */
export function parseEnvironment<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
