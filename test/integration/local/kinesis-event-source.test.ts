// The local Kinesis event source mapping against kinesalite and the SQS emulator: each test
// fails if the setting it names is ignored. The mapped "function" is a scripted invoker
// that records what it was given (the mapper is the unit under test here).
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamEvent } from 'aws-lambda';
import { buildApp } from 'fauxqs';
import kinesalite from 'kinesalite';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KinesisMappingConfig } from '../../../shared/local/event-source-mappings.js';
import { KinesisEventSource, type BatchLogEntry } from '../../../shared/local/kinesis-event-source.js';
import type { InvokeResult, LambdaInvoker } from '../../../shared/local/lambda-invoker.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let kinesisServer: ReturnType<typeof kinesalite>;
let sqsApp: ReturnType<typeof buildApp>;
let kinesis: KinesisClient;
let sqs: SQSClient;
let streamCounter = 0;

beforeAll(async () => {
  kinesisServer = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
  await new Promise<void>((resolve) => kinesisServer.listen(0, '127.0.0.1', () => resolve()));
  const port = (kinesisServer.address() as AddressInfo).port;
  kinesis = new KinesisClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials, requestHandler: new NodeHttpHandler() });
  sqsApp = buildApp({ logger: false });
  const sqsEndpoint = await sqsApp.listen({ port: 0, host: '127.0.0.1' });
  sqs = new SQSClient({ region: 'us-east-1', endpoint: sqsEndpoint, credentials });
});

afterAll(async () => {
  kinesis?.destroy();
  sqs?.destroy();
  await new Promise((resolve) => kinesisServer?.close(resolve));
  await sqsApp?.close();
});

/** A stand-in function: records each invocation's sequence numbers and answers per a script. */
class ScriptedFunction implements LambdaInvoker {
  readonly calls: { shard: string; seqs: string[]; keys: string[]; start: number; end: number }[] = [];
  private active = 0;
  maxConcurrent = 0;

  constructor(private readonly behaviour: (seqs: string[], call: number) => InvokeResult | Promise<InvokeResult> = () => ok({})) {}

  async invoke(_name: string, event: unknown): Promise<InvokeResult> {
    const records = (event as KinesisStreamEvent).Records;
    const call = { shard: records[0]!.eventID.split(':')[0]!, seqs: records.map((r) => r.kinesis.sequenceNumber), keys: records.map((r) => r.kinesis.partitionKey), start: Date.now(), end: 0 };
    this.calls.push(call);
    this.active += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.active);
    try {
      return await this.behaviour(call.seqs, this.calls.length);
    } finally {
      this.active -= 1;
      call.end = Date.now();
    }
  }

  deliveries(seq: string): number {
    return this.calls.filter((c) => c.seqs.includes(seq)).length;
  }
}

const ok = (payload: unknown): InvokeResult => ({ ok: true, payload });
const fail = (error = 'Error: boom'): InvokeResult => ({ ok: false, error });

