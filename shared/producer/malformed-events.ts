// Bad records as real producers send them by mistake, one line each so they can be packed
// as NDJSON: the pipeline must quarantine every one of them with a reason, never drop it.
import type { QuarantineCode } from '../errors.js';
import { syntheticEvent } from './synthetic-events.js';

/** The kinds of broken record the traffic producer sends, each caught by a different check. */
export const MALFORMED_KINDS = [
  'not_json',
  'truncated_json',
  'not_an_object',
  'missing_field',
  'bad_ts',
  'unknown_event_type',
  'schema_violation',
] as const;

/** What is wrong with a malformed record. */
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/**
 * The quarantine code each kind must end up with, so end-to-end checks can match what was
 * sent against what was quarantined.
 *
 * @example EXPECTED_QUARANTINE_CODE['truncated_json'] // 'bad_json'
 */
export const EXPECTED_QUARANTINE_CODE: Readonly<Record<MalformedKind, QuarantineCode>> = {
  not_json: 'bad_json',
  truncated_json: 'bad_json',
  not_an_object: 'not_an_object',
  missing_field: 'missing_field',
  bad_ts: 'bad_field',
  unknown_event_type: 'unknown_schema',
  schema_violation: 'schema_violation',
};

/** One malformed record's text and what is wrong with it. */
export interface MalformedEvent {
  readonly kind: MalformedKind;
  /** A single line of text (no newline), so NDJSON packing keeps one bad line per event. */
  readonly text: string;
}

/**
 * A malformed record of a random kind, built from a valid synthetic event so it looks like
 * the traffic around it.
 *
 * @example const bad = malformedEvent(seededRandom(1), 0, Date.now()); // { kind: 'bad_ts', text: '{"event_id":...' }
 */
export function malformedEvent(random: () => number, n: number, now: number): MalformedEvent {
  const kind = pick(random, MALFORMED_KINDS);
  const event = syntheticEvent(random, n, { now, lateShare: 0 });
  return { kind, text: BUILDERS[kind](event, random, now) };
}

type Builder = (event: Record<string, unknown>, random: () => number, now: number) => string;

const BUILDERS: Readonly<Record<MalformedKind, Builder>> = {
  not_json: (event, random) => {
    const variants = [
      // A proxy's error page forwarded as the payload.
      () => '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
      // An application log line shipped instead of the event.
      () => `${String(event['ts'])} INFO [${String(event['source'])}] ${String(event['event_type'])} user=${String(event['user_id'])} id=${String(event['event_id'])}`,
      // A CSV export row.
      () => [event['event_id'], event['event_type'], event['source'], event['ts'], event['user_id']].map(String).join(','),
      // A Python dict printed with repr(): single quotes are not JSON.
      () => `{${Object.entries(event).slice(0, 6).map(([k, v]) => `'${k}': ${typeof v === 'string' ? `'${v}'` : String(v)}`).join(', ')}}`,
      // JavaScript-isms JSON does not allow: NaN and a trailing comma.
      () => `${JSON.stringify(event).slice(0, -1)},"amount":NaN,}`,
    ];
    return pick(random, variants)();
  },
  truncated_json: (event, random) => {
    // A producer that cut its buffer: any strict prefix of an object's JSON is invalid.
    const text = JSON.stringify(event);
    return text.slice(0, 1 + Math.floor(random() * (text.length - 1)));
  },
  not_an_object: (event, random) => {
    // Arrays are left out on purpose: the pipeline reads a JSON array as a batch of events.
    const variants = ['null', '42', 'true', JSON.stringify(String(event['event_id'])), JSON.stringify(JSON.stringify(event))];
    return pick(random, variants);
  },
  missing_field: (event, random) => {
    const field = pick(random, ['event_id', 'ts', 'event_type', 'source'] as const);
    const broken = { ...event };
    if (random() < 0.8) delete broken[field];
    else broken[field] = null;
    return JSON.stringify(broken);
  },
  bad_ts: (event, random, now) => {
    const variants: unknown[] = [
      'yesterday',
      new Date(now).toLocaleString('en-GB', { timeZone: 'UTC' }),
      Math.floor(now / 1000), // epoch seconds where milliseconds are required
      new Date(now + 3 * 24 * 3_600_000).toISOString(), // a producer clock days ahead
      '2026-13-45T25:61:00Z',
      '',
    ];
    return JSON.stringify({ ...event, ts: pick(random, variants) });
  },
  unknown_event_type: (event, random) => {
    // Names that pass the contract's event_type pattern but have no registered schema.
    const types = ['add_to_cart', 'checkout_started', 'pageview', 'page_view_v2', 'refund', 'search'];
    return JSON.stringify({ ...event, event_type: pick(random, types) });
  },
  schema_violation: (event, random) => {
    const broken = { ...event };
    const purchase = event['event_type'] === 'purchase';
    const violations: (() => void)[] = [
      () => (broken['country'] = 'germany'),
      () => delete broken['user_id'],
      ...(purchase
        ? [
            () => (broken['amount'] = -Math.round(1 + random() * 9_999) / 100),
            () => (broken['amount'] = String(broken['amount'])),
            () => (broken['currency'] = 'euro'),
            () => delete broken['order_id'],
          ]
        : [
            () => (broken['duration_ms'] = -Math.floor(1 + random() * 1000)),
            () => (broken['duration_ms'] = 1.5),
            () => delete broken['url'],
          ]),
    ];
    pick(random, violations)();
    return JSON.stringify(broken);
  },
};

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
