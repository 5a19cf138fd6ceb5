// SQS (partner webhook, replays) → lake. Adapts the SQS event to the queue commit protocol and
// maps held messages, or all of them on a store failure, to a partial batch response.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../../shared/config.js';
import { sourceRecordsFromSqs } from '../../shared/envelope/sqs.js';
import { ingestQueueBatch, QueueBatchError } from '../../shared/ingest/ingest-queue-batch.js';
import { ingestRuntime } from '../../shared/ingest/ingest-runtime.js';
import { createLogger } from '../../shared/observability/logger.js';

const logger = createLogger('ingest-queue');
const config = loadConfig(process.env);
const dependencies = ingestRuntime(config, logger);

async function ingestQueue(event: SQSEvent): Promise<SQSBatchResponse> {
  const records = sourceRecordsFromSqs(event);
  const deps = await dependencies();
  if (records.length === 0) return { batchItemFailures: [] };
  try {
    const { files, held, ...outcome } = await ingestQueueBatch(records, deps, {
      lateThresholdMs: config.lateThresholdMs,
      onAggregatesPending: (batchId, error) => logger.warn('aggregates wait in the outbox for the drain', { batchId, error }),
    });
    logger.info('queue batch committed', { ...outcome, files: files.length, held: held.length });
    for (const h of held) logger.warn('message held until its schema is registered; SQS retries it, then the DLQ keeps it', { ...h });
    return { batchItemFailures: held.map((h) => ({ itemIdentifier: h.messageId })) };
  } catch (error) {
    if (!(error instanceof QueueBatchError)) throw error;
    logger.error('queue batch failed; every message returns after the visibility timeout', { error });
    return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.seq })) };
  }
}

export const handler = middy(ingestQueue).use(injectLambdaContext(logger));
