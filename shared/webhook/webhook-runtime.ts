// Builds the webhook's stores once per container, at first use: the Postgres pool, the
// partner directory (with the signing key from SSM in AWS), idempotency and the queue.
import type { Logger } from '@aws-lambda-powertools/logger';
import { createPgPool } from '../stores/postgres/pg-pool.js';
import { PgIdempotencyStore } from '../stores/postgres/pg-idempotency-store.js';
import { PgPartnerDirectory } from '../stores/postgres/pg-partner-directory.js';
import { createSqsClient, resolveQueueUrl } from '../stores/sqs/sqs-client.js';
import { SqsRecordQueue } from '../stores/sqs/sqs-record-queue.js';
import type { WebhookDependencies, WebhookSettings } from './accept-partner-batch.js';
import { resolveSigningKey } from './signing-key.js';
import type { WebhookConfig } from './webhook-config.js';

/** A pending claim older than this belongs to a request that died: longer than the function timeout. */
const ABANDONED_CLAIM_SECONDS = 60;
const MAX_LISTED_REJECTIONS = 1_000;

/**
 * The webhook's settings from its config.
 *
 * @example acceptPartnerBatch(request, await dependencies(), webhookSettings(config))
 */
export function webhookSettings(config: WebhookConfig): WebhookSettings {
  return {
    replayWindowSeconds: config.replayWindowSeconds,
    maxBodyBytes: config.maxBodyBytes,
    maxMessageBodyBytes: config.maxMessageBodyBytes,
    maxListedRejections: MAX_LISTED_REJECTIONS,
  };
}

/**
 * Returns a function that resolves the container's webhook stores, creating them on first call.
 *
 * @example const dependencies = webhookRuntime(config, logger); const deps = await dependencies();
 */
export function webhookRuntime(config: WebhookConfig, logger: Logger): () => Promise<WebhookDependencies> {
  let ready: Promise<WebhookDependencies> | undefined;
  return () => {
    ready ??= build(config, logger).catch((error: unknown) => {
      ready = undefined; // let the next invocation try again
      throw error;
    });
    return ready;
  };
}

async function build(config: WebhookConfig, logger: Logger): Promise<WebhookDependencies> {
  const signingKey = await resolveSigningKey(config.signingKey);
  // The webhook writes only idempotency keys, which decide which answer a retry gets, not what
  // lands in the lake (the queue consumer drops re-sent events by id): losing the last few
  // hundred ms of them in a Postgres crash costs at most a re-enqueue, so commits do not wait
  // for the WAL flush, which takes an fsync out of every partner request.
  const pool = createPgPool({
    connectionString: config.databaseUrl,
    statementTimeoutMs: config.statementTimeoutMs,
    applicationName: 'event-lake-webhook',
    asynchronousCommit: true,
  });
  const sqs = createSqsClient({ region: config.region, endpoint: config.sqsEndpoint });
  let queueUrl: Promise<string> | undefined;
  const ingestQueueUrl = (): Promise<string> => {
    queueUrl ??= resolveQueueUrl(sqs, config.queueName);
    queueUrl.catch(() => (queueUrl = undefined));
    return queueUrl;
  };
  return {
    partners: new PgPartnerDirectory(pool, signingKey),
    idempotency: new PgIdempotencyStore(pool, { retentionSeconds: config.idempotencyRetentionSeconds, abandonAfterSeconds: ABANDONED_CLAIM_SECONDS }),
    queue: new SqsRecordQueue(sqs, ingestQueueUrl, { maxMessageBytes: config.maxMessageBytes }),
    onStoreError: (operation, error) => logger.warn('idempotency key not updated; a retry may enqueue again (the queue drops re-sent events)', { operation, error }),
  };
}
