// Decides, record by record, what the traffic producer sends: mostly valid events, a share
// of late ones and a share of malformed ones, optionally packed as NDJSON and gzipped, as
// the pipeline's decoder accepts. Pure and seeded, so a run can be repeated.
import { gzipSync } from 'node:zlib';
import { malformedEvent, type MalformedKind } from './malformed-events.js';
import { syntheticEvent } from './synthetic-events.js';

/** How a record is counted: by its worst event (malformed beats late beats valid). */
export type RecordKind = 'valid' | 'late' | 'malformed';

/** Events of one record (NDJSON lines when packed) by kind. */
export interface EventCounts {
  valid: number;
  late: number;
  malformed: number;
}

/** One record to put on the stream. */
export interface PlannedRecord {
  /** The bytes to put: one JSON event, or NDJSON lines; gzip-compressed if asked. */
  readonly data: Buffer;
  /** The user id of the record's first good event, so a user's events stay on one shard. */
  readonly partitionKey: string;
  readonly kind: RecordKind;
  readonly events: Readonly<EventCounts>;
  /** What is wrong with each malformed event of the record, in line order. */
  readonly malformed: readonly MalformedKind[];
}

/** Options of {@link TrafficPlan}. */
export interface TrafficPlanOptions {
  /** Share of events whose event time is 10-90 minutes old (default 0.02). */
  readonly lateShare?: number;
  /** Share of events that are malformed (default 0.01). */
  readonly malformedShare?: number;
  /** Events per record; above 1 they are packed as NDJSON (default 1). */
  readonly eventsPerRecord?: number;
  /** Gzip each record (default false). */
  readonly gzip?: boolean;
  /** Approximate JSON size of each event (default 500). */
  readonly targetBytes?: number;
}

/** 1,000 events of ~500 bytes stay well under Kinesis's 1 MiB record limit. */
export const MAX_EVENTS_PER_RECORD = 1000;

/**
 * The sequence of records a producer sends, deterministic for a seeded random.
 *
 * @example
 * const plan = new TrafficPlan(seededRandom(7), { malformedShare: 0.01, eventsPerRecord: 10, gzip: true });
 * const record = plan.next(Date.now()); // { data, partitionKey: 'user-12', kind: 'valid', ... }
 */
export class TrafficPlan {
  private readonly lateShare: number;
  private readonly malformedShare: number;
  private readonly eventsPerRecord: number;
  private readonly gzip: boolean;
  private readonly targetBytes: number;
  private n = 0;

  constructor(
    private readonly random: () => number,
    options: TrafficPlanOptions = {},
  ) {
    this.lateShare = share('lateShare', options.lateShare ?? 0.02);
    this.malformedShare = share('malformedShare', options.malformedShare ?? 0.01);
    if (this.lateShare + this.malformedShare > 1) throw new RangeError('lateShare + malformedShare must not exceed 1');
    this.eventsPerRecord = options.eventsPerRecord ?? 1;
    if (!Number.isInteger(this.eventsPerRecord) || this.eventsPerRecord < 1 || this.eventsPerRecord > MAX_EVENTS_PER_RECORD) {
      throw new RangeError(`eventsPerRecord must be an integer from 1 to ${MAX_EVENTS_PER_RECORD}`);
    }
    this.gzip = options.gzip ?? false;
    this.targetBytes = options.targetBytes ?? 500;
  }

  /** The next record, with event times relative to `now` (epoch ms). */
  next(now: number): PlannedRecord {
    const lines: string[] = [];
    const events: EventCounts = { valid: 0, late: 0, malformed: 0 };
    const malformed: MalformedKind[] = [];
    let partitionKey: string | undefined;
    for (let i = 0; i < this.eventsPerRecord; i++) {
      const draw = this.random();
      const n = this.n++;
      if (draw < this.malformedShare) {
        const bad = malformedEvent(this.random, n, now);
        lines.push(bad.text);
        malformed.push(bad.kind);
        events.malformed += 1;
        continue;
      }
      const late = draw < this.malformedShare + this.lateShare;
      // syntheticEvent draws lateness itself; forcing its share to 0 or 1 keeps our count exact.
      const event = syntheticEvent(this.random, n, { now, lateShare: late ? 1 : 0, targetBytes: this.targetBytes });
      lines.push(JSON.stringify(event));
      events[late ? 'late' : 'valid'] += 1;
      partitionKey ??= String(event['user_id']);
    }
    // A bad record has no trustworthy user; a random key spreads bad records over the shards.
    partitionKey ??= `malformed-${Math.floor(this.random() * 2 ** 32).toString(16).padStart(8, '0')}`;
    const text = lines.length === 1 ? lines[0]! : `${lines.join('\n')}\n`;
    const data = this.gzip ? gzipSync(text) : Buffer.from(text);
    const kind: RecordKind = events.malformed > 0 ? 'malformed' : events.late > 0 ? 'late' : 'valid';
    return { data, partitionKey, kind, events, malformed };
  }
}

function share(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${value}`);
  return value;
}
