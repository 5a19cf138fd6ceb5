// The deployed queue handler, invoked as Lambda's SQS mapping invokes it: each event lands
// once however often SQS redelivers its message, a message with an unregistered schema is
// held whole until the schema exists, and a store outage fails the batch without loss.
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCuttableRelay, type CuttableRelay } from '../../support/cuttable-relay.js';
import { openParquetReader, type ParquetReader } from '../../support/duckdb.js';
import { pageView, purchase } from '../../support/events.js';
import { lambdaContext } from '../../support/lambda-context.js';
import { queryLake } from '../../support/lake.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';
import { sqsEvent, sqsMessage } from '../../support/sqs-events.js';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let db: TestDatabase;
let s3: S3Emulator;
let duck: ParquetReader;
let s3Link: CuttableRelay;
let handler: Handler;
const context = lambdaContext('ingestQueue');

beforeAll(async () => {
  [db, s3, duck] = await Promise.all([createTestDatabase(), startS3Emulator(), openParquetReader()]);
  s3Link = await startCuttableRelay(s3.endpoint);
  Object.assign(process.env, { LAKE_BUCKET: s3.bucket, DATABASE_URL: db.url, AWS_ENDPOINT_URL_S3: s3Link.url, POWERTOOLS_LOG_LEVEL: 'CRITICAL' });
  ({ handler } = (await import('../../../functions/ingest-queue/handler.js')) as unknown as { handler: Handler });
});

afterAll(async () => {
  await Promise.all([db?.drop(), s3Link?.stop(), s3?.stop(), duck?.close()]);
});

async function landedIds(): Promise<string[]> {
  const rows = await queryLake(db.pool, s3, duck, 'SELECT event_id FROM lake ORDER BY event_id');
  return rows.map((r) => r['event_id'] as string);
}

const sorted = (events: readonly Record<string, unknown>[]) => events.map((e) => e['event_id'] as string).sort();

