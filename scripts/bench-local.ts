// npm run bench:local: the whole local stack under load. Starts it (like `npm run dev --
// --no-producer`), then sends events with PutRecords at a steady rate and measures the
// time from PutRecords returning to the event's batch being committed to the lake
// (its shard checkpoint passing the record), plus start-up time and idle memory.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { runCli } from '../shared/cli/run-cli.js';
import type { BatchDurations } from '../shared/ingest/ingest-shard-batch.js';
import { compareSeq } from '../shared/envelope/sequence.js';
import { startDevStack } from '../shared/local/dev-stack.js';
import { seededRandom, syntheticEvent } from '../shared/producer/synthetic-events.js';
import { createPgPool, withSearchPath } from '../shared/stores/postgres/pg-pool.js';
import { AGGREGATES_CHANNEL } from '../shared/aggregates/aggregate-keys.js';
import { createRedisClient } from '../shared/stores/redis/redis-client.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const usage = `Usage: npm run bench:local [-- --rate N] [--seconds S]

Starts the local stack on shifted ports with a temporary Postgres schema, sends ~500-byte
events with PutRecords (the SDK's default client) at --rate events/s for --seconds, and
prints the achieved rates and the p50/p90/p99 time from PutRecords returning to the event
being committed in the lake. Reference in the same run: the configured batching window,
which every event waits for at most once.

  --rate N      events per second (default 5000)
  --seconds S   measured seconds after a 5 s warm-up (default 30)`;

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TICK_MS = 20;

await runCli({ usage, options: { rate: { type: 'string' }, seconds: { type: 'string' } } }, async ({ values }) => {
  const rate = Number(values['rate'] ?? 5000);
  const seconds = Number(values['seconds'] ?? 30);
  const schema = `bench_local_${process.pid}`;
  const admin = createPgPool({ connectionString: DATABASE_URL });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const databaseUrl = withSearchPath(DATABASE_URL, schema);
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-local-'));
  /** Every successful ingest invocation: how long it took and how many records it carried. */
  const invocations: { ms: number; records: number }[] = [];
  const handlerSteps: BatchDurations[] = [];
  const stack = await startDevStack({
    stage: 'dev',
    databaseUrl,
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    portOffset: 20_000,
    shards: 4,
    stateDir,
    log: (line) => console.error(line),
    logBatch: (entry) => {
      if (entry.functionKey === 'ingestKinesis' && entry.outcome === 'ok') invocations.push({ ms: entry.durationMs, records: entry.records });
    },
    // The handler's own 'batch committed' log line says where each batch's time went.
    logOffline: (line) => {
      const steps = batchDurationsOf(line);
      if (steps) handlerSteps.push(steps);
    },
  });
  const pool = createPgPool({ connectionString: databaseUrl, max: 2 });
  try {
    await new Promise((r) => setTimeout(r, 3000)); // let the functions settle before measuring memory
    const idleRssMb = processTreeRssMb(process.pid);
    console.error(`ready in ${(stack.startedInMs / 1000).toFixed(1)} s; idle memory of the stack's processes ${idleRssMb.toFixed(0)} MB`);

    const kinesis = new KinesisClient({ region: stack.stack.region, endpoint: stack.stack.endpoints.kinesis, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const stream = stack.stack.resources.stream!;
    const random = seededRandom(7);
    const putAt: { shard: string; seq: string; at: number; measured: boolean }[] = [];
    // Freshness: a batch's apply is published on the aggregates channel with its id
    // (stream/shard/firstSeq-lastSeq); its events are then reflected in the counters.
    const awaitingCounters = new Map<string, { seq: string; at: number; measured: boolean }[]>();
    const freshness: number[] = [];
    const subscriber = createRedisClient({ urls: [stack.stack.redisUrl], cluster: false });
    await subscriber.subscribe(AGGREGATES_CHANNEL);
    subscriber.on('message', (_channel: string, message: string) => {
      const now = performance.now();
      const { batchId } = JSON.parse(message) as { batchId: string };
      const [, shard, range] = batchId.split('/');
      const last = range!.split('-')[1]!;
      const waiting = awaitingCounters.get(shard!) ?? [];
      const still = [];
      for (const w of waiting) {
        if (compareSeq(w.seq, last) <= 0) {
          if (w.measured) freshness.push(now - w.at);
        } else still.push(w);
      }
      awaitingCounters.set(shard!, still);
    });
    let n = 0;

    const send = async (durationMs: number, measured: boolean) => {
      const start = performance.now();
      const inFlight = new Set<Promise<void>>();
      let scheduled = 0;
      while (performance.now() - start < durationMs) {
        // Catch up from elapsed time, so a late timer does not lower the rate.
        const count = Math.floor(((performance.now() - start) / 1000) * rate) - scheduled;
        scheduled += count;
        for (let i = 0; i < count; i += 500) {
          const records = Array.from({ length: Math.min(500, count - i) }, () => ({
            Data: Buffer.from(JSON.stringify(syntheticEvent(random, n++, { now: Date.now(), lateShare: 0 }))),
            PartitionKey: randomUUID(),
          }));
          const request = kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records })).then((out) => {
            const at = performance.now();
            for (const r of out.Records ?? []) {
              if (!r.SequenceNumber) continue;
              putAt.push({ shard: r.ShardId!, seq: r.SequenceNumber, at, measured });
              const list = awaitingCounters.get(r.ShardId!) ?? [];
              list.push({ seq: r.SequenceNumber, at, measured });
              awaitingCounters.set(r.ShardId!, list);
            }
          });
          inFlight.add(request);
          void request.finally(() => inFlight.delete(request));
        }
        await new Promise((r) => setTimeout(r, TICK_MS));
      }
      await Promise.all(inFlight);
      return (performance.now() - start) / 1000;
    };

    // Commit times: poll the checkpoints; an event is committed once its shard's checkpoint passes it.
    const latencies: number[] = [];
    let pollerDone = false;
    let lastCommitAt = 0;
    const poller = (async () => {
      let next = 0;
      while (!pollerDone || next < putAt.length) {
        const rows = await pool.query<{ shard: string; seq: string }>('SELECT shard, seq FROM checkpoints WHERE stream = $1', [stream]);
        const now = performance.now();
        const checkpoints = new Map(rows.rows.map((r) => [r.shard, r.seq]));
        const pending = putAt.slice(next);
        const still: typeof pending = [];
        for (const p of pending) {
          const cp = checkpoints.get(p.shard);
          if (cp && compareSeq(cp, p.seq) >= 0) {
            if (p.measured) latencies.push(now - p.at);
            lastCommitAt = now;
          } else still.push(p);
        }
        putAt.splice(0, putAt.length, ...still);
        next = 0;
        if (pollerDone && putAt.length === 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    console.error(`warm-up 5 s at ${rate} events/s…`);
    await send(5000, false);
    console.error(`measuring ${seconds} s at ${rate} events/s…`);
    const measureStart = performance.now();
    const sentBefore = n;
    const sendSeconds = await send(seconds * 1000, true);
    const sent = n - sentBefore;
    pollerDone = true;
    await Promise.race([poller, new Promise((r) => setTimeout(r, 120_000))]);
    const e2eSeconds = (lastCommitAt - measureStart) / 1000;
    await new Promise((r) => setTimeout(r, 1000)); // last publications
    subscriber.disconnect();
    latencies.sort((a, b) => a - b);
    freshness.sort((a, b) => a - b);
    const pct = (p: number, values = latencies) => values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;
    const window = stack.mappings.find((m) => m.kind === 'kinesis');
    console.log(`\nlocal stack, 4 shards, batch size ${window && 'batchSize' in window ? window.batchSize : '?'}, Node ${process.version}\n`);
    console.log('| measure | value |');
    console.log('|---|---:|');
    console.log(`| ready (npm run dev start-up) | ${(stack.startedInMs / 1000).toFixed(1)} s |`);
    console.log(`| idle memory, all stack processes (RSS) | ${idleRssMb.toFixed(0)} MB |`);
    console.log(`| target rate | ${rate.toLocaleString('en-US')} events/s |`);
    console.log(`| PutRecords rate achieved | ${Math.round(sent / sendSeconds).toLocaleString('en-US')} events/s |`);
    console.log(`| committed to the lake (end to end) | ${Math.round(latencies.length / e2eSeconds).toLocaleString('en-US')} events/s |`);
    console.log(`| PutRecords → committed p50 | ${pct(50).toFixed(0)} ms |`);
    console.log(`| PutRecords → committed p90 | ${pct(90).toFixed(0)} ms |`);
    console.log(`| PutRecords → committed p99 | ${pct(99).toFixed(0)} ms |`);
    console.log(`| PutRecords → committed max | ${latencies.at(-1)?.toFixed(0) ?? 'n/a'} ms |`);
    console.log(`| PutRecords → counters in Redis p50 | ${pct(50, freshness).toFixed(0)} ms |`);
    console.log(`| PutRecords → counters in Redis p99 | ${pct(99, freshness).toFixed(0)} ms |`);
    console.log(`| reference: configured batching window | ${window?.batchWindowSeconds ?? '?'} s |`);
    const durations = invocations.map((i) => i.ms).sort((a, b) => a - b);
    const sizes = invocations.map((i) => i.records).sort((a, b) => a - b);
    console.log(`| ingest invocations: count, p50 / p99 duration | ${invocations.length}, ${pct(50, durations)} / ${pct(99, durations)} ms |`);
    console.log(`| ingest invocations: p50 / max records | ${pct(50, sizes)} / ${sizes.at(-1) ?? 0} |`);
    const stepNames = ['checkpoint', 'plan', 'write', 'commit', 'aggregates'] as const;
    const stepMedians = stepNames.map((name) => `${name} ${pct(50, handlerSteps.map((d) => d[name]).sort((a, b) => a - b))}`);
    console.log(`| handler steps p50, ms (${handlerSteps.length} batches) | ${stepMedians.join(', ')} |`);
    console.log(`| events measured (lake, counters) / sent | ${latencies.length.toLocaleString('en-US')}, ${freshness.length.toLocaleString('en-US')} / ${sent.toLocaleString('en-US')} |`);
    kinesis.destroy();
  } finally {
    await pool.end();
    await stack.stop();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    rmSync(stateDir, { recursive: true, force: true });
  }
});

/** RSS of a process and all its descendants, from /proc (Linux). */
/** The step durations of a handler's 'batch committed' JSON log line, if the line is one. */
function batchDurationsOf(line: string): BatchDurations | undefined {
  const start = line.indexOf('{');
  if (start < 0 || !line.includes('batch committed')) return undefined;
  try {
    const entry = JSON.parse(line.slice(start)) as { message?: string; durationsMs?: BatchDurations };
    return entry.message === 'batch committed' ? entry.durationsMs : undefined;
  } catch {
    return undefined;
  }
}

function processTreeRssMb(root: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* process exited */
    }
  }
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let kb = 0;
  for (const pid of tree) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return kb / 1024;
}
