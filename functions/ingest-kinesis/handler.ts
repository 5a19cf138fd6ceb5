// Kinesis trigger → lake. Adapts the Lambda event to the ingest core and maps shard failures
// to a partial batch response, so Lambda retries from the first uncommitted record.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadConfig } from '../../shared/config.js';
import { sourceRecordsFromKinesis } from '../../shared/envelope/kinesis.js';
import { ingestRuntime } from '../../shared/ingest/ingest-runtime.js';
import { ingestStreamBatch } from '../../shared/ingest/ingest-stream-batch.js';
import { createLogger } from '../../shared/observability/logger.js';

const logger = createLogger('ingest-kinesis');
const config = loadConfig(process.env);
const dependencies = ingestRuntime(config, logger);

async function ingestKinesis(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  const records = sourceRecordsFromKinesis(event);
  // Resolved first even for an empty event, so a warm-up invocation prepares the container.
  const deps = await dependencies();
  if (records.length === 0) return { batchItemFailures: [] };
  const { outcomes, failures } = await ingestStreamBatch(records, deps, {
    lateThresholdMs: config.lateThresholdMs,
    onAggregatesPending: (batchId, error) => logger.warn('aggregates wait in the outbox for the drain', { batchId, error }),
  });
  for (const { files, ...outcome } of outcomes) logger.info('batch committed', { ...outcome, files: files.length });
  for (const { error, ...failure } of failures) logger.error('batch failed; Lambda will retry', { ...failure, error });
  return { batchItemFailures: failures.map((f) => ({ itemIdentifier: f.retryFromSeq })) };
}

export const handler = middy(ingestKinesis).use(injectLambdaContext(logger));
