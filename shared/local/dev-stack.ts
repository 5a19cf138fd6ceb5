// The whole pipeline on one machine: emulators (Kinesis, S3, SQS, DynamoDB), the local
// Postgres and Redis, the resources of resources/*.yml, migrations, `serverless offline`
// (HTTP, WebSocket, the Lambda Invoke API and `schedule` events) and the event source
// mappings of serverless.yml. Started and stopped as one unit by `npm run dev`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import type { Server } from 'node:http';
import { createPgPool, withSearchPath } from '../stores/postgres/pg-pool.js';
import { loadMigrations, migrate } from '../stores/postgres/migrator.js';
import { localSigningKey, seedDemoPartner } from './demo-partner.js';
import { startHttpApiGateway } from './http-api/http-api-gateway.js';
import { httpApiRoutes } from './http-api/routes.js';
import { kafkaMappingOf, mappingsOf, type MappingConfig } from './event-source-mappings.js';
import { KafkaEventSource, kafkaStatusOf, type KafkaStatus } from './kafka-event-source.js';
import type { KafkaSettings } from './kafka-settings.js';
import { KinesisEventSource, type BatchLogEntry } from './kinesis-event-source.js';
import { startKinesisEmulatorThread } from './kinesis-emulator-thread.js';
import { LambdaApiInvoker } from './lambda-invoker.js';
import { provisionLocalResources, type LocalResource } from './local-resources.js';
import { checkPortsFree, checkPostgres, checkRedis, cleanUpStaleStack, PreflightError } from './preflight.js';
import { resetLocalAggregates } from './reset-local-aggregates.js';
import { describeService, type ServiceDescription } from './service-description.js';
import { SqsEventSource } from './sqs-event-source.js';

/** Default ports; `portOffset` moves all of them (for a second stack or tests). */
export const DEFAULT_PORTS = { s3AndSqs: 4566, kinesis: 4567, dynamodb: 4568, http: 3000, websocket: 3001, lambda: 3002, offlineHttp: 3003 } as const;
const HOST = '127.0.0.1';
/** Emulators accept any credentials; these keep the SDK from looking for real ones. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Options of {@link startDevStack}. */
export interface DevStackOptions {
  readonly stage: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly portOffset: number;
  /** Shards of on-demand streams locally. */
  readonly shards: number;
  /** Folder for stack.json and the pid file. */
  readonly stateDir: string;
  readonly log: (line: string) => void;
  /** Invocation log lines of the event source mappings. */
  readonly logBatch?: (entry: BatchLogEntry) => void;
  /** Output of `serverless offline` (function logs). */
  readonly logOffline?: (line: string) => void;
  /** A part the stack cannot run without died after start (serverless offline). */
  readonly onFatal?: (message: string) => void;
  /** Kafka to consume into the Kafka ingest function (KAFKA_BROKERS…); undefined: Kafka off. */
  readonly kafka?: KafkaSettings;
}

/** What `.local/stack.json` holds (DESIGN.md "Local development"). */
export interface StackFile {
  readonly region: string;
  readonly stage: string;
  readonly endpoints: { kinesis: string; s3: string; sqs: string; dynamodb: string; lambda: string };
  readonly functions: Record<string, string>;
  readonly http: string;
  readonly ws: string;
  readonly resources: { stream?: string; bucket?: string; queue?: string; dlq?: string; connectionsTable?: string; failuresQueue?: string };
  readonly postgresUrl: string;
  readonly redisUrl: string;
  /** Before every aggregate key and the change channel: the stack's schema name and ':'. */
  readonly redisKeyPrefix: string;
  readonly kafka: KafkaStatus;
  /** The partner to POST to the webhook as, with its signing secret. */
  readonly demoPartner: { id: string; secret: string; url: string };
}

