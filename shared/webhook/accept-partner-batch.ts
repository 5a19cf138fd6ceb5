// The partner webhook's core: authenticate (timestamp window, partner, HMAC), enforce the
// limits, check each record's shape, enqueue the accepted ones, and make a retried request
// with the same Idempotency-Key a no-op that answers as the first one did.
import { createHash } from 'node:crypto';
import { RetryableError } from '../errors.js';
import { WebhookRequestError } from './errors.js';
import { checkRecords } from './edge-check.js';
import { packMessageBodies } from './pack-queue-messages.js';
import type { IdempotencyStore, PartnerDirectory, QueueMessage, RecordQueue, WebhookReply } from './ports.js';
import { bodyFormatOf, inflateBody, splitRecords } from './request-body.js';
import { timestampProblem, verifySignature } from './request-signature.js';
import type { Partner, RejectedRecord } from './types.js';

/** A POST to /v1/ingest/{source}, as the handler reads it from the HTTP event. */
export interface PartnerRequest {
  readonly source: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body bytes, exactly as signed. */
  readonly body: Buffer;
  readonly requestId: string;
}

/** Settings of the webhook, from the function's config. */
export interface WebhookSettings {
  /** Accepted clock difference between the partner and us, both ways. */
  readonly replayWindowSeconds: number;
  /** The service-wide cap on a body, as sent and inflated, before any partner is looked up. */
  readonly maxBodyBytes: number;
  /** Bytes available for one queue message's NDJSON body. */
  readonly maxMessageBodyBytes: number;
  /** At most this many rejections are listed in an answer; the count is always complete. */
  readonly maxListedRejections: number;
}

/** The webhook's stores. */
export interface WebhookDependencies {
  readonly partners: PartnerDirectory;
  readonly idempotency: IdempotencyStore;
  readonly queue: RecordQueue;
  readonly now?: () => number;
  /** An idempotency store write failed after the outcome was decided (logged, not fatal). */
  readonly onStoreError?: (operation: 'complete' | 'release', error: unknown) => void;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** Verified against for unknown partners, only to spend the same time as for known ones. */
const UNKNOWN_PARTNER_SECRET = 'whsec_unknown-partner';

/**
 * Handles one partner POST. Client mistakes become 4xx answers; a queue failure becomes a
 * 503 with Retry-After (the Idempotency-Key is released, so the retry runs again and the
 * queue consumer drops any record that did get through by its event id).
 *
 * @example const reply = await acceptPartnerBatch({ source: 'acme', headers, body, requestId }, deps, settings);
 */
export async function acceptPartnerBatch(
  request: PartnerRequest,
  deps: WebhookDependencies,
  settings: WebhookSettings,
): Promise<WebhookReply> {
  try {
    return await accept(request, deps, settings);
  } catch (error) {
    if (error instanceof WebhookRequestError) return errorReply(error);
    throw error;
  }
}

async function accept(request: PartnerRequest, deps: WebhookDependencies, settings: WebhookSettings): Promise<WebhookReply> {
  const now = (deps.now ?? Date.now)();
  if (request.body.length > settings.maxBodyBytes) throw bodyTooLarge(request.body.length, settings.maxBodyBytes);
  const partner = await authenticate(request, deps.partners, settings, now);
  if (request.body.length > partner.limits.maxBodyBytes) throw bodyTooLarge(request.body.length, partner.limits.maxBodyBytes);
  const format = bodyFormatOf(request.headers['content-type']);

  const key = request.headers['idempotency-key'];
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new WebhookRequestError(400, 'bad_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters without spaces');
  }
  if (key === undefined) return enqueueRecords(request, partner, format, deps, settings, now);

  const claim = await deps.idempotency.claim(partner.id, key, createHash('sha256').update(request.body).digest('hex'));
  if (claim.kind === 'replay') return { ...claim.reply, headers: { ...claim.reply.headers, 'idempotent-replayed': 'true' } };
  if (claim.kind === 'in_progress') {
    throw new WebhookRequestError(409, 'request_in_progress', 'a request with this Idempotency-Key is still running; retry in a few seconds');
  }
  if (claim.kind === 'mismatch') {
    throw new WebhookRequestError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different body; use a new key for new data');
  }
  let reply: WebhookReply;
  try {
    reply = await enqueueRecords(request, partner, format, deps, settings, now);
  } catch (error) {
    await deps.idempotency.release(partner.id, key).catch((releaseError: unknown) => deps.onStoreError?.('release', releaseError));
    throw error;
  }
  // Only an accepted batch is remembered; a refused one is refused again the same way. The
  // records are on the queue whatever happens here: a failure to remember the answer must not
  // turn the 202 into an error (the key's claim then lapses, and a retry re-enqueues, which
  // the queue consumer drops by event id).
  const remembering = reply.status === 202 ? deps.idempotency.complete(partner.id, key, reply) : deps.idempotency.release(partner.id, key);
  await remembering.catch((error: unknown) => deps.onStoreError?.(reply.status === 202 ? 'complete' : 'release', error));
  return reply;
}

