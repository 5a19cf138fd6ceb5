import { describe, expect, it } from 'vitest';
import { replayMessages } from '../../../shared/replay/replay-messages.js';

describe('replayMessages', () => {
  it('packs events of one source and arrival into one message that keeps the original arrival', () => {
    const messages = replayMessages(
      [
        { rowId: '3', source: 'web', arrivalTs: 100, line: '{"event_id":"a"}' },
        { rowId: '4', source: 'shop', arrivalTs: 100, line: '{"event_id":"b"}' },
        { rowId: '5', source: 'web', arrivalTs: 100, line: '{"event_id":"c"}' },
        { rowId: '6', source: 'web', arrivalTs: 200, line: '{"event_id":"d"}' },
      ],
      1_000,
    );
    expect(messages).toEqual([
      { body: '{"event_id":"a"}\n{"event_id":"c"}', source: 'web', requestId: 'replay-quarantine-3', receivedAt: 100 },
      { body: '{"event_id":"b"}', source: 'shop', requestId: 'replay-quarantine-4', receivedAt: 100 },
      { body: '{"event_id":"d"}', source: 'web', requestId: 'replay-quarantine-6', receivedAt: 200 },
    ]);
  });

  it('splits a group across messages at the body limit', () => {
    const lines = Array.from({ length: 5 }, (_, i) => ({ rowId: String(i), source: 'web', arrivalTs: 1, line: `{"event_id":"${'x'.repeat(40)}${i}"}` }));
    const messages = replayMessages(lines, 120);
    expect(messages.map((m) => m.body.split('\n').length)).toEqual([2, 2, 1]);
    expect(messages.every((m) => Buffer.byteLength(m.body) <= 120)).toBe(true);
  });
});
