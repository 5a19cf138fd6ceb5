// The webhook core against the real stores: partners and idempotency keys in Postgres, the
// queue in the SQS emulator. Every refusal must enqueue nothing and never be a 5xx.
import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PgIdempotencyStore } from '../../../shared/stores/postgres/pg-idempotency-store.js';
import { PgPartnerAdmin } from '../../../shared/stores/postgres/pg-partner-admin.js';
import { PgPartnerDirectory } from '../../../shared/stores/postgres/pg-partner-directory.js';
import { SqsRecordQueue } from '../../../shared/stores/sqs/sqs-record-queue.js';
import { acceptPartnerBatch, type WebhookDependencies, type WebhookSettings } from '../../../shared/webhook/accept-partner-batch.js';
import { startCuttableRelay } from '../../support/cuttable-relay.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Emulator, type S3Emulator } from '../../support/s3-emulator.js';
import { createTestQueue, drainQueue, ndjson, partnerEvent, signedPost } from '../../support/webhook.js';

const SIGNING_KEY = randomBytes(32).toString('base64url');
const SETTINGS: WebhookSettings = { replayWindowSeconds: 300, maxBodyBytes: 4 * 1024 * 1024, maxMessageBodyBytes: 261_120, maxListedRejections: 1_000 };

let db: TestDatabase;
let emulator: S3Emulator;
let queue: Awaited<ReturnType<typeof createTestQueue>>;
let deps: WebhookDependencies;
let secret: string;
let requests = 0;

beforeAll(async () => {
  [db, emulator] = await Promise.all([createTestDatabase(), startS3Emulator()]);
  queue = await createTestQueue(emulator.endpoint);
  const admin = new PgPartnerAdmin(db.pool, SIGNING_KEY);
  ({ secret } = await admin.add('acme', { limits: { maxRecords: 50_000 } }));
  await admin.add('shop', { allowedEventTypes: ['purchase'] });
  deps = {
    partners: new PgPartnerDirectory(db.pool, SIGNING_KEY, { cacheTtlMs: 0 }),
    idempotency: new PgIdempotencyStore(db.pool, { retentionSeconds: 86_400, abandonAfterSeconds: 60 }),
    queue: new SqsRecordQueue(queue.sqs, async () => queue.url, { maxMessageBytes: 262_144 }),
  };
});

afterAll(async () => {
  queue?.sqs.destroy();
  await Promise.all([db?.drop(), emulator?.stop()]);
});

beforeEach(async () => {
  await drainQueue(queue.sqs, queue.url);
});

function post(source: string, signed: { headers: Record<string, string>; body: Buffer }) {
  return acceptPartnerBatch({ source, headers: signed.headers, body: signed.body, requestId: `req-${++requests}` }, deps, SETTINGS);
}

