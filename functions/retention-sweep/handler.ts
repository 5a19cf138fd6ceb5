// Scheduled: deletes the queue's dedupe ids past the dedupe window and the webhook's
// idempotency keys past their retention.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { loadConfig, parseEnvironment } from '../../shared/config.js';
import { createLogger } from '../../shared/observability/logger.js';
import { purgeExpired, type PurgeReport } from '../../shared/retention/purge-expired.js';
import { PgExpiringRows } from '../../shared/stores/postgres/pg-expiring-rows.js';
import { createPgPool } from '../../shared/stores/postgres/pg-pool.js';

const logger = createLogger('retention-sweep');
const config = loadConfig(process.env);
const retention = parseEnvironment(
  z.object({ QUEUE_DEDUPE_WINDOW_DAYS: z.coerce.number().positive().default(18), IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().positive().default(24) }),
  process.env,
);
const pool = createPgPool({ connectionString: config.databaseUrl, statementTimeoutMs: config.statementTimeoutMs });
const kinds = [
  new PgExpiringRows(pool, 'queue_event_ids', retention.QUEUE_DEDUPE_WINDOW_DAYS * 86_400),
  new PgExpiringRows(pool, 'webhook_requests', retention.IDEMPOTENCY_RETENTION_HOURS * 3_600),
];
/** Stop taking new pages this long before the Lambda timeout. */
const SAFETY_MARGIN_MS = 10_000;

async function sweep(_event: unknown, context: Context): Promise<PurgeReport> {
  const report = await purgeExpired(kinds, { pageSize: 5_000, deadline: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS });
  logger.info('expired rows purged', { ...report });
  return report;
}

export const handler = middy(sweep).use(injectLambdaContext(logger));
