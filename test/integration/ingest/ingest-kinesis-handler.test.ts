// The deployed handler, invoked as Lambda invokes it: configured from the environment, with
// a Lambda context, answering with a partial batch response.
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../support/lambda-context.js';
import { openParquetReader, type ParquetReader } from '../../support/duckdb.js';
import { pageView } from '../../support/events.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { queryLake } from '../../support/lake.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';

type Handler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

let db: TestDatabase;
let s3: S3Emulator;
let duck: ParquetReader;
let handler: Handler;
let s3Stopped = false;

const context = lambdaContext('ingestKinesis');

beforeAll(async () => {
  [db, s3, duck] = await Promise.all([createTestDatabase(), startS3Emulator(), openParquetReader()]);
  Object.assign(process.env, {
    LAKE_BUCKET: s3.bucket,
    DATABASE_URL: db.url,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  ({ handler } = (await import('../../../functions/ingest-kinesis/handler.js')) as unknown as { handler: Handler });
});

afterAll(async () => {
  await Promise.all([db?.drop(), s3Stopped ? undefined : s3?.stop(), duck?.close()]);
});

describe('ingest-kinesis handler', () => {
  it('commits a batch and reports no failures, quarantining the malformed record', async () => {
    const events = [pageView(), pageView(), pageView()];
    const response = await handler(
      kinesisEvent([...events.map((json) => ({ json })), { text: 'not json' }], { shard: 'shardId-000000000001' }),
      context,
    );
    expect(response).toEqual({ batchItemFailures: [] });
    const rows = await queryLake(db.pool, s3, duck, `SELECT event_id FROM lake WHERE shard = 'shardId-000000000001' ORDER BY 1`);
    expect(rows.map((r) => r['event_id'])).toEqual(events.map((e) => e['event_id']).sort());
    const quarantined = await db.pool.query(`SELECT code FROM quarantine WHERE shard = 'shardId-000000000001'`);
    expect(quarantined.rows).toEqual([{ code: 'bad_json' }]);
  });

  it('asks Lambda to retry from the first uncommitted record when S3 fails', async () => {
    const first = kinesisEvent([{ json: pageView() }, { json: pageView() }], { shard: 'shardId-000000000002', firstSeq: 1 });
    expect(await handler(first, context)).toEqual({ batchItemFailures: [] });

    await s3.stop(); // S3 goes away mid-stream
    s3Stopped = true;
    const next = kinesisEvent([{ json: pageView() }, { json: pageView() }, { json: pageView() }], { shard: 'shardId-000000000002', firstSeq: 1 });
    // Redelivery of records 1-2 (committed) plus record 3 (new): retry from record 3 only.
    const response = await handler(next, context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: next.Records[2]!.kinesis.sequenceNumber }] });
  });
});
