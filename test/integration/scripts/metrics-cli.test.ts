// `npm run metrics` as a child process, over counters written by the real apply path.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDeltas } from '../../../shared/aggregates/compute-deltas.js';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import { PgAggregateSpecs } from '../../../shared/stores/postgres/pg-aggregate-specs.js';
import { RedisAggregateStore } from '../../../shared/stores/redis/redis-aggregate-store.js';
import { pageView, purchase } from '../../support/events.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { singleRedis, TEST_REDIS_URL } from '../../support/redis.js';
import { runScript } from '../../support/run-script.js';

let db: TestDatabase;
const source = `m-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  db = await createTestDatabase();
  const now = Date.now();
  const inputs = [
    ...Array.from({ length: 12 }, (_, i) => ({ json: pageView({ source, user_id: `u-${i % 4}`, ts: now - i * 20_000, country: i < 9 ? 'DE' : 'FR' }) })),
    ...Array.from({ length: 3 }, (_, i) => ({ json: purchase({ source, ts: now - i * 1000, amount: 2.5 }) })),
  ];
  const { events } = decodeBatch(sourceRecordsFromKinesis(kinesisEvent(inputs, { arrivalTs: now })));
  const redis = singleRedis();
  await new RedisAggregateStore(redis).apply(computeDeltas('b1', events, await new PgAggregateSpecs(db.pool).current(), { lateThresholdMs: 300_000 }));
  redis.disconnect();
});

afterAll(async () => {
  await db?.drop();
});

describe('npm run metrics', () => {
  it('prints one JSON object whose total.count is the number of events in the range', async () => {
    const result = await runScript('metrics', [source, '--json'], { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
    const report = JSON.parse(result.stdout) as {
      total: { count: number };
      types: Record<string, { total: { count: number; sums: Record<string, number> }; uniques: number; top: Record<string, { value: string; count: number }[]> }>;
    };
    expect(report.total.count).toBe(15);
    expect(report.types['page_view']!.total.count).toBe(12);
    expect(report.types['page_view']!.uniques).toBe(4);
    expect(report.types['page_view']!.top['country']).toEqual([
      { value: 'DE', count: 9 },
      { value: 'FR', count: 3 },
    ]);
    expect(report.types['purchase']!.total.sums['amount']).toBe(7.5);
  });

  it('narrows to one type and prints a table by minute', async () => {
    const result = await runScript('metrics', [source, 'purchase', '--minutes', '3'], { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
    expect(result.stdout).toMatch(/minute\s+\| event_type \| count \| late/);
    expect(result.stdout).toMatch(/purchase: 3 events/);
    expect(result.stdout).toMatch(/total: 3 events, 0 late/);
  });

  it('rejects bad arguments with exit code 2', async () => {
    const result = await runScript('metrics', ['bad/source'], { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a valid source name/);
  });
});
