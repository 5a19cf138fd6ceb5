// The producer against a real Kinesis API (kinesalite in-process), and the CLI as a user
// runs it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProducerError } from '../../../shared/producer/errors.js';
import { produceToKinesis } from '../../../shared/producer/kinesis-producer.js';
import type { ProducerReport } from '../../../shared/producer/producer-report.js';
import { seededRandom } from '../../../shared/producer/synthetic-events.js';
import { TrafficPlan, type RecordKind } from '../../../shared/producer/traffic-plan.js';
import { startKinesalite, type Kinesalite } from '../../support/kinesalite-stream.js';
import { runScript } from '../../support/run-script.js';

const exec = promisify(execFile);
let kinesis: Kinesalite;

beforeAll(async () => {
  kinesis = await startKinesalite();
});

afterAll(async () => {
  await kinesis.stop();
});

describe('produceToKinesis against kinesalite', () => {
  it('puts 3,000 records on a 4-shard stream, all read back, with the kinds the report counts', async () => {
    await kinesis.createStream('producer-4-shards', 4);
    const traffic = new TrafficPlan(seededRandom(11), { malformedShare: 0.05, lateShare: 0.05 });
    const kindOf = new Map<string, RecordKind>();
    const plan = {
      next(now: number) {
        const record = traffic.next(now);
        kindOf.set(record.data.toString('base64'), record.kind);
        return record;
      },
    };
    const progress: number[] = [];
    const report = await produceToKinesis({
      client: kinesis.client,
      streamName: 'producer-4-shards',
      plan,
      ratePerSecond: 2_500,
      count: 3_000,
      onProgress: (p) => progress.push(p.sent),
    });
    expect(report).toMatchObject({ planned: 3_000, sent: 3_000, failed: 0, stoppedBy: 'count' });
    expect(progress.length).toBeGreaterThanOrEqual(1);

    const records = await kinesis.readAll('producer-4-shards');
    expect(records).toHaveLength(3_000);
    expect(new Set(records.map((r) => r.shard)).size).toBe(4);
    const counts: Record<RecordKind, number> = { valid: 0, late: 0, malformed: 0 };
    for (const r of records) counts[kindOf.get(Buffer.from(r.data).toString('base64'))!] += 1;
    expect(counts).toEqual({ valid: report.byKind.valid.sent, late: report.byKind.late.sent, malformed: report.byKind.malformed.sent });
    expect(counts.malformed).toBeGreaterThan(100);
    expect(counts.late).toBeGreaterThan(100);
    expect(report.bytes).toBe(records.reduce((n, r) => n + r.data.length, 0));

    // Valid records are contract events keyed by their user; malformed ones mostly are not.
    for (const r of records.filter((x) => kindOf.get(Buffer.from(x.data).toString('base64')) !== 'malformed')) {
      const event = JSON.parse(Buffer.from(r.data).toString('utf8')) as Record<string, unknown>;
      for (const field of ['event_id', 'event_type', 'source', 'ts']) expect(event).toHaveProperty(field);
      expect(r.partitionKey).toBe(event['user_id']);
    }
  });

  it('retries entries that a throttled PutRecords rejects, storing every record exactly once', async () => {
    await kinesis.createStream('producer-throttled', 2);
    // Throttling cannot be provoked in kinesalite, so a client middleware plays a hot shard:
    // it withholds every fourth entry of a first attempt and reports it as throttled.
    const seen = new Set<string>();
    kinesis.client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Records?: { Data: Uint8Array; PartitionKey: string }[] };
        if (!input.Records) return next(args);
        const withheld = input.Records.map((r, i) => {
          const id = Buffer.from(r.Data).toString('base64');
          const first = !seen.has(id);
          seen.add(id);
          return first && i % 4 === 0;
        });
        const result = await next({ ...args, input: { ...input, Records: input.Records.filter((_, i) => !withheld[i]) } });
        const output = result.output as { FailedRecordCount?: number; Records?: object[] };
        const stored = [...(output.Records ?? [])];
        output.Records = withheld.map((w) => (w ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' } : stored.shift()!));
        output.FailedRecordCount = (output.FailedRecordCount ?? 0) + withheld.filter(Boolean).length;
        return result;
      },
      { step: 'initialize', name: 'throttleFirstAttempts' },
    );
    const traffic = new TrafficPlan(seededRandom(2));
    const planned: string[] = [];
    let report: ProducerReport;
    try {
      report = await produceToKinesis({
        client: kinesis.client,
        streamName: 'producer-throttled',
        plan: {
          next(now: number) {
            const record = traffic.next(now);
            planned.push(record.data.toString('base64'));
            return record;
          },
        },
        ratePerSecond: 20_000,
        count: 2_000,
        backoff: { baseMs: 5, maxMs: 50 },
      });
    } finally {
      kinesis.client.middlewareStack.remove('throttleFirstAttempts');
    }
    expect(report).toMatchObject({ sent: 2_000, failed: 0 });
    expect(report.retried).toBeGreaterThanOrEqual(2_000 / 4 - 10);
    expect(report.errors['ProvisionedThroughputExceededException']).toBe(report.retried);
    const readBack = await kinesis.readAll('producer-throttled');
    // Compared as multisets: a few malformed records ("null", "42") repeat by design.
    const data = readBack.map((r) => Buffer.from(r.data).toString('base64'));
    expect(data.sort()).toEqual(planned.sort());
  });

  it('packs NDJSON and gzip records that read back as the planned events', async () => {
    await kinesis.createStream('producer-packed', 1);
    const report = await produceToKinesis({
      client: kinesis.client,
      streamName: 'producer-packed',
      plan: new TrafficPlan(seededRandom(4), { eventsPerRecord: 20, gzip: true }),
      ratePerSecond: 10_000,
      count: 100,
    });
    const lines = (await kinesis.readAll('producer-packed')).flatMap((r) => gunzipSync(r.data).toString('utf8').split('\n').filter(Boolean));
    expect(lines).toHaveLength(2_000);
    expect(report.events.valid + report.events.late + report.events.malformed).toBe(2_000);
  });

  it('fails with a clear error when the stream does not exist', async () => {
    const error = await produceToKinesis({
      client: kinesis.client,
      streamName: 'no-such-stream',
      plan: new TrafficPlan(seededRandom(1)),
      ratePerSecond: 1_000,
      count: 100,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProducerError);
    expect((error as Error).message).toMatch(/stream "no-such-stream" does not exist/);
    expect((error as ProducerError).report).toMatchObject({ sent: 0, stoppedBy: 'error' });
  });
});

