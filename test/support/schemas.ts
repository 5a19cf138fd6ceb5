// The shipped example schemas, read from the seed migration so tests and seed never drift.
import { readFileSync } from 'node:fs';
import type { EventSchemaDefinition, SchemaSource } from '../../shared/schema/types.js';

/** Parses the `('type', version, 'description', $json$ ... $json$)` tuples of the seed migration. */
export function exampleSchemas(): EventSchemaDefinition[] {
  const sql = readFileSync('migrations/0002_example_schemas.sql', 'utf8');
  const tuple = /\('([a-z_]+)', (\d+), '[^']*', \$json\$([\s\S]*?)\$json\$\)/g;
  return [...sql.matchAll(tuple)].map((m) => ({
    eventType: m[1]!,
    version: Number(m[2]),
    jsonSchema: JSON.parse(m[3]!) as Record<string, unknown>,
  }));
}

/** A schema source over a fixed list that counts its loads (for reload tests of pure logic). */
export class ListSchemaSource implements SchemaSource {
  loads = 0;
  constructor(public definitions: EventSchemaDefinition[]) {}
  async loadSchemas(): Promise<EventSchemaDefinition[]> {
    this.loads += 1;
    return this.definitions;
  }
}
