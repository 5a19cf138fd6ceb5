import type { Batch, EachBatchPayload } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaBatcher } from '../../../shared/local/kafka-batcher.js';
import { deliverPartitionBatch, kafkaStatusOf } from '../../../shared/local/kafka-event-source.js';
import type { ConsumedKafkaMessage } from '../../../shared/local/kafka-lambda-event.js';
import type { InvokeResult } from '../../../shared/local/lambda-invoker.js';

const HEARTBEAT_MS = 10;

/** What kafkajs passes to eachBatch for offsets 5..7 of events-0, recording what the source calls back. */
function payload(options: { running?: () => boolean; stale?: () => boolean; heartbeat?: () => Promise<void> } = {}) {
  const messages: ConsumedKafkaMessage[] = [5, 6, 7].map((offset) => ({
    key: null,
    value: Buffer.from(`{"n":${offset}}`),
    timestamp: '1795684503000',
    attributes: 0,
    offset: String(offset),
    headers: {},
  }));
  const calls = { resolved: [] as string[], heartbeats: 0 };
  const p: Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale'> = {
    batch: { topic: 'events', partition: 0, messages } as unknown as Batch,
    resolveOffset: (offset) => void calls.resolved.push(offset),
    heartbeat: async () => {
      calls.heartbeats += 1;
      await options.heartbeat?.();
    },
    isRunning: options.running ?? (() => true),
    isStale: options.stale ?? (() => false),
  };
  return { payload: p, calls };
}

const batchers: KafkaBatcher[] = [];
function batcherAnswering(answer: () => InvokeResult) {
  const commits: string[] = [];
  const batcher = new KafkaBatcher(
    { functionKey: 'ingestKafka', functionName: 'f', brokers: ['k:9092'], batchSize: 100, batchWindowSeconds: 0 },
    { invoker: { invoke: async () => answer() }, commit: async (offsets) => void commits.push(...offsets.map((o) => o.offset)), retryBaseDelayMs: 5 },
  );
  batcher.start();
  batchers.push(batcher);
  return { batcher, commits };
}
afterEach(async () => {
  await Promise.all(batchers.splice(0).map((b) => b.stop()));
});

describe('deliverPartitionBatch (kafkajs eachBatch)', () => {
  it('moves the fetch position past the records only after their delivery, heartbeating while the function fails', async () => {
    let failures = 6;
    const { batcher, commits } = batcherAnswering(() => (failures-- > 0 ? { ok: false, error: 'boom' } : { ok: true, payload: null }));
    const { payload: p, calls } = payload();
    await deliverPartitionBatch(batcher, p, HEARTBEAT_MS);
    expect(calls.resolved).toEqual(['7']);
    expect(commits).toEqual(['8']);
    expect(calls.heartbeats).toBeGreaterThan(0);
  });

  it('gives the records back, unresolved and uncommitted, when the consumer stops or the partition is sought', async () => {
    for (const stop of [{ running: () => false }, { stale: () => true }]) {
      const { batcher, commits } = batcherAnswering(() => ({ ok: false, error: 'boom' }));
      const { payload: p, calls } = payload(stop);
      await deliverPartitionBatch(batcher, p, HEARTBEAT_MS);
      expect(calls.resolved).toEqual([]);
      expect(commits).toEqual([]);
    }
  });

  it('rethrows a rebalance from the heartbeat, so kafkajs rejoins, after giving the records back', async () => {
    const { batcher } = batcherAnswering(() => ({ ok: false, error: 'boom' }));
    const rebalance = Object.assign(new Error('The group is rebalancing, so a rejoin is needed'), { type: 'REBALANCE_IN_PROGRESS' });
    const { payload: p, calls } = payload({ heartbeat: async () => Promise.reject(rebalance) });
    await expect(deliverPartitionBatch(batcher, p, HEARTBEAT_MS)).rejects.toBe(rebalance);
    expect(calls.resolved).toEqual([]);
  });
});

describe('kafkaStatusOf', () => {
  it('says what is consumed where, for the ready line and stack.json', () => {
    const status = kafkaStatusOf({
      kind: 'kafka',
      functionKey: 'ingestKafka',
      functionName: 'event-lake-dev-ingestKafka',
      brokers: ['127.0.0.1:9092'],
      topics: ['events'],
      consumerGroupId: 'event-lake-dev-ingest-local',
      batchSize: 100,
      batchWindowSeconds: 0.5,
      startingPosition: 'TRIM_HORIZON',
      settingsFrom: 'defaults',
      enabled: true,
    });
    expect(status).toEqual({
      enabled: true,
      reason: 'on: events from 127.0.0.1:9092 → ingestKafka (group event-lake-dev-ingest-local, batch 100 / 0.5 s from defaults)',
      brokers: ['127.0.0.1:9092'],
      topics: ['events'],
      function: 'ingestKafka',
      consumerGroupId: 'event-lake-dev-ingest-local',
    });
    expect(kafkaStatusOf(undefined)).toEqual({ enabled: false, reason: 'off: set KAFKA_BROKERS to consume Kafka topics' });
  });
});
