// Reads the `--since` bound of a replay: an absolute time, or a span back from now.
import { PipelineError } from '../errors.js';

/** A `--since` value that is neither an ISO time nor a span like `30m`. */
export class InvalidSinceError extends PipelineError {
  constructor(readonly text: string) {
    super(`--since "${text}" must be an ISO time with a zone (2026-11-26T09:00:00Z), a date (2026-11-26, UTC), or a span back from now (90s, 30m, 2h, 7d, 2w)`);
  }
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const SPAN = /^(\d{1,6})([smhdw])$/;
/**
 * A date, or a date-time with an explicit zone: a time without one would silently mean the
 * machine's local zone, which differs between a laptop and the servers.
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * The earliest time a replay considers.
 *
 * @example parseSince('2h', Date.UTC(2026, 10, 26, 12)).toISOString() // '2026-11-26T10:00:00.000Z'
 * @example parseSince('2026-11-26', Date.now()).toISOString() // '2026-11-26T00:00:00.000Z'
 */
export function parseSince(text: string, now: number): Date {
  const trimmed = text.trim();
  const span = SPAN.exec(trimmed);
  if (span) return new Date(now - Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS]);
  if (!ISO_TIME.test(trimmed)) throw new InvalidSinceError(text);
  const millis = Date.parse(trimmed);
  if (!Number.isFinite(millis)) throw new InvalidSinceError(text);
  return new Date(millis);
}
