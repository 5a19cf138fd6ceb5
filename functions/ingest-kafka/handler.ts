// Kafka trigger (Amazon MSK and self-managed Apache Kafka) → lake. Lambda's Kafka event source
// has no partial batch response: a failed partition fails the invocation, Lambda redelivers
// the whole batch, and the partitions already committed are skipped by their checkpoints.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { loadConfig } from '../../shared/config.js';
import { sourceRecordsFromKafka, type KafkaEvent } from '../../shared/envelope/kafka.js';
import { ingestRuntime } from '../../shared/ingest/ingest-runtime.js';
import { ingestStreamBatch, ShardsFailedError } from '../../shared/ingest/ingest-stream-batch.js';
import { createLogger } from '../../shared/observability/logger.js';

const logger = createLogger('ingest-kafka');
const config = loadConfig(process.env);
const dependencies = ingestRuntime(config, logger);

async function ingestKafka(event: KafkaEvent): Promise<void> {
  const records = sourceRecordsFromKafka(event);
  if (records.length === 0) return;
  const { outcomes, failures } = await ingestStreamBatch(records, await dependencies(), {
    lateThresholdMs: config.lateThresholdMs,
    onAggregatesPending: (batchId, error) => logger.warn('aggregates wait in the outbox for the drain', { batchId, error }),
  });
  for (const { files, ...outcome } of outcomes) logger.info('batch committed', { ...outcome, files: files.length });
  if (failures.length === 0) return;
  for (const { stream, shard, retryFromSeq, error } of failures) {
    logger.error('partition failed; Lambda will redeliver the whole batch', { topic: stream, partition: shard, retryFromOffset: retryFromSeq, error });
  }
  throw new ShardsFailedError(failures);
}

export const handler = middy(ingestKafka).use(injectLambdaContext(logger));
