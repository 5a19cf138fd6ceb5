// Re-feeds quarantined events once their cause is fixed (a schema registered or corrected):
// each pending row is rechecked now, and the events that pass go to the partner ingest queue,
// whose consumer dedupes by (source, event_id), so a replay can never land an event twice.
import { sourceRecordAttributeBytes, sqsSafeLine, type OriginalRecordFields } from '../envelope/sqs.js';
import type { SchemaLookup } from '../ingest/plan-lake-files.js';
import type { RecordQueue } from '../webhook/ports.js';
import type { QuarantineLedger, QuarantineObjects, QuarantineRow } from './ports.js';
import { quarantinedRecords, type QuarantinedRecords } from './quarantine-object.js';
import { recheckQuarantined } from './recheck-quarantined.js';
import { replayMessages, type ReplayLine } from './replay-messages.js';

/** Rows read per query; each page is sent, then marked, before the next is read. */
const DEFAULT_PAGE_SIZE = 500;
/** Quarantine objects kept parsed: a batch's rows are adjacent in id order, so a few suffice. */
const CACHED_OBJECTS = 32;

/** What a quarantine replay reads and writes. */
export interface QuarantineReplayDependencies {
  readonly ledger: QuarantineLedger;
  readonly objects: QuarantineObjects;
  /** The schema registry; reloaded once at the start so the check sees today's schemas. */
  readonly schemas: SchemaLookup & { reload(): Promise<void> };
  /** The partner ingest queue; not used by a dry run. */
  readonly queue?: RecordQueue | undefined;
}

/** Options of {@link replayQuarantine}. */
export interface QuarantineReplayOptions {
  readonly source?: string | undefined;
  readonly since?: Date | undefined;
  /** Recheck and report, but send and mark nothing. */
  readonly dryRun: boolean;
  /** The largest message body the queue takes (its message size minus room for attributes). */
  readonly maxMessageBodyBytes: number;
  readonly pageSize?: number;
  readonly progressEvery?: number;
  readonly onProgress?: (progress: QuarantineReplayProgress) => void;
}

/** Counts so far, for progress output. */
export interface QuarantineReplayProgress {
  readonly scanned: number;
  readonly replayed: number;
  readonly stillFailing: number;
}

/** Rows that still fail for the same reason. */
export interface FailureGroup {
  readonly code: string;
  readonly reason: string;
  readonly rows: number;
  /** The first such row, to look at with SQL. */
  readonly firstRowId: string;
}

/** What a quarantine replay did (or, in a dry run, would do). */
export interface QuarantineReplayReport extends QuarantineReplayProgress {
  readonly dryRun: boolean;
  /** Queue messages sent (or that would be sent). */
  readonly messages: number;
  /** Still failing rows by reason, most frequent first; these stay pending. */
  readonly failures: readonly FailureGroup[];
}

/**
 * Replays the pending quarantine rows matching the filters, in id order, page by page. A
 * row is marked replayed only after its event is on the queue; a crash in between re-sends
 * it next time, which the consumer's event-id dedupe absorbs.
 *
 * @example const report = await replayQuarantine(deps, { source: 'web', dryRun: false, maxMessageBodyBytes: 261_120 });
 */
export async function replayQuarantine(deps: QuarantineReplayDependencies, options: QuarantineReplayOptions): Promise<QuarantineReplayReport> {
  if (!options.dryRun && !deps.queue) throw new Error('replayQuarantine needs a queue unless it is a dry run');
  await deps.schemas.reload();
  // Rows quarantined after the start (replayed events failing again) wait for the next run.
  const throughId = await deps.ledger.lastId();
  const objects = new ObjectCache(deps.objects);
  const failures = new Map<string, { code: string; reason: string; rows: number; firstRowId: string }>();
  const counts = { scanned: 0, replayed: 0, stillFailing: 0, messages: 0 };
  const progressEvery = options.progressEvery ?? 1_000;
  let afterId = '0';
  for (;;) {
    const page = await deps.ledger.pendingPage({ source: options.source, since: options.since, afterId, throughId, limit: options.pageSize ?? DEFAULT_PAGE_SIZE });
    if (page.length === 0) break;
    afterId = page[page.length - 1]!.id;
    const ready: ReplayLine[] = [];
    for (const row of page) {
      const verdict = await recheck(row, objects, deps.schemas, options.maxMessageBodyBytes);
      if (verdict.ok) {
        ready.push({ rowId: row.id, source: verdict.source, arrivalTs: row.arrivalTs, line: verdict.line, original: verdict.original });
      } else {
        const key = `${verdict.code}\u0000${verdict.reason}`;
        const group = failures.get(key) ?? { code: verdict.code, reason: verdict.reason, rows: 0, firstRowId: row.id };
        group.rows += 1;
        failures.set(key, group);
        counts.stillFailing += 1;
      }
      counts.scanned += 1;
      if (counts.scanned % progressEvery === 0) options.onProgress?.({ ...counts, replayed: counts.replayed + ready.length });
    }
    const messages = replayMessages(ready, options.maxMessageBodyBytes);
    if (!options.dryRun && messages.length > 0) {
      await deps.queue!.enqueue(messages);
      await deps.ledger.markReplayed(ready.map((r) => r.rowId));
    }
    counts.replayed += ready.length;
    counts.messages += messages.length;
  }
  const sorted = [...failures.values()].sort((a, b) => b.rows - a.rows || Number(a.firstRowId) - Number(b.firstRowId));
  return { dryRun: options.dryRun, ...counts, failures: sorted };
}

async function recheck(
  row: QuarantineRow,
  objects: ObjectCache,
  schemas: SchemaLookup,
  maxBodyBytes: number,
): Promise<{ ok: true; source: string; line: string; original: OriginalRecordFields } | { ok: false; code: string; reason: string }> {
  const records = row.code === 'tombstone' ? undefined : await objects.get(row.objectKey);
  const verdict = recheckQuarantined(row, records, schemas);
  if (!verdict.ok) return verdict;
  const original = { key: verdict.event.record.key, headersJson: verdict.event.record.headersJson };
  // Kinesis and Kafka take records up to 1 MiB; the queue takes less, and the record's key
  // and headers travel in the same message. Measured as sent: escaping U+FFFE/U+FFFF for SQS
  // makes a line longer, and a line that passed here must fit when packed.
  const line = sqsSafeLine(verdict.line);
  const bytes = Buffer.byteLength(line);
  const room = maxBodyBytes - sourceRecordAttributeBytes(original);
  if (bytes > room) {
    return { ok: false, code: 'record_too_large', reason: `the event is ${bytes} bytes as sent; a queue message holds at most ${room} beside the record's key and headers` };
  }
  return { ok: true, source: verdict.event.source, line, original };
}

/** Parsed quarantine objects of this run, least recently used dropped first. */
class ObjectCache {
  private readonly entries = new Map<string, QuarantinedRecords | undefined>();

  constructor(private readonly objects: QuarantineObjects) {}

  async get(key: string): Promise<QuarantinedRecords | undefined> {
    if (this.entries.has(key)) {
      const hit = this.entries.get(key);
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const text = await this.objects.readText(key);
    const records = text === undefined ? undefined : quarantinedRecords(text);
    this.entries.set(key, records);
    if (this.entries.size > CACHED_OBJECTS) this.entries.delete(this.entries.keys().next().value!);
    return records;
  }
}
