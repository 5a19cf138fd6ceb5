// Packs replayed events into ingest queue messages the way the webhook does, so the queue
// consumer cannot tell a replay from a partner request (and dedupes it the same way).
import { packMessageBodies, sqsSafeLine } from '../webhook/pack-queue-messages.js';
import type { QueueMessage } from '../webhook/ports.js';

/** One event to replay: its NDJSON line and where it came from. */
export interface ReplayLine {
  readonly rowId: string;
  readonly source: string;
  /** The original arrival, kept so lateness and arrival-based metrics do not change on replay. */
  readonly arrivalTs: number;
  readonly line: string;
}

/**
 * Groups lines by source and original arrival (both are message attributes, so one message
 * holds one of each) and packs each group into as few messages as `maxBodyBytes` allows.
 * The request id names the first quarantine row of the group, to trace a message back.
 *
 * @example replayMessages([{ rowId: '7', source: 'web', arrivalTs: 1, line: '{"event_id":"e1"}' }], 261_120)
 * // [{ body: '{"event_id":"e1"}', source: 'web', requestId: 'replay-quarantine-7', receivedAt: 1 }]
 */
export function replayMessages(lines: readonly ReplayLine[], maxBodyBytes: number): QueueMessage[] {
  const groups = new Map<string, ReplayLine[]>();
  for (const line of lines) {
    const key = `${line.source}\u0000${line.arrivalTs}`;
    const group = groups.get(key);
    if (group) group.push(line);
    else groups.set(key, [line]);
  }
  return [...groups.values()].flatMap((group) => {
    const first = group[0]!;
    return packMessageBodies(
      group.map((l) => sqsSafeLine(l.line)),
      maxBodyBytes,
    ).map((body) => ({ body, source: first.source, requestId: `replay-quarantine-${first.rowId}`, receivedAt: first.arrivalTs }));
  });
}
