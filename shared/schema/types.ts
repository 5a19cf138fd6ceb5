// Types of the schema concern: a registered JSON Schema and the lake columns it declares.

/** A row of `event_schemas`: the JSON Schema of one event type at one version. */
export interface EventSchemaDefinition {
  readonly eventType: string;
  readonly version: number;
  readonly jsonSchema: Record<string, unknown>;
}

/** Parquet types a payload field can have in the lake. */
export type PayloadColumnType = 'STRING' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'JSON';

/** A payload field declared by a schema, stored as its own typed column. */
export interface PayloadColumn {
  readonly name: string;
  readonly type: PayloadColumnType;
}

/** Where the registry reads schema definitions from (Postgres in production). */
export interface SchemaSource {
  loadSchemas(): Promise<EventSchemaDefinition[]>;
}
