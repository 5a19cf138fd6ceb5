import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../../shared/envelope/types.js';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import { planLakeFiles } from '../../../shared/ingest/plan-lake-files.js';
import { EXPECTED_QUARANTINE_CODE, MALFORMED_KINDS, type MalformedKind } from '../../../shared/producer/malformed-events.js';
import { seededRandom } from '../../../shared/producer/synthetic-events.js';
import { TrafficPlan, type PlannedRecord } from '../../../shared/producer/traffic-plan.js';
import { SchemaRegistry } from '../../../shared/schema/schema-registry.js';
import { exampleSchemas, ListSchemaSource } from '../../support/schemas.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0);
const MINUTE = 60_000;

function plan(count: number, options: ConstructorParameters<typeof TrafficPlan>[1] = {}, seed = 42): PlannedRecord[] {
  const traffic = new TrafficPlan(seededRandom(seed), options);
  return Array.from({ length: count }, () => traffic.next(NOW));
}

function lines(record: PlannedRecord, gzip = false): string[] {
  const text = (gzip ? gunzipSync(record.data) : record.data).toString('utf8');
  return text.split('\n').filter((l) => l !== '');
}

function asSourceRecords(records: readonly PlannedRecord[]): SourceRecord[] {
  return records.map((r, i) => ({
    origin: 'kinesis',
    stream: 'test',
    shard: 'shardId-000000000000',
    seq: String(1_000_000 + i),
    arrivalTs: NOW,
    dataBase64: r.data.toString('base64'),
  }));
}

let registry: SchemaRegistry;
beforeAll(async () => {
  registry = new SchemaRegistry(new ListSchemaSource(exampleSchemas()));
  await registry.reload();
});

describe('TrafficPlan shares', () => {
  const records = plan(10_000, { malformedShare: 0.05, lateShare: 0.1 });
  const share = (kind: string) => records.filter((r) => r.kind === kind).length / records.length;

  it('sends the configured shares of malformed and late records, the rest valid', () => {
    expect(share('malformed')).toBeGreaterThan(0.04);
    expect(share('malformed')).toBeLessThan(0.06);
    expect(share('late')).toBeGreaterThan(0.09);
    expect(share('late')).toBeLessThan(0.11);
    expect(share('valid')).toBeCloseTo(0.85, 1);
  });

  it('sends every kind of malformed record, each a fair part of the malformed ones', () => {
    const byKind = new Map<MalformedKind, number>();
    for (const r of records) for (const k of r.malformed) byKind.set(k, (byKind.get(k) ?? 0) + 1);
    expect([...byKind.keys()].sort()).toEqual([...MALFORMED_KINDS].sort());
    for (const n of byKind.values()) expect(n).toBeGreaterThan(30);
  });

  it('uses the defaults of 1% malformed and 2% late', () => {
    const defaults = plan(10_000);
    expect(defaults.filter((r) => r.kind === 'malformed').length).toBeGreaterThan(70);
    expect(defaults.filter((r) => r.kind === 'malformed').length).toBeLessThan(130);
    expect(defaults.filter((r) => r.kind === 'late').length).toBeGreaterThan(160);
    expect(defaults.filter((r) => r.kind === 'late').length).toBeLessThan(240);
  });

  it('is repeatable for a seed and differs across seeds', () => {
    expect(plan(50).map((r) => r.data.toString())).toEqual(plan(50).map((r) => r.data.toString()));
    expect(plan(50, {}, 1).map((r) => r.data.toString())).not.toEqual(plan(50, {}, 2).map((r) => r.data.toString()));
  });

  it('rejects shares outside 0-1 and more than 1 together', () => {
    expect(() => new TrafficPlan(Math.random, { malformedShare: 1.5 })).toThrow(/malformedShare/);
    expect(() => new TrafficPlan(Math.random, { lateShare: 0.6, malformedShare: 0.6 })).toThrow(/exceed 1/);
    expect(() => new TrafficPlan(Math.random, { eventsPerRecord: 0 })).toThrow(/eventsPerRecord/);
  });
});

