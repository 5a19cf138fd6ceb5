// The local stack's live aggregates start empty at every start, like its lake and metadata:
// counters left by an earlier run would count events the new lake does not have.
import { Redis } from 'ioredis';

/** Keys deleted per UNLINK call. */
const UNLINK_BATCH = 500;

/**
 * Deletes every key under the stack's prefix (never anything else: tests and other stacks
 * may share the Redis). Returns how many keys it deleted.
 *
 * @example await resetLocalAggregates('redis://127.0.0.1:6379', 'event_lake_local:') // 4312
 */
export async function resetLocalAggregates(redisUrl: string, keyPrefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_.:-]+$/.test(keyPrefix)) throw new Error(`refusing to clear Redis keys under the prefix "${keyPrefix}": it must be non-empty, without glob characters`);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let deleted = 0;
    for await (const keys of redis.scanStream({ match: `${keyPrefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
      for (let i = 0; i < keys.length; i += UNLINK_BATCH) deleted += await redis.unlink(...keys.slice(i, i + UNLINK_BATCH));
    }
    return deleted;
  } finally {
    redis.disconnect();
  }
}
