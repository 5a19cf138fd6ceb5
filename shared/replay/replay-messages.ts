// Packs replayed events into ingest queue messages the way the webhook does, so the queue
// consumer cannot tell a replay from a partner request (and dedupes it the same way).
import { sourceRecordAttributeBytes, type OriginalRecordFields } from '../envelope/sqs.js';
import { packMessageBodies } from '../webhook/pack-queue-messages.js';
import type { QueueMessage } from '../webhook/ports.js';

/** One event to replay: its NDJSON line and where it came from. */
export interface ReplayLine {
  readonly rowId: string;
  readonly source: string;
  /** The original arrival, kept so lateness and arrival-based metrics do not change on replay. */
  readonly arrivalTs: number;
  /** The event's JSON as sent: already escaped for SQS (`sqsSafeLine`), where its size was checked. */
  readonly line: string;
  /** The key and headers of the record the event came in, so the lake's source_key / source_headers do not change on replay. */
  readonly original?: OriginalRecordFields;
}

/**
 * Groups lines by source, original arrival, key and headers (all message attributes, so one
 * message holds one of each) and packs each group into as few messages as `maxBodyBytes`
 * allows, less what the key and headers take. Records of a Kafka topic keyed by user thus
 * become a message each; a replay is rare, and keeping the lake's columns exact is worth it.
 * The request id names the first quarantine row of the group, to trace a message back.
 *
 * @example replayMessages([{ rowId: '7', source: 'web', arrivalTs: 1, line: '{"event_id":"e1"}' }], 261_120)
 * // [{ body: '{"event_id":"e1"}', source: 'web', requestId: 'replay-quarantine-7', receivedAt: 1 }]
 */
export function replayMessages(lines: readonly ReplayLine[], maxBodyBytes: number): QueueMessage[] {
  const groups = new Map<string, ReplayLine[]>();
  for (const line of lines) {
    const key = JSON.stringify([line.source, line.arrivalTs, line.original?.key, line.original?.headersJson]);
    const group = groups.get(key);
    if (group) group.push(line);
    else groups.set(key, [line]);
  }
  return [...groups.values()].flatMap((group) => {
    const first = group[0]!;
    // The queue sends the key and headers as an attribute only when there are some (0 bytes otherwise).
    const bodyBytes = maxBodyBytes - sourceRecordAttributeBytes(first.original ?? {});
    return packMessageBodies(
      group.map((l) => l.line),
      bodyBytes,
    ).map((body) => ({
      body,
      source: first.source,
      requestId: `replay-quarantine-${first.rowId}`,
      receivedAt: first.arrivalTs,
      ...(first.original ? { original: first.original } : {}),
    }));
  });
}
