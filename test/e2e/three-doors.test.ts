// Every door into the lake, through the local stack as a user runs it: Kinesis PutRecords,
// Kafka-shaped events invoked on ingestKafka (Lambda Invoke API), and signed webhook POSTs
// that travel through SQS. Each valid event lands exactly once (DuckDB through the manifest)
// even when the webhook is retried with the same Idempotency-Key, SQS delivers a message
// twice, and a Kafka batch is redelivered. A poison message reaches the DLQ after
// maxReceiveCount receives and `npm run replay -- --from dlq` lands it once its schema exists.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../shared/stores/s3/s3-lake-store.js';
import { startDevStackProcess, type DevStackProcess } from '../support/dev-stack-process.js';
import { openParquetReader, type ParquetReader } from '../support/duckdb.js';
import { pageView, purchase } from '../support/events.js';
import { kafkaEvent } from '../support/kafka-events.js';
import { queryLake } from '../support/lake.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import type { S3Emulator } from '../support/s3-emulator.js';
import { ndjson, partnerEvent, signedPost } from '../support/webhook.js';

process.env['AWS_ACCESS_KEY_ID'] = 'test';
process.env['AWS_SECRET_ACCESS_KEY'] = 'test';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const SOURCE = `doors-${randomUUID().slice(0, 8)}`;
let db: TestDatabase;
let dev: DevStackProcess;
let duck: ParquetReader;
let s3: S3Client;
let sqs: SQSClient;
const expected = new Set<string>();

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  duck = await openParquetReader();
  dev = await startDevStackProcess({ DATABASE_URL: db.url });
  s3 = createS3Client({ region: dev.stack.region, endpoint: dev.stack.endpoints.s3 });
  sqs = new SQSClient({ region: dev.stack.region, endpoint: dev.stack.endpoints.sqs, credentials });
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  sqs?.destroy();
  await dev?.stop();
  await Promise.all([db?.drop(), duck?.close()]);
});

/** The lake read the exact way: the manifest's files, from the stack's S3, by DuckDB. */
async function landedIds(): Promise<string[]> {
  const bucket = dev.stack.resources.bucket!;
  const emulator = {
    bucket,
    async getObjectBytes(key: string) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return object.Body!.transformToByteArray();
    },
  } as unknown as S3Emulator;
  const rows = await queryLake(db.pool, emulator, duck, 'SELECT event_id FROM lake');
  return rows.map((r) => r['event_id'] as string);
}

