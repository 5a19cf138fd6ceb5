// Looks up which queue events are already in the lake: the queue's dedupe (SQS redelivers and
// has no order, so a checkpoint cannot tell what was committed).
import type pg from 'pg';
import { eventKeyString, type CommittedEventIndex, type EventKey } from '../../ingest/ports.js';

/** @example const seen = await new PgCommittedEventIndex(pool).findCommitted([{ source: 'acme', eventId: 'e1' }]); */
export class PgCommittedEventIndex implements CommittedEventIndex {
  constructor(private readonly pool: pg.Pool) {}

  async findCommitted(events: readonly EventKey[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const { rows } = await this.pool.query<{ source: string; event_id: string }>(
      `SELECT q.source, q.event_id FROM queue_event_ids q
       JOIN unnest($1::text[], $2::text[]) AS w(source, event_id) USING (source, event_id)`,
      [events.map((e) => e.source), events.map((e) => e.eventId)],
    );
    return new Set(rows.map((r) => eventKeyString(r.source, r.event_id)));
  }
}