describe('ingest-queue handler', () => {
  const first = [pageView({ source: 'acme' }), purchase({ source: 'acme' }), pageView({ source: 'acme' })];
  const second = [pageView({ source: 'shop' })];
  const messages = [sqsMessage(first.slice(0, 2)), sqsMessage(first.slice(2)), sqsMessage(second, { source: 'shop' })];

  it('commits every event of the batch and reports no failures', async () => {
    await expect(handler(sqsEvent(messages), context)).resolves.toEqual({ batchItemFailures: [] });
    expect(await landedIds()).toEqual(sorted([...first, ...second]));
  });

  it('drops redelivered messages and the same events re-sent in new messages by their event id', async () => {
    const resent = sqsMessage([first[0], pageView({ source: 'acme', event_id: 'fresh-1' })]);
    await expect(handler(sqsEvent([...messages, resent]), context)).resolves.toEqual({ batchItemFailures: [] });
    expect(await landedIds()).toEqual(sorted([...first, ...second, { event_id: 'fresh-1' }]));
  });

  it('keeps one copy of an id repeated inside a batch', async () => {
    const twice = pageView({ source: 'acme', event_id: 'twice' });
    await handler(sqsEvent([sqsMessage([twice]), sqsMessage([twice, twice])]), context);
    expect((await landedIds()).filter((id) => id === 'twice')).toHaveLength(1);
  });

  it('quarantines bad records with their reason and deletes their message', async () => {
    const message = sqsMessage([], { body: `${JSON.stringify(pageView({ source: 'acme', event_id: 'good-beside-bad' }))}\n{nope\n${JSON.stringify(pageView({ source: 'acme', url: 42 }))}` });
    await expect(handler(sqsEvent([message]), context)).resolves.toEqual({ batchItemFailures: [] });
    const { rows } = await db.pool.query('SELECT origin, seq, sub_index, code FROM quarantine WHERE seq = $1 ORDER BY sub_index', [message.messageId]);
    expect(rows).toEqual([
      { origin: 'sqs', seq: message.messageId, sub_index: 1, code: 'bad_json' },
      { origin: 'sqs', seq: message.messageId, sub_index: 2, code: 'schema_violation' },
    ]);
    expect(await landedIds()).toContain('good-beside-bad');
  });

  it('holds a whole message whose event has no registered schema, then lands it once the schema exists', async () => {
    const early = [pageView({ source: 'acme', event_id: 'held-1' }), { event_id: 'held-2', event_type: 'signup', source: 'acme', ts: Date.now(), plan: 'pro' }];
    const held = sqsMessage(early);
    const other = sqsMessage([pageView({ source: 'acme', event_id: 'not-held' })]);
    await expect(handler(sqsEvent([held, other]), context)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: held.messageId }] });
    let ids = await landedIds();
    expect(ids).toContain('not-held');
    expect(ids).not.toContain('held-1');

    await db.pool.query(
      `INSERT INTO event_schemas (event_type, version, json_schema) VALUES ('signup', 1, $1)`,
      [JSON.stringify({ type: 'object', required: ['plan'], properties: { plan: { type: 'string' } } })],
    );
    // The registry reloads unknown schemas at most every 10 s.
    await new Promise((r) => setTimeout(r, 10_100));
    await expect(handler(sqsEvent([{ ...held, attributes: { ...held.attributes, ApproximateReceiveCount: '2' } }]), context)).resolves.toEqual({ batchItemFailures: [] });
    ids = await landedIds();
    expect(ids.filter((id) => id === 'held-1' || id === 'held-2')).toEqual(['held-1', 'held-2']);
  }, 20_000);

  it('fails every message while S3 is down and lands them exactly once after it returns', async () => {
    const batch = [sqsMessage([pageView({ source: 'acme', event_id: 'outage-1' })]), sqsMessage([pageView({ source: 'acme', event_id: 'outage-2' })])];
    s3Link.cut();
    try {
      const response = await handler(sqsEvent(batch), context);
      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(batch.map((m) => m.messageId).sort());
    } finally {
      s3Link.restore();
    }
    await expect(handler(sqsEvent(batch), context)).resolves.toEqual({ batchItemFailures: [] });
    await expect(handler(sqsEvent(batch), context)).resolves.toEqual({ batchItemFailures: [] });
    const ids = await landedIds();
    expect(ids.filter((id) => id.startsWith('outage-'))).toEqual(['outage-1', 'outage-2']);
  }, 60_000);

  it('lands concurrent deliveries of the same messages once, the loser of the race retrying within its run', async () => {
    const batch = Array.from({ length: 5 }, (_, i) => sqsMessage([pageView({ source: 'acme', event_id: `race-${i}` })]));
    const responses = await Promise.all([handler(sqsEvent(batch), context), handler(sqsEvent(batch), context), handler(sqsEvent(batch), context)]);
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect((await landedIds()).filter((id) => id.startsWith('race-'))).toHaveLength(5);
    // Each committed file holds exactly what the manifest says (no loser overwrote a winner's file).
    const { rows } = await db.pool.query<{ key: string; record_count: number }>(`SELECT key, record_count FROM lake_files WHERE key LIKE '%' || $1 || '%'`, ['partner-ingest']);
    for (const file of rows) {
      const [counted] = await duck.rows(`SELECT count(*)::INT AS n FROM read_parquet({file})`, await s3.getObjectBytes(file.key));
      expect(counted!['n']).toBe(file.record_count);
    }
  });

  it('keeps the corrected copy when a bad event and its fix share an id in one batch', async () => {
    const bad = pageView({ source: 'acme', event_id: 'fixed-1', url: 42 });
    const fixed = pageView({ source: 'acme', event_id: 'fixed-1', url: '/ok' });
    await expect(handler(sqsEvent([sqsMessage([bad]), sqsMessage([fixed])]), context)).resolves.toEqual({ batchItemFailures: [] });
    const rows = await queryLake(db.pool, s3, duck, `SELECT url FROM lake WHERE event_id = 'fixed-1'`);
    expect(rows).toEqual([{ url: '/ok' }]);
  });
});
