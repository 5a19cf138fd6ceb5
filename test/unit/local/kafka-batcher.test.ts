import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaRecord } from '../../../shared/envelope/kafka.js';
import { KafkaBatcher, type PartitionOffset } from '../../../shared/local/kafka-batcher.js';
import type { SelfManagedKafkaLambdaEvent } from '../../../shared/local/kafka-lambda-event.js';
import type { BatchLogEntry } from '../../../shared/local/kinesis-event-source.js';
import type { InvokeResult, LambdaInvoker } from '../../../shared/local/lambda-invoker.js';

const FUNCTION = 'event-lake-dev-ingestKafka';

/** Records of one partition with consecutive offsets. */
function records(topic: string, partition: number, firstOffset: number, count: number): KafkaRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic,
    partition,
    offset: firstOffset + i,
    timestamp: 1795684503000 + i,
    timestampType: 'CREATE_TIME' as const,
    key: null,
    value: Buffer.from(`{"n":${i}}`).toString('base64'),
    headers: [],
  }));
}

/** An invoker answering from a script (then ok), and a commit log that notes how many invocations preceded each commit. */
function harness(results: InvokeResult[] = [], config: { batchSize?: number; batchWindowSeconds?: number } = {}) {
  const invocations: SelfManagedKafkaLambdaEvent[] = [];
  const commits: { offsets: readonly PartitionOffset[]; afterInvocations: number }[] = [];
  const log: BatchLogEntry[] = [];
  const invoker: LambdaInvoker = {
    invoke: async (name, event) => {
      expect(name).toBe(FUNCTION);
      invocations.push(structuredClone(event as SelfManagedKafkaLambdaEvent));
      return results.shift() ?? { ok: true, payload: null };
    },
  };
  const batcher = new KafkaBatcher(
    { functionKey: 'ingestKafka', functionName: FUNCTION, brokers: ['127.0.0.1:9092'], batchSize: config.batchSize ?? 100, batchWindowSeconds: config.batchWindowSeconds ?? 0 },
    {
      invoker,
      commit: async (offsets) => void commits.push({ offsets, afterInvocations: invocations.length }),
      log: (entry) => log.push(entry),
      retryBaseDelayMs: 5,
    },
  );
  running.push(batcher);
  batcher.start();
  return { batcher, invocations, commits, log };
}

const running: KafkaBatcher[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.stop()));
});

const failed: InvokeResult = { ok: false, error: 'ShardsFailedError: 1 partition failed' };

describe('KafkaBatcher (the local Kafka mapping without a broker)', () => {
  it('invokes with the self-managed event and commits each partition at its last offset + 1 after the success', async () => {
    const { batcher, invocations, commits } = harness([], { batchWindowSeconds: 0.05 });
    const a = batcher.enqueue(records('events', 0, 10, 3));
    const b = batcher.enqueue(records('events', 2, 7, 2));
    expect(await a.done).toBe(true);
    expect(await b.done).toBe(true);
    expect(invocations).toHaveLength(1);
    expect(invocations[0]!.eventSource).toBe('SelfManagedKafka');
    expect(invocations[0]!.bootstrapServers).toBe('127.0.0.1:9092');
    expect(Object.keys(invocations[0]!.records)).toEqual(['events-0', 'events-2']);
    expect(commits).toEqual([
      {
        offsets: [
          { topic: 'events', partition: 0, offset: '13' },
          { topic: 'events', partition: 2, offset: '9' },
        ],
        afterInvocations: 1,
      },
    ]);
  });

  it('retries a failed invocation whole, from the same offsets, with no limit, and commits only after it succeeds', async () => {
    const { batcher, invocations, commits, log } = harness([failed, failed, failed, { ok: false, error: 'Invoke failed: ECONNREFUSED' }]);
    expect(await batcher.enqueue(records('events', 1, 40, 5)).done).toBe(true);
    expect(invocations).toHaveLength(5);
    for (const event of invocations) expect(event).toEqual(invocations[0]);
    expect(commits).toEqual([{ offsets: [{ topic: 'events', partition: 1, offset: '45' }], afterInvocations: 5 }]);
    expect(log.map((l) => l.outcome)).toEqual(['error', 'error', 'error', 'error', 'ok']);
    expect(log[0]).toMatchObject({ functionKey: 'ingestKafka', source: 'events-1', records: 5, detail: `${(failed as { error: string }).error}; retry 1` });
  });

  it('cuts batches at the batch size and keeps each partition in offset order across them', async () => {
    const { batcher, invocations, commits } = harness([], { batchSize: 100 });
    expect(await batcher.enqueue(records('events', 0, 0, 250)).done).toBe(true);
    expect(invocations.map((e) => e.records['events-0']!.length)).toEqual([100, 100, 50]);
    expect(invocations.flatMap((e) => e.records['events-0']!.map((r) => r.offset))).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(commits.map((c) => c.offsets[0]!.offset)).toEqual(['100', '200', '250']);
  });

  it('waits for the batching window to gather records of several partitions into one invocation', async () => {
    const { batcher, invocations } = harness([], { batchWindowSeconds: 0.3 });
    const first = batcher.enqueue(records('events', 0, 0, 1));
    await new Promise((r) => setTimeout(r, 100));
    const second = batcher.enqueue(records('clicks', 4, 0, 1));
    expect(invocations).toHaveLength(0);
    await Promise.all([first.done, second.done]);
    expect(invocations).toHaveLength(1);
    expect(Object.keys(invocations[0]!.records)).toEqual(['events-0', 'clicks-4']);
  });

  it('on stop gives a failing batch back uncommitted, so the next start reads it again', async () => {
    const { batcher, invocations, commits } = harness(Array.from({ length: 1000 }, () => failed));
    const delivery = batcher.enqueue(records('events', 0, 0, 3));
    await expect.poll(() => invocations.length).toBeGreaterThanOrEqual(2);
    await batcher.stop();
    expect(await delivery.done).toBe(false);
    expect(commits).toEqual([]);
  });

  it('gives back withdrawn records (a rebalance took their partition) without invoking them', async () => {
    const { batcher, invocations } = harness([], { batchWindowSeconds: 10 });
    const delivery = batcher.enqueue(records('events', 0, 0, 3));
    delivery.withdraw();
    expect(await delivery.done).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(invocations).toEqual([]);
  });

  it('counts a batch whose commit failed as delivered and says so in the log', async () => {
    const log: BatchLogEntry[] = [];
    const batcher = new KafkaBatcher(
      { functionKey: 'ingestKafka', functionName: FUNCTION, brokers: ['k:9092'], batchSize: 10, batchWindowSeconds: 0 },
      {
        invoker: { invoke: async () => ({ ok: true, payload: null }) },
        commit: async () => {
          throw new Error('The coordinator is not aware of this member');
        },
        log: (entry) => log.push(entry),
      },
    );
    running.push(batcher);
    batcher.start();
    expect(await batcher.enqueue(records('events', 0, 0, 1)).done).toBe(true);
    expect(log.map((l) => l.outcome)).toEqual(['error', 'ok']);
    expect(log[0]!.detail).toMatch(/committing offsets failed \(redelivered later\): The coordinator is not aware/);
  });
});
