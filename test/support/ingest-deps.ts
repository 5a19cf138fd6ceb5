// The ingest core's dependencies over a test database and the S3 emulator: the real stores,
// as the function's runtime builds them.
import type pg from 'pg';
import type { IngestDependencies } from '../../shared/ingest/ingest-shard-batch.js';
import { createParquetEncoder } from '../../shared/lake/parquet-encoder.js';
import { SchemaRegistry } from '../../shared/schema/schema-registry.js';
import { PgBatchCommitter } from '../../shared/stores/postgres/pg-batch-committer.js';
import { PgCheckpointStore } from '../../shared/stores/postgres/pg-checkpoint-store.js';
import { PgSchemaStore } from '../../shared/stores/postgres/pg-schema-store.js';
import type { S3Emulator } from './s3-emulator.js';

/** Checkpoints, committer and schemas in `pool`, objects in the emulator's bucket; no aggregates. */
export async function createIngestDeps(pool: pg.Pool, s3: S3Emulator): Promise<IngestDependencies> {
  return {
    checkpoints: new PgCheckpointStore(pool),
    committer: new PgBatchCommitter(pool),
    objects: s3.store,
    registry: new SchemaRegistry(new PgSchemaStore(pool)),
    encoder: await createParquetEncoder(),
  };
}
