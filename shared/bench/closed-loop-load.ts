// A closed-loop HTTP load generator: `connections` keep-alive connections, each sending its
// next request as soon as the previous answer arrives, for a fixed time. Records every
// latency, so percentiles are exact rather than sampled.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One request to send; built per request so signatures and keys can be fresh. */
export interface LoadRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** What a run measured. */
export interface LoadReport {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly statuses: Record<string, number>;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Sends requests from `next()` to `baseUrl` over `connections` connections for `seconds`
 * (after `warmupSeconds` not measured).
 *
 * @example const report = await runClosedLoop({ baseUrl, connections: 32, seconds: 10, warmupSeconds: 2, next });
 */
export async function runClosedLoop(options: {
  baseUrl: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  next: (n: number) => LoadRequest;
}): Promise<LoadReport> {
  const url = new URL(options.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let n = 0;
  const start = performance.now();
  const measureFrom = start + options.warmupSeconds * 1000;
  const end = measureFrom + options.seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const req = options.next(n++);
      const sentAt = performance.now();
      const status = await send(agent, url, req);
      const doneAt = performance.now();
      if (sentAt >= measureFrom && doneAt <= end) {
        latencies.push(doneAt - sentAt);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    requests: latencies.length,
    seconds: options.seconds,
    perSecond: Math.round(latencies.length / options.seconds),
    statuses,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
  };
}

function send(agent: Agent, url: URL, req: LoadRequest): Promise<string> {
  return new Promise((resolve) => {
    const r = request(
      { agent, host: url.hostname, port: url.port, method: 'POST', path: req.path, headers: { ...req.headers, 'content-length': String(req.body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
      },
    );
    r.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    r.end(req.body);
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
