// Re-exports of the schema concern.
export * from './types.js';
export * from './payload-columns.js';
export * from './schema-registry.js';
