import type { KinesisStreamEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { decodeBatch, selectFresh } from '../../../shared/ingest/decode-batch.js';
import { planLakeFiles } from '../../../shared/ingest/plan-lake-files.js';
import { SchemaRegistry } from '../../../shared/schema/schema-registry.js';
import { exampleSchemas, ListSchemaSource } from '../../support/schemas.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { pageView, purchase } from '../../support/events.js';

const mixed = JSON.parse(readFileSync('test/fixtures/kinesis/mixed-batch.json', 'utf8')) as KinesisStreamEvent;
const FIVE_MINUTES = 300_000;
let registry: SchemaRegistry;

beforeAll(async () => {
  registry = new SchemaRegistry(new ListSchemaSource(exampleSchemas()));
  await registry.reload();
});

describe('selectFresh', () => {
  const records = sourceRecordsFromKinesis(kinesisEvent([{ json: 1 }, { json: 2 }, { json: 3 }], { firstSeq: 1 }));

  it('keeps every record when the shard has no checkpoint', () => {
    expect(selectFresh(records, null)).toEqual({ fresh: records, skipped: 0 });
  });

  it('drops records at or below the checkpoint', () => {
    const { fresh, skipped } = selectFresh(records, records[1]!.seq);
    expect(fresh.map((r) => r.seq)).toEqual([records[2]!.seq]);
    expect(skipped).toBe(2);
  });
});

describe('decodeBatch on the mixed fixture', () => {
  const records = sourceRecordsFromKinesis(mixed);
  const decoded = decodeBatch(records);

  it('decodes JSON, NDJSON and gzip records into envelopes with their sub-index', () => {
    expect(decoded.events.map((e) => e.eventId)).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5', 'evt-6', 'evt-7', 'evt-9']);
    expect(decoded.events.find((e) => e.eventId === 'evt-3')).toMatchObject({ subIndex: 1, seq: records[1]!.seq });
  });

  it('quarantines bad base64 and a bad NDJSON line with reasons, keeping the good line', () => {
    expect(decoded.quarantined.map((q) => [q.record.seq, q.subIndex, q.code])).toEqual([
      [records[4]!.seq, 0, 'bad_base64'],
      [records[5]!.seq, 1, 'bad_json'],
    ]);
    expect(decoded.quarantined[1]!.fragment).toBe('{"event_id": "evt-8", oops}');
    expect(decoded.quarantined.every((q) => q.reason.length > 0)).toBe(true);
  });
});

describe('planLakeFiles', () => {
  it('quarantines schema violations and counts late events on the mixed fixture', () => {
    const { events } = decodeBatch(sourceRecordsFromKinesis(mixed));
    const plan = planLakeFiles(events, registry, { shardKey: 'lambda-stream.shardId-000000000001', lateThresholdMs: FIVE_MINUTES });
    expect(plan.quarantined).toHaveLength(1);
    expect(plan.quarantined[0]).toMatchObject({ code: 'schema_violation', source: 'web' });
    expect(plan.quarantined[0]!.reason).toMatch(/page_view v1: event\/country must match pattern/);
    expect(plan.files).toHaveLength(1);
    const [file] = plan.files;
    expect(file!.events).toHaveLength(7);
    // arrival 22:10:50.987; events at 22:01..22:05 are more than 5 minutes old
    expect(file!.lateCount).toBe(5);
    expect(file!.key).toBe(
      'events/source=web/event_type=page_view/dt=2018-12-17/hour=22/lambda-stream.shardId-000000000001-' +
        '49590338271490256608559692538361571095921575989136500001-49590338271490256608559692538361571095921575989136500006.parquet',
    );
  });

  it('writes one file per source, type and event hour, named by its own sequence range', () => {
    const event = kinesisEvent(
      [
        { json: pageView({ ts: '2026-11-26T09:59:59Z' }) },
        { json: purchase({ ts: '2026-11-26T09:30:00Z' }) },
        { json: pageView({ ts: '2026-11-26T10:00:00Z' }) },
        { json: pageView({ ts: '2026-11-26T09:00:00Z' }) },
      ],
      { firstSeq: 10, arrivalTs: Date.parse('2026-11-26T10:00:01Z') },
    );
    const { events } = decodeBatch(sourceRecordsFromKinesis(event));
    const plan = planLakeFiles(events, registry, { shardKey: 'k', lateThresholdMs: FIVE_MINUTES });
    const summary = plan.files.map((f) => [f.partition.source, f.partition.eventType, f.partition.hour, f.events.length, f.lateCount]);
    expect(summary).toEqual([
      ['web', 'page_view', '09', 2, 1], // 09:59:59 arrived 2 s later: on time
      ['shop', 'purchase', '09', 1, 1],
      ['web', 'page_view', '10', 1, 0],
    ]);
    expect(plan.files[0]!.key).toMatch(/-\d*0010-\d*0013\.parquet$/);
    expect(plan.files[0]!.columns.map((c) => c.name)).toEqual(['user_id', 'session_id', 'url', 'referrer', 'country', 'duration_ms']);
  });

  it('quarantines events of unregistered types with the type in the reason', () => {
    const { events } = decodeBatch(sourceRecordsFromKinesis(kinesisEvent([{ json: pageView({ event_type: 'signup' }) }])));
    const plan = planLakeFiles(events, registry, { shardKey: 'k', lateThresholdMs: FIVE_MINUTES });
    expect(plan.files).toHaveLength(0);
    expect(plan.quarantined[0]).toMatchObject({ code: 'unknown_schema', reason: 'schema signup v1 is not registered' });
    expect(JSON.parse(plan.quarantined[0]!.fragment!)).toMatchObject({ event_type: 'signup', url: 'https://example.com/' });
  });
});
