// What a producer run did, as counted while it ran, and how the CLI prints it.
import type { EventCounts, RecordKind } from './traffic-plan.js';

/** Records of one kind: delivered, given up on, and retry attempts of failed entries. */
export interface KindCounts {
  sent: number;
  failed: number;
  retried: number;
}

/** Why a run stopped. */
export type StopReason = 'count' | 'duration' | 'signal' | 'error';

/** The outcome of a producer run. */
export interface ProducerReport {
  readonly streamName: string;
  readonly elapsedMs: number;
  /** Records generated; equals sent + failed once a run has finished. */
  readonly planned: number;
  readonly sent: number;
  /** Records not delivered after all retries (or not sent because of a fatal error). */
  readonly failed: number;
  /** Retry attempts of single records (a record retried twice counts 2). */
  readonly retried: number;
  /** PutRecords requests made, retries included. */
  readonly requests: number;
  /** Bytes of record data delivered. */
  readonly bytes: number;
  /** Delivered records per second over the whole run. */
  readonly ratePerSecond: number;
  readonly byKind: Readonly<Record<RecordKind, KindCounts>>;
  /** Events in the delivered records (differs from records when packed as NDJSON). */
  readonly events: Readonly<EventCounts>;
  /** Error codes seen, counted once per record they hit on each attempt. */
  readonly errors: Readonly<Record<string, number>>;
  readonly stoppedBy: StopReason;
}

/** A snapshot while running, reported about once per second. */
export interface ProducerProgress {
  readonly elapsedMs: number;
  readonly sent: number;
  readonly failed: number;
  readonly retried: number;
  readonly inFlight: number;
  /** Delivered records per second since the previous snapshot. */
  readonly ratePerSecond: number;
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * One progress line: elapsed, sent, rate, failed, retries.
 *
 * @example formatProgressLine(progress) // '   3.0s  sent 2,999  rate 1,000/s  failed 0  retries 0  in flight 1'
 */
export function formatProgressLine(p: ProducerProgress): string {
  return [
    `${(p.elapsedMs / 1000).toFixed(1).padStart(6)}s`,
    `sent ${number.format(p.sent)}`,
    `rate ${number.format(p.ratePerSecond)}/s`,
    `failed ${number.format(p.failed)}`,
    `retries ${number.format(p.retried)}`,
    `in flight ${p.inFlight}`,
  ].join('  ');
}

/**
 * The final one-line summary of a run.
 *
 * @example formatSummaryLine(report) // 'sent 2,000 of 2,000 records (1,960 valid, 20 late, 20 malformed; ...) to s in 2.00 s ...'
 */
export function formatSummaryLine(r: ProducerReport): string {
  const kinds = `${number.format(r.byKind.valid.sent)} valid, ${number.format(r.byKind.late.sent)} late, ${number.format(r.byKind.malformed.sent)} malformed`;
  const eventCount = r.events.valid + r.events.late + r.events.malformed;
  // Packed records mix kinds, so the events' own split is what the lake and quarantine see.
  const events =
    eventCount === r.sent
      ? `${number.format(eventCount)} events`
      : `${number.format(eventCount)} events: ${number.format(r.events.valid)} valid, ${number.format(r.events.late)} late, ${number.format(r.events.malformed)} malformed`;
  const errors = Object.entries(r.errors)
    .map(([code, n]) => `${code} ×${number.format(n)}`)
    .join(', ');
  return (
    `sent ${number.format(r.sent)} of ${number.format(r.planned)} records (${kinds}; ${events}) ` +
    `to ${r.streamName} in ${(r.elapsedMs / 1000).toFixed(2)} s: ${number.format(r.ratePerSecond)} records/s, ` +
    `${(r.bytes / 1e6).toFixed(1)} MB; failed ${number.format(r.failed)}, retries ${number.format(r.retried)}, ` +
    `${number.format(r.requests)} requests; stopped by ${r.stoppedBy}${errors ? `; errors: ${errors}` : ''}`
  );
}
