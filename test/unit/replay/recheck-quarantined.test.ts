// Recovering quarantined events from the objects the ingest writes, and rechecking them
// against the contract and the schemas registered now.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sourceRecordsFromKafka, type KafkaEvent } from '../../../shared/envelope/kafka.js';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { writeQuarantine } from '../../../shared/ingest/batch-writes.js';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import { planLakeFiles } from '../../../shared/ingest/plan-lake-files.js';
import type { LakeObjectWriter } from '../../../shared/ingest/ports.js';
import type { QuarantineRow } from '../../../shared/replay/ports.js';
import { quarantinedRecords, recordKeyOf } from '../../../shared/replay/quarantine-object.js';
import { recheckQuarantined } from '../../../shared/replay/recheck-quarantined.js';
import { SchemaRegistry } from '../../../shared/schema/schema-registry.js';
import { pageView } from '../../support/events.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { exampleSchemas, ListSchemaSource } from '../../support/schemas.js';

const ARRIVAL = Date.UTC(2026, 10, 26, 10);
const signup = (id: string) => ({ event_id: id, event_type: 'signup', source: 'web', ts: ARRIVAL - 1000, plan: 'pro' });
const SIGNUP_SCHEMA = { eventType: 'signup', version: 1, jsonSchema: { type: 'object', required: ['plan'], properties: { plan: { type: 'string' } } } };

/** Captures what the ingest writes, so the tests read the real quarantine format. */
class CapturedObjects implements LakeObjectWriter {
  readonly texts = new Map<string, string>();
  async putObject(key: string, body: Uint8Array): Promise<void> {
    this.texts.set(key, Buffer.from(body).toString('utf8'));
  }
}

let schemas: ListSchemaSource;
let registry: SchemaRegistry;
let rows: QuarantineRow[];
let objectText: string;
const signupLines = [JSON.stringify(signup('s-1')), JSON.stringify(signup('s-2'))];

beforeAll(async () => {
  schemas = new ListSchemaSource(exampleSchemas());
  registry = new SchemaRegistry(schemas);
  await registry.reload();
  const records = sourceRecordsFromKinesis(
    kinesisEvent(
      [
        { text: [JSON.stringify(pageView()), ...signupLines].join('\n') },
        { json: pageView({ country: 'germany' }) },
        { text: '{"event_id": broken' },
      ],
      { arrivalTs: ARRIVAL },
    ),
  );
  const decoded = decodeBatch(records);
  const plan = planLakeFiles(decoded.events, registry, { shardKey: 'test', lateThresholdMs: 300_000 });
  const objects = new CapturedObjects();
  const entries = await writeQuarantine([...decoded.quarantined, ...plan.quarantined], objects, () => 'quarantine/test.ndjson');
  objectText = objects.texts.get('quarantine/test.ndjson')!;
  rows = entries.map((e, i) => ({ ...e, id: String(i + 1), objectLine: e.line }));
});

const rowOf = (code: string, subIndex = 0) => rows.find((r) => r.code === code && r.subIndex === subIndex)!;

describe('quarantinedRecords', () => {
  it('finds the raw record of every row, though only the first line of a record carries it', () => {
    const lines = objectText.trim().split('\n').map((l) => JSON.parse(l) as { seq: string; subIndex: number; data: string | null });
    const [first, second] = [rowOf('unknown_schema', 1), rowOf('unknown_schema', 2)];
    expect(lines[second.objectLine]!.data).toBeNull();
    expect(lines[first.objectLine]!.data).not.toBeNull();
    const records = quarantinedRecords(objectText);
    expect(records.get(recordKeyOf(second))).toEqual({ dataBase64: lines[first.objectLine]!.data, key: 'pk-0' });
    expect(records.size).toBe(3);
  });

  it('skips damaged lines instead of failing the whole object, and reads objects written before keys were kept', () => {
    const records = quarantinedRecords(`{"stream":"s","shard":"0","seq":"1","data":"e30="}\n{half a line\n`);
    expect([...records.values()]).toEqual([{ dataBase64: 'e30=' }]);
  });
});

describe('recheckQuarantined', () => {
  it('keeps an event of an unregistered type failing, then passes it with its original line once the schema exists', async () => {
    const row = rowOf('unknown_schema', 2);
    expect(recheckQuarantined(row, quarantinedRecords(objectText), registry)).toEqual({
      ok: false,
      code: 'unknown_schema',
      reason: 'schema signup v1 is not registered',
    });
    const fixed = new SchemaRegistry(new ListSchemaSource([...exampleSchemas(), SIGNUP_SCHEMA]));
    await fixed.reload();
    const verdict = recheckQuarantined(row, quarantinedRecords(objectText), fixed);
    expect(verdict).toMatchObject({ ok: true, line: signupLines[1], event: { eventId: 's-2', source: 'web', arrivalTs: ARRIVAL, subIndex: 2 } });
  });

  it('gives the replayed event the key and headers of the Kafka record it came in', async () => {
    const kafka = JSON.parse(readFileSync('test/fixtures/kafka/msk-event.json', 'utf8')) as KafkaEvent;
    const records = sourceRecordsFromKafka(kafka);
    const withHeaders = records.find((r) => r.headersJson !== undefined && r.headersJson !== '{}' && r.key !== undefined)!;
    expect(withHeaders).toBeDefined();
    // The fixture's events are valid; quarantine them as a schema outage would.
    const items = decodeBatch([withHeaders]).events.map((e) => ({ record: e.record, subIndex: e.subIndex, source: e.source, code: 'unknown_schema', reason: 'outage', fragment: null }));
    const objects = new CapturedObjects();
    const [entry] = await writeQuarantine(items, objects, () => 'quarantine/kafka.ndjson');
    const verdict = recheckQuarantined({ ...entry!, id: '1', objectLine: entry!.line }, quarantinedRecords(objects.texts.get('quarantine/kafka.ndjson')!), registry);
    expect(verdict).toMatchObject({ ok: true, event: { record: { key: withHeaders.key, headersJson: withHeaders.headersJson } } });
  });

  it('reports what still fails with the ingest’s own codes and reasons', () => {
    const records = quarantinedRecords(objectText);
    expect(recheckQuarantined(rowOf('schema_violation'), records, registry)).toMatchObject({ ok: false, code: 'schema_violation', reason: expect.stringMatching(/country must match pattern/) });
    expect(recheckQuarantined(rowOf('bad_json'), records, registry)).toMatchObject({ ok: false, code: 'bad_json' });
  });

  it('never replays a Kafka tombstone, and says so when the raw record is gone', () => {
    const row = rowOf('bad_json');
    expect(recheckQuarantined({ ...row, code: 'tombstone' }, quarantinedRecords(objectText), registry)).toMatchObject({ ok: false, code: 'tombstone' });
    expect(recheckQuarantined(row, undefined, registry)).toMatchObject({ ok: false, code: 'object_missing', reason: expect.stringContaining('quarantine/test.ndjson') });
    expect(recheckQuarantined({ ...row, seq: '1' }, quarantinedRecords(objectText), registry)).toMatchObject({ ok: false, code: 'data_missing' });
  });
});