describe('npm run produce', () => {
  it('sends --count records to the given endpoint and stream and prints a JSON summary', async () => {
    await kinesis.createStream('cli-events', 2);
    const result = await runScript(
      'produce',
      ['--count', '200', '--rate', '1000', '--endpoint', kinesis.endpoint, '--stream', 'cli-events', '--json', '--seed', '3'],
      { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    );
    expect(result.stderr).toMatch(/producing to cli-events/);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as ProducerReport & { seed: number; target: { stream: string } };
    expect(summary).toMatchObject({ planned: 200, sent: 200, failed: 0, stoppedBy: 'count', seed: 3, target: { stream: 'cli-events' } });
    expect(summary.byKind.valid.sent + summary.byKind.late.sent + summary.byKind.malformed.sent).toBe(200);
    expect(await kinesis.readAll('cli-events')).toHaveLength(200);
  });

  it('exits non-zero with a clear message when the stream does not exist', async () => {
    const result = await runScript('produce', ['--count', '10', '--endpoint', kinesis.endpoint, '--stream', 'missing'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: stream "missing" does not exist/);
  });

  it('explains how to get a target when there is no local stack', async () => {
    // Run from an empty directory, so a developer's running stack (.local/stack.json) is not hit.
    const cwd = await mkdtemp(join(tmpdir(), 'produce-'));
    try {
      const result = await exec(resolve('node_modules/.bin/tsx'), [resolve('scripts/produce.ts'), '--count', '1'], { cwd }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('no local stack: start it with `npm run dev`, or pass --stream/--stage for a deployed stage');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('rejects bad usage with exit code 2 and the usage text', async () => {
    const result = await runScript('produce', ['--rate', 'fast'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--rate must be a positive number, got "fast"[\s\S]*Usage: npm run produce/);
  });
});
