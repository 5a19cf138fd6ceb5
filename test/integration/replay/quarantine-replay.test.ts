// `npm run replay -- --from quarantine` against the real Postgres and the S3+SQS emulator:
// records quarantined by the Kinesis ingest are rechecked, sent through the ingest queue once
// their schema exists, and land in the lake exactly once however often they are replayed.
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceRecordsFromKafka } from '../../../shared/envelope/kafka.js';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { sourceRecordsFromSqs } from '../../../shared/envelope/sqs.js';
import { ingestQueueBatch, type QueueIngestDependencies, type QueueIngestOutcome } from '../../../shared/ingest/ingest-queue-batch.js';
import { ingestShardBatch } from '../../../shared/ingest/ingest-shard-batch.js';
import { replayQuarantine, type QuarantineReplayReport } from '../../../shared/replay/quarantine-replay.js';
import { SchemaRegistry } from '../../../shared/schema/schema-registry.js';
import { PgCommittedEventIndex } from '../../../shared/stores/postgres/pg-committed-event-index.js';
import { PgQuarantineLedger } from '../../../shared/stores/postgres/pg-quarantine-ledger.js';
import { PgSchemaStore } from '../../../shared/stores/postgres/pg-schema-store.js';
import { S3ObjectReader } from '../../../shared/stores/s3/s3-object-reader.js';
import { SqsRecordQueue } from '../../../shared/stores/sqs/sqs-record-queue.js';
import { openParquetReader, type ParquetReader } from '../../support/duckdb.js';
import { pageView } from '../../support/events.js';
import { createIngestDeps } from '../../support/ingest-deps.js';
import { kafkaEvent } from '../../support/kafka-events.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { queryLake } from '../../support/lake.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { runScript } from '../../support/run-script.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';
import { createQueuesWithDlq, deleteMessages, emulatorSqsClient, lambdaSqsEvent, queueDepth, receiveAll, type TestQueues } from '../../support/sqs-queues.js';

const ARRIVAL = Math.floor((Date.now() - 60_000) / 1000) * 1000;
const signup = (id: string, source: string) => ({ event_id: id, event_type: 'signup', source, ts: ARRIVAL - 1000, plan: 'pro' });

let db: TestDatabase;
let s3: S3Emulator;
let duck: ParquetReader;
let sqs: SQSClient;
let queues: TestQueues;
let env: Record<string, string>;

beforeAll(async () => {
  [db, s3, duck] = await Promise.all([createTestDatabase(), startS3Emulator(), openParquetReader()]);
  sqs = emulatorSqsClient(s3.endpoint); // fauxqs serves SQS on the same port as S3
  queues = await createQueuesWithDlq(sqs);
  env = { DATABASE_URL: db.url, LAKE_BUCKET: s3.bucket, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ENDPOINT_URL_SQS: s3.endpoint, INGEST_QUEUE_URL: queues.name };
  // A Kinesis batch whose signup events have no schema yet, and one event that breaks its schema.
  const records = sourceRecordsFromKinesis(
    kinesisEvent(
      [
        { text: [pageView({ source: 'web' }), signup('s-1', 'web'), signup('s-2', 'web')].map((e) => JSON.stringify(e)).join('\n') },
        { json: pageView({ source: 'web', event_id: 'bad-country', country: 'germany' }) },
        { json: signup('s-3', 'shop') },
      ],
      { arrivalTs: ARRIVAL },
    ),
  );
  const outcome = await ingestShardBatch(records, await createIngestDeps(db.pool, s3), { lateThresholdMs: 300_000 });
  expect(outcome.quarantined).toBe(4);
});

afterAll(async () => {
  sqs?.destroy();
  await Promise.all([db?.drop(), s3?.stop(), duck?.close()]);
});

