// Sends ~500-byte events with PutRecords at a steady rate from its own thread, so producing
// the load (generating events, the SDK's serialisation) does not share an event loop with
// the local stack's event source mappings it measures; in production producers are other
// machines. Reports every accepted record's shard, sequence number and the time PutRecords
// returned, on the epoch clock both threads share.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { seededRandom, syntheticEvent } from '../producer/synthetic-events.js';

/** What the load thread is told to do: phases run back to back at one rate. */
export interface KinesisLoadWorkerData {
  readonly endpoint: string;
  readonly region: string;
  readonly stream: string;
  readonly rate: number;
  readonly phases: readonly { readonly seconds: number; readonly measured: boolean }[];
}

/** Messages from the load thread. */
export type KinesisLoadMessage =
  | { readonly type: 'put'; readonly measured: boolean; readonly at: number; readonly records: readonly { readonly shard: string; readonly seq: string }[] }
  | { readonly type: 'phase'; readonly measured: boolean; readonly sent: number; readonly seconds: number };

/** Epoch milliseconds with sub-millisecond resolution, comparable across threads. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

const TICK_MS = 20;
const PUT_RECORDS_MAX = 500;

async function main(data: KinesisLoadWorkerData): Promise<void> {
  const kinesis = new KinesisClient({ region: data.region, endpoint: data.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const random = seededRandom(7);
  let n = 0;
  for (const phase of data.phases) {
    const start = performance.now();
    const inFlight = new Set<Promise<void>>();
    let scheduled = 0;
    let sent = 0;
    while (performance.now() - start < phase.seconds * 1000) {
      // Catch up from elapsed time, so a late timer does not lower the rate.
      const count = Math.floor(((performance.now() - start) / 1000) * data.rate) - scheduled;
      scheduled += count;
      for (let i = 0; i < count; i += PUT_RECORDS_MAX) {
        const records = Array.from({ length: Math.min(PUT_RECORDS_MAX, count - i) }, () => ({
          Data: Buffer.from(JSON.stringify(syntheticEvent(random, n++, { now: Date.now(), lateShare: 0 }))),
          PartitionKey: randomUUID(),
        }));
        sent += records.length;
        const request = kinesis.send(new PutRecordsCommand({ StreamName: data.stream, Records: records })).then((out) => {
          const at = epochNow();
          const accepted = (out.Records ?? []).filter((r) => r.SequenceNumber).map((r) => ({ shard: r.ShardId!, seq: r.SequenceNumber! }));
          parentPort!.postMessage({ type: 'put', measured: phase.measured, at, records: accepted } satisfies KinesisLoadMessage);
        });
        inFlight.add(request);
        void request.finally(() => inFlight.delete(request));
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    await Promise.all(inFlight);
    parentPort!.postMessage({ type: 'phase', measured: phase.measured, sent, seconds: (performance.now() - start) / 1000 } satisfies KinesisLoadMessage);
  }
  kinesis.destroy();
}

if (parentPort && workerData) await main(workerData as KinesisLoadWorkerData);
