// The stores a replay talks to, as small interfaces; adapters live in shared/stores.
import type { QuarantineEntry } from '../ingest/ports.js';

/**
 * A pending row of the `quarantine` table: one record (or one event inside it) not ingested,
 * as the ingest wrote it (a {@link QuarantineEntry}), with its row id.
 */
export interface QuarantineRow extends Omit<QuarantineEntry, 'line'> {
  /** The row id (a bigint, kept as text). */
  readonly id: string;
  /** Line of the item in the quarantine object (0-based): the entry's `line`. */
  readonly objectLine: number;
}

/** Which pending rows a page holds: ids above `afterId` up to `throughId`, in id order. */
export interface QuarantinePage {
  readonly source?: string | undefined;
  /** Only rows quarantined at or after this time. */
  readonly since?: Date | undefined;
  readonly afterId: string;
  readonly throughId: string;
  readonly limit: number;
}

/** The quarantine rows in Postgres. */
export interface QuarantineLedger {
  /** The newest row's id ('0' when empty): a run stops there, so rows it causes are not replayed again. */
  lastId(): Promise<string>;
  /** Rows not replayed yet (replayed_at IS NULL) of one page. */
  pendingPage(page: QuarantinePage): Promise<QuarantineRow[]>;
  /** Sets replayed_at on rows still pending; returns how many it set. */
  markReplayed(ids: readonly string[]): Promise<number>;
}

/** Reads quarantine objects (NDJSON) from the lake bucket. */
export interface QuarantineObjects {
  /** The object's text, or undefined if it no longer exists. */
  readText(key: string): Promise<string | undefined>;
}

/** A message attribute as SQS stores it. */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

/** A message to put on a queue as it is: body and attributes. */
export interface ForwardedMessage {
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
}

/** A message received from the dead-letter queue (invisible to others until released or deleted). */
export interface DeadLetter extends ForwardedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  /** When the message was first sent (SQS SentTimestamp), epoch milliseconds. */
  readonly sentAt: number;
}

/** The dead-letter queue of the ingest queue. */
export interface DeadLetterQueue {
  /** Up to 10 messages, hidden from other readers for `visibilityTimeoutSeconds`; empty when none is visible. */
  receive(visibilityTimeoutSeconds: number): Promise<DeadLetter[]>;
  delete(letters: readonly DeadLetter[]): Promise<void>;
  /** Makes messages visible again at once. */
  release(letters: readonly DeadLetter[]): Promise<void>;
}

/** Puts messages on the ingest queue as they are: all of them, or it throws. */
export interface MessageForwarder {
  forward(messages: readonly ForwardedMessage[]): Promise<void>;
}