async function replay(args: string[]): Promise<QuarantineReplayReport> {
  const result = await runScript('replay', ['--from', 'quarantine', '--json', ...args], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as QuarantineReplayReport;
}

async function pendingIds(): Promise<string[]> {
  const { rows } = await db.pool.query<{ event: string }>(
    `SELECT coalesce(substring(reason from '^\\S+'), '') || ':' || sub_index AS event FROM quarantine WHERE replayed_at IS NULL ORDER BY id`,
  );
  return rows.map((r) => r.event);
}

/** Takes every message off the ingest queue and runs the queue consumer's core on them. */
async function consumeQueue(): Promise<{ messages: Message[]; outcome: QueueIngestOutcome }> {
  const messages = await receiveAll(sqs, queues.url);
  expect(messages.length).toBeGreaterThan(0);
  const base = await createIngestDeps(db.pool, s3);
  const deps: QueueIngestDependencies = { ...base, committedEvents: new PgCommittedEventIndex(db.pool) };
  const outcome = await ingestQueueBatch(sourceRecordsFromSqs(lambdaSqsEvent(messages, queues.arn)), deps, { lateThresholdMs: 300_000 });
  await deleteMessages(sqs, queues.url, messages);
  return { messages, outcome };
}

async function landedSignups(): Promise<string[]> {
  const rows = await queryLake(db.pool, s3, duck, `SELECT event_id FROM lake WHERE event_type = 'signup' ORDER BY event_id`);
  return rows.map((r) => r['event_id'] as string);
}

describe('npm run replay -- --from quarantine', () => {
  it('sends nothing while the cause is not fixed, and lists the rows by reason', async () => {
    const result = await runScript('replay', ['--from', 'quarantine'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/quarantine: 4 rows checked, 0 replayed in 0 messages, 4 still failing \(left pending\)/);
    expect(result.stdout).toMatch(/\s3 {2}unknown_schema: schema signup v1 is not registered \(first row id \d+\)/);
    expect(result.stdout).toMatch(/\s1 {2}schema_violation: page_view v1: event\/country must match pattern/);
    expect(await queueDepth(sqs, queues.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('in a dry run reports what would be replayed once the schema exists, and sends and marks nothing', async () => {
    await db.pool.query(`INSERT INTO event_schemas (event_type, version, json_schema) VALUES ('signup', 1, $1)`, [
      JSON.stringify({ type: 'object', required: ['plan'], properties: { plan: { type: 'string' } } }),
    ]);
    const report = await replay(['--dry-run']);
    expect(report).toMatchObject({ dryRun: true, scanned: 4, replayed: 3, messages: 2, stillFailing: 1 });
    expect(report.failures).toEqual([expect.objectContaining({ code: 'schema_violation', rows: 1 })]);
    expect(await queueDepth(sqs, queues.url)).toEqual({ visible: 0, inFlight: 0 });
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM quarantine WHERE replayed_at IS NULL');
    expect(rows[0].n).toBe(4);
    expect(await replay(['--dry-run', '--since', new Date(Date.now() + 60_000).toISOString()])).toMatchObject({ scanned: 0, replayed: 0 });
  });

  it('replays one source only with --source, as a queue message with the source and original arrival', async () => {
    const report = await replay(['--source', 'shop', '--since', '1h']);
    expect(report).toMatchObject({ dryRun: false, scanned: 1, replayed: 1, messages: 1, stillFailing: 0 });
    const { messages, outcome } = await consumeQueue();
    expect(messages).toHaveLength(1);
    const message = messages[0];
    expect(JSON.parse(message!.Body!)).toEqual(signup('s-3', 'shop'));
    expect(message!.MessageAttributes).toMatchObject({
      source: { DataType: 'String', StringValue: 'shop' },
      request_id: { DataType: 'String', StringValue: expect.stringMatching(/^replay-quarantine-\d+$/) },
      received_at: { DataType: 'Number', StringValue: String(ARRIVAL) },
      // The Kinesis record's partition key, so the lake's source_key is what it would have been.
      source_record: { DataType: 'String', StringValue: '{"key":"pk-2"}' },
    });
    const { rows } = await db.pool.query(`SELECT source, replayed_at IS NOT NULL AS replayed FROM quarantine WHERE code = 'unknown_schema' ORDER BY id`);
    expect(rows).toEqual([
      { source: 'web', replayed: false },
      { source: 'web', replayed: false },
      { source: 'shop', replayed: true },
    ]);
    expect(outcome).toMatchObject({ events: 1, lateEvents: 0 });
    expect(await landedSignups()).toEqual(['s-3']);
  });

  it('sends every fixed event and marks its row; the still-invalid one stays pending with its reason; all land once', async () => {
    const report = await replay([]);
    expect(report).toMatchObject({ scanned: 3, replayed: 2, messages: 1, stillFailing: 1 });
    expect(report.failures[0]).toMatchObject({ code: 'schema_violation', reason: expect.stringContaining('country') });
    expect(await pendingIds()).toEqual(['page_view:0']);
    const { outcome } = await consumeQueue();
    expect(outcome).toMatchObject({ messages: 1, events: 2, duplicates: 0, quarantined: 0, held: [] });
    expect(await landedSignups()).toEqual(['s-1', 's-2', 's-3']);
    const keys = await queryLake(db.pool, s3, duck, `SELECT event_id, source_key FROM lake WHERE event_type = 'signup' ORDER BY event_id`);
    expect(keys).toEqual([
      { event_id: 's-1', source_key: 'pk-0' },
      { event_id: 's-2', source_key: 'pk-0' },
      { event_id: 's-3', source_key: 'pk-2' },
    ]);
  });

  it('sends nothing when run again', async () => {
    const report = await replay([]);
    expect(report).toMatchObject({ scanned: 1, replayed: 0, messages: 0, stillFailing: 1 });
    expect(await queueDepth(sqs, queues.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('lands nothing twice when a crash between send and mark makes the next run send the events again', async () => {
    await db.pool.query(`UPDATE quarantine SET replayed_at = NULL WHERE code = 'unknown_schema'`);
    const progress: number[] = [];
    const report = await replayQuarantine(
      {
        ledger: new PgQuarantineLedger(db.pool),
        objects: new S3ObjectReader(s3.s3, s3.bucket),
        schemas: new SchemaRegistry(new PgSchemaStore(db.pool)),
        queue: new SqsRecordQueue(sqs, async () => queues.url, { maxMessageBytes: 262_144 }),
      },
      { dryRun: false, maxMessageBodyBytes: 261_120, progressEvery: 2, onProgress: (p) => progress.push(p.scanned) },
    );
    expect(report).toMatchObject({ replayed: 3, stillFailing: 1 });
    expect(progress).toEqual([2, 4]);
    const { outcome } = await consumeQueue();
    expect(outcome).toMatchObject({ messages: 2, events: 0, duplicates: 3 });
    expect(await landedSignups()).toEqual(['s-1', 's-2', 's-3']);
  });

  it('lands a replayed Kafka record’s events with its key and headers, even a key SQS cannot carry as it is', async () => {
    const refund = (id: string) => ({ event_id: id, event_type: 'refund', source: 'pos', ts: ARRIVAL - 1000, amount: 5 });
    const event = kafkaEvent({ 3: [{ json: refund('r-1') }] }, { topic: 'payments', timestamp: ARRIVAL });
    const record = event.records['payments-3']![0]!;
    const key = 'till-7\uffff\u0001'; // valid UTF-8, but outside the characters an SQS attribute may hold
    record.key = Buffer.from(key).toString('base64');
    record.headers = [{ traceparent: [...Buffer.from('00-abc-01')] }];
    const outcome = await ingestShardBatch(sourceRecordsFromKafka(event), await createIngestDeps(db.pool, s3), { lateThresholdMs: 300_000 });
    expect(outcome.quarantined).toBe(1);
    await db.pool.query(`INSERT INTO event_schemas (event_type, version, json_schema) VALUES ('refund', 1, '{"type":"object"}')`);
    expect(await replay(['--source', 'pos'])).toMatchObject({ scanned: 1, replayed: 1, messages: 1 });
    const { outcome: consumed } = await consumeQueue();
    expect(consumed).toMatchObject({ events: 1, quarantined: 0 });
    const rows = await queryLake(db.pool, s3, duck, `SELECT event_id, source_key, source_headers FROM lake WHERE event_type = 'refund'`);
    expect(rows).toEqual([{ event_id: 'r-1', source_key: key, source_headers: '{"traceparent":"00-abc-01"}' }]);
  });

  it('rejects a --since it cannot read with exit code 2', async () => {
    const result = await runScript('replay', ['--from', 'quarantine', '--since', 'last tuesday'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--since "last tuesday" must be/);
  });
});
