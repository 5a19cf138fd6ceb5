// Step one of ingest: keep the records above the shard checkpoint, decode them and check the
// producer contract. Pure: no I/O, so it is unit-tested on fixtures.
import { decodeRecordPayload } from '../envelope/decode-payload.js';
import { sourceOf, toEnvelope } from '../envelope/to-envelope.js';
import { compareSeq } from '../envelope/sequence.js';
import type { EventEnvelope, QuarantinedItem, SourceRecord } from '../envelope/types.js';
import { PermanentRecordError } from '../errors.js';

/**
 * The records not yet committed: those strictly above the checkpoint.
 *
 * @example selectFresh(records, '100').fresh.every((r) => compareSeq(r.seq, '100') > 0)
 */
export function selectFresh(
  records: readonly SourceRecord[],
  checkpoint: string | null,
): { fresh: SourceRecord[]; skipped: number } {
  if (checkpoint === null) return { fresh: [...records], skipped: 0 };
  const fresh = records.filter((r) => compareSeq(r.seq, checkpoint) > 0);
  return { fresh, skipped: records.length - fresh.length };
}

/** Decoded events of a batch and the items that failed decoding or the contract. */
export interface DecodedBatch {
  readonly events: EventEnvelope[];
  readonly quarantined: QuarantinedItem[];
}

/**
 * Decodes every record into envelopes; anything unreadable is quarantined with its reason.
 *
 * @example const { events, quarantined } = decodeBatch(fresh);
 */
export function decodeBatch(records: readonly SourceRecord[]): DecodedBatch {
  const events: EventEnvelope[] = [];
  const quarantined: QuarantinedItem[] = [];
  for (const record of records) {
    for (const item of decodeRecordPayload(record)) {
      if (!item.ok) {
        quarantined.push(quarantineItem(record, item.subIndex, null, item.error, item.text));
        continue;
      }
      try {
        events.push(toEnvelope(item.value, record, item.subIndex));
      } catch (error) {
        if (!(error instanceof PermanentRecordError)) throw error;
        quarantined.push(quarantineItem(record, item.subIndex, sourceOf(item.value), error, item.text));
      }
    }
  }
  return { events, quarantined };
}

/** Builds the quarantine entry of a record (or one event inside it) that failed permanently. */
export function quarantineItem(
  record: SourceRecord,
  subIndex: number,
  source: string | null,
  error: PermanentRecordError,
  fragment: string | null,
): QuarantinedItem {
  return { record, subIndex, source, code: error.code, reason: error.message, fragment };
}
