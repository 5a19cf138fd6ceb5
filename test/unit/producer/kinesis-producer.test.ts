// The producer's batching, retry and stop rules against a scripted PutRecords: failures are
// injected per entry, which no emulator can do (the integration test covers the real API).
import type { KinesisClient, PutRecordsCommand, PutRecordsOutput } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { fullJitterBackoff } from '../../../shared/producer/backoff.js';
import { ProducerError } from '../../../shared/producer/errors.js';
import {
  MAX_BYTES_PER_REQUEST,
  MAX_RECORDS_PER_REQUEST,
  produceToKinesis,
  type KinesisProducerOptions,
  type ProducerClock,
} from '../../../shared/producer/kinesis-producer.js';
import { formatSummaryLine } from '../../../shared/producer/producer-report.js';
import { seededRandom } from '../../../shared/producer/synthetic-events.js';
import { TrafficPlan, type PlannedRecord } from '../../../shared/producer/traffic-plan.js';

type Entry = { Data: Uint8Array; PartitionKey: string };
/** Decides each entry's fate: undefined for success, or an error code. */
type EntryOutcome = (entry: Entry, attempt: number) => string | undefined;

/** A PutRecords that records what it stored and fails entries as scripted. */
function scriptedKinesis(outcome: EntryOutcome = () => undefined, options: { latencyMs?: number; throwOn?: (call: number) => unknown } = {}) {
  const stored: Entry[] = [];
  const attempts = new Map<string, number>();
  const requestSizes: number[] = [];
  const requestBytes: number[] = [];
  let calls = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const client = {
    async send(command: PutRecordsCommand): Promise<PutRecordsOutput> {
      calls += 1;
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      try {
        if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
        const error = options.throwOn?.(calls);
        if (error) throw error;
        const entries = command.input.Records as Entry[];
        requestSizes.push(entries.length);
        requestBytes.push(entries.reduce((n, e) => n + e.Data.length + e.PartitionKey.length, 0));
        let failed = 0;
        const Records = entries.map((entry) => {
          const id = Buffer.from(entry.Data).toString('utf8');
          const attempt = (attempts.get(id) ?? 0) + 1;
          attempts.set(id, attempt);
          const code = outcome(entry, attempt);
          if (code) {
            failed += 1;
            return { ErrorCode: code, ErrorMessage: `${code} (scripted)` };
          }
          stored.push(entry);
          return { SequenceNumber: String(stored.length), ShardId: 'shardId-000000000000' };
        });
        return { FailedRecordCount: failed, Records };
      } finally {
        concurrent -= 1;
      }
    },
  };
  return {
    client: client as unknown as Pick<KinesisClient, 'send'>,
    stored,
    requestSizes,
    requestBytes,
    calls: () => calls,
    maxConcurrent: () => maxConcurrent,
  };
}

/** Virtual time: sleeping advances it at once, so backoff and pacing cost no real time. */
function virtualClock(): ProducerClock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms);
      now += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}

/** Records whose data is a unique id, so deliveries can be matched exactly. */
function idPlan(options: { bytes?: number; kindOf?: (n: number) => PlannedRecord['kind'] } = {}) {
  let n = 0;
  return {
    next(): PlannedRecord {
      const id = `record-${n}`;
      const kind = options.kindOf?.(n) ?? 'valid';
      n += 1;
      const data = Buffer.alloc(Math.max(options.bytes ?? 0, id.length), ' ');
      data.write(id);
      return { data, partitionKey: `user-${n % 7}`, kind, events: { valid: 0, late: 0, malformed: 0, [kind]: 1 }, malformed: [] };
    },
  };
}

function run(options: Partial<KinesisProducerOptions> & Pick<KinesisProducerOptions, 'client'>) {
  return produceToKinesis({
    streamName: 'test-stream',
    plan: idPlan(),
    ratePerSecond: 100_000,
    clock: virtualClock(),
    random: seededRandom(3),
    ...options,
  });
}