async function newStream(shards = 1): Promise<string> {
  const name = `stream-${++streamCounter}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return name;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Puts n records; returns their sequence numbers in order of the input. */
async function put(stream: string, n: number, key: (i: number) => string = () => 'k'): Promise<string[]> {
  const seqs: string[] = [];
  for (let i = 0; i < n; i += 500) {
    const entries = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ Data: Buffer.from(`{"n":${i + j}}`), PartitionKey: key(i + j) }));
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
    seqs.push(...out.Records!.map((r) => r.SequenceNumber!));
  }
  return seqs;
}

function mapping(stream: string, overrides: Partial<KinesisMappingConfig> = {}): KinesisMappingConfig {
  return {
    kind: 'kinesis',
    functionKey: 'fn',
    functionName: 'svc-test-fn',
    streamName: stream,
    streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    batchSize: 100,
    batchWindowSeconds: 0,
    parallelizationFactor: 1,
    startingPosition: 'TRIM_HORIZON',
    reportBatchItemFailures: true,
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: 3,
    maximumRecordAgeSeconds: -1,
    enabled: true,
    ...overrides,
  };
}

async function run(config: KinesisMappingConfig, fn: ScriptedFunction, until: () => boolean, log: BatchLogEntry[] = []): Promise<void> {
  const source = new KinesisEventSource(config, { kinesis, sqs, invoker: fn, region: 'us-east-1', idlePollMs: 20, retryBaseDelayMs: 5, log: (e) => log.push(e) });
  await source.start();
  const deadline = Date.now() + 20_000;
  while (!until() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await source.stop();
  expect(until()).toBe(true);
}

const delivered = (fn: ScriptedFunction) => fn.calls.flatMap((c) => c.seqs);

describe('local Kinesis event source mapping', () => {
  it('cuts batches at batchSize and keeps shard order', async () => {
    const stream = await newStream();
    const seqs = await put(stream, 250);
    const fn = new ScriptedFunction();
    await run(mapping(stream, { batchSize: 100 }), fn, () => delivered(fn).length >= 250);
    expect(fn.calls.map((c) => c.seqs.length)).toEqual([100, 100, 50]);
    expect(delivered(fn)).toEqual(seqs);
  });

  it('waits for the batching window to fill a batch', async () => {
    const stream = await newStream();
    const fn = new ScriptedFunction();
    const source = new KinesisEventSource(mapping(stream, { batchSize: 1000, batchWindowSeconds: 1 }), { kinesis, sqs, invoker: fn, region: 'us-east-1', idlePollMs: 20 });
    await source.start();
    const firstPut = Date.now();
    await put(stream, 10);
    await new Promise((r) => setTimeout(r, 300));
    await put(stream, 10);
    const deadline = Date.now() + 5000;
    while (delivered(fn).length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await source.stop();
    expect(fn.calls.map((c) => c.seqs.length)).toEqual([20]);
    expect(fn.calls[0]!.start - firstPut).toBeGreaterThanOrEqual(900);
  });

  it('retries from the first reported batch item failure only', async () => {
    const stream = await newStream();
    const seqs = await put(stream, 10);
    const fn = new ScriptedFunction((batch, call) => (call === 1 ? ok({ batchItemFailures: [{ itemIdentifier: seqs[4] }] }) : ok({ batchItemFailures: [] })));
    await run(mapping(stream), fn, () => fn.calls.length >= 2);
    expect(fn.calls[0]!.seqs).toEqual(seqs);
    expect(fn.calls[1]!.seqs).toEqual(seqs.slice(4));
    expect(seqs.map((s) => fn.deliveries(s))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });

  it('ignores the response body when ReportBatchItemFailures is off', async () => {
    const stream = await newStream();
    const seqs = await put(stream, 5);
    await put(stream, 0);
    const fn = new ScriptedFunction(() => ok({ batchItemFailures: [{ itemIdentifier: seqs[0] }] }));
    await run(mapping(stream, { reportBatchItemFailures: false }), fn, () => delivered(fn).length >= 5);
    await new Promise((r) => setTimeout(r, 100));
    expect(fn.calls).toHaveLength(1);
  });

  it('bisects a failing batch until the poison record is isolated, then sends it to the on-failure queue', async () => {
    const stream = await newStream();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `failures-${streamCounter}` }));
    const seqs = await put(stream, 16);
    const poison = seqs[6]!;
    const fn = new ScriptedFunction((batch) => (batch.includes(poison) ? fail('Error: poison') : ok({})));
    const config = mapping(stream, {
      batchSize: 16,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 2,
      onFailure: { queueName: `failures-${streamCounter}`, queueArn: 'arn:aws:sqs:us-east-1:000000000000:failures' },
    });
    await run(config, fn, () => seqs.every((s) => s === poison || fn.deliveries(s) > 0) && fn.calls.filter((c) => c.seqs.length === 1 && c.seqs[0] === poison).length === 3);
    // Every other record was committed exactly once by a successful invocation.
    const successful = fn.calls.filter((c) => !c.seqs.includes(poison)).flatMap((c) => c.seqs);
    expect(successful.sort()).toEqual(seqs.filter((s) => s !== poison).sort());
    expect(fn.calls[0]!.seqs).toHaveLength(16);
    expect(fn.calls[1]!.seqs).toEqual(seqs.slice(0, 8));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(Messages).toHaveLength(1);
    const info = JSON.parse(Messages![0]!.Body!) as { requestContext: { condition: string }; KinesisBatchInfo: Record<string, unknown> };
    expect(info.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(info.KinesisBatchInfo).toMatchObject({ shardId: 'shardId-000000000000', startSequenceNumber: poison, endSequenceNumber: poison, batchSize: 1 });
  });

  it('gives up after maximumRetryAttempts, reports to the on-failure queue and moves on', async () => {
    const stream = await newStream();
    const queueName = `failures-${streamCounter}`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const first = await put(stream, 3);
    const fn = new ScriptedFunction((batch) => (batch.includes(first[0]!) ? fail() : ok({})));
    const config = mapping(stream, { maximumRetryAttempts: 2, onFailure: { queueName, queueArn: 'arn' } });
    const source = new KinesisEventSource(config, { kinesis, sqs, invoker: fn, region: 'us-east-1', idlePollMs: 20, retryBaseDelayMs: 5 });
    await source.start();
    while (fn.calls.length < 3) await new Promise((r) => setTimeout(r, 20));
    const later = await put(stream, 2);
    const deadline = Date.now() + 5000;
    while (fn.deliveries(later[1]!) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await source.stop();
    expect(fn.calls.slice(0, 3).map((c) => c.seqs)).toEqual([first, first, first]); // 1 try + 2 retries
    expect(fn.calls.slice(3).flatMap((c) => c.seqs)).toEqual(later);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    const info = JSON.parse(Messages![0]!.Body!) as { requestContext: { approximateInvokeCount: number }; KinesisBatchInfo: Record<string, unknown> };
    expect(info.requestContext.approximateInvokeCount).toBe(3);
    expect(info.KinesisBatchInfo).toMatchObject({ startSequenceNumber: first[0], endSequenceNumber: first[2], batchSize: 3 });
  });

  it('skips records older than maximumRecordAgeSeconds and reports them to the on-failure queue', async () => {
    const stream = await newStream();
    const queueName = `failures-${streamCounter}`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const old = await put(stream, 4);
    await new Promise((r) => setTimeout(r, 1500));
    const fresh = await put(stream, 2);
    const fn = new ScriptedFunction();
    // 1 s is below Lambda's 60 s minimum; the config is built directly to test the rule quickly.
    await run(mapping(stream, { maximumRecordAgeSeconds: 1, onFailure: { queueName, queueArn: 'arn' } }), fn, () => delivered(fn).length >= 2);
    expect(delivered(fn)).toEqual(fresh);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    const info = JSON.parse(Messages![0]!.Body!) as { requestContext: { condition: string }; KinesisBatchInfo: Record<string, unknown> };
    expect(info.requestContext.condition).toBe('RecordAgeExceeded');
    expect(info.KinesisBatchInfo).toMatchObject({ startSequenceNumber: old[0], endSequenceNumber: old[3], batchSize: 4 });
  });

  it('runs shards in parallel while each shard stays in order', async () => {
    const stream = await newStream(4);
    const seqs = await put(stream, 400, (i) => `user-${i}`);
    const fn = new ScriptedFunction(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return ok({});
    });
    await run(mapping(stream, { batchSize: 25 }), fn, () => delivered(fn).length >= 400);
    expect(new Set(delivered(fn))).toEqual(new Set(seqs));
    expect(fn.maxConcurrent).toBeGreaterThanOrEqual(2);
    for (const shard of new Set(fn.calls.map((c) => c.shard))) {
      const order = fn.calls.filter((c) => c.shard === shard).flatMap((c) => c.seqs);
      expect(order).toEqual([...order].sort((a, b) => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0)));
    }
  });

  it('with a parallelization factor runs one shard concurrently, ordered per partition key', async () => {
    const stream = await newStream(1);
    await put(stream, 200, (i) => `key-${i % 8}`);
    const fn = new ScriptedFunction(async () => {
      await new Promise((r) => setTimeout(r, 30));
      return ok({});
    });
    await run(mapping(stream, { batchSize: 10, parallelizationFactor: 4 }), fn, () => delivered(fn).length >= 200);
    expect(fn.maxConcurrent).toBeGreaterThanOrEqual(2);
    const byKey = new Map<string, string[]>();
    for (const call of [...fn.calls].sort((a, b) => a.start - b.start)) {
      call.keys.forEach((key, i) => byKey.set(key, [...(byKey.get(key) ?? []), call.seqs[i]!]));
    }
    for (const order of byKey.values()) expect(order).toEqual([...order].sort());
  });

  it('logs each batch with function, shard, records, duration and outcome', async () => {
    const stream = await newStream();
    await put(stream, 3);
    const log: BatchLogEntry[] = [];
    const fn = new ScriptedFunction();
    await run(mapping(stream), fn, () => log.length >= 1, log);
    expect(log[0]).toMatchObject({ functionKey: 'fn', source: 'shardId-000000000000', records: 3, outcome: 'ok' });
    expect(log[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });
});
