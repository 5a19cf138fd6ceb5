import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../../shared/schema/schema-registry.js';
import { mergePayloadColumns, payloadColumnsOf } from '../../../shared/schema/payload-columns.js';
import { exampleSchemas, ListSchemaSource } from '../../support/schemas.js';

describe('SchemaRegistry', () => {
  it('validates payloads against the shipped page_view schema with readable errors', async () => {
    const registry = new SchemaRegistry(new ListSchemaSource(exampleSchemas()));
    await registry.prepare([['page_view', 1]]);
    const schema = registry.get('page_view', 1)!;
    expect(schema.validate({ user_id: 'u', url: '/x', country: 'DE', duration_ms: 5 })).toBe(true);
    expect(schema.validate({ user_id: 'u', url: '/x', country: 'germany' })).toBe(false);
    expect(registry.describeErrors(schema)).toMatch(/country must match pattern/);
    expect(schema.validate({ user_id: 'u' })).toBe(false);
    expect(registry.describeErrors(schema)).toMatch(/must have required property 'url'/);
  });

  it('compiles once and reloads only for an unknown type, at most once per interval', async () => {
    let now = 0;
    const source = new ListSchemaSource(exampleSchemas());
    const registry = new SchemaRegistry(source, { minReloadIntervalMs: 1000, now: () => now });
    await registry.prepare([['page_view', 1]]);
    const compiled = registry.get('page_view', 1);
    await registry.prepare([['page_view', 1], ['purchase', 1]]);
    expect(source.loads).toBe(1);
    await registry.prepare([['signup', 1]]);
    expect(source.loads).toBe(1); // within the interval
    source.definitions = [...source.definitions, { eventType: 'signup', version: 1, jsonSchema: { type: 'object' } }];
    now = 1000;
    await registry.prepare([['signup', 1]]);
    expect(source.loads).toBe(2);
    expect(registry.get('signup', 1)).toBeDefined();
    expect(registry.get('page_view', 1)).toBe(compiled); // not recompiled
  });

  it('recompiles a schema whose stored text changed', async () => {
    const source = new ListSchemaSource([{ eventType: 'a', version: 1, jsonSchema: { type: 'object', required: ['x'] } }]);
    const registry = new SchemaRegistry(source);
    await registry.reload();
    expect(registry.get('a', 1)!.validate({})).toBe(false);
    source.definitions = [{ eventType: 'a', version: 1, jsonSchema: { type: 'object' } }];
    await registry.reload();
    expect(registry.get('a', 1)!.validate({})).toBe(true);
  });

  it('lets contract fields through a schema that forbids additional properties', async () => {
    const closed = { type: 'object', additionalProperties: false, properties: { url: { type: 'string' } } };
    const registry = new SchemaRegistry(new ListSchemaSource([{ eventType: 'a', version: 1, jsonSchema: closed }]));
    await registry.reload();
    const schema = registry.get('a', 1)!;
    expect(schema.validate({ event_id: 'e', event_type: 'a', source: 's', ts: 1, schema_version: 1, url: '/' })).toBe(true);
    expect(schema.validate({ event_id: 'e', url: '/', other: 1 })).toBe(false);
    expect(registry.describeErrors(schema)).toMatch(/must NOT have additional properties/);
  });

  it('reports an unusable stored schema instead of throwing', async () => {
    const problems: string[] = [];
    const registry = new SchemaRegistry(
      new ListSchemaSource([{ eventType: 'bad', version: 1, jsonSchema: { properties: { seq: { type: 'string' } } } }]),
      { onInvalidSchema: (d, e) => problems.push(`${d.eventType}: ${e.message}`) },
    );
    await registry.reload();
    expect(registry.get('bad', 1)).toBeUndefined();
    expect(registry.problemWith('bad', 1)).toMatch(/collides with a lake column/);
    expect(problems).toHaveLength(1);
  });
});

describe('payloadColumnsOf', () => {
  it('maps JSON Schema types to typed lake columns in declaration order', () => {
    const purchase = exampleSchemas().find((s) => s.eventType === 'purchase')!;
    expect(payloadColumnsOf(purchase.jsonSchema)).toEqual([
      { name: 'user_id', type: 'STRING' },
      { name: 'order_id', type: 'STRING' },
      { name: 'amount', type: 'DOUBLE' },
      { name: 'currency', type: 'STRING' },
      { name: 'country', type: 'STRING' },
    ]);
    expect(
      payloadColumnsOf({ properties: { n: { type: ['integer', 'null'] }, tags: { type: 'array' }, ok: { type: 'boolean' } } }),
    ).toEqual([
      { name: 'n', type: 'INT64' },
      { name: 'tags', type: 'JSON' },
      { name: 'ok', type: 'BOOLEAN' },
    ]);
  });

  it('merges versions, falling back to JSON where a field changed type', () => {
    expect(
      mergePayloadColumns([
        [{ name: 'a', type: 'STRING' }, { name: 'b', type: 'INT64' }],
        [{ name: 'a', type: 'STRING' }, { name: 'b', type: 'STRING' }, { name: 'c', type: 'BOOLEAN' }],
      ]),
    ).toEqual([
      { name: 'a', type: 'STRING' },
      { name: 'b', type: 'JSON' },
      { name: 'c', type: 'BOOLEAN' },
    ]);
  });
});
