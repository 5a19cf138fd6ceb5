// One Redis client per container, single node or cluster, failing fast when Redis is down:
// the ingest path must not wait on Redis (its deltas wait in the outbox instead).
import { Cluster, Redis } from 'ioredis';

/** Options of {@link createRedisClient}. */
export interface RedisClientOptions {
  readonly urls: readonly string[];
  readonly cluster: boolean;
  /**
   * Put before every key of every command (ioredis `keyPrefix`, scripts' KEYS included), so
   * stages or local stacks can share one Redis. Key patterns (SCAN) and channels are not keys:
   * callers prefix those themselves.
   */
  readonly keyPrefix?: string;
}

const FAST_FAIL = { connectTimeout: 2000, commandTimeout: 2000, maxRetriesPerRequest: 1 } as const;

/**
 * @example const redis = createRedisClient({ urls: ['redis://127.0.0.1:6379'], cluster: false });
 */
export function createRedisClient(options: RedisClientOptions): Redis | Cluster {
  if (options.urls.length === 0) throw new Error('createRedisClient needs at least one URL');
  const client = options.cluster
    ? new Cluster(
        options.urls.map((u) => {
          const { hostname, port } = new URL(u);
          return { host: hostname, port: Number(port || 6379) };
        }),
        { redisOptions: FAST_FAIL, clusterRetryStrategy: (times) => Math.min(times * 200, 2000), keyPrefix: options.keyPrefix ?? '' },
      )
    : new Redis(options.urls[0]!, { ...FAST_FAIL, keyPrefix: options.keyPrefix ?? '' });
  // Without a listener ioredis reports connection errors as unhandled; commands still reject.
  client.on('error', () => undefined);
  return client;
}