describe('produceToKinesis batching', () => {
  it('stops after count records, all delivered, in requests of at most 500 records', async () => {
    const kinesis = scriptedKinesis();
    const report = await run({ client: kinesis.client, count: 1_234 });
    expect(report).toMatchObject({ planned: 1_234, sent: 1_234, failed: 0, retried: 0, stoppedBy: 'count' });
    expect(kinesis.stored).toHaveLength(1_234);
    expect(Math.max(...kinesis.requestSizes)).toBeLessThanOrEqual(MAX_RECORDS_PER_REQUEST);
    expect(kinesis.requestSizes.filter((n) => n === MAX_RECORDS_PER_REQUEST).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps each request within 5 MiB when records are large', async () => {
    const kinesis = scriptedKinesis();
    const report = await run({ client: kinesis.client, plan: idPlan({ bytes: 300_000 }), count: 60 });
    expect(report.sent).toBe(60);
    expect(Math.max(...kinesis.requestBytes)).toBeLessThanOrEqual(MAX_BYTES_PER_REQUEST);
    expect(Math.max(...kinesis.requestSizes)).toBe(17);
  });

  it('paces to the rate and stops after the duration', async () => {
    const kinesis = scriptedKinesis();
    const report = await run({ client: kinesis.client, ratePerSecond: 200, durationSeconds: 3 });
    expect(report.stoppedBy).toBe('duration');
    expect(report.sent).toBeGreaterThanOrEqual(598);
    expect(report.sent).toBeLessThanOrEqual(602);
    expect(report.elapsedMs).toBeGreaterThanOrEqual(3_000);
    // Small batches several times a second, not one burst per second.
    expect(kinesis.calls()).toBeGreaterThan(3 * 10);
  });

  it('keeps no more requests in flight than allowed', async () => {
    const kinesis = scriptedKinesis(undefined, { latencyMs: 5 });
    const report = await produceToKinesis({
      client: kinesis.client,
      streamName: 's',
      plan: idPlan(),
      ratePerSecond: 1_000_000,
      count: 20_000,
      maxInFlight: 3,
    });
    expect(report.sent).toBe(20_000);
    expect(kinesis.maxConcurrent()).toBe(3);
  });

  it('finishes what it planned when aborted and says so', async () => {
    const kinesis = scriptedKinesis(undefined, { latencyMs: 2 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const report = await produceToKinesis({
      client: kinesis.client,
      streamName: 's',
      plan: idPlan(),
      ratePerSecond: 2_000,
      signal: controller.signal,
    });
    expect(report.stoppedBy).toBe('signal');
    expect(report.sent).toBe(report.planned);
    expect(report.sent).toBeGreaterThan(50);
    expect(kinesis.stored).toHaveLength(report.sent);
  });
});

describe('produceToKinesis retries', () => {
  it('retries the entries a partial failure rejects until every record is stored exactly once', async () => {
    // Every third entry is throttled twice, every tenth has an internal failure once.
    const kinesis = scriptedKinesis((entry, attempt) => {
      const n = Number(Buffer.from(entry.Data).toString().split('-')[1]);
      if (n % 3 === 0 && attempt <= 2) return 'ProvisionedThroughputExceededException';
      if (n % 10 === 0 && attempt === 1) return 'InternalFailure';
      return undefined;
    });
    const clock = virtualClock();
    const report = await run({ client: kinesis.client, count: 3_000, clock });
    const ids = kinesis.stored.map((e) => Buffer.from(e.Data).toString());
    expect(new Set(ids).size).toBe(3_000);
    expect(ids).toHaveLength(3_000);
    expect(report).toMatchObject({ sent: 3_000, failed: 0 });
    // 1,000 throttled twice each; the 100 multiples of 10 that are not of 3 fail once.
    const throttled = 1_000;
    const internal = 300 - 100;
    expect(report.retried).toBe(2 * throttled + internal);
    expect(report.errors).toEqual({ ProvisionedThroughputExceededException: 2 * throttled, InternalFailure: internal });
    expect(report.byKind.valid).toEqual({ sent: 3_000, failed: 0, retried: report.retried });
    expect(clock.sleeps.some((ms) => ms > 0)).toBe(true);
  });

  it('counts records that still fail after the last attempt as failed, by kind', async () => {
    const kinds = ['valid', 'late', 'malformed'] as const;
    const kinesis = scriptedKinesis((entry) => (Buffer.from(entry.Data).toString().endsWith('7') ? 'ProvisionedThroughputExceededException' : undefined));
    const report = await run({
      client: kinesis.client,
      plan: idPlan({ kindOf: (n) => kinds[n % 3]! }),
      count: 300,
      maxAttempts: 4,
    });
    expect(report.failed).toBe(30);
    expect(report.sent).toBe(270);
    expect(report.retried).toBe(30 * 3);
    expect(report.byKind.valid.failed + report.byKind.late.failed + report.byKind.malformed.failed).toBe(30);
    expect(report.byKind.malformed.failed).toBe(10);
    expect(formatSummaryLine(report)).toMatch(/failed 30, retries 90.*ProvisionedThroughputExceededException ×120/);
  });

  it('retries a whole request that failed transiently', async () => {
    const kinesis = scriptedKinesis(undefined, {
      throwOn: (call) => (call <= 2 ? Object.assign(new Error('We encountered an internal error'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }) : undefined),
    });
    const report = await run({ client: kinesis.client, count: 10 });
    expect(report).toMatchObject({ sent: 10, failed: 0, retried: 20, errors: { InternalFailure: 20 } });
  });

  it('stops with a clear error when the stream does not exist, reporting what it could not send', async () => {
    const kinesis = scriptedKinesis(undefined, {
      throwOn: () => Object.assign(new Error('Stream test-stream under account 000000000000 not found.'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } }),
    });
    const error = await run({ client: kinesis.client, count: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProducerError);
    expect((error as ProducerError).message).toMatch(/stream "test-stream" does not exist/);
    const report = (error as ProducerError).report!;
    expect(report).toMatchObject({ sent: 0, stoppedBy: 'error' });
    expect(report.failed).toBe(report.planned);
    expect(kinesis.calls()).toBeLessThanOrEqual(8);
  });

  it('refuses a record over the 1 MiB limit before sending it', async () => {
    const kinesis = scriptedKinesis();
    await expect(run({ client: kinesis.client, plan: idPlan({ bytes: 1024 * 1024 + 1 }), count: 3 })).rejects.toThrow(/over the Kinesis limit/);
    expect(kinesis.calls()).toBe(0);
  });
});

describe('fullJitterBackoff', () => {
  it('grows exponentially up to the cap, with the delay drawn below the ceiling', () => {
    expect(fullJitterBackoff(1, () => 0.999)).toBe(99);
    expect(fullJitterBackoff(4, () => 0.999)).toBe(799);
    expect(fullJitterBackoff(20, () => 0.999)).toBe(4_995);
    expect(fullJitterBackoff(5, () => 0)).toBe(0);
    expect(fullJitterBackoff(2, () => 0.5, { baseMs: 10, maxMs: 15 })).toBe(7);
  });
});

describe('TrafficPlan through the producer', () => {
  it('counts delivered records and events by kind as planned', async () => {
    const kinesis = scriptedKinesis();
    const plan = new TrafficPlan(seededRandom(9), { malformedShare: 0.1, lateShare: 0.1, eventsPerRecord: 3 });
    const report = await run({ client: kinesis.client, plan, count: 1_000 });
    const kinds = report.byKind.valid.sent + report.byKind.late.sent + report.byKind.malformed.sent;
    expect(kinds).toBe(1_000);
    expect(report.events.valid + report.events.late + report.events.malformed).toBe(3_000);
    expect(report.bytes).toBe(kinesis.stored.reduce((n, e) => n + e.Data.length, 0));
    expect(formatSummaryLine(report)).toContain(
      `3,000 events: ${report.events.valid.toLocaleString('en-US')} valid, ${report.events.late} late, ${report.events.malformed} malformed`,
    );
  });
});