/** A running stack. */
export interface DevStack {
  readonly stack: StackFile;
  readonly stackFile: string;
  readonly startedInMs: number;
  readonly mappings: readonly MappingConfig[];
  /** Whether any function has http/httpApi/websocket events (offline serves those ports only then). */
  readonly servesHttp: boolean;
  /** Whether any function has websocket events (offline listens on the ws port only then). */
  readonly servesWebSocket: boolean;
  /** Stops everything it started, in reverse order; safe to call twice. */
  stop(): Promise<void>;
  /** Kills the child processes at once (a forced exit must not orphan serverless offline). */
  kill(): void;
}

/**
 * Starts the local stack. On failure, everything started so far is stopped again.
 *
 * @example const stack = await startDevStack({ stage: 'dev', databaseUrl, redisUrl, portOffset: 0, shards: 4, stateDir: '.local', log: console.log });
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const started = Date.now();
  const ports = Object.fromEntries(Object.entries(DEFAULT_PORTS).map(([k, v]) => [k, v + options.portOffset])) as Record<
    keyof typeof DEFAULT_PORTS,
    number
  >;
  const pidFile = join(options.stateDir, 'dev.pid');
  const stackFile = join(options.stateDir, 'stack.json');
  mkdirSync(options.stateDir, { recursive: true });
  await cleanUpStaleStack(pidFile);

  const stoppers: (() => Promise<void>)[] = [];
  const children: number[] = [];
  const writePidFile = () => writeFileSync(pidFile, JSON.stringify({ pid: process.pid, children }));
  let stopped = false;
  let stopFinished = false;
  const stop = async () => {
    stopped = true;
    while (stoppers.length > 0) await stoppers.pop()!().catch(() => undefined);
    rmSync(pidFile, { force: true });
    rmSync(stackFile, { force: true });
    stopFinished = true;
  };
  writePidFile();
  stoppers.push(async () => rmSync(pidFile, { force: true }));

  try {
    options.log('checking Postgres, Redis and ports…');
    const checks = await Promise.allSettled([checkPostgres(options.databaseUrl), checkRedis(options.redisUrl), checkPortsFree(HOST, ports)]);
    const problems = checks.flatMap((c) => (c.status === 'rejected' ? [(c.reason as Error).message] : []));
    if (problems.length > 0) throw new PreflightError(problems.join('\n'));

    const schema = localSchemaFor(options.portOffset);
    const databaseUrl = await prepareLocalSchema(options.databaseUrl, schema, options.log);
    const redisKeyPrefix = `${schema}:`;
    if (setsOwnOptions(options.databaseUrl)) {
      options.log(`Redis aggregates under ${redisKeyPrefix}* kept, like the metadata of a DATABASE_URL that sets its own options`);
    } else {
      const cleared = await resetLocalAggregates(options.redisUrl, redisKeyPrefix);
      options.log(`Redis aggregates under ${redisKeyPrefix}* reset (${cleared} keys of an earlier run deleted; other keys untouched)`);
    }

    options.log('starting emulators and reading serverless.yml…');
    const servicePromise = describeService({ stage: options.stage });
    const [fauxqs, kinesisEmulator, dynamo] = await Promise.all([
      startFauxqs(ports.s3AndSqs),
      startKinesisEmulatorThread({ host: HOST, port: ports.kinesis }),
      startDynalite(ports.dynamodb),
    ]);
    stoppers.push(() => fauxqs.close(), () => kinesisEmulator.stop(), () => closeServer(dynamo));
    const endpoints = {
      s3: `http://${HOST}:${ports.s3AndSqs}`,
      sqs: `http://${HOST}:${ports.s3AndSqs}`,
      kinesis: kinesisEmulator.endpoint,
      dynamodb: `http://${HOST}:${ports.dynamodb}`,
      lambda: `http://${HOST}:${ports.lambda}`,
    };
    const service = await servicePromise;
    const clients = localClients(service.region, endpoints);
    stoppers.push(async () => Object.values(clients).forEach((c) => c.destroy()));

    options.log('creating resources from resources/*.yml and migrating Postgres…');
    const [resources] = await Promise.all([
      provisionLocalResources(service.resources, clients, { region: service.region, onDemandShards: options.shards }),
      migrateDatabase(databaseUrl),
    ]);
    const signingKey = localSigningKey(options.stateDir);
    const demoPartner = await seedDemoPartner(databaseUrl, signingKey);

    options.log('starting serverless offline…');
    const offline = await startOffline({ ...options, databaseUrl, redisKeyPrefix }, service, ports, endpoints, signingKey);
    children.push(offline.pid!);
    writePidFile();
    stoppers.push(() => stopChild(offline));
    // Every function runs in offline: without it the stack ingests nothing, so say so and let
    // the caller stop, rather than retrying invocations against a dead port forever.
    offline.once('exit', (code, signal) => {
      if (!stopped) options.onFatal?.(`serverless offline exited unexpectedly (${signal ?? `code ${code}`}); the functions are gone, stopping the stack`);
    });

    const mappings = mappingsOf(service.functions, resources);
    const invoker = new LambdaApiInvoker(
      new LambdaClient({ region: service.region, endpoint: endpoints.lambda, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 }),
    );
    await warmUp(mappings, invoker, options.shards);
    // HTTP API routes go through our gateway (byte-exact bodies) to offline's Invoke API.
    const gateway = await startHttpApiGateway({ routes: httpApiRoutes(service.functions), invoker, host: HOST, port: ports.http, log: options.log });
    stoppers.push(() => gateway.close());
    for (const mapping of mappings) {
      const deps = { sqs: clients.sqs, invoker, region: service.region, log: options.logBatch };
      const source =
        mapping.kind === 'kinesis'
          ? new KinesisEventSource(mapping, { ...deps, kinesis: clients.kinesis })
          : new SqsEventSource(mapping, deps);
      await source.start();
      stoppers.push(() => source.stop());
    }
    if (options.kafka) {
      // KAFKA_BROKERS set means "consume these topics": an unreachable broker fails the start
      // with what to fix, like Postgres does, rather than a stack that silently ingests no Kafka.
      const kafka = new KafkaEventSource(kafkaMappingOf(service, options.kafka), options.kafka, { invoker, log: options.logBatch, logClient: options.log });
      stoppers.push(() => kafka.stop());
      await kafka.start();
    }

    const stack = stackFileOf(service, resources, endpoints, ports, { ...options, databaseUrl, redisKeyPrefix }, demoPartner);
    writeFileSync(stackFile, `${JSON.stringify(stack, null, 2)}\n`);
    const kill = () => {
      // After a finished stop the process groups are gone and their ids free for reuse.
      if (stopFinished) return;
      for (const pid of children) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      rmSync(pidFile, { force: true });
      rmSync(stackFile, { force: true });
    };
    const servesHttp = service.functions.some((f) => f.events.some((e) => 'http' in e || 'httpApi' in e));
    const servesWebSocket = service.functions.some((f) => f.events.some((e) => 'websocket' in e));
    return { stack, stackFile, startedInMs: Date.now() - started, mappings, servesHttp, servesWebSocket, stop, kill };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Invokes each stream-triggered function as many times at once as its mapping can run
 * concurrently (shards × parallelization factor), with an empty batch. serverless offline
 * starts a worker per concurrent invocation, and a worker's cold start (bundle, wasm,
 * connections) takes a second or more: done here, it does not land in the first minutes of
 * traffic as a latency spike.
 */
