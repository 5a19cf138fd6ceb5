// The commit protocol for a batch of queue messages (SQS, fed by the partner webhook and by
// replays). SQS has no order and redelivers, so instead of a checkpoint the events' ids are
// the progress: already-committed ids are dropped, and the batch's ids are inserted in the
// same transaction as its manifest rows (DESIGN.md "Exactly once").
import { createHash, randomBytes } from 'node:crypto';
import { computeDeltas } from '../aggregates/compute-deltas.js';
import type { EventEnvelope, QuarantinedItem, SourceRecord } from '../envelope/types.js';
import { DuplicateEventConflictError, RetryableError } from '../errors.js';
import { quarantineKeyOf, shardKeyOf } from '../lake/object-keys.js';
import { applyAggregates, writeLakeFiles, writeQuarantine } from './batch-writes.js';
import { decodeBatch } from './decode-batch.js';
import type { IngestDependencies, IngestOptions } from './ingest-shard-batch.js';
import { planLakeFiles } from './plan-lake-files.js';
import { eventKeyString, type CommittedEventIndex, type ManifestEntry } from './ports.js';

/** The queue protocol's stores: the shard protocol's, without checkpoints, plus the dedupe index. */
export interface QueueIngestDependencies extends Omit<IngestDependencies, 'checkpoints'> {
  readonly committedEvents: CommittedEventIndex;
}

/** A message left on the queue: it comes back after the visibility timeout, then goes to the DLQ. */
export interface HeldMessage {
  readonly messageId: string;
  readonly reason: string;
}

/** What one queue batch did. */
export interface QueueIngestOutcome {
  readonly queue: string;
  readonly messages: number;
  readonly events: number;
  /** Events dropped because an earlier delivery (or the same batch) already had their id. */
  readonly duplicates: number;
  readonly lateEvents: number;
  readonly files: readonly ManifestEntry[];
  readonly quarantined: number;
  /** Messages not processed now because an event's schema is not registered (see README). */
  readonly held: readonly HeldMessage[];
  readonly aggregates: 'applied' | 'pending' | 'off';
}

/** A store failed; nothing of the batch is committed and every message should be retried. */
export class QueueBatchError extends RetryableError {}

/**
 * Runs the queue commit protocol over the messages of one queue. Bad data is quarantined; a
 * message with an event whose schema is not registered is held whole (nothing of it is
 * committed) and retried by SQS until the schema exists or the message reaches the DLQ.
 *
 * @example const outcome = await ingestQueueBatch(sourceRecordsFromSqs(event), deps, { lateThresholdMs: 300_000 });
 */
export async function ingestQueueBatch(
  records: readonly SourceRecord[],
  deps: QueueIngestDependencies,
  options: IngestOptions,
): Promise<QueueIngestOutcome> {
  if (records.length === 0) throw new Error('ingestQueueBatch needs at least one message');
  const { stream, shard } = records[0]!;
  if (records.some((r) => r.stream !== stream || r.shard !== shard)) {
    throw new Error('ingestQueueBatch takes the messages of one queue');
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await ingest(records, deps, options, stream, shard);
    } catch (cause) {
      // Another delivery committed some of these events first (a redelivery racing this one).
      // Running again drops them as duplicates; failing the batch would send every message
      // of it, innocent ones included, one receive closer to the DLQ.
      if (cause instanceof DuplicateEventConflictError && attempt < MAX_CONFLICT_ATTEMPTS) continue;
      throw new QueueBatchError(`queue batch failed: ${(cause as Error)?.message ?? cause}`, { cause });
    }
  }
}

const MAX_CONFLICT_ATTEMPTS = 3;

