// npm run bench:webhook: how many signed 100-record NDJSON POSTs per second the partner
// webhook accepts, with p50/p99 latency, next to a bare endpoint on the same server in the
// same run. The webhook runs as deployed code (the handler behind the local HTTP API
// gateway) against real Postgres (partners, idempotency keys) and the SQS emulator.
import { randomBytes, randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { LoadReport } from '../shared/bench/closed-loop-load.js';
import { HandlerContainers } from '../shared/bench/handler-containers.js';
import type { LoadWorkerData } from '../shared/bench/load-worker.js';
import { runTsWorker, startTsWorker } from '../shared/bench/ts-worker.js';
import { runCli, UsageError } from '../shared/cli/run-cli.js';
import { BARE_ROUTE, startHttpApiGateway } from '../shared/local/http-api/http-api-gateway.js';
import { httpApiRoutes } from '../shared/local/http-api/routes.js';
import { localLambdaContext } from '../shared/local/lambda-context.js';
import type { LambdaInvoker } from '../shared/local/lambda-invoker.js';
import { seededRandom, syntheticEvent } from '../shared/producer/synthetic-events.js';
import { loadMigrations, migrate } from '../shared/stores/postgres/migrator.js';
import { PgPartnerAdmin } from '../shared/stores/postgres/pg-partner-admin.js';
import { createPgPool, withSearchPath } from '../shared/stores/postgres/pg-pool.js';

/** Containers open a Postgres connection each; the default stays well under max_connections (100). */
const DEFAULT_MAX_CONTAINERS = 64;

const usage = `Usage: npm run bench:webhook [-- --connections N] [--seconds S] [--records N] [--record-bytes B] [--containers N] [--no-keys]

Starts the webhook handler behind the local HTTP API gateway (Postgres in a temporary
schema, the SQS emulator on its own thread), then drives it from a load thread over
--connections keep-alive connections for --seconds: first the gateway's bare route (reads
the body, answers 202: the reference), then signed POSTs of --records-event NDJSON
batches, each with its own Idempotency-Key. Prints requests/s, p50/p90/p99 latency, the
ratio webhook/bare, and checks that every accepted record is on the queue.

  --connections N    concurrent connections (default 32)
  --seconds S        measured seconds per run, after a 2 s warm-up (default 10)
  --records N        records per request (default 100)
  --record-bytes B   approximate bytes per record (default 250)
  --containers N     most handler containers, each with its own Postgres connection
                     (default: --connections, at most ${DEFAULT_MAX_CONTAINERS}: Postgres's
                     max_connections is 100 unless raised)
  --no-keys          send no Idempotency-Key (skips the two Postgres writes per request)

The handler runs in this process as Lambda runs it: each container is its own instance of
the handler module (its own Postgres connection and SDK clients) and handles one request at
a time; a request that finds none idle starts another, up to --containers. They share this
process's event loop, so the CPU is one core's however many containers run; --containers 1
measures one container serving every request through its single Postgres connection.`;

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const PARTNER = 'bench-partner';

await runCli(
  { usage, options: { connections: { type: 'string' }, seconds: { type: 'string' }, records: { type: 'string' }, 'record-bytes': { type: 'string' }, containers: { type: 'string' }, 'no-keys': { type: 'boolean' } } },
  async ({ values }) => {
    const connections = int(values['connections'], 32, 1, 1024, '--connections');
    const seconds = int(values['seconds'], 10, 1, 600, '--seconds');
    const records = int(values['records'], 100, 1, 10_000, '--records');
    const recordBytes = int(values['record-bytes'], 250, 100, 60_000, '--record-bytes');
    const maxContainers = int(values['containers'], Math.min(connections, DEFAULT_MAX_CONTAINERS), 1, 1024, '--containers');

    const schema = `bench_webhook_${process.pid}`;
    const admin = createPgPool({ connectionString: DATABASE_URL });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const databaseUrl = withSearchPath(DATABASE_URL, schema);
    const pool = createPgPool({ connectionString: databaseUrl, max: 2, statementTimeoutMs: 60_000 });
    const sqsThread = startTsWorker(new URL('../shared/bench/sqs-emulator-worker.ts', import.meta.url), null);
    let gateway: Awaited<ReturnType<typeof startHttpApiGateway>> | undefined;
    try {
      await migrate(pool, await loadMigrations('migrations'));
      const signingKey = randomBytes(32).toString('base64url');
      const { secret } = await new PgPartnerAdmin(pool, signingKey).add(PARTNER, { limits: { maxRecords: Math.max(10_000, records) } });
      const { endpoint } = await new Promise<{ endpoint: string }>((resolve) => sqsThread.once('message', resolve));
      const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
      const queueName = 'bench-partner-ingest';
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));

      Object.assign(process.env, {
        DATABASE_URL: databaseUrl,
        INGEST_QUEUE_NAME: queueName,
        PARTNER_SIGNING_KEY: signingKey,
        AWS_ENDPOINT_URL_SQS: endpoint,
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_REGION: 'us-east-1',
        // One log line per request is what Lambda does too, but to a pipe, not a terminal.
        POWERTOOLS_LOG_LEVEL: 'WARN',
      });
      type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;
      let invocation = 0;
      // A query string per container makes ESM load the handler module afresh: its own stores.
      const containers = new HandlerContainers<APIGatewayProxyEventV2, unknown>(maxContainers, async (n) => {
        const { handler } = (await import(`../functions/ingest-webhook/handler.js?container=${n}`)) as { handler: Handler };
        return (event) => handler(event, localLambdaContext('ingestWebhook', { remainingMs: 29_000, requestId: `bench-${++invocation}` }));
      });
      const invoker: LambdaInvoker = {
        invoke: async (_name, event) => ({ ok: true, payload: await containers.invoke(event as APIGatewayProxyEventV2) }),
      };
      const routes = httpApiRoutes([{ key: 'ingestWebhook', name: 'ingestWebhook', timeoutSeconds: 29, memorySizeMb: 1024, events: [{ httpApi: { method: 'POST', path: '/v1/ingest/{source}' } }] }]);
      gateway = await startHttpApiGateway({ routes, invoker, host: '127.0.0.1', port: 0 });

      const random = seededRandom(7);
      const bodies = Array.from({ length: 64 }, (_, b) =>
        Array.from({ length: records }, (_, i) => JSON.stringify({ ...syntheticEvent(random, b * records + i, { now: Date.now(), targetBytes: recordBytes }), source: PARTNER })).join('\n'),
      );
      const bodyBytes = Math.round(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / bodies.length);
      const run = (path: string, signed: boolean): Promise<LoadReport> => {
        const data: LoadWorkerData = { baseUrl: gateway!.url, path, connections, seconds, warmupSeconds: 2, bodies, runId: randomUUID(), idempotencyKeys: !values['no-keys'], ...(signed ? { secret } : {}) };
        return runTsWorker<LoadReport>(new URL('../shared/bench/load-worker.ts', import.meta.url), data);
      };
      console.error(`bare route: ${connections} connections, ${seconds} s…`);
      const bare = await run(BARE_ROUTE, false);
      console.error(`webhook: ${connections} connections, ${seconds} s of ${records}-record batches (${bodyBytes} bytes)…`);
      const webhook = await run(`/v1/ingest/${PARTNER}`, true);

      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      const { rows } = await pool.query<{ done: number }>(`SELECT count(*)::int AS done FROM webhook_requests WHERE status = 'done'`);
      sqs.destroy();

      const line = (name: string, r: LoadReport) =>
        `${name.padEnd(8)} ${String(r.perSecond).padStart(7)} req/s  p50 ${r.p50Ms} ms  p90 ${r.p90Ms} ms  p99 ${r.p99Ms} ms  max ${r.maxMs} ms  statuses ${JSON.stringify(r.statuses)}`;
      console.log(
        `webhook benchmark: ${records} records/request (~${bodyBytes} bytes), ${connections} connections, ${seconds} s each, ${values['no-keys'] ? 'no Idempotency-Key' : 'an Idempotency-Key per request'}, ${containers.containers} handler containers (at most ${maxContainers}), Node ${process.version}`,
      );
      console.log(line('bare', bare));
      console.log(line('webhook', webhook));
      console.log(`ratio webhook/bare: ${(webhook.perSecond / bare.perSecond).toFixed(2)}  records/s accepted: ${webhook.perSecond * records}`);
      console.log(`check: ${rows[0]!.done} requests remembered as done (incl. warm-up), ${Attributes?.['ApproximateNumberOfMessages']} messages on the queue`);
    } finally {
      await gateway?.close();
      sqsThread.postMessage('stop');
      await pool.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
      await sqsThread.terminate();
    }
  },
);

function int(raw: string | boolean | undefined, fallback: number, min: number, max: number, flag: string): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
}