async function warmUp(mappings: readonly MappingConfig[], invoker: LambdaApiInvoker, shards: number): Promise<void> {
  await Promise.all(
    mappings
      .filter((m) => m.kind === 'kinesis')
      .flatMap((m) => Array.from({ length: shards * (m.kind === 'kinesis' ? m.parallelizationFactor : 1) }, () => invoker.invoke(m.functionName, { Records: [] }))),
  );
}

/** Whether DATABASE_URL sets connection `options` (e.g. a search_path): then the stack resets nothing. */
function setsOwnOptions(databaseUrl: string): boolean {
  return /[?&]options=/.test(databaseUrl);
}

/** The Postgres schema of the local stack, unless DATABASE_URL names one itself. */
export const LOCAL_SCHEMA = 'event_lake_local';

/** A stack on shifted ports gets its own schema, so two stacks on one database do not drop each other's. */
export function localSchemaFor(portOffset: number): string {
  return portOffset === 0 ? LOCAL_SCHEMA : `${LOCAL_SCHEMA}_${portOffset}`;
}

/**
 * The emulators keep nothing between runs, so metadata of an earlier run (checkpoints,
 * manifest rows of files that no longer exist) would make the new run skip records and
 * `npm run query` fail. The stack therefore works in its own schema, recreated at every
 * start; a DATABASE_URL that already sets `options` (e.g. a search_path) is used as is.
 */
