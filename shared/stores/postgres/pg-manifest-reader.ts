// Reads the manifest: which files make up the lake. Readers that need exact answers list
// files here instead of listing S3, which also holds orphans of crashed batches.
import type pg from 'pg';

/** A committed lake file. */
export interface LakeFileRow {
  readonly key: string;
  readonly source: string;
  readonly eventType: string;
  readonly dt: string;
  readonly hour: number;
  readonly recordCount: number;
  readonly byteSize: number;
}

/** Optional filters; each narrows by an indexed column. */
export interface LakeFileFilter {
  readonly source?: string;
  readonly eventType?: string;
  /** Inclusive `YYYY-MM-DD` bounds of event date. */
  readonly fromDt?: string;
  readonly toDt?: string;
}

/** @example const files = await new PgManifestReader(pool).listFiles({ source: 'web' }); */
export class PgManifestReader {
  constructor(private readonly pool: pg.Pool) {}

  async listFiles(filter: LakeFileFilter = {}): Promise<LakeFileRow[]> {
    const result = await this.pool.query<{
      key: string; source: string; event_type: string; dt: string; hour: number; record_count: number; byte_size: string;
    }>(
      `SELECT key, source, event_type, to_char(dt, 'YYYY-MM-DD') AS dt, hour, record_count, byte_size
         FROM lake_files
        WHERE ($1::text IS NULL OR source = $1)
          AND ($2::text IS NULL OR event_type = $2)
          AND ($3::date IS NULL OR dt >= $3)
          AND ($4::date IS NULL OR dt <= $4)
        ORDER BY dt, hour, key`,
      [filter.source ?? null, filter.eventType ?? null, filter.fromDt ?? null, filter.toDt ?? null],
    );
    return result.rows.map((r) => ({
      key: r.key,
      source: r.source,
      eventType: r.event_type,
      dt: r.dt,
      hour: r.hour,
      recordCount: r.record_count,
      byteSize: Number(r.byte_size),
    }));
  }
}
