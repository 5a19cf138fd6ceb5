// Re-exports of the envelope concern.
export * from './types.js';
export * from './decode-payload.js';
export * from './to-envelope.js';
export * from './kinesis.js';
export * from './kafka.js';
export * from './sequence.js';