async function ingest(
  records: readonly SourceRecord[],
  deps: QueueIngestDependencies,
  options: IngestOptions,
  stream: string,
  shard: string,
): Promise<QueueIngestOutcome> {
  const decoded = decodeBatch(records);
  await deps.registry.prepare(decoded.events.map((e) => [e.eventType, e.schemaVersion] as const));
  const held = heldMessages(decoded.events, deps);
  const isHeld = (record: SourceRecord): boolean => held.has(record.seq);
  const candidates = decoded.events.filter((e) => !isHeld(e.record));
  const decodeFailures = decoded.quarantined.filter((q) => !isHeld(q.record));

  const { fresh, duplicates } = await dropCommitted(candidates, deps.committedEvents, deps.registry);
  await options.onStep?.('after-checkpoint-read');
  const shardKey = shardKeyOf(stream, shard);
  // Unlike a shard's, a queue batch has no checkpoint that lets one writer at a time commit:
  // two deliveries of the same messages can run at once. A name from the content alone would
  // let the loser overwrite the winner's committed file, so each attempt gets its own; the
  // loser's files are orphans (no manifest row), invisible to readers and swept later.
  const stem = `${shardKey}-${batchDigest(fresh, decodeFailures)}-${randomBytes(4).toString('hex')}`;
  const plan = planLakeFiles(fresh, deps.registry, { shardKey, lateThresholdMs: options.lateThresholdMs, fileStem: stem });
  const quarantined: QuarantinedItem[] = [...decodeFailures, ...plan.quarantined];
  const base = { queue: shard, messages: records.length, duplicates, held: [...held].map(([messageId, reason]) => ({ messageId, reason })) };
  if (plan.files.length === 0 && quarantined.length === 0) {
    return { ...base, events: 0, lateEvents: 0, files: [], quarantined: 0, aggregates: 'off' };
  }

  const landing = plan.files.flatMap((f) => f.events);
  const aggregates = deps.aggregates
    ? computeDeltas(`${stream}/${stem}`, landing, await deps.aggregates.specs.current(), { lateThresholdMs: options.lateThresholdMs })
    : undefined;
  const ingestedAt = (options.now ?? Date.now)();
  const files = await writeLakeFiles(plan.files, deps, ingestedAt, options.uploadConcurrency ?? 8);
  const quarantine = await writeQuarantine(quarantined, deps.objects, (arrivalDt) => quarantineKeyOf(stream, arrivalDt, stem));
  await options.onStep?.('after-objects-written');

  const progress = { kind: 'event-ids', events: landing.map((e) => ({ source: e.source, eventId: e.eventId })) } as const;
  await deps.committer.commitBatch({ stream, shard, progress, files, quarantine, aggregates });
  await options.onStep?.('after-commit');

  const applied = aggregates ? await applyAggregates(aggregates, deps.aggregates!, options.onAggregatesPending) : 'off';
  return {
    ...base,
    events: landing.length,
    lateEvents: files.reduce((n, f) => n + f.lateCount, 0),
    files,
    quarantined: quarantined.length,
    aggregates: applied,
  };
}

/** Messages with an event whose schema is not (usably) registered, by message id, with why. */
function heldMessages(events: readonly EventEnvelope[], deps: QueueIngestDependencies): Map<string, string> {
  const held = new Map<string, string>();
  for (const event of events) {
    if (held.has(event.seq) || deps.registry.get(event.eventType, event.schemaVersion)) continue;
    const problem = deps.registry.problemWith(event.eventType, event.schemaVersion);
    held.set(event.seq, `schema ${event.eventType} v${event.schemaVersion} ${problem ? `is unusable: ${problem}` : 'is not registered'}`);
  }
  return held;
}

/**
 * Drops events committed by an earlier delivery, and repeats of an id within the batch. Of
 * repeats, the first that passes its schema is kept: a partner's corrected re-send in the
 * same batch as the bad original must not be dropped for the original's sake.
 */
async function dropCommitted(
  events: readonly EventEnvelope[],
  index: CommittedEventIndex,
  schemas: QueueIngestDependencies['registry'],
): Promise<{ fresh: EventEnvelope[]; duplicates: number }> {
  const chosen = new Map<string, { event: EventEnvelope; valid: boolean | undefined }>();
  const order: string[] = [];
  const isValid = (e: EventEnvelope) => schemas.get(e.eventType, e.schemaVersion)?.validate(e.payload) === true;
  for (const event of events) {
    const key = eventKeyString(event.source, event.eventId);
    const current = chosen.get(key);
    if (!current) {
      chosen.set(key, { event, valid: undefined });
      order.push(key);
      continue;
    }
    // Validated only when an id repeats, which is rare.
    current.valid ??= isValid(current.event);
    if (!current.valid && isValid(event)) chosen.set(key, { event, valid: true });
  }
  const unique = order.map((key) => chosen.get(key)!.event);
  const committed = await index.findCommitted(unique.map((e) => ({ source: e.source, eventId: e.eventId })));
  const fresh = unique.filter((e) => !committed.has(eventKeyString(e.source, e.eventId)));
  return { fresh, duplicates: events.length - fresh.length };
}

/**
 * A digest of what the batch's files hold (message ids and positions of the events and
 * quarantined items), so file names show which batch wrote them.
 */
function batchDigest(events: readonly EventEnvelope[], quarantined: readonly QuarantinedItem[]): string {
  const hash = createHash('sha256');
  const ids = [...events.map((e) => `${e.seq}/${e.subIndex}`), ...quarantined.map((q) => `${q.record.seq}/${q.subIndex}!`)].sort();
  for (const id of ids) hash.update(id).update('\n');
  return hash.digest('hex').slice(0, 32);
}