describe('TrafficPlan records', () => {
  const records = plan(2_000, { malformedShare: 0.05, lateShare: 0.1 });

  it('makes valid and late records JSON events with the contract fields and a known schema', () => {
    for (const record of records.filter((r) => r.kind !== 'malformed')) {
      const event = JSON.parse(record.data.toString('utf8')) as Record<string, unknown>;
      expect(event).toMatchObject({ event_id: expect.any(String), source: expect.any(String), schema_version: 1 });
      expect(['page_view', 'purchase']).toContain(event['event_type']);
      expect(record.partitionKey).toBe(event['user_id']);
      const age = NOW - Date.parse(String(event['ts']));
      if (record.kind === 'late') {
        expect(age).toBeGreaterThanOrEqual(10 * MINUTE);
        expect(age).toBeLessThanOrEqual(90 * MINUTE);
      } else {
        expect(age).toBeLessThan(MINUTE);
      }
    }
  });

  it('sizes events near 500 bytes', () => {
    const sizes = records.filter((r) => r.kind === 'valid').map((r) => r.data.length);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(450);
    expect(mean).toBeLessThan(600);
  });

  it('keys malformed records randomly rather than by a user', () => {
    const keys = records.filter((r) => r.kind === 'malformed').map((r) => r.partitionKey);
    expect(keys.every((k) => k.startsWith('malformed-'))).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is read by the pipeline as sent: good events reach the lake, each bad one is quarantined with its expected code', () => {
    const decoded = decodeBatch(asSourceRecords(records));
    const planned = planLakeFiles(decoded.events, registry, { shardKey: 'test.shard', lateThresholdMs: 5 * MINUTE });
    const quarantined = [...decoded.quarantined, ...planned.quarantined].sort((a, b) => Number(a.record.seq) - Number(b.record.seq));
    const expected = records.flatMap((r) => r.malformed.map((k) => EXPECTED_QUARANTINE_CODE[k]));
    expect(quarantined.map((q) => q.code)).toEqual(expected);

    const lake = planned.files.flatMap((f) => f.events);
    expect(lake).toHaveLength(records.filter((r) => r.kind !== 'malformed').length);
    const late = planned.files.reduce((n, f) => n + f.lateCount, 0);
    expect(late).toBe(records.filter((r) => r.kind === 'late').length);
  });
});

describe('TrafficPlan packing', () => {
  it('packs K events per record as NDJSON lines, counting each line by kind', () => {
    const records = plan(500, { eventsPerRecord: 10, malformedShare: 0.05, lateShare: 0.1 });
    for (const record of records) {
      const text = lines(record);
      expect(text).toHaveLength(10);
      expect(record.events.valid + record.events.late + record.events.malformed).toBe(10);
      expect(record.malformed).toHaveLength(record.events.malformed);
      const parsed = text.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      const good = parsed.filter((e) => typeof e === 'object' && e !== null && ['page_view', 'purchase'].includes(String(e['event_type'])));
      expect(good.length).toBeGreaterThanOrEqual(record.events.valid + record.events.late);
      expect(record.kind).toBe(record.events.malformed > 0 ? 'malformed' : record.events.late > 0 ? 'late' : 'valid');
    }
    const total = records.reduce((n, r) => n + r.events.malformed, 0);
    expect(total / 5_000).toBeGreaterThan(0.035);
    expect(total / 5_000).toBeLessThan(0.065);
  });

  it('gzips records so that they inflate to the same text as unzipped ones', () => {
    const plain = plan(200, { eventsPerRecord: 5 });
    const zipped = plan(200, { eventsPerRecord: 5, gzip: true });
    expect(zipped.map((r) => lines(r, true))).toEqual(plain.map((r) => lines(r)));
    expect(zipped.every((r) => r.data[0] === 0x1f && r.data[1] === 0x8b)).toBe(true);
    expect(zipped.reduce((n, r) => n + r.data.length, 0)).toBeLessThan(plain.reduce((n, r) => n + r.data.length, 0) / 2);
  });

  it('gzips single events too', () => {
    const [record] = plan(1, { gzip: true });
    expect(JSON.parse(gunzipSync(record!.data).toString('utf8'))).toHaveProperty('event_id');
  });

  it('is decoded by the pipeline into the same events, packed and gzipped or not', () => {
    const packed = plan(300, { eventsPerRecord: 7, gzip: true, malformedShare: 0.05, lateShare: 0.1 });
    const decoded = decodeBatch(asSourceRecords(packed));
    const planned = planLakeFiles(decoded.events, registry, { shardKey: 'test.shard', lateThresholdMs: 5 * MINUTE });
    const goodEvents = packed.reduce((n, r) => n + r.events.valid + r.events.late, 0);
    const badEvents = packed.reduce((n, r) => n + r.events.malformed, 0);
    expect(planned.files.reduce((n, f) => n + f.events.length, 0)).toBe(goodEvents);
    expect(decoded.quarantined.length + planned.quarantined.length).toBe(badEvents);
  });
});
