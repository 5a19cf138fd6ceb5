// The local stack's aggregates start empty at each start: every key under its prefix goes,
// and nothing else on the shared Redis is touched.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { resetLocalAggregates } from '../../../shared/local/reset-local-aggregates.js';
import { singleRedis, TEST_REDIS_URL } from '../../support/redis.js';

let redis: Redis;
beforeAll(() => {
  redis = singleRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe('resetLocalAggregates', () => {
  it('deletes every key under the prefix, in batches, and nothing beside it', async () => {
    const prefix = `event_lake_local_${randomUUID().slice(0, 8)}:`;
    const stackKeys = Array.from({ length: 1_234 }, (_, i) => `${prefix}agg:{web|page_view|0}:m:${i}:c`);
    const neighbours = [`${prefix.slice(0, -1)}x:agg:{web|page_view|0}:h:c`, `agg:{${prefix}|page_view|0}:h:c`];
    const pipeline = redis.pipeline();
    for (const key of [...stackKeys, ...neighbours]) pipeline.set(key, '1', 'EX', 600);
    await pipeline.exec();
    try {
      expect(await resetLocalAggregates(TEST_REDIS_URL, prefix)).toBe(stackKeys.length);
      expect(await redis.exists(...stackKeys.slice(0, 50))).toBe(0);
      expect(await redis.exists(...neighbours)).toBe(neighbours.length);
      expect(await resetLocalAggregates(TEST_REDIS_URL, prefix)).toBe(0);
    } finally {
      await redis.del(...neighbours);
    }
  });

  it('refuses a prefix that is empty or would match other keys as a pattern', async () => {
    for (const prefix of ['', '*', 'a?b:', 'x[y]:']) {
      await expect(resetLocalAggregates(TEST_REDIS_URL, prefix)).rejects.toThrow(/refusing to clear/);
    }
  });
});
