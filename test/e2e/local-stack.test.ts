// The whole local stack as a user runs it: `npm run dev -- --no-producer`, then events with
// PutRecords (the SDK's default client, HTTP/2) over 4 shards with 1% malformed. First
// 20,000: every valid event in the lake exactly once (DuckDB through the manifest), every
// malformed one quarantined with a reason, checkpoints at the last sequence numbers. Then
// 30,000 more: the live aggregates in Redis agree with DuckDB per minute and type.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregateReader } from '../../shared/aggregates/aggregate-reader.js';
import { compareSeq } from '../../shared/envelope/sequence.js';
import { createS3Client } from '../../shared/stores/s3/s3-lake-store.js';
import { startDevStackProcess, type DevStackProcess } from '../support/dev-stack-process.js';
import { openParquetReader, type ParquetReader } from '../support/duckdb.js';
import { pageView, purchase } from '../support/events.js';
import { queryLake } from '../support/lake.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import type { S3Emulator } from '../support/s3-emulator.js';

// The emulators take any credentials; never pick up real ones.
process.env['AWS_ACCESS_KEY_ID'] = 'test';
process.env['AWS_SECRET_ACCESS_KEY'] = 'test';

const MALFORMED_EVERY = 100; // 1%
/** A source of this run only, so the shared Redis holds no counters of earlier runs for it. */
const SOURCE = `e2e-${randomUUID().slice(0, 8)}`;
const START = Date.now();
const USERS = 97;

let db: TestDatabase;
let dev: DevStackProcess;
let duck: ParquetReader;
let kinesis: KinesisClient;
let s3: S3Client;
const validIds: string[] = [];
const lastSeqOfShard = new Map<string, string>();
let sent = 0;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  duck = await openParquetReader();
  dev = await startDevStackProcess({ DATABASE_URL: db.url });
  const { stack } = dev;
  kinesis = new KinesisClient({ region: stack.region, endpoint: stack.endpoints.kinesis, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  s3 = createS3Client({ region: stack.region, endpoint: stack.endpoints.s3 });
}, 120_000);

afterAll(async () => {
  kinesis?.destroy();
  s3?.destroy();
  await dev?.stop();
  await Promise.all([db?.drop(), duck?.close()]);
});

/** Puts `count` more events in requests of 500; every 100th is malformed. */
async function putEvents(count: number): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    const entries = Array.from({ length: 500 }, () => {
      const n = sent++;
      if (n % MALFORMED_EVERY === 0) return { Data: Buffer.from(`{"event_id": "bad-${n}", truncated`), PartitionKey: `p-${n}` };
      const fields = { source: SOURCE, user_id: `u-${n % USERS}`, ts: START - (n % 300) * 1000 };
      // A skewed country distribution, so the top-K order is well defined.
      const event = n % 5 === 0 ? purchase(fields) : pageView({ ...fields, country: n % 10 < 6 ? 'DE' : n % 10 < 9 ? 'FR' : 'US' });
      validIds.push(String(event['event_id']));
      return { Data: Buffer.from(JSON.stringify(event)), PartitionKey: randomUUID() };
    });
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: dev.stack.resources.stream, Records: entries }));
    expect(out.FailedRecordCount ?? 0).toBe(0);
    for (const r of out.Records!) {
      const last = lastSeqOfShard.get(r.ShardId!);
      if (!last || compareSeq(r.SequenceNumber!, last) > 0) lastSeqOfShard.set(r.ShardId!, r.SequenceNumber!);
    }
  }
}