async function waitForLanded(ids: ReadonlySet<string>, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const landed = await landedIds();
    const present = new Set(landed);
    if ([...ids].every((id) => present.has(id)) || Date.now() > deadline) return landed;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function postSigned(signed: { headers: Record<string, string>; body: Buffer }): Promise<Response> {
  return fetch(dev.stack.demoPartner.url, { method: 'POST', headers: signed.headers, body: signed.body });
}

async function queueUrl(name: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
}

describe('three doors into one lake', () => {
  it('lands every valid event of Kinesis, Kafka and the webhook exactly once despite retries and redeliveries', async () => {
    const kinesis = new KinesisClient({ region: dev.stack.region, endpoint: dev.stack.endpoints.kinesis, credentials });
    const lambda = new LambdaClient({ region: dev.stack.region, endpoint: dev.stack.endpoints.lambda, credentials });
    try {
      // Kinesis: 300 events.
      const kinesisEvents = Array.from({ length: 300 }, (_, i) => (i % 4 === 0 ? purchase({ source: SOURCE }) : pageView({ source: SOURCE })));
      const put = await kinesis.send(
        new PutRecordsCommand({
          StreamName: dev.stack.resources.stream,
          Records: kinesisEvents.map((e) => ({ Data: Buffer.from(JSON.stringify(e)), PartitionKey: randomUUID() })),
        }),
      );
      expect(put.FailedRecordCount ?? 0).toBe(0);
      kinesisEvents.forEach((e) => expected.add(e['event_id'] as string));

      // Kafka: two partitions, the batch delivered twice.
      const topic = `orders-${randomUUID().slice(0, 6)}`;
      const kafkaEvents = [0, 1].map(() => Array.from({ length: 100 }, () => pageView({ source: SOURCE })));
      const event = kafkaEvent({ 0: kafkaEvents[0]!.map((json) => ({ json })), 1: kafkaEvents[1]!.map((json) => ({ json })) }, { topic, trigger: 'self-managed' });
      for (let delivery = 0; delivery < 2; delivery++) {
        const result = await lambda.send(new InvokeCommand({ FunctionName: dev.stack.functions['ingestKafka'], Payload: Buffer.from(JSON.stringify(event)) }));
        expect(result.FunctionError).toBeUndefined();
      }
      kafkaEvents.flat().forEach((e) => expected.add(e['event_id'] as string));

      // Webhook: three batches; the first POSTed twice with one Idempotency-Key.
      const secret = dev.stack.demoPartner.secret;
      const batches = [0, 1, 2].map(() => Array.from({ length: 100 }, () => partnerEvent()));
      const retried = signedPost(secret, ndjson(batches[0]!), { idempotencyKey: `batch-${randomUUID()}`, gzip: true });
      const answers = [await postSigned(retried), await postSigned(retried), await postSigned(signedPost(secret, ndjson(batches[1]!))), await postSigned(signedPost(secret, JSON.stringify(batches[2]), { contentType: 'application/json' }))];
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
      expect(answers[1]!.headers.get('idempotent-replayed')).toBe('true');
      batches.flat().forEach((e) => expected.add(e['event_id'] as string));

      // SQS delivers a message twice: the same records arrive again in a second message.
      await sqs.send(new SendMessageCommand({
        QueueUrl: await queueUrl(dev.stack.resources.queue!),
        MessageBody: batches[1]!.map((e) => JSON.stringify({ ...e, source: dev.stack.demoPartner.id })).join('\n'),
        MessageAttributes: { source: { DataType: 'String', StringValue: dev.stack.demoPartner.id } },
      }));

      const landed = await waitForLanded(expected);
      const ours = landed.filter((id) => expected.has(id));
      expect(ours.length).toBe(expected.size);
      expect(new Set(ours).size).toBe(ours.length);
      // Nothing else arrived either (no copy under another id, no stray events).
      expect(landed.length).toBe(expected.size);
    } finally {
      kinesis.destroy();
      lambda.destroy();
    }
  }, 120_000);

  it('moves a poison message to the DLQ after maxReceiveCount receives; npm run replay -- --from dlq lands it once its schema exists', async () => {
    const partner = dev.stack.demoPartner.id;
    const poison = [
      { event_id: `poison-${randomUUID()}`, event_type: 'signup', source: partner, ts: Date.now(), plan: 'pro' },
      { ...partnerEvent(), source: partner },
    ];
    const dlqUrl = await queueUrl(dev.stack.resources.dlq!);
    await sqs.send(new SendMessageCommand({
      QueueUrl: await queueUrl(dev.stack.resources.queue!),
      MessageBody: poison.map((e) => JSON.stringify(e)).join('\n'),
      MessageAttributes: { source: { DataType: 'String', StringValue: partner } },
    }));
    // Held at every receive (no signup schema); the redrive policy moves it after 3 (dev param).
    const deadline = Date.now() + 90_000;
    while (Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.['ApproximateNumberOfMessages']) < 1) {
      if (Date.now() > deadline) throw new Error('the poison message never reached the DLQ');
      await new Promise((r) => setTimeout(r, 500));
    }
    const ids = poison.map((e) => e.event_id as string);
    expect((await landedIds()).filter((id) => ids.includes(id))).toEqual([]);

    await db.pool.query(`INSERT INTO event_schemas (event_type, version, json_schema) VALUES ('signup', 1, $1)`, [
      JSON.stringify({ type: 'object', required: ['plan'], properties: { plan: { type: 'string' } } }),
    ]);
    const replay = spawnSync('node_modules/.bin/tsx', ['scripts/replay.ts', '--from', 'dlq', '--json'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        AWS_REGION: dev.stack.region,
        AWS_ENDPOINT_URL_SQS: dev.stack.endpoints.sqs,
        AWS_ENDPOINT_URL_S3: dev.stack.endpoints.s3,
        INGEST_QUEUE_URL: dev.stack.resources.queue!,
        INGEST_DLQ_URL: dev.stack.resources.dlq!,
      },
    });
    expect(replay.status, replay.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(replay.stdout))).toMatch(/"moved":1\b/);

    const landed = await waitForLanded(new Set(ids), 60_000);
    expect(landed.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
  }, 180_000);

  it('answers refused webhook requests with JSON 4xx over real HTTP and never a 5xx', async () => {
    const secret = dev.stack.demoPartner.secret;
    const cases: [Response, number][] = [
      [await postSigned(signedPost('whsec_wrong', ndjson([partnerEvent()]))), 401],
      [await postSigned(signedPost(secret, ndjson([partnerEvent()]), { timestamp: Math.floor(Date.now() / 1000) - 3600 })), 401],
      [await postSigned(signedPost(secret, ndjson([partnerEvent()]), { contentType: 'text/csv' })), 415],
      [await postSigned(signedPost(secret, Buffer.alloc(40 * 1024 * 1024, 0x20), { gzip: true })), 413],
      [await postSigned(signedPost(secret, 'not json at all', { contentType: 'application/json' })), 400],
    ];
    for (const [response, status] of cases) {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(/^[a-z_]+$/);
    }
  });
});
