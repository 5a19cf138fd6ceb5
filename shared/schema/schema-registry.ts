// Compiles each registered JSON Schema once per container and answers "which validator and
// columns does this event type/version have". Reloads from its source when an unknown
// type/version shows up, at most once per reload interval, so a new schema is picked up
// without a redeploy and a flood of unknown types cannot hammer Postgres.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { EventSchemaDefinition, PayloadColumn, SchemaSource } from './types.js';
import { payloadColumnsOf } from './payload-columns.js';
import { CONTRACT_FIELDS } from '../envelope/to-envelope.js';

const AJV_LOGGER = {
  log: console.log,
  warn: (...args: unknown[]) => {
    if (!String(args[0]).startsWith('DEPRECATED: option unicode')) console.warn(...args);
  },
  error: console.error,
};

// ajv-formats ships CommonJS with a default export; under NodeNext its namespace is the module.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** A registered schema, compiled, with the lake columns it declares. */
export interface CompiledSchema {
  readonly eventType: string;
  readonly version: number;
  readonly validate: ValidateFunction;
  readonly columns: readonly PayloadColumn[];
  /** The stored schema text, so an edited schema is recompiled on reload. */
  readonly fingerprint: string;
}

/** Options of {@link SchemaRegistry}. */
export interface SchemaRegistryOptions {
  /** Minimum time between two reloads triggered by unknown schemas. */
  readonly minReloadIntervalMs?: number;
  /** Called when a stored schema cannot be compiled; its events are quarantined meanwhile. */
  readonly onInvalidSchema?: (definition: EventSchemaDefinition, error: Error) => void;
  readonly now?: () => number;
}

/**
 * @example
 * const registry = new SchemaRegistry(pgSchemaSource);
 * await registry.prepare([['page_view', 1]]);
 * registry.get('page_view', 1)?.validate(payload);
 */
export class SchemaRegistry {
  private readonly ajv: Ajv;
  private schemas = new Map<string, CompiledSchema>();
  private invalid = new Map<string, string>();
  private lastLoadAt = Number.NEGATIVE_INFINITY;
  private readonly minReloadIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: SchemaSource,
    private readonly options: SchemaRegistryOptions = {},
  ) {
    this.ajv = addFormats(new Ajv({
        allErrors: false,
        strict: false,
        coerceTypes: false,
        addUsedSchema: false,
        // minLength/maxLength count UTF-16 units (string.length), not code points: counting
        // code points walks every string in JS and was a third of the ingest time for
        // URL-heavy events. An emoji counts as 2 towards a limit. Ajv 8 still honours the
        // option but warns that it is deprecated; that one warning is dropped.
        unicode: false,
        logger: AJV_LOGGER,
      }));
    this.minReloadIntervalMs = options.minReloadIntervalMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Makes sure the given type/versions are loaded, reloading from the source if one is unknown. */
  async prepare(wanted: Iterable<readonly [string, number]>): Promise<void> {
    const missing = [...wanted].some(([type, version]) => !this.schemas.has(keyOf(type, version)));
    if (!missing) return;
    if (this.now() - this.lastLoadAt < this.minReloadIntervalMs) return;
    await this.reload();
  }

  /** Loads every schema from the source and compiles the ones not compiled yet. */
  async reload(): Promise<void> {
    const definitions = await this.source.loadSchemas();
    this.lastLoadAt = this.now();
    const next = new Map<string, CompiledSchema>();
    const invalid = new Map<string, string>();
    for (const definition of definitions) {
      const key = keyOf(definition.eventType, definition.version);
      const fingerprint = JSON.stringify(definition.jsonSchema);
      const known = this.schemas.get(key);
      if (known?.fingerprint === fingerprint) {
        next.set(key, known);
        continue;
      }
      try {
        next.set(key, {
          eventType: definition.eventType,
          version: definition.version,
          validate: this.ajv.compile(allowContractFields(definition.jsonSchema)),
          columns: payloadColumnsOf(definition.jsonSchema),
          fingerprint,
        });
      } catch (error) {
        invalid.set(key, (error as Error).message);
        this.options.onInvalidSchema?.(definition, error as Error);
      }
    }
    this.schemas = next;
    this.invalid = invalid;
  }

  /** The compiled schema of a type/version, if registered and valid. */
  get(eventType: string, version: number): CompiledSchema | undefined {
    return this.schemas.get(keyOf(eventType, version));
  }

  /** Why a registered schema could not be used, if it could not. */
  problemWith(eventType: string, version: number): string | undefined {
    return this.invalid.get(keyOf(eventType, version));
  }

  /** The human-readable message of the last failed validation of `schema`. */
  describeErrors(schema: CompiledSchema): string {
    return this.ajv.errorsText(schema.validate.errors, { dataVar: 'event' });
  }
}

/**
 * Schemas describe the payload, but validation runs on the whole event object (see
 * EventEnvelope.payload). A schema that forbids additional properties must still let the
 * contract fields through, so they are added to its top-level properties as "anything".
 */
export function allowContractFields(jsonSchema: Record<string, unknown>): Record<string, unknown> {
  const closed = jsonSchema['additionalProperties'] === false || jsonSchema['unevaluatedProperties'] === false;
  if (!closed) return jsonSchema;
  const properties = { ...((jsonSchema['properties'] ?? {}) as Record<string, unknown>) };
  for (const field of CONTRACT_FIELDS) properties[field] ??= true;
  return { ...jsonSchema, properties };
}

function keyOf(eventType: string, version: number): string {
  return `${eventType}@${version}`;
}
