// Helpers for webhook tests: signed requests as a partner sends them, and the partner ingest
// queue in the emulator (created fresh, drained to read back what was enqueued).
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GZIP_BASE64 } from '../../shared/envelope/sqs.js';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { signRequest } from '../../shared/webhook/request-signature.js';

/** A page_view event of the example schema, as a partner sends it (no source: the URL names it). */
export function partnerEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_id: randomUUID(), event_type: 'page_view', ts: Date.now(), user_id: `u-${randomUUID().slice(0, 8)}`, url: '/pricing', ...overrides };
}

/** Headers and raw body of a signed POST. */
export interface SignedPost {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Signs a body the way the README tells partners to: HMAC-SHA256 of "<timestamp>.<raw body>".
 *
 * @example signedPost(secret, ndjson(events), { gzip: true, idempotencyKey: 'k1' })
 */
export function signedPost(
  secret: string,
  text: string | Buffer,
  options: { gzip?: boolean; contentType?: string; idempotencyKey?: string; timestamp?: number } = {},
): SignedPost {
  const raw = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const body = options.gzip ? gzipSync(raw) : raw;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/x-ndjson',
    'x-timestamp': String(timestamp),
    'x-signature': signRequest(secret, timestamp, body),
  };
  if (options.gzip) headers['content-encoding'] = 'gzip';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  return { headers, body };
}

/** NDJSON text of events. */
export function ndjson(events: readonly unknown[]): string {
  return `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
}

/** A fresh queue in the emulator at `endpoint`. */
export async function createTestQueue(endpoint: string, name = `partner-ingest-${randomUUID().slice(0, 8)}`): Promise<{ sqs: SQSClient; url: string; name: string }> {
  const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  return { sqs, url: QueueUrl!, name };
}

/** Receives and deletes everything on the queue; returns the messages' NDJSON bodies (inflated) and sources. */
export async function drainQueue(sqs: SQSClient, url: string): Promise<{ body: string; source: string | undefined; messageId: string }[]> {
  const drained: { body: string; source: string | undefined; messageId: string }[] = [];
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }));
    if (!Messages?.length) return drained;
    for (const m of Messages) {
      const compressed = m.MessageAttributes?.['content_encoding']?.StringValue === GZIP_BASE64;
      const body = compressed ? gunzipSync(Buffer.from(m.Body!, 'base64')).toString('utf8') : m.Body!;
      drained.push({ body, source: m.MessageAttributes?.['source']?.StringValue, messageId: m.MessageId! });
    }
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}
