import { describe, expect, it } from 'vitest';
import { sourceRecordAttributeBytes } from '../../../shared/envelope/sqs.js';
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

  it('keeps each record’s key and headers with its events, one message per distinct pair, inside the same size', () => {
    const kafka = { key: 'user-1', headersJson: '{"trace":"t-1"}' };
    const line = (id: string) => `{"event_id":"${id}${'x'.repeat(30)}"}`;
    const messages = replayMessages(
      [
        { rowId: '1', source: 'shop', arrivalTs: 5, line: line('a'), original: kafka },
        { rowId: '2', source: 'shop', arrivalTs: 5, line: line('b'), original: { key: 'user-2' } },
        { rowId: '3', source: 'shop', arrivalTs: 5, line: line('c'), original: kafka },
        { rowId: '4', source: 'shop', arrivalTs: 5, line: line('d') },
        { rowId: '5', source: 'shop', arrivalTs: 5, line: line('e'), original: kafka },
      ],
      150,
    );
    expect(messages.map((m) => [m.body.split('\n').map((l) => (JSON.parse(l) as { event_id: string }).event_id[0]).join(''), m.original])).toEqual([
      // 150 bytes less the attribute's 67 leave room for one 46-byte line; without it, two.
      ['a', kafka],
      ['c', kafka],
      ['e', kafka],
      ['b', { key: 'user-2' }],
      ['d', undefined],
    ]);
    expect(sourceRecordAttributeBytes(kafka)).toBe(67);
    expect(messages.every((m) => Buffer.byteLength(m.body) + (m.original ? sourceRecordAttributeBytes(m.original) : 0) <= 150)).toBe(true);
  });
});