async function prepareLocalSchema(databaseUrl: string, schema: string, log: (line: string) => void): Promise<string> {
  if (setsOwnOptions(databaseUrl)) return databaseUrl;
  const admin = createPgPool({ connectionString: databaseUrl });
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  log(`Postgres schema ${schema} recreated (the emulators keep nothing between runs, so neither does the metadata)`);
  return withSearchPath(databaseUrl, schema);
}

async function startFauxqs(port: number): Promise<{ close(): Promise<void> }> {
  // No `host` option: it only names queue URLs (sqs.<region>.<host>), and an IP there makes
  // URLs the SDK cannot parse; listen() below binds to 127.0.0.1.
  const app = buildApp({ logger: false });
  await app.listen({ port, host: HOST });
  return { close: () => app.close() };
}

async function startDynalite(port: number): Promise<Server> {
  // dynalite keeps tables in memory without a path; it has no TTL (nothing here relies on it yet).
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve());
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function localClients(region: string, endpoints: { kinesis: string; s3: string; sqs: string; dynamodb: string }) {
  const common = { region, credentials: LOCAL_CREDENTIALS };
  return {
    // The event sources poll kinesalite directly over HTTP/1.1; users' clients use the front's HTTP/2.
    kinesis: new KinesisClient({ ...common, endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() }),
    s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
  };
}

async function migrateDatabase(databaseUrl: string): Promise<void> {
  const pool = createPgPool({ connectionString: databaseUrl, statementTimeoutMs: 120_000 });
  try {
    await migrate(pool, await loadMigrations('migrations'));
  } finally {
    await pool.end();
  }
}

/** The Go soft memory limit of the esbuild service that serverless offline keeps running. */
const OFFLINE_ESBUILD_MEMORY_LIMIT = '160MiB';

/**
 * The Node options serverless offline runs with. Locally every function shares its one
 * process, where a function's own NODE_OPTIONS cannot apply; the ingest functions' options
 * (their V8 flags: the CPU-heavy path, as deployed) are added to the inherited ones.
 *
 * @example offlineNodeOptions(undefined, '--enable-source-maps --max-semi-space-size=32') // '--enable-source-maps --max-semi-space-size=32'
 */
export function offlineNodeOptions(inherited: string | undefined, ingestNodeOptions: unknown): string {
  const options = (inherited ?? '').split(/\s+/).filter((o) => o !== '');
  const ingest = typeof ingestNodeOptions === 'string' ? ingestNodeOptions.split(/\s+/).filter((o) => o !== '') : [];
  for (const option of ingest) if (!options.includes(option)) options.push(option);
  return options.join(' ');
}

/**
 * Runs `serverless offline` in its own process group (so a stop kills its workers too) with
 * the environment functions need locally: the AWS SDK's standard endpoint variables, which
 * offline passes through to every function, and dummy credentials.
 */
/** The options after start-up has settled the stack's own schema and Redis key prefix. */
type ResolvedStackOptions = DevStackOptions & { readonly redisKeyPrefix: string };

