// The one place that knows the S3 key layout of the lake and the quarantine. Keys derive
// only from the partition, the shard and the sequence range, so a retried batch overwrites
// its own files instead of adding new ones.
import type { LakePartition } from './partition.js';

/** Prefix of every lake data file. */
export const EVENTS_PREFIX = 'events/';
/** Prefix of every quarantine object. */
export const QUARANTINE_PREFIX = 'quarantine/';

/** Stream and shard as one key-safe token (two streams may both have `shardId-000000000000`). */
export function shardKeyOf(stream: string, shard: string): string {
  return `${stream}.${shard}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * The key of the Parquet file holding a shard's events of one partition between two sequence numbers.
 *
 * @example lakeFileKey({ source: 'web', eventType: 'page_view', dt: '2026-11-26', hour: '09' }, 's.shardId-0', '1', '9')
 * // 'events/source=web/event_type=page_view/dt=2026-11-26/hour=09/s.shardId-0-1-9.parquet'
 */
export function lakeFileKey(partition: LakePartition, shardKey: string, firstSeq: string, lastSeq: string): string {
  return lakeFileKeyOf(partition, shardFileStem(shardKey, firstSeq, lastSeq));
}

/**
 * The key of a lake file by its name without extension (the stem). A shard's files are named
 * by sequence range; the queue's, which has no order, by a digest of the events they hold.
 *
 * @example lakeFileKeyOf(partition, 'q.ingest-3f9a…') // 'events/source=…/hour=09/q.ingest-3f9a….parquet'
 */
export function lakeFileKeyOf(partition: LakePartition, stem: string): string {
  return (
    `${EVENTS_PREFIX}source=${partition.source}/event_type=${partition.eventType}` +
    `/dt=${partition.dt}/hour=${partition.hour}/${stem}.parquet`
  );
}

/** The file stem of a shard's batch: its shard key and sequence range. */
export function shardFileStem(shardKey: string, firstSeq: string, lastSeq: string): string {
  return `${shardKey}-${firstSeq}-${lastSeq}`;
}

/** The key of the NDJSON object holding the quarantined items of one batch, by arrival date. */
export function quarantineKey(stream: string, arrivalDt: string, shardKey: string, firstSeq: string, lastSeq: string): string {
  return quarantineKeyOf(stream, arrivalDt, shardFileStem(shardKey, firstSeq, lastSeq));
}

/** The key of a batch's quarantine object by its file stem (see {@link lakeFileKeyOf}). */
export function quarantineKeyOf(stream: string, arrivalDt: string, stem: string): string {
  return `${QUARANTINE_PREFIX}stream=${stream}/dt=${arrivalDt}/${stem}.ndjson`;
}

const LAKE_KEY = /^events\/source=([^/]+)\/event_type=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[^/]+\.parquet$/;

/** Reads the partition back from a lake key; undefined for keys outside the layout. */
export function parseLakeFileKey(key: string): LakePartition | undefined {
  const m = LAKE_KEY.exec(key);
  if (!m) return undefined;
  return { source: m[1]!, eventType: m[2]!, dt: m[3]!, hour: m[4]! };
}
