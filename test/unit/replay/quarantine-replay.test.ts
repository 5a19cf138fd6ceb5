// replayQuarantine's decisions over in-memory ports: the events of quarantined Kafka records
// come back with their record's key and headers, and the size limit is checked on what is
// sent (escaped line, attribute included), so a run never fails on a row it let through.
import { describe, expect, it } from 'vitest';
import { sourceRecordAttributeBytes } from '../../../shared/envelope/sqs.js';
import { sourceRecordsFromKafka } from '../../../shared/envelope/kafka.js';
import { writeQuarantine } from '../../../shared/ingest/batch-writes.js';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import type { LakeObjectWriter } from '../../../shared/ingest/ports.js';
import type { QuarantineLedger, QuarantineObjects, QuarantinePage, QuarantineRow } from '../../../shared/replay/ports.js';
import { replayQuarantine } from '../../../shared/replay/quarantine-replay.js';
import { SchemaRegistry } from '../../../shared/schema/schema-registry.js';
import type { QueueMessage, RecordQueue } from '../../../shared/webhook/ports.js';
import { kafkaEvent } from '../../support/kafka-events.js';
import { exampleSchemas, ListSchemaSource } from '../../support/schemas.js';

const ARRIVAL = Date.UTC(2026, 10, 26, 10);
const SIGNUP_SCHEMA = { eventType: 'signup', version: 1, jsonSchema: { type: 'object', required: ['plan'], properties: { plan: { type: 'string' } } } };
const MAX_BODY = 400;
const signup = (id: string, plan: string) => ({ event_id: id, event_type: 'signup', source: 'shop', ts: ARRIVAL - 1000, plan });

/** The quarantine object and rows the ingest wrote, kept in memory. */
class MemoryQuarantine implements LakeObjectWriter, QuarantineObjects, QuarantineLedger {
  readonly texts = new Map<string, string>();
  rows: (QuarantineRow & { replayed: boolean })[] = [];
  async putObject(key: string, body: Uint8Array): Promise<void> {
    this.texts.set(key, Buffer.from(body).toString('utf8'));
  }
  async readText(key: string): Promise<string | undefined> {
    return this.texts.get(key);
  }
  async lastId(): Promise<string> {
    return String(this.rows.length);
  }
  async pendingPage(page: QuarantinePage): Promise<QuarantineRow[]> {
    return this.rows.filter((r) => !r.replayed && Number(r.id) > Number(page.afterId) && Number(r.id) <= Number(page.throughId)).slice(0, page.limit);
  }
  async markReplayed(ids: readonly string[]): Promise<number> {
    const marked = this.rows.filter((r) => ids.includes(r.id) && !r.replayed);
    for (const r of marked) r.replayed = true;
    return marked.length;
  }
}

class CapturingQueue implements RecordQueue {
  readonly messages: QueueMessage[] = [];
  async enqueue(messages: readonly QueueMessage[]): Promise<void> {
    this.messages.push(...messages);
  }
}

/** Quarantines the events of a Kafka batch as an outage of the signup schema would. */
async function quarantinedKafkaBatch(plans: readonly string[]): Promise<MemoryQuarantine> {
  const event = kafkaEvent({ 0: plans.map((plan, i) => ({ json: signup(`s-${i}`, plan) })) }, { topic: 'orders', timestamp: ARRIVAL });
  for (const record of Object.values(event.records).flat()) {
    record.headers = [{ trace: [...Buffer.from(`t-${record.offset}`)] }];
  }
  const decoded = decodeBatch(sourceRecordsFromKafka(event));
  const store = new MemoryQuarantine();
  const items = decoded.events.map((e) => ({ record: e.record, subIndex: e.subIndex, source: e.source, code: 'unknown_schema', reason: 'schema signup v1 is not registered', fragment: null }));
  const entries = await writeQuarantine(items, store, () => 'quarantine/orders.ndjson');
  store.rows = entries.map((e, i) => ({ ...e, id: String(i + 1), objectLine: e.line, replayed: false }));
  return store;
}

async function replay(store: MemoryQuarantine, queue: CapturingQueue) {
  const schemas = new SchemaRegistry(new ListSchemaSource([...exampleSchemas(), SIGNUP_SCHEMA]));
  return replayQuarantine({ ledger: store, objects: store, schemas, queue }, { dryRun: false, maxMessageBodyBytes: MAX_BODY });
}

describe('replayQuarantine', () => {
  it('sends each event with the key and headers of the Kafka record it came in', async () => {
    const store = await quarantinedKafkaBatch(['pro', 'team']);
    const queue = new CapturingQueue();
    expect(await replay(store, queue)).toMatchObject({ scanned: 2, replayed: 2, messages: 2, stillFailing: 0 });
    expect(queue.messages.map((m) => [JSON.parse(m.body).event_id, m.original, m.receivedAt])).toEqual([
      ['s-0', { key: 'key-0', headersJson: '{"trace":"t-0"}' }, ARRIVAL],
      ['s-1', { key: 'key-1', headersJson: '{"trace":"t-1"}' }, ARRIVAL],
    ]);
  });

  it('refuses, row by row and before sending, an event too large once escaped for SQS and sent beside its key and headers', async () => {
    const baseBytes = Buffer.byteLength(JSON.stringify(signup('s-0', '')));
    const room = MAX_BODY - sourceRecordAttributeBytes({ key: 'key-0', headersJson: '{"trace":"t-0"}' });
    // Fits as stored (3 bytes per U+FFFF) but not as sent (the 6-byte escape \uffff).
    const wide = '\uffff'.repeat(Math.floor((room - baseBytes) / 3));
    expect(baseBytes + Buffer.byteLength(wide)).toBeLessThanOrEqual(room);
    const store = await quarantinedKafkaBatch([wide, 'pro']);
    const queue = new CapturingQueue();
    const report = await replay(store, queue);
    expect(report).toMatchObject({ scanned: 2, replayed: 1, stillFailing: 1 });
    expect(report.failures).toEqual([expect.objectContaining({ code: 'record_too_large', reason: expect.stringContaining('as sent') })]);
    expect(queue.messages.map((m) => JSON.parse(m.body).event_id)).toEqual(['s-1']);
    expect(store.rows.map((r) => r.replayed)).toEqual([false, true]);
  });
});