async function startOffline(
  options: ResolvedStackOptions,
  service: ServiceDescription,
  ports: Record<keyof typeof DEFAULT_PORTS, number>,
  endpoints: { kinesis: string; s3: string; sqs: string; dynamodb: string; lambda: string },
  partnerSigningKey: string,
): Promise<ChildProcess> {
  const child = spawn(
    'node_modules/.bin/sls',
    [
      'offline', 'start', '--stage', options.stage, '--host', HOST,
      '--httpPort', String(ports.offlineHttp), '--websocketPort', String(ports.websocket), '--lambdaPort', String(ports.lambda),
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        REDIS_KEY_PREFIX: options.redisKeyPrefix,
        AWS_REGION: service.region,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_S3: endpoints.s3,
        AWS_ENDPOINT_URL_SQS: endpoints.sqs,
        AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        NODE_OPTIONS: offlineNodeOptions(process.env['NODE_OPTIONS'], service.params['ingestNodeOptions']),
        // esbuild (Go) stays running for offline's rebuild-on-change and kept ~340 MB after
        // the first bundles; a soft limit makes its GC hand memory back (~160 MB) for about
        // 2 s more start-up. Set GOMEMLIMIT=off to turn it off.
        GOMEMLIMIT: process.env['GOMEMLIMIT'] ?? OFFLINE_ESBUILD_MEMORY_LIMIT,
        // Resolved by serverless.yml's dev params into the webhook's environment.
        PARTNER_SIGNING_KEY: partnerSigningKey,
      },
    },
  );
  const output: string[] = [];
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      if (output.length < 200) output.push(line);
      options.logOffline?.(line);
    }
  };
  child.stdout!.on('data', forward);
  child.stderr!.on('data', forward);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = waitForPort(HOST, ports.lambda, 90_000);
  const outcome = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const)]);
  if (outcome === 'exited') {
    throw new PreflightError(`serverless offline exited during start:\n  ${output.slice(-20).join('\n  ')}`);
  }
  return child;
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new PreflightError(`serverless offline did not open port ${port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM the process group, SIGKILL after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      /* already gone */
    }
  };
  // A child that already died (killed by a signal: exitCode stays null) emits no more 'exit';
  // its process group may still hold workers, so it gets a SIGKILL and nothing is awaited.
  if (child.exitCode !== null || child.signalCode !== null) {
    signal('SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function stackFileOf(
  service: ServiceDescription,
  resources: ReadonlyMap<string, LocalResource>,
  endpoints: StackFile['endpoints'],
  ports: Record<keyof typeof DEFAULT_PORTS, number>,
  options: ResolvedStackOptions,
  demoPartner: { id: string; secret: string },
): StackFile {
  const all = [...resources.values()];
  const ofType = (type: string) => all.filter((r) => r.type === type);
  const queues = ofType('AWS::SQS::Queue');
  return {
    region: service.region,
    stage: options.stage,
    endpoints,
    functions: Object.fromEntries(service.functions.map((f) => [f.key, f.name])),
    http: `http://${HOST}:${ports.http}`,
    ws: `ws://${HOST}:${ports.websocket}`,
    resources: {
      stream: ofType('AWS::Kinesis::Stream')[0]?.name,
      bucket: ofType('AWS::S3::Bucket')[0]?.name,
      queue: queues.find((q) => !/failures|dlq/i.test(q.name))?.name,
      dlq: queues.find((q) => /dlq/i.test(q.name))?.name,
      failuresQueue: queues.find((q) => /failures/i.test(q.name))?.name,
      connectionsTable: ofType('AWS::DynamoDB::Table')[0]?.name,
    },
    postgresUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    redisKeyPrefix: options.redisKeyPrefix,
    demoPartner: { ...demoPartner, url: `http://${HOST}:${ports.http}/v1/ingest/${demoPartner.id}` },
    kafka: kafkaStatusOf(options.kafka && kafkaMappingOf(service, options.kafka)),
  };
}
