// Runs the closed-loop load generator on its own thread, so the load does not share an event
// loop with the server it measures. Requests are signed partner POSTs (fresh timestamp and
// Idempotency-Key each) or, for the reference, the same bodies to the bare route.
import { parentPort, workerData } from 'node:worker_threads';
import { signRequest } from '../webhook/request-signature.js';
import { runClosedLoop, type LoadRequest } from './closed-loop-load.js';

/** What the load thread is told to do. */
export interface LoadWorkerData {
  readonly baseUrl: string;
  readonly path: string;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly bodies: readonly string[];
  /** Sign with this partner secret; unset sends unsigned requests (the bare route). */
  readonly secret?: string;
  readonly runId: string;
  /** Send a fresh Idempotency-Key with every request (as a careful partner does). */
  readonly idempotencyKeys: boolean;
}

const data = workerData as LoadWorkerData;
const bodies = data.bodies.map((b) => Buffer.from(b));
const next = (n: number): LoadRequest => {
  const body = bodies[n % bodies.length]!;
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (data.idempotencyKeys) headers['idempotency-key'] = `${data.runId}-${n}`;
  if (data.secret) {
    const timestamp = Math.floor(Date.now() / 1000);
    headers['x-timestamp'] = String(timestamp);
    headers['x-signature'] = signRequest(data.secret, timestamp, body);
  }
  return { path: data.path, headers, body };
};
const report = await runClosedLoop({ baseUrl: data.baseUrl, connections: data.connections, seconds: data.seconds, warmupSeconds: data.warmupSeconds, next });
parentPort!.postMessage(report);
