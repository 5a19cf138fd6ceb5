// Moves messages from the ingest queue's dead-letter queue back onto the ingest queue once
// their cause is fixed. Bodies and attributes travel unchanged, so the consumer dedupes them
// by event id like any delivery: a message whose events partly landed cannot land them twice.
import type { DeadLetter, DeadLetterQueue, MessageForwarder } from './ports.js';

/**
 * How long received messages stay hidden during a run: messages that do not match are held
 * until the end (so the run sees each message once) and released then. Longer than any
 * realistic run; a message seen again after it is still counted once.
 */
export const DLQ_HOLD_SECONDS = 900;

/** Options of {@link replayDeadLetters}. */
export interface DlqReplayOptions {
  /** Only messages whose `source` attribute is this. */
  readonly source?: string | undefined;
  /** Only messages first sent at or after this time. */
  readonly since?: Date | undefined;
  /** Count matching messages, move nothing, release everything. */
  readonly dryRun: boolean;
  /**
   * When the run started: messages sent after it are the run's own replays that failed
   * again, and are left for the next run instead of being cycled forever.
   */
  readonly startedAt: number;
  /** Name of the attribute holding the source (the queue's `source`). */
  readonly sourceAttribute: string;
  readonly progressEvery?: number;
  readonly onProgress?: (progress: DlqReplayProgress) => void;
}

/** Counts so far, for progress output. */
export interface DlqReplayProgress {
  readonly received: number;
  /** Moved to the ingest queue (in a dry run: that would be moved). */
  readonly moved: number;
  /** Not matching the filters (or newer than the run); released at the end. */
  readonly skipped: number;
}

/** What a DLQ replay did. */
export interface DlqReplayReport extends DlqReplayProgress {
  readonly dryRun: boolean;
  /** Messages made visible again at the end. */
  readonly released: number;
}

/**
 * Drains the DLQ once: matching messages are forwarded to the ingest queue and deleted
 * from the DLQ only after the forward succeeded; the rest are released when the DLQ has
 * nothing more to give (or when the run fails).
 *
 * @example const report = await replayDeadLetters(dlq, queue, { source: 'acme', dryRun: false, startedAt: Date.now(), sourceAttribute: 'source' });
 */
export async function replayDeadLetters(dlq: DeadLetterQueue, queue: MessageForwarder, options: DlqReplayOptions): Promise<DlqReplayReport> {
  const held = new Map<string, DeadLetter>();
  const counts = { received: 0, moved: 0, skipped: 0 };
  const progressEvery = options.progressEvery ?? 1_000;
  let nextProgress = progressEvery;
  let inFlight: DeadLetter[] = [];
  let failure: unknown;
  try {
    for (;;) {
      const letters = await dlq.receive(DLQ_HOLD_SECONDS);
      if (letters.length === 0) break;
      inFlight = [];
      for (const letter of letters) {
        const again = held.has(letter.messageId);
        if (!again) counts.received += 1;
        const wanted = matches(letter, options);
        if (wanted && !options.dryRun) {
          inFlight.push(letter);
          continue;
        }
        held.set(letter.messageId, letter); // the newest receipt handle is the one that releases it
        if (!again) counts[wanted ? 'moved' : 'skipped'] += 1;
      }
      if (inFlight.length > 0) {
        await queue.forward(inFlight.map((l) => ({ body: l.body, attributes: l.attributes })));
        await dlq.delete(inFlight);
        counts.moved += inFlight.length;
        inFlight = [];
      }
      if (counts.received >= nextProgress) {
        options.onProgress?.({ ...counts });
        nextProgress += progressEvery;
      }
    }
  } catch (error) {
    failure = error;
  }
  // On failure, messages of the unfinished batch go back too: if their forward succeeded but
  // the delete did not, the next run forwards them again and the consumer drops the repeats.
  const toRelease = [...held.values(), ...inFlight];
  try {
    await dlq.release(toRelease);
  } catch (error) {
    failure ??= error;
  }
  if (failure !== undefined) throw failure;
  return { dryRun: options.dryRun, ...counts, released: toRelease.length };
}

function matches(letter: DeadLetter, options: DlqReplayOptions): boolean {
  if (letter.sentAt > options.startedAt) return false;
  if (options.since && letter.sentAt < options.since.getTime()) return false;
  if (options.source !== undefined && letter.attributes[options.sourceAttribute]?.StringValue !== options.source) return false;
  return true;
}
