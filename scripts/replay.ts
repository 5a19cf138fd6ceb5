// npm run replay -- --from quarantine|dlq: re-feeds quarantined records or dead-lettered
// messages through the partner ingest queue once their cause is fixed.
import { loadCliConfig, type RequiredCliSetting } from '../shared/cli/cli-config.js';
import { runCli, UsageError } from '../shared/cli/run-cli.js';
import { QUEUE_ATTRIBUTES } from '../shared/envelope/sqs.js';
import { DLQ_HOLD_SECONDS, replayDeadLetters, type DlqReplayReport } from '../shared/replay/dlq-replay.js';
import { replayQuarantine, type QuarantineReplayReport } from '../shared/replay/quarantine-replay.js';
import { formatDlqReport, formatQuarantineReport } from '../shared/replay/replay-summary.js';
import { InvalidSinceError, parseSince } from '../shared/replay/since-parser.js';
import { SchemaRegistry } from '../shared/schema/schema-registry.js';
import { createPgPool } from '../shared/stores/postgres/pg-pool.js';
import { PgQuarantineLedger } from '../shared/stores/postgres/pg-quarantine-ledger.js';
import { PgSchemaStore } from '../shared/stores/postgres/pg-schema-store.js';
import { createS3Client } from '../shared/stores/s3/s3-lake-store.js';
import { S3ObjectReader } from '../shared/stores/s3/s3-object-reader.js';
import { createSqsClient, resolveQueueUrl } from '../shared/stores/sqs/sqs-client.js';
import { SqsDeadLetterQueue } from '../shared/stores/sqs/sqs-dead-letter-queue.js';
import { SqsRecordQueue } from '../shared/stores/sqs/sqs-record-queue.js';
import { maxMessageBodyBytes } from '../shared/webhook/pack-queue-messages.js';

const usage = `Usage: npm run replay -- --from quarantine|dlq [--source S] [--since T] [--dry-run] [--json]

Re-feeds what failed, once its cause is fixed, through the partner ingest queue. The queue's
consumer drops events already in the lake (by source and event_id), so a replay never
duplicates an event and running one twice is harmless.

  --from quarantine  recheck the pending quarantine rows (producer contract, then the schemas
                     registered now); events that pass are sent to the ingest queue and their
                     rows marked replayed; the rest stay pending, listed by reason
  --from dlq         move the dead-letter queue's messages back to the ingest queue unchanged,
                     deleting each from the DLQ once sent; others stay in the DLQ
  --source S         only this source (quarantine.source, or the message's source attribute)
  --since T          only rows quarantined (messages first sent) since T: an ISO time with a
                     zone, a date (UTC), or a span back from now: 30m, 2h, 7d
  --dry-run          report what would be replayed; send, mark and delete nothing
  --json             print the summary as one JSON object
  --queue Q          the ingest queue, by URL or name (default INGEST_QUEUE_URL)
  --dlq Q            its dead-letter queue, by URL or name (default INGEST_DLQ_URL)

Progress goes to stderr every 1,000 rows or messages, the summary to stdout; exit 1 on failure.

Settings: DATABASE_URL, LAKE_BUCKET, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS, AWS_REGION,
INGEST_QUEUE_URL, INGEST_DLQ_URL, QUEUE_MAX_MESSAGE_BYTES (default 262144), or the local
stack's .local/stack.json.

Example: npm run replay -- --from dlq --source acme --since 2h --dry-run`;

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface ReplayRun {
  readonly source: string | undefined;
  readonly since: Date | undefined;
  readonly dryRun: boolean;
  readonly startedAt: number;
  readonly env: Record<string, string | undefined>;
}

