// The partner webhook's settings, read and validated once at cold start.
import { z } from 'zod';
import { parseEnvironment } from '../config.js';
import { maxMessageBodyBytes, SQS_DEFAULT_MAX_MESSAGE_BYTES } from './pack-queue-messages.js';

/** The largest body a partner may send (as sent, and inflated). */
export const MAX_WEBHOOK_BODY_BYTES = 4 * 1024 * 1024;

const configSchema = z
  .object({
    AWS_REGION: z.string().min(1).default('us-east-1'),
    DATABASE_URL: z
      .string()
      .min(1, 'set DATABASE_URL to the Postgres connection string (RDS Proxy in AWS)')
      .refine((v) => /^postgres(ql)?:\/\//.test(v), 'DATABASE_URL must start with postgres://'),
    DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
    INGEST_QUEUE_NAME: z.string().min(1, 'set INGEST_QUEUE_NAME to the partner ingest queue'),
    /** The service signing key itself (local stack, tests), or… */
    PARTNER_SIGNING_KEY: z.string().trim().default(''),
    /** …the SSM SecureString parameter holding it (deployed stages). */
    PARTNER_SIGNING_KEY_PARAMETER: z.string().trim().default(''),
    WEBHOOK_REPLAY_WINDOW_SECONDS: z.coerce.number().int().min(30).max(3_600).default(300),
    // Lambda takes at most 6 MB per synchronous invocation, and API Gateway base64-encodes a
    // gzip body (x 4/3) or JSON-escapes a text one: 4 MiB is what reliably fits.
    WEBHOOK_MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(MAX_WEBHOOK_BODY_BYTES).default(MAX_WEBHOOK_BODY_BYTES),
    QUEUE_MAX_MESSAGE_BYTES: z.coerce.number().int().min(4_096).max(1_048_576).default(SQS_DEFAULT_MAX_MESSAGE_BYTES),
    IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
    /** Local stack only: the SQS emulator. Passed to the client explicitly: the SDK otherwise
     * sends to the host named in the queue URL, which an emulator may not make resolvable. */
    AWS_ENDPOINT_URL_SQS: z.string().trim().optional(),
  })
  .refine((e) => e.PARTNER_SIGNING_KEY !== '' || e.PARTNER_SIGNING_KEY_PARAMETER !== '', {
    message: 'set PARTNER_SIGNING_KEY_PARAMETER (an SSM SecureString name) or, locally, PARTNER_SIGNING_KEY',
    path: ['PARTNER_SIGNING_KEY_PARAMETER'],
  })
  .refine((e) => e.PARTNER_SIGNING_KEY === '' || e.PARTNER_SIGNING_KEY.length >= 32, {
    message: 'PARTNER_SIGNING_KEY must be at least 32 characters (e.g. openssl rand -base64 32)',
    path: ['PARTNER_SIGNING_KEY'],
  });

/** The validated settings of the webhook function. */
export interface WebhookConfig {
  readonly region: string;
  readonly databaseUrl: string;
  readonly statementTimeoutMs: number;
  readonly queueName: string;
  readonly sqsEndpoint: string | undefined;
  readonly signingKey: { readonly value: string } | { readonly parameter: string };
  readonly replayWindowSeconds: number;
  readonly maxBodyBytes: number;
  readonly maxMessageBytes: number;
  readonly maxMessageBodyBytes: number;
  readonly idempotencyRetentionSeconds: number;
}

/**
 * Parses the environment; throws ConfigError naming each bad variable.
 *
 * @example const config = loadWebhookConfig(process.env);
 */
export function loadWebhookConfig(env: Record<string, string | undefined>): WebhookConfig {
  const e = parseEnvironment(configSchema, env);
  return Object.freeze({
    region: e.AWS_REGION,
    databaseUrl: e.DATABASE_URL,
    statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    queueName: e.INGEST_QUEUE_NAME,
    sqsEndpoint: e.AWS_ENDPOINT_URL_SQS || undefined,
    signingKey: e.PARTNER_SIGNING_KEY !== '' ? { value: e.PARTNER_SIGNING_KEY } : { parameter: e.PARTNER_SIGNING_KEY_PARAMETER },
    replayWindowSeconds: e.WEBHOOK_REPLAY_WINDOW_SECONDS,
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    maxMessageBytes: e.QUEUE_MAX_MESSAGE_BYTES,
    maxMessageBodyBytes: maxMessageBodyBytes(e.QUEUE_MAX_MESSAGE_BYTES),
    idempotencyRetentionSeconds: Math.round(e.IDEMPOTENCY_RETENTION_HOURS * 3600),
  });
}
