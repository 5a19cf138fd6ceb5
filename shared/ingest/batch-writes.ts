// The writes every commit protocol shares: Parquet files and the quarantine object before the
// commit, the aggregate deltas to Redis after it.
import type { AggregateDeltas } from '../aggregates/types.js';
import type { QuarantinedItem, SourceRecord } from '../envelope/types.js';
import type { AggregateDependencies, IngestDependencies } from './ingest-shard-batch.js';
import type { PlannedLakeFile } from './plan-lake-files.js';
import type { LakeObjectWriter, ManifestEntry, QuarantineEntry } from './ports.js';

/**
 * Applies committed deltas to Redis. Never fails the batch: the lake is already committed,
 * and deltas that do not reach Redis wait in the outbox for the drain (applied once by id).
 */
export async function applyAggregates(
  deltas: AggregateDeltas,
  aggregates: AggregateDependencies,
  onPending: ((batchId: string, error: unknown) => void) | undefined,
): Promise<'applied' | 'pending'> {
  if (deltas.buckets.length === 0) return 'applied';
  try {
    await aggregates.sink.apply(deltas);
    await aggregates.outbox.markApplied(deltas.batchId);
    return 'applied';
  } catch (error) {
    onPending?.(deltas.batchId, error);
    return 'pending';
  }
}

/** Encodes and uploads the planned files; returns their manifest rows. */
export async function writeLakeFiles(
  planned: readonly PlannedLakeFile[],
  deps: Pick<IngestDependencies, 'encoder' | 'objects'>,
  ingestedAt: number,
  concurrency: number,
): Promise<ManifestEntry[]> {
  return mapWithConcurrency(planned, concurrency, async (file) => {
    const body = deps.encoder.encode(file.events, file.columns, ingestedAt);
    await deps.objects.putObject(file.key, body, 'application/vnd.apache.parquet');
    return {
      key: file.key,
      partition: file.partition,
      stream: file.events[0]!.stream,
      shard: file.events[0]!.shard,
      firstSeq: file.firstSeq,
      lastSeq: file.lastSeq,
      recordCount: file.events.length,
      byteSize: body.byteLength,
      minEventTs: file.minEventTs,
      maxEventTs: file.maxEventTs,
      lateCount: file.lateCount,
      schemaVersions: file.schemaVersions,
    };
  });
}

/** Writes one NDJSON object with every quarantined item of the batch; returns its rows. */
export async function writeQuarantine(
  items: readonly QuarantinedItem[],
  objects: LakeObjectWriter,
  keyFor: (arrivalDt: string) => string,
): Promise<QuarantineEntry[]> {
  if (items.length === 0) return [];
  const objectKey = keyFor(new Date(items[0]!.record.arrivalTs).toISOString().slice(0, 10));
  const recordsWithData = new Set<SourceRecord>();
  const lines = items.map((item) => {
    const firstOfRecord = !recordsWithData.has(item.record);
    recordsWithData.add(item.record);
    return JSON.stringify({
      origin: item.record.origin,
      stream: item.record.stream,
      shard: item.record.shard,
      seq: item.record.seq,
      subIndex: item.subIndex,
      arrivalTs: item.record.arrivalTs,
      source: item.source,
      code: item.code,
      reason: item.reason,
      fragment: item.fragment,
      // The raw record (base64) with its key and headers, once per record however many of
      // its events failed, so a replay can re-decode it exactly and land it with the same
      // source_key / source_headers; the fragment alone may be truncated.
      data: firstOfRecord ? item.record.dataBase64 : null,
      ...(firstOfRecord && item.record.key !== undefined ? { key: item.record.key } : {}),
      ...(firstOfRecord && item.record.headersJson !== undefined ? { headers: item.record.headersJson } : {}),
    });
  });
  await objects.putObject(objectKey, Buffer.from(`${lines.join('\n')}\n`), 'application/x-ndjson');
  return items.map((item, line) => ({
    objectKey,
    line,
    origin: item.record.origin,
    stream: item.record.stream,
    shard: item.record.shard,
    seq: item.record.seq,
    subIndex: item.subIndex,
    source: item.source,
    code: item.code,
    reason: item.reason,
    arrivalTs: item.record.arrivalTs,
  }));
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}