async function enqueuedEvents(): Promise<Record<string, unknown>[]> {
  const messages = await drainQueue(queue.sqs, queue.url);
  return messages.flatMap((m) => m.body.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
}

describe('accepting a signed batch', () => {
  it('enqueues every valid record with the partner as source and answers 202 with the rejected ones', async () => {
    const events = [partnerEvent(), partnerEvent({ source: 'acme' }), { event_type: 'page_view', ts: Date.now() }, partnerEvent()];
    const reply = await post('acme', signedPost(secret, `${ndjson(events)}{broken\n`));
    expect(reply.status).toBe(202);
    expect(reply.body['accepted']).toBe(3);
    expect(reply.body['rejected']).toEqual([
      { index: 2, reason: 'required field event_id is missing' },
      { index: 4, reason: expect.stringMatching(/^line 5 is not JSON/) },
    ]);
    const enqueued = await enqueuedEvents();
    expect(enqueued.map((e) => e['event_id'])).toEqual([events[0]!['event_id'], events[1]!['event_id'], events[3]!['event_id']]);
    expect(enqueued.every((e) => e['source'] === 'acme')).toBe(true);
  });

  it('escapes U+FFFF and U+FFFE, which SQS refuses in a message body, keeping the value', async () => {
    const event = partnerEvent({ url: '/odd\uffff\ufffe' });
    const reply = await post('acme', signedPost(secret, ndjson([{ ...event, source: 'acme' }])));
    expect(reply.status).toBe(202);
    expect((await enqueuedEvents())[0]!['url']).toBe('/odd\uffff\ufffe');
  });

  it('takes a gzip JSON array as well as NDJSON', async () => {
    const events = [partnerEvent(), partnerEvent()];
    const reply = await post('acme', signedPost(secret, JSON.stringify(events), { gzip: true, contentType: 'application/json' }));
    expect(reply.status).toBe(202);
    expect((await enqueuedEvents()).map((e) => e['event_id'])).toEqual(events.map((e) => e['event_id']));
  });

  it('packs a large batch into several messages under the SQS size limit, losing nothing', async () => {
    const events = Array.from({ length: 6_000 }, (_, i) => partnerEvent({ url: `/page/${i}/${'x'.repeat(200)}` }));
    const reply = await post('acme', signedPost(secret, ndjson(events), { gzip: true }));
    expect(reply.status).toBe(202);
    const messages = await drainQueue(queue.sqs, queue.url);
    expect(messages.length).toBeGreaterThan(5);
    expect(Math.max(...messages.map((m) => Buffer.byteLength(m.body)))).toBeLessThanOrEqual(SETTINGS.maxMessageBodyBytes);
    const ids = messages.flatMap((m) => m.body.split('\n').map((l) => (JSON.parse(l) as { event_id: string }).event_id));
    expect(ids.sort()).toEqual(events.map((e) => e['event_id'] as string).sort());
  });

  it('refuses event types the partner is not allowed to send, record by record', async () => {
    const { secret: shopSecret } = await new PgPartnerAdmin(db.pool, SIGNING_KEY).rotate('shop', 0);
    const purchase = partnerEvent({ event_type: 'purchase', order_id: 'o1', amount: 5, currency: 'EUR' });
    const reply = await post('shop', signedPost(shopSecret, ndjson([purchase, partnerEvent()])));
    expect(reply.status).toBe(202);
    expect(reply.body['rejected']).toEqual([{ index: 1, reason: 'event_type page_view is not allowed for partner shop' }]);
    expect(await enqueuedEvents()).toHaveLength(1);
  });
});

describe('idempotency keys', () => {
  it('answers a retry with the same key exactly as the first time and enqueues nothing more', async () => {
    const signed = signedPost(secret, ndjson([partnerEvent(), partnerEvent()]), { idempotencyKey: 'order-batch-1' });
    const first = await post('acme', signed);
    const retry = await post('acme', signed);
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(JSON.stringify(retry.body)).toBe(JSON.stringify(first.body));
    expect(retry.headers?.['idempotent-replayed']).toBe('true');
    expect(await enqueuedEvents()).toHaveLength(2);
  });

  it('refuses the same key with a different body (422) and lets a concurrent duplicate wait (409)', async () => {
    await post('acme', signedPost(secret, ndjson([partnerEvent()]), { idempotencyKey: 'k-mismatch' }));
    const other = await post('acme', signedPost(secret, ndjson([partnerEvent()]), { idempotencyKey: 'k-mismatch' }));
    expect(other.status).toBe(422);

    const signed = signedPost(secret, ndjson([partnerEvent()]), { idempotencyKey: 'k-concurrent' });
    const replies = await Promise.all([post('acme', signed), post('acme', signed), post('acme', signed)]);
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect(await enqueuedEvents()).toHaveLength(2); // one from the mismatch test's first post, one here
  });

  it('forgets the key of a refused request, so the corrected retry runs', async () => {
    const bad = await post('acme', signedPost(secret, 'nothing valid\n', { idempotencyKey: 'k-refused' }));
    expect(bad.status).toBe(400);
    const good = await post('acme', signedPost(secret, ndjson([partnerEvent()]), { idempotencyKey: 'k-refused' }));
    expect(good.status).toBe(202);
  });
});

describe('refusals: the right 4xx, nothing enqueued', () => {
  const tooMany = () => Array.from({ length: 100_001 }, () => '{}').join('\n');
  // ~64 KB on the wire, 64 MB inflated.
  const bomb = Buffer.alloc(64 * 1024 * 1024, 0x20);
  const cases: [string, () => { source: string; headers: Record<string, string>; body: Buffer }, number, string][] = [
    ['a wrong signature', () => ({ source: 'acme', ...signedPost('whsec_wrong', ndjson([partnerEvent()])) }), 401, 'bad_signature'],
    ['a replayed old timestamp', () => ({ source: 'acme', ...signedPost(secret, ndjson([partnerEvent()]), { timestamp: Math.floor(Date.now() / 1000) - 600 }) }), 401, 'bad_timestamp'],
    ['an unknown source', () => ({ source: 'nobody', ...signedPost(secret, ndjson([partnerEvent()])) }), 401, 'bad_signature'],
    ['a missing signature', () => { const s = signedPost(secret, ndjson([partnerEvent()])); delete s.headers['x-signature']; return { source: 'acme', ...s }; }, 401, 'missing_signature'],
    ['an oversized body', () => ({ source: 'acme', ...signedPost(secret, Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)) }), 413, 'body_too_large'],
    ['a gzip bomb', () => ({ source: 'acme', ...signedPost(secret, bomb, { gzip: true }) }), 413, 'body_too_large'],
    ['non-JSON', () => ({ source: 'acme', ...signedPost(secret, 'hello world', { contentType: 'application/json' }) }), 400, 'bad_json'],
    ['NDJSON without one valid line', () => ({ source: 'acme', ...signedPost(secret, 'a\nb\n') }), 400, 'no_valid_records'],
    ['a wrong content type', () => ({ source: 'acme', ...signedPost(secret, ndjson([partnerEvent()]), { contentType: 'text/plain' }) }), 415, 'unsupported_media_type'],
    ['100k tiny records', () => ({ source: 'acme', ...signedPost(secret, tooMany()) }), 413, 'too_many_records'],
  ];

  it.each(cases)('%s', async (_name, build, status, code) => {
    const request = build();
    const reply = await post(request.source, request);
    expect(reply.status).toBe(status);
    expect((reply.body['error'] as { code: string }).code).toBe(code);
    expect(await drainQueue(queue.sqs, queue.url)).toEqual([]);
  });

  it('refuses a disabled partner with 403', async () => {
    const admin = new PgPartnerAdmin(db.pool, SIGNING_KEY);
    const { secret: tempSecret } = await admin.add('paused', {});
    await admin.disable('paused');
    const reply = await post('paused', signedPost(tempSecret, ndjson([partnerEvent()])));
    expect(reply.status).toBe(403);
    expect(await drainQueue(queue.sqs, queue.url)).toEqual([]);
  });
});

