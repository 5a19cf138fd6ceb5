// Builds the ingest dependencies of a container from its config, once, at first use: the
// Postgres pool, the S3 client, the schema registry and the Parquet encoder (wasm init).
import type { Logger } from '@aws-lambda-powertools/logger';
import type { PipelineConfig } from '../config.js';
import { createParquetEncoder } from '../lake/parquet-encoder.js';
import { SchemaRegistry } from '../schema/schema-registry.js';
import { createPgPool } from '../stores/postgres/pg-pool.js';
import { PgBatchCommitter } from '../stores/postgres/pg-batch-committer.js';
import { PgCheckpointStore } from '../stores/postgres/pg-checkpoint-store.js';
import { PgSchemaStore } from '../stores/postgres/pg-schema-store.js';
import { createS3Client, S3LakeStore } from '../stores/s3/s3-lake-store.js';
import { PgAggregateOutbox } from '../stores/postgres/pg-aggregate-outbox.js';
import { PgAggregateSpecs } from '../stores/postgres/pg-aggregate-specs.js';
import { aggregateStoreFor } from '../stores/redis/redis-aggregate-store.js';
import { PgCommittedEventIndex } from '../stores/postgres/pg-committed-event-index.js';
import type { AggregateDependencies, IngestDependencies } from './ingest-shard-batch.js';
import type { QueueIngestDependencies } from './ingest-queue-batch.js';

/** The stores of both commit protocols (shards and the queue). */
export type IngestRuntimeDependencies = IngestDependencies & QueueIngestDependencies;

/**
 * Returns a function that resolves the container's dependencies, creating them on first call.
 *
 * @example const dependencies = ingestRuntime(config, logger); const deps = await dependencies();
 */
export function ingestRuntime(config: PipelineConfig, logger: Logger): () => Promise<IngestRuntimeDependencies> {
  let ready: Promise<IngestRuntimeDependencies> | undefined;
  return () => {
    ready ??= build(config, logger).catch((error: unknown) => {
      ready = undefined; // let the next invocation try again
      throw error;
    });
    return ready;
  };
}

async function build(config: PipelineConfig, logger: Logger): Promise<IngestRuntimeDependencies> {
  const pool = createPgPool({ connectionString: config.databaseUrl, statementTimeoutMs: config.statementTimeoutMs });
  const s3 = createS3Client({ region: config.region, endpoint: config.s3Endpoint });
  return {
    checkpoints: new PgCheckpointStore(pool),
    committedEvents: new PgCommittedEventIndex(pool),
    committer: new PgBatchCommitter(pool),
    objects: new S3LakeStore(s3, config.lakeBucket),
    registry: new SchemaRegistry(new PgSchemaStore(pool), {
      onInvalidSchema: (definition, error) =>
        logger.error('registered schema is unusable; its events are quarantined', {
          eventType: definition.eventType,
          version: definition.version,
          error: error.message,
        }),
    }),
    encoder: await createParquetEncoder(),
    ...(config.redisUrls.length > 0 ? { aggregates: aggregateDependencies(config, pool) } : {}),
  };
}

function aggregateDependencies(config: PipelineConfig, pool: ReturnType<typeof createPgPool>): AggregateDependencies {
  return {
    specs: new PgAggregateSpecs(pool),
    sink: aggregateStoreFor(config),
    outbox: new PgAggregateOutbox(pool),
  };
}
