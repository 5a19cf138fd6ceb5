// `npm run replay -- --from dlq` against the SQS emulator: matching messages move back to the
// ingest queue unchanged and leave the DLQ; the rest stay there, visible; a dry run or a
// failed run moves nothing and hides nothing.
import { SendMessageBatchCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replayDeadLetters } from '../../../shared/replay/dlq-replay.js';
import { SqsDeadLetterQueue } from '../../../shared/stores/sqs/sqs-dead-letter-queue.js';
import { SqsRecordQueue } from '../../../shared/stores/sqs/sqs-record-queue.js';
import { runScript } from '../../support/run-script.js';
import { createQueuesWithDlq, emulatorSqsClient, queueDepth, receiveAll, type TestQueues } from '../../support/sqs-queues.js';

let app: ReturnType<typeof buildApp>;
let endpoint: string;
let sqs: SQSClient;
let queues: TestQueues;

beforeAll(async () => {
  app = buildApp({ logger: false });
  endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  sqs = emulatorSqsClient(endpoint);
});

afterAll(async () => {
  sqs?.destroy();
  await app?.close();
});

beforeEach(async () => {
  queues = await createQueuesWithDlq(sqs);
});

function attributes(source: string, requestId: string): Record<string, MessageAttributeValue> {
  return {
    source: { DataType: 'String', StringValue: source },
    request_id: { DataType: 'String', StringValue: requestId },
    received_at: { DataType: 'Number', StringValue: '1795700000000' },
  };
}

/** Dead letters as the redrive leaves them: the partner's NDJSON body and the webhook's attributes. */
async function seedDlq(letters: { source: string; body: string }[]): Promise<void> {
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queues.dlqUrl,
      Entries: letters.map((l, i) => ({ Id: String(i), MessageBody: l.body, MessageAttributes: attributes(l.source, `req-${i}`) })),
    }),
  );
}

const letter = (source: string, id: string) => ({ source, body: `{"event_id":"${id}","event_type":"signup","source":"${source}","ts":1795700000000}` });

function runReplay(args: string[], env: Record<string, string> = {}) {
  return runScript('replay', ['--from', 'dlq', ...args], {
    AWS_ENDPOINT_URL_SQS: endpoint,
    INGEST_QUEUE_URL: queues.name,
    INGEST_DLQ_URL: queues.dlqUrl,
    ...env,
  });
}

describe('npm run replay -- --from dlq', () => {
  it('moves the matching messages to the ingest queue with the same body and attributes and deletes them from the DLQ', async () => {
    await seedDlq([letter('acme', 'a-1'), letter('other', 'o-1'), letter('acme', 'a-2'), letter('acme', 'a-3'), letter('other', 'o-2')]);
    const result = await runReplay(['--source', 'acme', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ from: 'dlq', dryRun: false, received: 5, moved: 3, skipped: 2, released: 2 });

    const moved = await receiveAll(sqs, queues.url);
    expect(moved.map((m) => m.Body).sort()).toEqual([letter('acme', 'a-1').body, letter('acme', 'a-2').body, letter('acme', 'a-3').body]);
    for (const m of moved) expect(m.MessageAttributes).toEqual(attributes('acme', m.MessageAttributes!['request_id']!.StringValue!));
    expect(new Set(moved.map((m) => m.MessageAttributes!['request_id']!.StringValue))).toEqual(new Set(['req-0', 'req-2', 'req-3']));
    // The others are left in the DLQ and visible again at once.
    expect(await queueDepth(sqs, queues.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
    const left = await receiveAll(sqs, queues.dlqUrl);
    expect(left.map((m) => m.MessageAttributes!['source']!.StringValue)).toEqual(['other', 'other']);
  });

  it('in a dry run counts what would move, moves nothing and releases everything', async () => {
    await seedDlq([letter('acme', 'a-1'), letter('other', 'o-1'), letter('acme', 'a-2')]);
    const result = await runReplay(['--dry-run', '--source', 'acme']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/dlq \(dry run\): 3 messages received, 2 would be moved to the ingest queue, 1 skipped \(not matching\); 3 released back to the DLQ/);
    expect(await queueDepth(sqs, queues.url)).toEqual({ visible: 0, inFlight: 0 });
    expect(await queueDepth(sqs, queues.dlqUrl)).toEqual({ visible: 3, inFlight: 0 });
  });

  it('moves only messages first sent since --since', async () => {
    await seedDlq([letter('acme', 'old-1'), letter('acme', 'old-2')]);
    await new Promise((r) => setTimeout(r, 20));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await seedDlq([letter('acme', 'new-1')]);
    const result = await runReplay(['--since', since, '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ received: 3, moved: 1, skipped: 2 });
    expect((await receiveAll(sqs, queues.url)).map((m) => m.Body)).toEqual([letter('acme', 'new-1').body]);
    expect(await queueDepth(sqs, queues.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
  });

  it('leaves messages sent after the run started for the next run, so a still-failing message cannot cycle', async () => {
    await seedDlq([letter('acme', 'late-1')]);
    const report = await replayDeadLetters(
      new SqsDeadLetterQueue(sqs, queues.dlqUrl),
      new SqsRecordQueue(sqs, async () => queues.url, { maxMessageBytes: 262_144 }),
      { dryRun: false, startedAt: Date.now() - 60_000, sourceAttribute: 'source' },
    );
    expect(report).toEqual({ dryRun: false, received: 1, moved: 0, skipped: 1, released: 1 });
    expect(await queueDepth(sqs, queues.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('fails with exit code 1 when the ingest queue does not exist, touching nothing', async () => {
    await seedDlq([letter('acme', 'a-1')]);
    const result = await runReplay([], { INGEST_QUEUE_URL: 'no-such-queue' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: /m);
    expect(await queueDepth(sqs, queues.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('releases every held message when forwarding fails mid-run, and reports the failure', async () => {
    await seedDlq([letter('acme', 'a-1'), letter('other', 'o-1')]);
    const missing = `${endpoint}/000000000000/no-such-queue`;
    const run = replayDeadLetters(
      new SqsDeadLetterQueue(sqs, queues.dlqUrl),
      new SqsRecordQueue(sqs, async () => missing, { maxMessageBytes: 262_144, maxAttempts: 2 }),
      { source: 'acme', dryRun: false, startedAt: Date.now(), sourceAttribute: 'source' },
    );
    await expect(run).rejects.toThrow(/SendMessageBatch still failing/);
    expect(await queueDepth(sqs, queues.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
  });
});
