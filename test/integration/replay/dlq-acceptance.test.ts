// The acceptance scenario of replay, on the local stack's pieces: the deployed queue handler
// behind the local SQS event source mapping, the SQS+S3 emulator and the real Postgres. A
// message with an event of an unregistered type is held until it reaches the DLQ after
// maxReceiveCount receives; once the schema is registered, `npm run replay -- --from dlq`
// brings it into the lake, once.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaInvoker } from '../../../shared/local/lambda-invoker.js';
import { SqsEventSource } from '../../../shared/local/sqs-event-source.js';
import { SqsRecordQueue } from '../../../shared/stores/sqs/sqs-record-queue.js';
import { openParquetReader, type ParquetReader } from '../../support/duckdb.js';
import { pageView } from '../../support/events.js';
import { lambdaContext } from '../../support/lambda-context.js';
import { queryLake } from '../../support/lake.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { runScript } from '../../support/run-script.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';
import { createQueuesWithDlq, emulatorSqsClient, queueDepth, type TestQueues } from '../../support/sqs-queues.js';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const MAX_RECEIVE_COUNT = 3;
/** The schema registry of a running function reloads for unknown types at most this often. */
const SCHEMA_RELOAD_MS = 10_000;

let db: TestDatabase;
let s3: S3Emulator;
let duck: ParquetReader;
let sqs: SQSClient;
let queues: TestQueues;
let eventSource: SqsEventSource;
let firstDeliveryAt = 0;

beforeAll(async () => {
  [db, s3, duck] = await Promise.all([createTestDatabase(), startS3Emulator(), openParquetReader()]);
  sqs = emulatorSqsClient(s3.endpoint);
  queues = await createQueuesWithDlq(sqs, { maxReceiveCount: MAX_RECEIVE_COUNT, visibilityTimeoutSeconds: 1 });
  Object.assign(process.env, { LAKE_BUCKET: s3.bucket, DATABASE_URL: db.url, AWS_ENDPOINT_URL_S3: s3.endpoint, POWERTOOLS_LOG_LEVEL: 'CRITICAL' });
  const { handler } = (await import('../../../functions/ingest-queue/handler.js')) as unknown as { handler: Handler };
  const context = lambdaContext('ingestQueue');
  const invoker: LambdaInvoker = {
    async invoke(_name, event) {
      firstDeliveryAt ||= Date.now();
      try {
        return { ok: true, payload: await handler(event as SQSEvent, context) };
      } catch (error) {
        return { ok: false, error: String(error) };
      }
    },
  };
  eventSource = new SqsEventSource(
    {
      kind: 'sqs',
      functionKey: 'ingestQueue',
      functionName: 'event-lake-test-ingestQueue',
      queueName: queues.name,
      queueArn: queues.arn,
      queueUrl: queues.url,
      batchSize: 10,
      batchWindowSeconds: 0,
      reportBatchItemFailures: true,
      maximumConcurrency: 1,
      enabled: true,
    },
    { sqs, invoker, region: 'us-east-1' },
  );
  await eventSource.start();
});

afterAll(async () => {
  await eventSource?.stop();
  sqs?.destroy();
  await Promise.all([db?.drop(), s3?.stop(), duck?.close()]);
});

async function waitFor(what: string, condition: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function landedIds(): Promise<string[]> {
  const rows = await queryLake(db.pool, s3, duck, `SELECT event_id FROM lake WHERE source = 'acme' ORDER BY event_id`);
  return rows.map((r) => r['event_id'] as string);
}

const replayEnv = () => ({ AWS_ENDPOINT_URL_SQS: s3.endpoint, INGEST_QUEUE_URL: queues.name, INGEST_DLQ_URL: queues.dlqName });

describe('replay acceptance: poison message → DLQ → schema fixed → npm run replay -- --from dlq → lake', () => {
  it(`parks a message with an unregistered event type in the DLQ after ${MAX_RECEIVE_COUNT} receives`, async () => {
    const events = [pageView({ source: 'acme', event_id: 'p-1' }), { event_id: 'p-2', event_type: 'signup', source: 'acme', ts: Date.now() - 1000, plan: 'pro' }];
    // Enqueued as the partner webhook enqueues an accepted request.
    await new SqsRecordQueue(sqs, async () => queues.url, { maxMessageBytes: 262_144 }).enqueue([
      { body: events.map((e) => JSON.stringify(e)).join('\n'), source: 'acme', requestId: 'req-poison', receivedAt: Date.now() },
    ]);
    await waitFor('the message is in the DLQ', async () => (await queueDepth(sqs, queues.dlqUrl)).visible === 1);
    expect(await queueDepth(sqs, queues.url)).toEqual({ visible: 0, inFlight: 0 });
    expect(eventSource.stats.messagesFailed).toBe(MAX_RECEIVE_COUNT);
    expect(await landedIds()).toEqual([]); // held whole: not even the valid page_view landed
  });

  it('lands the whole message exactly once after the schema is registered and the DLQ is replayed', async () => {
    await db.pool.query(`INSERT INTO event_schemas (event_type, version, json_schema) VALUES ('signup', 1, $1)`, [
      JSON.stringify({ type: 'object', required: ['plan'], properties: { plan: { type: 'string' } } }),
    ]);
    // Deployed functions pick the new schema up within the reload interval; so does this one.
    await new Promise((r) => setTimeout(r, Math.max(0, firstDeliveryAt + SCHEMA_RELOAD_MS + 200 - Date.now())));

    const result = await runScript('replay', ['--from', 'dlq', '--json'], replayEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ received: 1, moved: 1, skipped: 0 });

    await waitFor('the events are in the lake', async () => (await landedIds()).length === 2);
    await waitFor('the queue is empty', async () => (await queueDepth(sqs, queues.url)).inFlight === 0 && (await queueDepth(sqs, queues.url)).visible === 0);
    expect(await queueDepth(sqs, queues.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await landedIds()).toEqual(['p-1', 'p-2']);
  }, 60_000);

  it('finds nothing to move when run again', async () => {
    const result = await runScript('replay', ['--from', 'dlq', '--json'], replayEnv());
    expect(JSON.parse(result.stdout)).toMatchObject({ received: 0, moved: 0 });
    expect(await landedIds()).toEqual(['p-1', 'p-2']);
  });
});