await runCli(
  {
    usage,
    options: {
      from: { type: 'string' },
      source: { type: 'string' },
      since: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      queue: { type: 'string' },
      dlq: { type: 'string' },
    },
  },
  async ({ values }) => {
    const from = values['from'];
    if (from !== 'quarantine' && from !== 'dlq') throw new UsageError('--from must be quarantine or dlq');
    const source = values['source'] as string | undefined;
    if (source !== undefined && !SOURCE.test(source)) throw new UsageError(`"${source}" is not a valid source name`);
    const startedAt = Date.now();
    const run: ReplayRun = {
      source,
      since: sinceOf(values['since'] as string | undefined, startedAt),
      dryRun: values['dry-run'] === true,
      startedAt,
      env: {
        ...process.env,
        ...(values['queue'] ? { INGEST_QUEUE_URL: String(values['queue']) } : {}),
        ...(values['dlq'] ? { INGEST_DLQ_URL: String(values['dlq']) } : {}),
      },
    };
    const report = from === 'quarantine' ? await fromQuarantine(run) : await fromDlq(run);
    if (values['json']) {
      process.stdout.write(`${JSON.stringify({ from, ...report }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${'failures' in report ? formatQuarantineReport(report) : formatDlqReport(report)}\n`);
  },
);

async function fromQuarantine(run: ReplayRun): Promise<QuarantineReplayReport> {
  const required: RequiredCliSetting[] = run.dryRun ? ['bucket'] : ['bucket', 'queue'];
  const config = loadCliConfig(run.env, { require: required });
  const pool = createPgPool({ connectionString: config.databaseUrl, statementTimeoutMs: 60_000, applicationName: 'event-lake-replay' });
  const s3 = createS3Client({ region: config.region, endpoint: config.s3Endpoint, credentials: config.emulatorCredentials });
  const sqs = createSqsClient({ region: config.region, endpoint: config.sqsEndpoint, credentials: config.emulatorCredentials });
  try {
    // Resolved before any work, so a wrong queue fails the run before it reads a row.
    const queueUrl = run.dryRun ? undefined : await resolveQueueUrl(sqs, config.ingestQueue!);
    return await replayQuarantine(
      {
        ledger: new PgQuarantineLedger(pool),
        objects: new S3ObjectReader(s3, config.lakeBucket!),
        schemas: new SchemaRegistry(new PgSchemaStore(pool)),
        queue: queueUrl ? new SqsRecordQueue(sqs, async () => queueUrl, { maxMessageBytes: config.queueMaxMessageBytes }) : undefined,
      },
      {
        source: run.source,
        since: run.since,
        dryRun: run.dryRun,
        maxMessageBodyBytes: maxMessageBodyBytes(config.queueMaxMessageBytes),
        onProgress: (p) => progress(`quarantine: ${p.scanned} rows checked, ${p.replayed} ${run.dryRun ? 'would be replayed' : 'replayed'}, ${p.stillFailing} still failing`),
      },
    );
  } finally {
    s3.destroy();
    sqs.destroy();
    await pool.end();
  }
}

async function fromDlq(run: ReplayRun): Promise<DlqReplayReport> {
  const required: RequiredCliSetting[] = run.dryRun ? ['dlq'] : ['queue', 'dlq'];
  const config = loadCliConfig(run.env, { require: required });
  const sqs = createSqsClient({ region: config.region, endpoint: config.sqsEndpoint, credentials: config.emulatorCredentials });
  try {
    const dlqUrl = await resolveQueueUrl(sqs, config.ingestDlq!);
    const queueUrl = run.dryRun ? undefined : await resolveQueueUrl(sqs, config.ingestQueue!);
    const queue = new SqsRecordQueue(
      sqs,
      async () => queueUrl ?? Promise.reject(new Error('a dry run sends nothing')),
      { maxMessageBytes: config.queueMaxMessageBytes },
    );
    progress(`dlq: receiving from ${dlqUrl} (received messages stay hidden for up to ${DLQ_HOLD_SECONDS} s while the run holds them)`);
    return await replayDeadLetters(new SqsDeadLetterQueue(sqs, dlqUrl), queue, {
      source: run.source,
      since: run.since,
      dryRun: run.dryRun,
      startedAt: run.startedAt,
      sourceAttribute: QUEUE_ATTRIBUTES.source,
      onProgress: (p) => progress(`dlq: ${p.received} messages received, ${p.moved} ${run.dryRun ? 'would be moved' : 'moved'}, ${p.skipped} skipped`),
    });
  } finally {
    sqs.destroy();
  }
}

function sinceOf(text: string | undefined, now: number): Date | undefined {
  if (text === undefined) return undefined;
  try {
    return parseSince(text, now);
  } catch (error) {
    if (error instanceof InvalidSinceError) throw new UsageError(error.message);
    throw error;
  }
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
