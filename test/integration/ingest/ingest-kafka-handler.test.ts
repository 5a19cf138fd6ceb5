// The deployed Kafka handler, invoked as Lambda invokes it with MSK and self-managed events:
// each partition commits exactly once, and a failed partition fails the whole invocation so
// that Lambda redelivers the batch (Kafka mappings have no partial batch response).
import type { Context, MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaHeaders, type KafkaEvent, type KafkaRecord } from '../../../shared/envelope/kafka.js';
import { startCuttableRelay, type CuttableRelay } from '../../support/cuttable-relay.js';
import { lambdaContext } from '../../support/lambda-context.js';
import { openParquetReader, type ParquetReader } from '../../support/duckdb.js';
import { pageView, purchase } from '../../support/events.js';
import { kafkaEvent } from '../../support/kafka-events.js';
import { queryLake } from '../../support/lake.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';

type Handler = (event: KafkaEvent, context: Context) => Promise<void>;

const msk = JSON.parse(readFileSync('test/fixtures/kafka/msk-event.json', 'utf8')) as MSKEvent;
const selfManaged = JSON.parse(readFileSync('test/fixtures/kafka/self-managed-event.json', 'utf8')) as SelfManagedKafkaEvent;

let db: TestDatabase;
let s3: S3Emulator;
let duck: ParquetReader;
/** The handler reaches S3 through this relay, so a test can take S3 away and bring it back. */
let s3Link: CuttableRelay;
let handler: Handler;

const context = lambdaContext('ingestKafka');

beforeAll(async () => {
  [db, s3, duck] = await Promise.all([createTestDatabase(), startS3Emulator(), openParquetReader()]);
  s3Link = await startCuttableRelay(s3.endpoint);
  Object.assign(process.env, {
    LAKE_BUCKET: s3.bucket,
    DATABASE_URL: db.url,
    AWS_ENDPOINT_URL_S3: s3Link.url,
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
  });
  ({ handler } = (await import('../../../functions/ingest-kafka/handler.js')) as unknown as { handler: Handler });
});

afterAll(async () => {
  await Promise.all([db?.drop(), s3Link?.stop(), s3?.stop(), duck?.close()]);
});

async function lakeRows(topic: string): Promise<Record<string, unknown>[]> {
  return queryLake(db.pool, s3, duck, `SELECT event_id, shard, seq FROM lake WHERE shard LIKE '${topic}-%' ORDER BY event_id`);
}

async function checkpoints(topic: string): Promise<Record<string, string>> {
  const { rows } = await db.pool.query<{ shard: string; seq: string }>('SELECT shard, seq FROM checkpoints WHERE stream = $1', [topic]);
  return Object.fromEntries(rows.map((r) => [r.shard, r.seq]));
}

async function counts(): Promise<{ files: number; quarantined: number }> {
  const { rows } = await db.pool.query<{ files: number; quarantined: number }>(
    'SELECT (SELECT count(*)::int FROM lake_files) AS files, (SELECT count(*)::int FROM quarantine) AS quarantined',
  );
  return rows[0]!;
}

