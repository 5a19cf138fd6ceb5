// npm run dev: the whole pipeline locally (see shared/local/dev-stack.ts), plus a traffic
// producer, until Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
// The SDK's notice about Node 20 is for releases after January 2027; Lambda runs Node 22.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
import { runCli, UsageError } from '../shared/cli/run-cli.js';
import { DEFAULT_PORTS, startDevStack, type DevStack } from '../shared/local/dev-stack.js';
import { parseKafkaSettings } from '../shared/local/kafka-settings.js';
import { BatchSummary, formatBatch, SUMMARY_EVERY_MS } from '../shared/local/batch-summary.js';

/** Signals closer together than this count as one. */
const REPEATED_SIGNAL_MS = 3000;

const usage = `Usage: npm run dev [-- --no-producer] [--rate N] [options]

Starts the whole pipeline on this machine, no cloud account needed: emulated Kinesis, S3,
SQS and DynamoDB; your local Postgres and Redis; the resources of resources/*.yml;
migrations; serverless offline (HTTP, WebSocket, Lambda Invoke API); and the event source
mappings of serverless.yml with Lambda's semantics. Writes .local/stack.json with every
endpoint and resource name, prints one "ready" line, runs until Ctrl-C or SIGTERM.

  --no-producer       start without synthetic traffic
  --rate N            producer records per second (default 50)
  --stage S           serverless.yml stage to run (default dev)
  --shards N          shards of on-demand streams (default 4)
  --port-offset N     add N to every port (defaults: S3/SQS ${DEFAULT_PORTS.s3AndSqs}, Kinesis ${DEFAULT_PORTS.kinesis},
                      DynamoDB ${DEFAULT_PORTS.dynamodb}, HTTP ${DEFAULT_PORTS.http}, WebSocket ${DEFAULT_PORTS.websocket}, Lambda ${DEFAULT_PORTS.lambda},
                      offline's own HTTP ${DEFAULT_PORTS.offlineHttp}, unused)
  --state-dir DIR     where stack.json and the pid file go (default .local)
  --verbose           one line per invocation and every function log line (default: a summary
                      of successful invocations every 5 s, failures at once, warnings and errors)

Settings: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
REDIS_URL (default redis://127.0.0.1:6379), KAFKA_BROKERS (host:port,…; Kafka stays off
without it, and the start fails if they do not answer within 10 s), KAFKA_TOPICS (default:
the Kafka event's topic, else the kafkaTopic param), KAFKA_SASL_MECHANISM (plain,
scram-sha-256, scram-sha-512) with KAFKA_USERNAME and KAFKA_PASSWORD, KAFKA_SSL=true.`;

