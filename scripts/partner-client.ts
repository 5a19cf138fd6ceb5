// npm run partner-client: a minimal partner-side client of the webhook, self-contained (Node 18+
// built-ins only) so a partner can copy this one file: sign, gzip, retry with one
// Idempotency-Key so a retried batch is never enqueued twice.
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const usage = `Usage: npm run partner-client -- [--file events.ndjson | --demo N] [--gzip]
         [--url URL] [--partner ID] [--secret SECRET] [--idempotency-key KEY]

Sends one batch of events (NDJSON, one JSON object per line) to the partner webhook,
signed with the partner's secret, and prints the answer. Retries network errors, 409, 429
and 5xx answers with backoff, re-signing each attempt and keeping the same Idempotency-Key
(a fresh UUID unless given), so the batch is accepted at most once.

  --file F             NDJSON events to send (one JSON object per line)
  --demo N             send N generated page_view events instead of a file
  --gzip               compress the body (Content-Encoding: gzip)
  --url URL            the webhook, https://<api>/v1/ingest/<partner id>
  --partner ID         the partner id (picks the local stack's URL for it)
  --secret S           the partner's signing secret (or PARTNER_SECRET)
  --idempotency-key K  reuse a key, e.g. to retry a batch sent before

Defaults: the local stack's demo partner (.local/stack.json).`;

/** The signature header of a body sent at `timestamp` (epoch seconds). */
export function signature(secret: string, timestamp: number, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** Posts one batch, retrying transient failures; resolves with the final status and answer. */
export async function sendBatch(options: {
  url: string;
  secret: string;
  ndjson: string;
  gzip?: boolean;
  idempotencyKey?: string;
  maxAttempts?: number;
}): Promise<{ status: number; body: unknown; attempts: number }> {
  const raw = Buffer.from(options.ndjson, 'utf8');
  const body = options.gzip ? gzipSync(raw) : raw;
  const key = options.idempotencyKey ?? randomUUID();
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/x-ndjson',
      'x-timestamp': String(timestamp),
      'x-signature': signature(options.secret, timestamp, body),
      'idempotency-key': key,
    };
    if (options.gzip) headers['content-encoding'] = 'gzip';
    try {
      const response = await fetch(options.url, { method: 'POST', headers, body });
      const answer: unknown = await response.json().catch(() => null);
      const transient = response.status === 409 || response.status === 429 || response.status >= 500;
      if (!transient || attempt >= maxAttempts) return { status: response.status, body: answer, attempts: attempt };
    } catch (error) {
      if (attempt >= maxAttempts) throw error;
    }
    await new Promise((r) => setTimeout(r, Math.random() * 200 * 2 ** attempt));
  }
}

function demoEvents(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify({ event_id: randomUUID(), event_type: 'page_view', ts: new Date().toISOString(), user_id: `u-${i % 50}`, url: `/docs/${i % 7}` }));
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string' }, demo: { type: 'string' }, gzip: { type: 'boolean' }, url: { type: 'string' },
      partner: { type: 'string' }, secret: { type: 'string' }, 'idempotency-key': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(usage);
  const stack = existsSync('.local/stack.json')
    ? (JSON.parse(readFileSync('.local/stack.json', 'utf8')) as { http?: string; demoPartner?: { id: string; secret: string } })
    : {};
  const partner = values.partner ?? stack.demoPartner?.id;
  const secret = values.secret ?? process.env['PARTNER_SECRET'] ?? (partner === stack.demoPartner?.id ? stack.demoPartner?.secret : undefined);
  const url = values.url ?? (stack.http && partner ? `${stack.http}/v1/ingest/${partner}` : undefined);
  if (!url || !secret) throw new Error('give --url and --secret (or PARTNER_SECRET), or start the local stack (npm run dev)');
  if (!values.file && !values.demo) throw new Error('give --file events.ndjson or --demo N');
  const demoCount = Number(values.demo);
  if (!values.file && (!Number.isInteger(demoCount) || demoCount < 1 || demoCount > 100_000)) throw new Error(`--demo takes a number of events from 1 to 100000, not "${values.demo}"`);
  const ndjson = values.file ? readFileSync(values.file, 'utf8') : demoEvents(demoCount);
  const result = await sendBatch({ url, secret, ndjson, gzip: values.gzip ?? false, ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}) });
  console.log(JSON.stringify({ status: result.status, attempts: result.attempts, answer: result.body }, null, 2));
  if (result.status >= 300) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(`error: ${(error as Error).message}\n\n${usage}`);
    process.exit(1);
  });
}