describe('ingest-kafka handler', () => {
  it('commits every partition of the documented MSK event once, each up to its last offset', async () => {
    await expect(handler(msk, context)).resolves.toBeUndefined();
    expect(await lakeRows('events')).toEqual([
      { event_id: 'msk-evt-1', shard: 'events-0', seq: '100' },
      { event_id: 'msk-evt-2', shard: 'events-0', seq: '101' },
      { event_id: 'msk-evt-3', shard: 'events-0', seq: '101' },
      { event_id: 'msk-evt-4', shard: 'events-1', seq: '40' },
      { event_id: 'msk-evt-5', shard: 'events-1', seq: '42' },
    ]);
    expect(await checkpoints('events')).toEqual({ 'events-0': '102', 'events-1': '42' });
  });

  it("keeps each record's key and headers in source_key and source_headers", async () => {
    await handler(msk, context);
    const expected = Object.values(msk.records).flat().map((record) => {
      const r = record as unknown as KafkaRecord;
      const headers = kafkaHeaders(r);
      return {
        seq: String(r.offset),
        source_key: r.key ? Buffer.from(r.key, 'base64').toString('utf8') : null,
        source_headers: Object.keys(headers).length > 0 ? headers : null,
      };
    });
    const rows = await queryLake(db.pool, s3, duck, `SELECT DISTINCT seq, source_key, source_headers FROM lake WHERE shard LIKE 'events-%' ORDER BY seq`);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const headers = row['source_headers'] === null ? null : JSON.parse(row['source_headers'] as string);
      expect({ ...row, source_headers: headers }).toEqual(expected.find((e) => e.seq === row['seq']));
    }
    expect(rows.some((row) => row['source_headers'] !== null && JSON.parse(row['source_headers'] as string)['tenant'] === 'acme')).toBe(true);
  });

  it('quarantines the tombstone with code tombstone and the malformed value as bad_json', async () => {
    const { rows } = await db.pool.query(
      `SELECT origin, shard, seq, code, reason FROM quarantine WHERE stream = 'events' ORDER BY shard, seq`,
    );
    expect(rows).toEqual([
      { origin: 'kafka', shard: 'events-0', seq: '102', code: 'tombstone', reason: 'Kafka tombstone (null value): nothing to ingest' },
      { origin: 'kafka', shard: 'events-1', seq: '41', code: 'bad_json', reason: expect.stringMatching(/^payload is not JSON/) },
    ]);
  });

  it('adds nothing when Lambda redelivers the same batch', async () => {
    const before = await counts();
    await expect(handler(msk, context)).resolves.toBeUndefined();
    expect(await counts()).toEqual(before);
    expect(await lakeRows('events')).toHaveLength(5);
  });

  it('ingests the documented self-managed event through the same handler', async () => {
    await expect(handler(selfManaged, context)).resolves.toBeUndefined();
    expect((await lakeRows('clickstream')).map((r) => r['event_id'])).toEqual(['sm-evt-1', 'sm-evt-2', 'sm-evt-3']);
    expect(await checkpoints('clickstream')).toEqual({ 'clickstream-0': '8', 'clickstream-2': '4' });
  });

  it('throws when S3 is down, naming each partition and offset, and a redelivery after recovery commits exactly once', async () => {
    const first = [pageView(), purchase()];
    const later = { 0: [pageView()], 1: [purchase(), pageView()], 2: [pageView()] };
    await handler(kafkaEvent({ 0: first.map((json) => ({ json })) }, { topic: 'orders' }), context);
    expect(await checkpoints('orders')).toEqual({ 'orders-0': '1' });

    // Lambda polls again from the committed consumer offsets: partition 0 is redelivered
    // from offset 0 (the handler's commit is ahead of Kafka's), the others are new.
    const batch = kafkaEvent(
      {
        0: [...first, ...later[0]].map((json) => ({ json })),
        1: later[1].map((json) => ({ json })),
        2: later[2].map((json) => ({ json })),
      },
      { topic: 'orders' },
    );
    s3Link.cut();
    try {
      await expect(handler(batch, context)).rejects.toMatchObject({
        name: 'ShardsFailedError',
        message: expect.stringContaining('orders-0 from 2, orders-1 from 0, orders-2 from 0'),
        failures: [
          expect.objectContaining({ stream: 'orders', shard: 'orders-0', retryFromSeq: '2' }),
          expect.objectContaining({ stream: 'orders', shard: 'orders-1', retryFromSeq: '0' }),
          expect.objectContaining({ stream: 'orders', shard: 'orders-2', retryFromSeq: '0' }),
        ],
      });
    } finally {
      s3Link.restore();
    }
    expect(await checkpoints('orders')).toEqual({ 'orders-0': '1' });

    await expect(handler(batch, context)).resolves.toBeUndefined();
    const expected = [...first, ...later[0], ...later[1], ...later[2]].map((e) => e['event_id']).sort();
    expect((await lakeRows('orders')).map((r) => r['event_id'])).toEqual(expected);
    expect(await checkpoints('orders')).toEqual({ 'orders-0': '2', 'orders-1': '1', 'orders-2': '0' });
  });
});
