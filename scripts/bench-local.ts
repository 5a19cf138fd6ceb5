// npm run bench:local: the whole local stack under load. Starts it (like `npm run dev --
// --no-producer`), then sends events with PutRecords at a steady rate and measures the
// time from PutRecords returning to the event's batch being committed to the lake
// (its shard checkpoint passing the record), plus start-up time and idle memory.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../shared/cli/run-cli.js';
import type { BatchDurations } from '../shared/ingest/ingest-shard-batch.js';
import { compareSeq } from '../shared/envelope/sequence.js';
import { startDevStack } from '../shared/local/dev-stack.js';
import { epochNow, type KinesisLoadMessage, type KinesisLoadWorkerData } from '../shared/bench/kinesis-load-worker.js';
import { startTsWorker } from '../shared/bench/ts-worker.js';
import { createPgPool, withSearchPath } from '../shared/stores/postgres/pg-pool.js';
import { aggregatesChannel } from '../shared/aggregates/aggregate-keys.js';
import { createRedisClient } from '../shared/stores/redis/redis-client.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const usage = `Usage: npm run bench:local [-- --rate N] [--seconds S]

Starts the local stack on shifted ports with a temporary Postgres schema, sends ~500-byte
events with PutRecords (the SDK's default client, on its own thread) at --rate events/s for
--seconds, and prints the achieved rates and the p50/p90/p99 time from PutRecords returning
to the event being committed in the lake. Reference in the same run: the configured batching window,
which every event waits for at most once.

  --rate N      events per second (default 5000)
  --seconds S   measured seconds after a 5 s warm-up (default 30)`;

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Events sent and not yet seen committed (or counted), per shard, kept in sequence order so
 * a checkpoint releases them from the front: the bookkeeping must stay cheap when the stack
 * falls behind, or it steals the very event loop it measures.
 */
class PendingByShard {
  private readonly byShard = new Map<string, { seq: string; at: number; measured: boolean }[]>();

  add(shard: string, event: { seq: string; at: number; measured: boolean }): void {
    let list = this.byShard.get(shard);
    if (!list) this.byShard.set(shard, (list = []));
    // Concurrent PutRecords calls return out of order, but only by a little: insert from the end.
    let i = list.length;
    while (i > 0 && compareSeq(list[i - 1]!.seq, event.seq) > 0) i -= 1;
    if (i === list.length) list.push(event);
    else list.splice(i, 0, event);
  }

  /** Drops the shard's events at or below `seq`, recording how long the measured ones waited; returns how many. */
  release(shard: string, seq: string, now: number, waited: number[]): number {
    const list = this.byShard.get(shard);
    if (!list) return 0;
    let count = 0;
    while (count < list.length && compareSeq(list[count]!.seq, seq) <= 0) {
      if (list[count]!.measured) waited.push(now - list[count]!.at);
      count += 1;
    }
    if (count > 0) list.splice(0, count);
    return count;
  }

  size(): number {
    let n = 0;
    for (const list of this.byShard.values()) n += list.length;
    return n;
  }
}

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

    const stream = stack.stack.resources.stream!;
    // Events wait per shard until a checkpoint (lake) or a published apply (counters) passes
    // them, and are released from the front of their shard's list as those move.
    const awaitingCommit = new PendingByShard();
    const awaitingCounters = new PendingByShard();
    const latencies: number[] = [];
    const freshness: number[] = [];
    // Freshness: a batch's apply is published on the aggregates channel with its id
    // (stream/shard/firstSeq-lastSeq); its events are then reflected in the counters.
    const subscriber = createRedisClient({ urls: [stack.stack.redisUrl], cluster: false });
    await subscriber.subscribe(aggregatesChannel(stack.stack.redisKeyPrefix));
    subscriber.on('message', (_channel: string, message: string) => {
      const now = epochNow();
      const { batchId } = JSON.parse(message) as { batchId: string };
      const [, shard, range] = batchId.split('/');
      awaitingCounters.release(shard!, range!.split('-')[1]!, now, freshness);
    });

    // The load runs on its own thread: producers are other machines in production.
    const load = startTsWorker(new URL('../shared/bench/kinesis-load-worker.ts', import.meta.url), {
      endpoint: stack.stack.endpoints.kinesis,
      region: stack.stack.region,
      stream,
      rate,
      phases: [
        { seconds: 5, measured: false },
        { seconds, measured: true },
      ],
    } satisfies KinesisLoadWorkerData);
    let measuredPhase: { sent: number; seconds: number } | undefined;
    let measureStart = Number.POSITIVE_INFINITY;
    const loadDone = new Promise<void>((resolve, reject) => {
      load.on('message', (message: KinesisLoadMessage) => {
        if (message.type === 'put') {
          for (const r of message.records) {
            awaitingCommit.add(r.shard, { seq: r.seq, at: message.at, measured: message.measured });
            awaitingCounters.add(r.shard, { seq: r.seq, at: message.at, measured: message.measured });
          }
        } else if (!message.measured) {
          measureStart = epochNow();
          console.error(`measuring ${seconds} s at ${rate} events/s…`);
        } else {
          measuredPhase = message;
          resolve();
        }
      });
      load.once('error', reject);
    });

    // Commit times: poll the checkpoints; an event is committed once its shard's checkpoint passes it.
    let pollerDone = false;
    let lastCommitAt = 0;
    const poller = (async () => {
      while (!pollerDone || awaitingCommit.size() > 0) {
        const rows = await pool.query<{ shard: string; seq: string }>('SELECT shard, seq FROM checkpoints WHERE stream = $1', [stream]);
        const now = epochNow();
        for (const row of rows.rows) {
          if (awaitingCommit.release(row.shard, row.seq, now, latencies) > 0) lastCommitAt = now;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    console.error(`warm-up 5 s at ${rate} events/s…`);
    await loadDone;
    await load.terminate();
    const { sent, seconds: sendSeconds } = measuredPhase!;
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
  } finally {
    await pool.end();
    await stack.stop();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    rmSync(stateDir, { recursive: true, force: true });
  }
});

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

/** RSS of a process and all its descendants, from /proc (Linux). */
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
