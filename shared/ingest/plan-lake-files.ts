// Step two of ingest: validate each event against its schema and group the valid ones into
// one lake file per partition. Pure: the registry lookup is passed in.
import type { EventEnvelope, QuarantinedItem } from '../envelope/types.js';
import { compareSeq } from '../envelope/sequence.js';
import { PermanentRecordError } from '../errors.js';
import { lakeFileKey, lakeFileKeyOf } from '../lake/object-keys.js';
import { isLate, partitionKeyFor, type LakePartition } from '../lake/partition.js';

import { mergePayloadColumns } from '../schema/payload-columns.js';
import type { CompiledSchema } from '../schema/schema-registry.js';
import type { PayloadColumn } from '../schema/types.js';
import { quarantineItem } from './decode-batch.js';

const HOUR_MS = 3_600_000;

/** How the planner names files: by the shard and each file's sequence range, or one given stem. */
export interface PlanOptions {
  readonly shardKey: string;
  readonly lateThresholdMs: number;
  /** Names every file of the batch `<stem>.parquet` in its partition (the queue's batches). */
  readonly fileStem?: string;
}

/** What the planner needs to know about schemas. */
export interface SchemaLookup {
  get(eventType: string, version: number): CompiledSchema | undefined;
  problemWith(eventType: string, version: number): string | undefined;
  describeErrors(schema: CompiledSchema): string;
}

/** One Parquet file to write: a partition's events of this batch. */
export interface PlannedLakeFile {
  readonly key: string;
  readonly partition: LakePartition;
  readonly events: EventEnvelope[];
  readonly columns: PayloadColumn[];
  readonly firstSeq: string;
  readonly lastSeq: string;
  readonly minEventTs: number;
  readonly maxEventTs: number;
  readonly lateCount: number;
  readonly schemaVersions: number[];
}

/** The files of a batch, and the events that failed their schema. */
export interface LakeFilePlan {
  readonly files: PlannedLakeFile[];
  readonly quarantined: QuarantinedItem[];
}

/**
 * Validates events and groups them by partition into files named after the shard and the
 * partition's sequence range, in the order the files' first events arrived.
 *
 * @example planLakeFiles(events, registry, { shardKey: 'events.shardId-0', lateThresholdMs: 300_000 })
 */
export function planLakeFiles(
  events: readonly EventEnvelope[],
  schemas: SchemaLookup,
  options: PlanOptions,
): LakeFilePlan {
  const quarantined: QuarantinedItem[] = [];
  const groups = new PartitionGroups();
  // Events of a batch mostly share a type: remember the last lookup instead of repeating it.
  let lastType = '';
  let lastVersion = 0;
  let lastSchema: CompiledSchema | undefined;
  for (const event of events) {
    if (event.eventType !== lastType || event.schemaVersion !== lastVersion) {
      lastType = event.eventType;
      lastVersion = event.schemaVersion;
      lastSchema = schemas.get(lastType, lastVersion);
    }
    const schema = lastSchema;
    const failure = schema ? validationFailure(schema, event, schemas) : unknownSchema(event, schemas);
    if (failure) {
      quarantined.push(quarantineItem(event.record, event.subIndex, event.source, failure, eventText(event)));
      continue;
    }
    const group = groups.of(event);
    group.events.push(event);
    group.schemas.add(schema!);
  }
  const files = groups.all.map((g) => toPlannedFile(g.partition, g.events, [...g.schemas], options));
  return { files, quarantined };
}

interface PartitionGroup {
  readonly partition: LakePartition;
  readonly events: EventEnvelope[];
  readonly schemas: Set<CompiledSchema>;
}

/**
 * The events of each partition (source, event type, hour of event time), in the order the
 * partitions first appear. Looked up by nested maps rather than a composed string key: no
 * string is built per event, and the partition object (with its date strings) is built
 * once per group.
 */
class PartitionGroups {
  readonly all: PartitionGroup[] = [];
  private readonly bySource = new Map<string, Map<string, Map<number, PartitionGroup>>>();

  of(event: EventEnvelope): PartitionGroup {
    const hour = Math.floor(event.eventTs / HOUR_MS);
    let byType = this.bySource.get(event.source);
    if (!byType) this.bySource.set(event.source, (byType = new Map()));
    let byHour = byType.get(event.eventType);
    if (!byHour) byType.set(event.eventType, (byHour = new Map()));
    let group = byHour.get(hour);
    if (!group) {
      group = { partition: partitionKeyFor(event), events: [], schemas: new Set() };
      byHour.set(hour, group);
      this.all.push(group);
    }
    return group;
  }
}

function toPlannedFile(
  partition: LakePartition,
  events: EventEnvelope[],
  schemas: CompiledSchema[],
  options: PlanOptions,
): PlannedLakeFile {
  let firstSeq = events[0]!.seq;
  let lastSeq = firstSeq;
  let minEventTs = Number.POSITIVE_INFINITY;
  let maxEventTs = Number.NEGATIVE_INFINITY;
  let lateCount = 0;
  for (const e of events) {
    if (compareSeq(e.seq, firstSeq) < 0) firstSeq = e.seq;
    if (compareSeq(e.seq, lastSeq) > 0) lastSeq = e.seq;
    if (e.eventTs < minEventTs) minEventTs = e.eventTs;
    if (e.eventTs > maxEventTs) maxEventTs = e.eventTs;
    if (isLate(e, options.lateThresholdMs)) lateCount += 1;
  }
  // Newest version first, so its field order and types lead the merged layout.
  const ordered = schemas.sort((a, b) => b.version - a.version);
  return {
    key: options.fileStem ? lakeFileKeyOf(partition, options.fileStem) : lakeFileKey(partition, options.shardKey, firstSeq, lastSeq),
    partition,
    events,
    columns: mergePayloadColumns(ordered.map((s) => s.columns)),
    firstSeq,
    lastSeq,
    minEventTs,
    maxEventTs,
    lateCount,
    schemaVersions: ordered.map((s) => s.version).reverse(),
  };
}

function validationFailure(schema: CompiledSchema, event: EventEnvelope, schemas: SchemaLookup): PermanentRecordError | undefined {
  if (schema.validate(event.payload)) return undefined;
  return new PermanentRecordError(
    'schema_violation',
    `${event.eventType} v${event.schemaVersion}: ${schemas.describeErrors(schema)}`,
  );
}

function unknownSchema(event: EventEnvelope, schemas: SchemaLookup): PermanentRecordError {
  const problem = schemas.problemWith(event.eventType, event.schemaVersion);
  const detail = problem ? `is registered but unusable: ${problem}` : 'is not registered';
  return new PermanentRecordError('unknown_schema', `schema ${event.eventType} v${event.schemaVersion} ${detail}`);
}

/** The event as the producer sent it, for the quarantine row of an event that failed its schema. */
function eventText(event: EventEnvelope): string {
  return JSON.stringify(event.payload);
}
