import { describe, expect, it } from 'vitest';
import { computeDeltas } from '../../../shared/aggregates/compute-deltas.js';
import type { AggregateSpec } from '../../../shared/aggregates/types.js';
import { decodeBatch } from '../../../shared/ingest/decode-batch.js';
import { sourceRecordsFromKinesis } from '../../../shared/envelope/kinesis.js';
import { pageView, purchase } from '../../support/events.js';
import { kinesisEvent } from '../../support/kinesis-events.js';

const specs = new Map<string, AggregateSpec>([
  ['purchase', { eventType: 'purchase', sumFields: ['amount'], uniqueField: 'user_id', topFields: ['currency'] }],
]);

describe('computeDeltas', () => {
  it('sums, counts uniques and ranks per minute and hour bucket of event time, counting late events', () => {
    const t = Date.UTC(2026, 10, 26, 9, 0, 30);
    const inputs = [
      purchase({ ts: t, amount: 10, user_id: 'a', currency: 'EUR' }),
      purchase({ ts: t + 1000, amount: 5.5, user_id: 'a', currency: 'USD' }),
      purchase({ ts: t + 60_000, amount: 1, user_id: 'b', currency: 'EUR' }),
      pageView({ ts: t }), // no spec: counted only
    ].map((json) => ({ json }));
    // Arrival 400 s after the first event: all three purchases are more than 5 minutes old.
    const { events } = decodeBatch(sourceRecordsFromKinesis(kinesisEvent(inputs, { arrivalTs: t + 400_000 })));
    const deltas = computeDeltas('b-1', events, specs, { lateThresholdMs: 300_000 });
    const purchases = deltas.buckets.filter((b) => b.eventType === 'purchase');
    expect(purchases.map((b) => [b.granularity, b.bucketStart, b.count, b.late, b.sums, b.uniques.sort(), b.top])).toEqual([
      ['minute', Date.UTC(2026, 10, 26, 9, 0), 2, 2, { amount: 15.5 }, ['a'], { currency: { EUR: 1, USD: 1 } }],
      // the hour's uniques are merged from its minutes in Redis, not listed again
      ['hour', Date.UTC(2026, 10, 26, 9), 3, 3, { amount: 16.5 }, [], { currency: { EUR: 2, USD: 1 } }],
      ['minute', Date.UTC(2026, 10, 26, 9, 1), 1, 1, { amount: 1 }, ['b'], { currency: { EUR: 1 } }],
    ]);
    const views = deltas.buckets.filter((b) => b.eventType === 'page_view');
    expect(views.map((b) => [b.granularity, b.count, b.sums, b.uniques, b.top])).toEqual([
      ['minute', 1, {}, [], {}],
      ['hour', 1, {}, [], {}],
    ]);
    expect(deltas.batchId).toBe('b-1');
  });
});