await runCli(
  {
    usage,
    options: {
      'no-producer': { type: 'boolean' },
      rate: { type: 'string' },
      stage: { type: 'string' },
      shards: { type: 'string' },
      'port-offset': { type: 'string' },
      'state-dir': { type: 'string' },
      verbose: { type: 'boolean' },
    },
  },
  async ({ values }) => {
    const rate = positiveNumber(values['rate'], 50, '--rate');
    const stateDir = String(values['state-dir'] ?? '.local');
    const verbose = values['verbose'] === true;
    // Before anything starts: a mistyped KAFKA_* variable fails at once, naming it.
    const kafka = parseKafkaSettings(process.env);
    const summary = new BatchSummary();
    setInterval(() => summary.flush((line) => console.log(line)), SUMMARY_EVERY_MS).unref();
    // Filled in as things start, so a signal during start-up stops what exists so far.
    const running: { stack?: DevStack; producer?: ChildProcess } = {};
    let stopping = 0;

    const shutdown = async (signal: string, exitCode = 0) => {
      if (stopping) {
        // Ctrl-C reaches npm, tsx and this process at once, and they relay it: a repeat within
        // a few seconds is the same keypress, not an impatient user.
        if (Date.now() - stopping < REPEATED_SIGNAL_MS) return;
        console.error('second signal: killing the stack now');
        running.stack?.kill();
        running.producer?.kill('SIGKILL');
        process.exit(130);
      }
      stopping = Date.now();
      console.error(`\n${signal}: stopping the local stack…`);
      running.producer?.kill('SIGINT');
      await running.stack?.stop();
      console.error('stopped');
      process.exit(exitCode);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    // A closed terminal: Node's default would end the process without stopping the stack.
    process.on('SIGHUP', () => void shutdown('SIGHUP'));
    // However this process ends otherwise (an uncaught error; a parent gone, so writing to the
    // broken stdout pipe throws), serverless offline runs in a process group of its own and
    // would outlive it holding the ports: kill it on the way out (nothing to do after a
    // finished stop).
    process.on('exit', () => running.stack?.kill());

    const stack = await startDevStack({
      stage: String(values['stage'] ?? 'dev'),
      databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      portOffset: positiveNumber(values['port-offset'], 0, '--port-offset', true),
      shards: positiveNumber(values['shards'], 4, '--shards'),
      stateDir,
      kafka,
      log: (line) => console.error(line),
      logBatch: (entry) => {
        if (verbose || entry.outcome !== 'ok') console.log(formatBatch(entry));
        else summary.add(entry);
      },
      logOffline: (line) => {
        if (verbose || !isRoutineLogLine(line)) console.log(`  ${line}`);
      },
      onFatal: (message) => {
        console.error(`error: ${message}`);
        void shutdown('serverless offline died', 1);
      },
    });
    running.stack = stack;
    if (stopping) return;

    let producer: ChildProcess | undefined;
    if (values['no-producer'] !== true) {
      producer = running.producer = spawn('node_modules/.bin/tsx', ['scripts/produce.ts', '--rate', String(rate), '--stack-file', stack.stackFile], {
        stdio: ['ignore', 'inherit', 'pipe'],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      // The producer reports every second; every tenth report is enough next to the batch log.
      let reports = 0;
      producer.stderr!.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() !== '' && reports++ % 10 === 0) console.error(`producer: ${line.trim()}`);
        }
      });
    }

    const s = stack.stack;
    console.error(
      `ready in ${(stack.startedInMs / 1000).toFixed(1)} s  ${stack.servesHttp ? `http ${s.http}  ` : ''}${stack.servesWebSocket ? `ws ${s.ws}  ` : ''}kinesis ${s.endpoints.kinesis}  ` +
        `s3+sqs ${s.endpoints.s3}  dynamodb ${s.endpoints.dynamodb}  lambda ${s.endpoints.lambda}  stack ${stack.stackFile}`,
    );
    console.error(
      `  ${stack.mappings.map((m) => `${m.kind === 'kinesis' ? m.streamName : m.queueName} → ${m.functionKey}`).join(', ')}; bucket ${s.resources.bucket}; ` +
        `producer ${producer ? `${rate} records/s (--no-producer to turn off)` : 'off'}; Kafka ${s.kafka.reason}; ` +
        `${stack.servesWebSocket ? '' : 'WebSocket: no such functions yet; '}dashboard: not built yet; ` +
        'try: npm run query -- "SELECT count(*) FROM events", npm run metrics -- web',
    );
    console.error(`  partner webhook: POST ${s.demoPartner.url} as ${s.demoPartner.id} (secret in ${stack.stackFile}; npm run partner-client -- --demo 100 sends a signed batch)`);
    await new Promise(() => undefined); // run until a signal
  },
);

/** Offline's per-request lines and INFO/DEBUG JSON logs repeat what the batch log says. */
function isRoutineLogLine(line: string): boolean {
  if (/^\(λ: .*\) RequestId: /.test(line)) return true;
  // offline's own HTTP server and its route box: HTTP goes through the stack's gateway (the
  // ready line's http URL), so offline's port would only mislead.
  if (/^[┌│└]|^Server ready: /.test(line.trim())) return true;
  return /^\{"level":"(INFO|DEBUG)"/.test(line);
}

function positiveNumber(value: unknown, fallback: number, name: string, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new UsageError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  return n;
}
