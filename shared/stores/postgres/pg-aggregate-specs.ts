// Reads the aggregate configuration per event type, cached for a minute per container so a
// change in Postgres takes effect without a redeploy.
import type pg from 'pg';
import type { AggregateSpec } from '../../aggregates/types.js';

const CACHE_MS = 60_000;

/** @example const specs = await new PgAggregateSpecs(pool).current(); */
export class PgAggregateSpecs {
  private cached: { at: number; specs: ReadonlyMap<string, AggregateSpec> } | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<ReadonlyMap<string, AggregateSpec>> {
    if (this.cached && this.now() - this.cached.at < CACHE_MS) return this.cached.specs;
    const result = await this.pool.query<{ event_type: string; sum_fields: string[]; unique_field: string | null; top_fields: string[] }>(
      'SELECT event_type, sum_fields, unique_field, top_fields FROM aggregate_specs',
    );
    const specs = new Map(
      result.rows.map((r) => [r.event_type, { eventType: r.event_type, sumFields: r.sum_fields, uniqueField: r.unique_field, topFields: r.top_fields }]),
    );
    this.cached = { at: this.now(), specs };
    return specs;
  }
}
