// Loads registered event schemas from Postgres for the schema registry.
import type pg from 'pg';
import type { EventSchemaDefinition, SchemaSource } from '../../schema/types.js';

/** @example const registry = new SchemaRegistry(new PgSchemaStore(pool)); */
export class PgSchemaStore implements SchemaSource {
  constructor(private readonly pool: pg.Pool) {}

  async loadSchemas(): Promise<EventSchemaDefinition[]> {
    const result = await this.pool.query<{ event_type: string; version: number; json_schema: Record<string, unknown> }>(
      'SELECT event_type, version, json_schema FROM event_schemas ORDER BY event_type, version',
    );
    return result.rows.map((r) => ({ eventType: r.event_type, version: r.version, jsonSchema: r.json_schema }));
  }
}
