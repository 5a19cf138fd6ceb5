// SQS clients (CLIs and functions): an emulator endpoint when one is configured, and queues named
// either by URL (deployed stages print URLs) or by name (the local stack's stack.json).
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * Creates an SQS client, pointed at `endpoint` (a local emulator) when given.
 *
 * @example const sqs = createSqsClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' });
 */
export function createSqsClient(options: {
  region: string;
  endpoint?: string | undefined;
  /** Credentials to use instead of the default chain (e.g. dummy ones for an emulator). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}): SQSClient {
  return new SQSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}

/**
 * The URL of a queue given by URL or by name.
 *
 * @example await resolveQueueUrl(sqs, 'event-lake-dev-partner-ingest-dlq') // 'http://…/000000000000/event-lake-dev-partner-ingest-dlq'
 */
export async function resolveQueueUrl(sqs: SQSClient, nameOrUrl: string): Promise<string> {
  if (/^https?:\/\//.test(nameOrUrl)) return nameOrUrl;
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: nameOrUrl }));
  if (!QueueUrl) throw new Error(`SQS returned no URL for queue ${nameOrUrl}`);
  return QueueUrl;
}
