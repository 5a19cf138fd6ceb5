// npm run produce: realistic traffic (valid, late and malformed events) into the Kinesis
// stream of the local stack or of a deployed stage, at a target rate.
import { existsSync, readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { STACK_FILE } from '../shared/cli/cli-config.js';
import { runCli, UsageError } from '../shared/cli/run-cli.js';
import { ConfigError, PipelineError } from '../shared/errors.js';
import { ProducerError } from '../shared/producer/errors.js';
import { produceToKinesis } from '../shared/producer/kinesis-producer.js';
import { formatProgressLine, formatSummaryLine, type ProducerReport } from '../shared/producer/producer-report.js';
import { resolveProducerTarget, type LocalStackInfo, type ProducerTarget } from '../shared/producer/producer-target.js';
import { seededRandom } from '../shared/producer/synthetic-events.js';
import { MAX_EVENTS_PER_RECORD, TrafficPlan } from '../shared/producer/traffic-plan.js';

const usage = `Usage: npm run produce -- [--rate N] [--duration S] [--count N] [options]

Sends synthetic page_view/purchase events (~500 bytes, skewed users) to a Kinesis stream
with PutRecords, a share of them late (event time 10-90 min old) or malformed (not JSON,
truncated, missing field, bad ts, unknown event type, schema violation). Runs until
--count records or --duration seconds, or Ctrl-C (requests in flight finish; twice quits).

  --rate N              target records per second (default 100)
  --duration S          stop after S seconds
  --count N             stop after N records
  --malformed-share X   share of malformed events, 0-1 (default 0.01)
  --late-share X        share of late events, 0-1 (default 0.02)
  --ndjson K            pack K events per record as NDJSON (default 1: one JSON event)
  --gzip                gzip each record
  --seed N              seed of the generator, to repeat a run (default: random, printed)
  --in-flight N         concurrent PutRecords requests (default 8)
  --json                print the summary as JSON

Target (default: the local stack, from ${STACK_FILE}, written by \`npm run dev\`):
  --stage STAGE         the deployed stream event-lake-<STAGE>-events, default AWS credentials
  --stream NAME         the stream name (overrides the stack's or the stage's; alone and with
                        no local stack: a deployed stream)
  --region R            AWS region (default: the stack's, else AWS_REGION / profile)
  --endpoint URL        a Kinesis endpoint, e.g. an emulator (dummy credentials if none set)
  --stack-file PATH     the local stack's description (default ${STACK_FILE})

Progress goes to stderr once per second; the summary to stdout. Exits 1 if any record could
not be delivered after retries.

Example: npm run produce -- --rate 1000 --duration 60 --malformed-share 0.02`;

await runCli(
  {
    usage,
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      count: { type: 'string' },
      'malformed-share': { type: 'string' },
      'late-share': { type: 'string' },
      ndjson: { type: 'string' },
      gzip: { type: 'boolean' },
      seed: { type: 'string' },
      'in-flight': { type: 'string' },
      json: { type: 'boolean' },
      stream: { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      'stack-file': { type: 'string' },
    },
  },
  async ({ values }) => {
    const rate = numberOption(values, 'rate', 100, { min: Number.MIN_VALUE });
    const duration = optionalNumber(values, 'duration', { min: Number.MIN_VALUE });
    const count = optionalNumber(values, 'count', { min: 1, integer: true });
    const seed = numberOption(values, 'seed', Math.floor(Math.random() * 2 ** 31), { min: 0, integer: true });
    const malformedShare = numberOption(values, 'malformed-share', 0.01, { min: 0, max: 1 });
    const lateShare = numberOption(values, 'late-share', 0.02, { min: 0, max: 1 });
    if (malformedShare + lateShare > 1) throw new UsageError('--malformed-share plus --late-share must not exceed 1');
    const plan = new TrafficPlan(seededRandom(seed), {
      malformedShare,
      lateShare,
      eventsPerRecord: numberOption(values, 'ndjson', 1, { min: 1, max: MAX_EVENTS_PER_RECORD, integer: true }),
      gzip: values['gzip'] === true,
    });
    const inFlight = numberOption(values, 'in-flight', 8, { min: 1, max: 256, integer: true });
    const target = resolveProducerTarget(
      { stream: str(values, 'stream'), stage: str(values, 'stage'), region: str(values, 'region'), endpoint: str(values, 'endpoint') },
      readLocalStack(str(values, 'stack-file') ?? STACK_FILE),
      { hasCredentials: Boolean(process.env['AWS_ACCESS_KEY_ID']) },
    );
    const client = createClient(target, inFlight);

    const controller = new AbortController();
    process.once('SIGINT', () => {
      process.stderr.write('stopping: finishing requests in flight (Ctrl-C again to quit now)\n');
      controller.abort();
      process.once('SIGINT', () => process.exit(130));
    });
    process.stderr.write(
      `producing to ${target.streamName} on ${target.description} at ${rate} records/s` +
        `${count ? `, ${count} records` : ''}${duration ? `, for ${duration} s` : ''} (seed ${seed})\n`,
    );

    let report: ProducerReport;
    try {
      report = await produceToKinesis({
        client,
        streamName: target.streamName,
        plan,
        ratePerSecond: rate,
        durationSeconds: duration,
        count,
        maxInFlight: inFlight,
        signal: controller.signal,
        onProgress: (p) => process.stderr.write(`${formatProgressLine(p)}\n`),
      });
    } catch (error) {
      if (!(error instanceof ProducerError)) throw error;
      if (error.report) printSummary(error.report, seed, target, values['json'] === true, error.message);
      throw new PipelineError(`${error.message} [target: ${target.description}, region ${target.region ?? 'default'}]`, { cause: error });
    } finally {
      client.destroy();
    }
    printSummary(report, seed, target, values['json'] === true);
    if (report.failed > 0) {
      throw new PipelineError(`${report.failed} records could not be delivered after retries (see errors in the summary)`);
    }
  },
);

function printSummary(report: ProducerReport, seed: number, target: ProducerTarget, json: boolean, error?: string): void {
  if (json) {
    const summary = { ...report, seed, target: { stream: target.streamName, region: target.region, endpoint: target.endpoint }, error };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatSummaryLine(report)} (seed ${seed})\n`);
  }
}

/**
 * HTTP/1.1 on purpose: the SDK's Kinesis client defaults to HTTP/2 (for SubscribeToShard),
 * which kinesalite cannot speak; PutRecords works over HTTP/1.1 everywhere, with one
 * keep-alive socket per request in flight.
 */
function createClient(target: ProducerTarget, inFlight: number): KinesisClient {
  return new KinesisClient({
    region: target.region,
    endpoint: target.endpoint,
    credentials: target.dummyCredentials ? { accessKeyId: 'test', secretAccessKey: 'test' } : undefined,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: inFlight }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: inFlight }),
    }),
  });
}

function readLocalStack(path: string): LocalStackInfo | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalStackInfo;
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

type Values = Record<string, string | boolean | undefined>;

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function optionalNumber(values: Values, name: string, limits: { min?: number; max?: number; integer?: boolean }): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  const { min = -Infinity, max = Infinity, integer = false } = limits;
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const kind = integer ? 'an integer' : 'a number';
    const range =
      min === Number.MIN_VALUE ? 'a positive number' : max === Infinity ? `${kind} of at least ${min}` : `${kind} from ${min} to ${max}`;
    throw new UsageError(`--${name} must be ${range}, got "${text}"`);
  }
  return n;
}

function numberOption(values: Values, name: string, fallback: number, limits: { min?: number; max?: number; integer?: boolean }): number {
  return optionalNumber(values, name, limits) ?? fallback;
}
