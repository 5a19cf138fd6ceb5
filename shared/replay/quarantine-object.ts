// Reads a quarantine object (NDJSON written by the ingest commit, one line per quarantined
// item) back into the raw records it keeps, so a replay can decode them again.

/** The raw data of each record a quarantine object holds, by record. */
export type QuarantinedRecords = ReadonlyMap<string, string>;

/** The identity of a record within a quarantine object. */
export interface RecordPosition {
  readonly stream: string;
  readonly shard: string;
  readonly seq: string;
}

/**
 * Indexes an object's lines by record. The ingest writes a record's raw base64 (`data`) only
 * on the first of its lines, however many of its events failed, so a row pointing at a later
 * line finds its data through the record's identity, not its own line.
 *
 * @example quarantinedRecords('{"stream":"s","shard":"0","seq":"7","data":"e30="}\n').get(recordKeyOf({ stream: 's', shard: '0', seq: '7' })) // 'e30='
 */
export function quarantinedRecords(text: string): QuarantinedRecords {
  const records = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // a damaged line cannot be replayed; its row reports the missing data
    }
    const item = parsed as { stream?: unknown; shard?: unknown; seq?: unknown; data?: unknown };
    if (typeof item.data !== 'string' || typeof item.stream !== 'string' || typeof item.shard !== 'string' || typeof item.seq !== 'string') continue;
    const key = recordKeyOf({ stream: item.stream, shard: item.shard, seq: item.seq });
    if (!records.has(key)) records.set(key, item.data);
  }
  return records;
}

/**
 * The key of a record in {@link quarantinedRecords}.
 *
 * @example recordKeyOf({ stream: 'events', shard: 'shardId-0', seq: '42' }) // 'events\u0000shardId-0\u000042'
 */
export function recordKeyOf(position: RecordPosition): string {
  return `${position.stream}\u0000${position.shard}\u0000${position.seq}`;
}
