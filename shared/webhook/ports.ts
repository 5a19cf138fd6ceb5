// The stores the webhook talks to, as small interfaces; adapters live in shared/stores.
import type { OriginalRecordFields } from '../envelope/sqs.js';
import type { Partner } from './types.js';

/** The answer to a webhook request, as the handler turns it into an HTTP response. */
export interface WebhookReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Finds partners by id (the `{source}` of the URL). */
export interface PartnerDirectory {
  /** The partner, possibly from a cache. */
  find(id: string): Promise<Partner | undefined>;
  /**
   * The partner as stored now, bypassing the cache (rate-limited), so a secret that was just
   * rotated verifies at once; undefined when a fresh read is not due yet.
   */
  refresh?(id: string): Promise<Partner | undefined>;
}

/** What claiming an Idempotency-Key found. */
export type IdempotencyClaim =
  /** The key is new (or expired, or abandoned): this request runs and must complete or release it. */
  | { readonly kind: 'claimed' }
  /** An earlier request with this key and body succeeded: answer as it did. */
  | { readonly kind: 'replay'; readonly reply: WebhookReply }
  /** A request with this key is running now. */
  | { readonly kind: 'in_progress' }
  /** The key was used with a different body. */
  | { readonly kind: 'mismatch' };

/** Remembers the answers of requests by (partner, Idempotency-Key). */
export interface IdempotencyStore {
  claim(source: string, key: string, bodySha256: string): Promise<IdempotencyClaim>;
  complete(source: string, key: string, reply: WebhookReply): Promise<void>;
  /** Forgets a claimed key whose request failed, so a retry runs again. */
  release(source: string, key: string): Promise<void>;
}

/** One queue message: NDJSON records of one partner request (or of one replayed record). */
export interface QueueMessage {
  readonly body: string;
  readonly source: string;
  readonly requestId: string;
  readonly receivedAt: number;
  /** The key and headers of the record a replayed event first came in; partner requests have none. */
  readonly original?: OriginalRecordFields;
}

/** Puts messages on the ingest queue: all of them, or it throws a RetryableError. */
export interface RecordQueue {
  enqueue(messages: readonly QueueMessage[]): Promise<void>;
}
