import { describe, expect, it } from 'vitest';
import { lakeFileKey, parseLakeFileKey, quarantineKey, shardKeyOf } from '../../../shared/lake/object-keys.js';
import { isLate, partitionKeyFor } from '../../../shared/lake/partition.js';
import { findOrphans } from '../../../shared/lake/find-orphans.js';

describe('partitionKeyFor', () => {
  it('partitions by UTC date and hour of event time', () => {
    expect(partitionKeyFor({ source: 'web', eventType: 'page_view', eventTs: Date.parse('2026-11-26T23:59:59.999+00:00') })).toEqual({
      source: 'web',
      eventType: 'page_view',
      dt: '2026-11-26',
      hour: '23',
    });
    // 01:30 at +02:00 is the previous day in UTC
    expect(partitionKeyFor({ source: 'web', eventType: 'x', eventTs: Date.parse('2026-11-27T01:30:00+02:00') })).toMatchObject({
      dt: '2026-11-26',
      hour: '23',
    });
  });
});

describe('isLate', () => {
  it('counts events older than the threshold at arrival as late', () => {
    expect(isLate({ eventTs: 0, arrivalTs: 300_001 }, 300_000)).toBe(true);
    expect(isLate({ eventTs: 0, arrivalTs: 300_000 }, 300_000)).toBe(false);
    expect(isLate({ eventTs: 10, arrivalTs: 0 }, 300_000)).toBe(false);
  });
});

describe('lake keys', () => {
  const partition = { source: 'web', eventType: 'page_view', dt: '2026-11-26', hour: '09' };

  it('follows the Hive layout with shard and sequence range in the file name', () => {
    const key = lakeFileKey(partition, shardKeyOf('events', 'shardId-000000000001'), '100', '200');
    expect(key).toBe('events/source=web/event_type=page_view/dt=2026-11-26/hour=09/events.shardId-000000000001-100-200.parquet');
    expect(parseLakeFileKey(key)).toEqual(partition);
    expect(parseLakeFileKey('events/other.parquet')).toBeUndefined();
  });

  it('makes Kafka topic-partitions key-safe', () => {
    expect(shardKeyOf('msk', 'orders/v1-3')).toBe('msk.orders_v1-3');
  });

  it('puts quarantine objects under their own prefix by arrival date', () => {
    expect(quarantineKey('events', '2026-11-26', 'events.shardId-1', '1', '9')).toBe(
      'quarantine/stream=events/dt=2026-11-26/events.shardId-1-1-9.ndjson',
    );
  });
});

describe('findOrphans', () => {
  it('finds listed files missing from the manifest once past the grace period', () => {
    const now = 10_000_000;
    const listed = [
      { key: 'a', lastModified: new Date(now - 7_200_000) },
      { key: 'b', lastModified: new Date(now - 7_200_000) },
      { key: 'c', lastModified: new Date(now - 60_000) },
    ];
    expect(findOrphans(listed, new Set(['a']), { now, graceMs: 3_600_000 }).map((o) => o.key)).toEqual(['b']);
  });
});
