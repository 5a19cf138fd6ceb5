// Derives the typed lake columns of a schema from its declared properties, so adding a field
// to a schema adds a column without code changes.
import type { PayloadColumn, PayloadColumnType } from './types.js';

/** Column names the lake writes for every event; a schema may not declare them. */
export const RESERVED_COLUMNS = new Set([
  'event_id', 'event_type', 'source', 'schema_version', 'event_ts', 'ingested_at', 'shard', 'seq', 'extra', 'ts',
]);

/** Payload fields become Parquet columns; keep their names portable across Athena, Glue and DuckDB. */
const COLUMN_NAME = /^[a-z_][a-z0-9_]{0,127}$/;

/**
 * Lists the payload columns a JSON Schema declares, in declaration order.
 * Throws when a property name is reserved or not a portable column name.
 *
 * @example payloadColumnsOf({ properties: { url: { type: 'string' } } }) // [{ name: 'url', type: 'STRING' }]
 */
export function payloadColumnsOf(jsonSchema: Record<string, unknown>): PayloadColumn[] {
  const properties = (jsonSchema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(properties).map(([name, property]) => {
    if (RESERVED_COLUMNS.has(name)) throw new Error(`property "${name}" collides with a lake column`);
    if (!COLUMN_NAME.test(name)) throw new Error(`property "${name}" is not a portable column name (${COLUMN_NAME})`);
    return { name, type: columnTypeOf(property) };
  });
}

function columnTypeOf(property: Record<string, unknown>): PayloadColumnType {
  const declared = property['type'];
  const types = (Array.isArray(declared) ? declared : [declared]).filter((t) => t !== 'null');
  if (types.length !== 1) return 'JSON';
  switch (types[0]) {
    case 'string':
      return 'STRING';
    case 'integer':
      return 'INT64';
    case 'number':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    default:
      return 'JSON';
  }
}

/**
 * Merges the columns of several versions of one event type into one file layout: every field
 * of every version, newest declaration first; a field whose type differs between versions
 * falls back to JSON so that no value is lost.
 */
export function mergePayloadColumns(columnSets: readonly (readonly PayloadColumn[])[]): PayloadColumn[] {
  const merged = new Map<string, PayloadColumnType>();
  for (const columns of columnSets) {
    for (const { name, type } of columns) {
      const seen = merged.get(name);
      merged.set(name, seen === undefined || seen === type ? type : 'JSON');
    }
  }
  return [...merged].map(([name, type]) => ({ name, type }));
}
