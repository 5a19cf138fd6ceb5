// Reads a quarantine object (NDJSON written by the ingest commit, one line per quarantined
// item) back into the raw records it keeps, so a replay can decode them again.

/** What a quarantine object keeps of a record: its raw payload, key and headers. */
export interface QuarantinedRecord {
  readonly dataBase64: string;
  readonly key?: string;
  readonly headersJson?: string;
}

/** The records a quarantine object holds, by {@link recordKeyOf}. */
export type QuarantinedRecords = ReadonlyMap<string, QuarantinedRecord>;

/** The identity of a record within a quarantine object. */
export interface RecordPosition {
  readonly stream: string;
  readonly shard: string;
  readonly seq: string;
}

/**
 * Indexes an object's lines by record. The ingest writes a record's raw base64 (`data`), key
 * and headers only on the first of its lines, however many of its events failed, so a row
 * pointing at a later line finds them through the record's identity, not its own line.
 * Objects written before keys and headers were kept give records without them.
 *
 * @example quarantinedRecords('{"stream":"s","shard":"0","seq":"7","data":"e30=","key":"k"}\n').get(recordKeyOf({ stream: 's', shard: '0', seq: '7' })) // { dataBase64: 'e30=', key: 'k' }
 */
export function quarantinedRecords(text: string): QuarantinedRecords {
  const records = new Map<string, QuarantinedRecord>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // a damaged line cannot be replayed; its row reports the missing data
    }
    const item = parsed as { stream?: unknown; shard?: unknown; seq?: unknown; data?: unknown; key?: unknown; headers?: unknown };
    if (typeof item.data !== 'string' || typeof item.stream !== 'string' || typeof item.shard !== 'string' || typeof item.seq !== 'string') continue;
    const position = recordKeyOf({ stream: item.stream, shard: item.shard, seq: item.seq });
    if (records.has(position)) continue;
    records.set(position, {
      dataBase64: item.data,
      ...(typeof item.key === 'string' ? { key: item.key } : {}),
      ...(typeof item.headers === 'string' ? { headersJson: item.headers } : {}),
    });
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
