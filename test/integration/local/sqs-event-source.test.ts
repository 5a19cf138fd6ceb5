// The local SQS event source mapping against the SQS emulator: partial batch responses and
// redrive to the DLQ after maxReceiveCount, with a scripted function.
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsMappingConfig } from '../../../shared/local/event-source-mappings.js';
import type { InvokeResult, LambdaInvoker } from '../../../shared/local/lambda-invoker.js';
import { SqsEventSource } from '../../../shared/local/sqs-event-source.js';

let app: ReturnType<typeof buildApp>;
let sqs: SQSClient;
let counter = 0;

beforeAll(async () => {
  app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterAll(async () => {
  sqs?.destroy();
  await app?.close();
});

class RecordingFunction implements LambdaInvoker {
  readonly bodies: string[][] = [];
  constructor(private readonly behaviour: (event: SQSEvent) => InvokeResult) {}
  async invoke(_name: string, event: unknown): Promise<InvokeResult> {
    this.bodies.push((event as SQSEvent).Records.map((r) => r.body));
    return this.behaviour(event as SQSEvent);
  }
}

async function queues(maxReceiveCount: number): Promise<{ url: string; dlqUrl: string; name: string }> {
  const name = `q-${++counter}`;
  const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { QueueUrl: url } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${name}-dlq`, maxReceiveCount }),
      },
    }),
  );
  return { url: url!, dlqUrl: dlqUrl!, name };
}

function mapping(name: string, url: string, overrides: Partial<SqsMappingConfig> = {}): SqsMappingConfig {
  return {
    kind: 'sqs',
    functionKey: 'consumer',
    functionName: 'svc-test-consumer',
    queueName: name,
    queueArn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
    queueUrl: url,
    batchSize: 10,
    batchWindowSeconds: 0,
    reportBatchItemFailures: true,
    maximumConcurrency: 2,
    enabled: true,
    ...overrides,
  };
}

async function send(url: string, bodies: string[]): Promise<void> {
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })) }));
}

async function visibleCount(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

async function waitFor(condition: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('local SQS event source mapping', () => {
  it('redrives a poison message to the DLQ after maxReceiveCount receives and deletes the rest', async () => {
    const { url, dlqUrl, name } = await queues(3);
    const fn = new RecordingFunction((event) => {
      const poison = event.Records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId }));
      return { ok: true, payload: { batchItemFailures: poison } };
    });
    const source = new SqsEventSource(mapping(name, url), { sqs, invoker: fn, region: 'us-east-1' });
    await source.start();
    await send(url, ['a', 'poison', 'b']);
    await waitFor(async () => (await visibleCount(dlqUrl)) === 1 && (await visibleCount(url)) === 0);
    await source.stop();
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }));
    expect(Messages?.map((m) => m.Body)).toEqual(['poison']);
    expect(fn.bodies.flat().filter((b) => b === 'poison')).toHaveLength(3);
    expect(fn.bodies.flat().filter((b) => b !== 'poison').sort()).toEqual(['a', 'b']);
  });

  it('keeps every message of a batch whose invocation failed, for redelivery', async () => {
    const { url, name } = await queues(100);
    let calls = 0;
    const fn = new RecordingFunction(() => (++calls === 1 ? { ok: false, error: 'Error: down' } : { ok: true, payload: null }));
    const source = new SqsEventSource(mapping(name, url, { maximumConcurrency: 2 }), { sqs, invoker: fn, region: 'us-east-1' });
    await send(url, ['x', 'y']);
    await source.start();
    await waitFor(async () => (await visibleCount(url)) === 0);
    await source.stop();
    const failedBatch = fn.bodies[0]!;
    expect(failedBatch.length).toBeGreaterThan(0);
    for (const body of failedBatch) expect(fn.bodies.flat().filter((b) => b === body)).toHaveLength(2);
    expect(new Set(fn.bodies.flat())).toEqual(new Set(['x', 'y']));
  });

  it('delivers Lambda-shaped records with receive count and queue ARN', async () => {
    const { url, name } = await queues(5);
    let seen: SQSEvent | undefined;
    const fn = new RecordingFunction((event) => {
      seen ??= event;
      return { ok: true, payload: null };
    });
    const source = new SqsEventSource(mapping(name, url), { sqs, invoker: fn, region: 'us-east-1' });
    await source.start();
    await send(url, ['{"hello":1}']);
    await waitFor(async () => seen !== undefined);
    await source.stop();
    expect(seen!.Records[0]).toMatchObject({
      body: '{"hello":1}',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${name}`,
      attributes: { ApproximateReceiveCount: '1' },
    });
  });
});