async function authenticate(request: PartnerRequest, partners: PartnerDirectory, settings: WebhookSettings, now: number): Promise<Partner> {
  const staleness = timestampProblem(request.headers['x-timestamp'], now, settings.replayWindowSeconds);
  if (staleness) throw new WebhookRequestError(401, 'bad_timestamp', staleness);
  const signature = request.headers['x-signature'];
  if (!signature) throw new WebhookRequestError(401, 'missing_signature', 'X-Signature header is missing (sha256=<hex HMAC of "<timestamp>.<body>">)');
  if (!/^sha256=[0-9a-fA-F]{64}$/.test(signature)) {
    throw new WebhookRequestError(401, 'bad_signature', 'X-Signature must be sha256=<64 hex digits of the HMAC-SHA256 of "<X-Timestamp>.<raw body>">');
  }
  const timestamp = request.headers['x-timestamp']!;
  const verifies = (p: Partner | undefined): p is Partner => {
    // An unknown partner still costs one HMAC over the body, so the answer's timing does not
    // tell which partner ids exist.
    if (p === undefined) {
      verifySignature(UNKNOWN_PARTNER_SECRET, timestamp, request.body, signature);
      return false;
    }
    return p.secrets.some((secret) => verifySignature(secret, timestamp, request.body, signature));
  };
  let partner = await partners.find(request.source);
  let verified = verifies(partner);
  if (!verified) {
    // A cached partner may predate a rotation (or the partner's creation): read it afresh once.
    const fresh = await partners.refresh?.(request.source);
    if (fresh) {
      partner = fresh;
      verified = verifies(partner);
    }
  }
  // One answer for an unknown partner and a wrong signature: the webhook does not tell
  // strangers which partner ids exist.
  if (!verified || partner === undefined) throw new WebhookRequestError(401, 'bad_signature', 'unknown partner or signature mismatch');
  if (partner.disabled) throw new WebhookRequestError(403, 'partner_disabled', `partner ${partner.id} is disabled`);
  return partner;
}

async function enqueueRecords(
  request: PartnerRequest,
  partner: Partner,
  format: ReturnType<typeof bodyFormatOf>,
  deps: WebhookDependencies,
  settings: WebhookSettings,
  now: number,
): Promise<WebhookReply> {
  const inflated = inflateBody(request.body, request.headers['content-encoding'], Math.min(settings.maxBodyBytes, partner.limits.maxBodyBytes));
  const items = splitRecords(inflated.toString('utf8'), format, partner.limits);
  const { lines, rejected } = checkRecords(items, partner, now, settings.maxMessageBodyBytes);
  if (lines.length === 0) {
    throw new WebhookRequestError(400, 'no_valid_records', 'no record of the request is valid; nothing was accepted', rejectionFields(rejected, settings));
  }
  const messages: QueueMessage[] = packMessageBodies(lines, settings.maxMessageBodyBytes).map((body) => ({
    body,
    source: partner.id,
    requestId: request.requestId,
    receivedAt: now,
  }));
  try {
    await deps.queue.enqueue(messages);
  } catch (error) {
    if (!(error instanceof RetryableError)) throw error;
    return {
      status: 503,
      body: { error: { code: 'queue_unavailable', message: 'the ingest queue is unavailable; retry with the same Idempotency-Key' } },
      headers: { 'retry-after': '5' },
    };
  }
  return { status: 202, body: { accepted: lines.length, ...rejectionFields(rejected, settings), requestId: request.requestId } };
}

function rejectionFields(rejected: readonly RejectedRecord[], settings: WebhookSettings): Record<string, unknown> {
  const listed = rejected.slice(0, settings.maxListedRejections);
  return { rejectedCount: rejected.length, rejected: listed, ...(listed.length < rejected.length ? { rejectedTruncated: true } : {}) };
}

function bodyTooLarge(bytes: number, limit: number): WebhookRequestError {
  return new WebhookRequestError(413, 'body_too_large', `the body is ${bytes} bytes; the limit is ${limit}; send smaller batches`);
}

function errorReply(error: WebhookRequestError): WebhookReply {
  return { status: error.status, body: { error: { code: error.code, message: error.message }, ...error.details } };
}
