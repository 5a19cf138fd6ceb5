// Scheduled: applies aggregate deltas still waiting in the outbox and reports the backlog.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { drainAggregateOutbox, type DrainReport } from '../../shared/aggregates/drain-outbox.js';
import { loadConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/observability/logger.js';
import { PgAggregateOutbox } from '../../shared/stores/postgres/pg-aggregate-outbox.js';
import { createPgPool } from '../../shared/stores/postgres/pg-pool.js';
import { aggregateStoreFor } from '../../shared/stores/redis/redis-aggregate-store.js';

const logger = createLogger('outbox-drain');
const config = loadConfig(process.env);
if (config.redisUrls.length === 0) throw new ConfigError('set REDIS_URL: the outbox drain applies deltas to Redis');
const pool = createPgPool({ connectionString: config.databaseUrl, statementTimeoutMs: config.statementTimeoutMs });
const outbox = new PgAggregateOutbox(pool);
const store = aggregateStoreFor(config);
/** Stop taking new pages this long before the Lambda timeout. */
const SAFETY_MARGIN_MS = 10_000;

async function drain(_event: unknown, context: Context): Promise<DrainReport> {
  const report = await drainAggregateOutbox(outbox, store, {
    pageSize: 100,
    deadline: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
  });
  logger.info('aggregate outbox drained', { ...report });
  return report;
}

export const handler = middy(drain).use(injectLambdaContext(logger));
