// Reads shard checkpoints from Postgres.
import type pg from 'pg';
import type { CheckpointReader } from '../../ingest/ports.js';

/** @example const checkpoint = await new PgCheckpointStore(pool).readCheckpoint('events', 'shardId-000000000000'); */
export class PgCheckpointStore implements CheckpointReader {
  constructor(private readonly pool: pg.Pool) {}

  async readCheckpoint(stream: string, shard: string): Promise<string | null> {
    const result = await this.pool.query<{ seq: string }>({
      name: 'read-checkpoint',
      text: 'SELECT seq FROM checkpoints WHERE stream = $1 AND shard = $2',
      values: [stream, shard],
    });
    return result.rows[0]?.seq ?? null;
  }
}