/** Waits until every shard's checkpoint reaches its last sequence number; returns them. */
async function waitForCheckpoints(): Promise<Map<string, string>> {
  const deadline = Date.now() + 120_000;
  let checkpoints = new Map<string, string>();
  while (Date.now() < deadline) {
    const rows = await db.pool.query<{ shard: string; seq: string }>('SELECT shard, seq FROM checkpoints WHERE stream = $1', [dev.stack.resources.stream]);
    checkpoints = new Map(rows.rows.map((r) => [r.shard, r.seq]));
    if ([...lastSeqOfShard].every(([shard, seq]) => checkpoints.get(shard) === seq)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return checkpoints;
}

const lake = (): S3Emulator =>
  ({
    async getObjectBytes(key: string) {
      const object = await s3.send(new GetObjectCommand({ Bucket: dev.stack.resources.bucket!, Key: key }));
      return object.Body!.transformToByteArray();
    },
  }) as S3Emulator;

describe('npm run dev', () => {
  it('lands 20,000 PutRecords events exactly once, quarantines the malformed and checkpoints every shard', async () => {
    expect(dev.stack.resources.stream).toBe('event-lake-dev-events');
    expect(kinesis.config.requestHandler.constructor.name).toMatch(/Http2/);
    await putEvents(20_000);
    expect(lastSeqOfShard.size).toBe(4);
    expect(Object.fromEntries(await waitForCheckpoints())).toEqual(Object.fromEntries(lastSeqOfShard));

    const [summary] = await queryLake(db.pool, lake(), duck, 'SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM lake');
    expect(summary).toEqual({ n: validIds.length, ids: validIds.length });
    const ids = await queryLake(db.pool, lake(), duck, 'SELECT event_id FROM lake ORDER BY event_id');
    expect(ids.map((r) => r['event_id'])).toEqual([...validIds].sort());

    const quarantined = await db.pool.query<{ code: string; n: number }>('SELECT code, count(*)::int AS n FROM quarantine GROUP BY code');
    expect(quarantined.rows).toEqual([{ code: 'bad_json', n: 20_000 / MALFORMED_EVERY }]);
    const reasons = await db.pool.query<{ reason: string }>('SELECT DISTINCT reason FROM quarantine');
    expect(reasons.rows.every((r) => r.reason.startsWith('payload is not JSON'))).toBe(true);
  });

  it('after 50,000 events, the counters in Redis equal DuckDB over the lake per minute and type', async () => {
    await putEvents(30_000);
    expect(Object.fromEntries(await waitForCheckpoints())).toEqual(Object.fromEntries(lastSeqOfShard));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const pending = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM agg_outbox WHERE applied_at IS NULL');
      if (pending.rows[0]!.n === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }

    const perMinute = await queryLake(
      db.pool,
      lake(),
      duck,
      `SELECT event_type, (epoch_ms(date_trunc('minute', event_ts)))::BIGINT AS minute, count(*) AS n FROM lake GROUP BY ALL ORDER BY ALL`,
    );
    expect(perMinute.reduce((n, r) => n + Number(r['n']), 0)).toBe(50_000 - 50_000 / MALFORMED_EVERY);
    const redis = new Redis(dev.stack.redisUrl, { keyPrefix: dev.stack.redisKeyPrefix });
    try {
      const reader = new AggregateReader(redis);
      const fromRedis = [];
      for (const row of perMinute) {
        const minute = Number(row['minute']);
        const [point] = await reader.series({ source: SOURCE, eventType: String(row['event_type']), granularity: 'minute', from: minute, to: minute + 60_000 });
        fromRedis.push({ ...row, n: point!.count });
      }
      expect(fromRedis).toEqual(perMinute);

      const hours = { source: SOURCE, eventType: 'page_view', granularity: 'hour' as const, from: START - 3_600_000, to: START + 3_600_000 };
      const uniques = await reader.uniques(hours);
      expect(Math.abs(uniques - USERS)).toBeLessThanOrEqual(3); // HyperLogLog: ~0.81% standard error
      const [countries] = await queryLake(
        db.pool,
        lake(),
        duck,
        `SELECT list(country ORDER BY n DESC) AS top FROM (SELECT country, count(*) AS n FROM lake WHERE event_type = 'page_view' GROUP BY 1)`,
      );
      expect((await reader.top(hours, 'country', 3)).map((t) => t.value)).toEqual(countries!['top']);
    } finally {
      redis.disconnect();
    }
  });

  it('stops everything on SIGTERM and removes its state files', async () => {
    expect(await dev.stop()).toBe(0);
    expect(existsSync(join(dev.stateDir, 'stack.json'))).toBe(false);
    expect(existsSync(join(dev.stateDir, 'dev.pid'))).toBe(false);
  });
});