describe('an SQS outage', () => {
  it('answers 503 with Retry-After, keeps no answer under the key, and the retry enqueues every record once', async () => {
    const relay = await startCuttableRelay(emulator.endpoint);
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: relay.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const flaky: WebhookDependencies = { ...deps, queue: new SqsRecordQueue(sqs, async () => queue.url, { maxMessageBytes: 262_144, maxAttempts: 2 }) };
    const events = [partnerEvent(), partnerEvent(), partnerEvent()];
    const signed = signedPost(secret, ndjson(events), { idempotencyKey: 'during-outage' });
    try {
      relay.cut();
      const refused = await acceptPartnerBatch({ source: 'acme', ...signed, requestId: 'r-outage-1' }, flaky, SETTINGS);
      expect(refused.status).toBe(503);
      expect(refused.headers?.['retry-after']).toBe('5');
      const { rows } = await db.pool.query(`SELECT 1 FROM webhook_requests WHERE idempotency_key = 'during-outage'`);
      expect(rows).toEqual([]);
      relay.restore();
      const accepted = await acceptPartnerBatch({ source: 'acme', ...signed, requestId: 'r-outage-2' }, flaky, SETTINGS);
      expect(accepted.status).toBe(202);
      expect((await enqueuedEvents()).map((e) => e['event_id'])).toEqual(events.map((e) => e['event_id']));
    } finally {
      relay.restore();
      sqs.destroy();
      await relay.stop();
    }
  });
});

describe('secret rotation', () => {
  it('accepts a just-rotated secret at once, even from a warm cache of the partner', async () => {
    const admin = new PgPartnerAdmin(db.pool, SIGNING_KEY);
    const { secret: before } = await admin.add('cached', {});
    const cachedDeps: WebhookDependencies = { ...deps, partners: new PgPartnerDirectory(db.pool, SIGNING_KEY, { cacheTtlMs: 60_000, minRefreshIntervalMs: 0 }) };
    const send = (s: string) => acceptPartnerBatch({ source: 'cached', ...signedPost(s, ndjson([partnerEvent()])), requestId: 'r' }, cachedDeps, SETTINGS);
    expect((await send(before)).status).toBe(202); // now cached
    const { secret: after } = await admin.rotate('cached', 0);
    expect((await send(after)).status).toBe(202);
    expect((await send(before)).status).toBe(401); // the fresh read replaced the cached entry
  });


  it('accepts the old secret during the grace period and only the new one after an immediate rotation', async () => {
    const admin = new PgPartnerAdmin(db.pool, SIGNING_KEY);
    const { secret: first } = await admin.add('rotating', {});
    const { secret: second } = await admin.rotate('rotating', 3600);
    expect((await post('rotating', signedPost(first, ndjson([partnerEvent()])))).status).toBe(202);
    expect((await post('rotating', signedPost(second, ndjson([partnerEvent()])))).status).toBe(202);
    const { secret: third } = await admin.rotate('rotating', 0);
    expect((await post('rotating', signedPost(second, ndjson([partnerEvent()])))).status).toBe(401);
    expect((await post('rotating', signedPost(third, ndjson([partnerEvent()])))).status).toBe(202);
  });
});
