import { describe, expect, it } from 'vitest';
import { InvalidSinceError, parseSince } from '../../../shared/replay/since-parser.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('parseSince', () => {
  it('reads spans back from now in seconds, minutes, hours, days and weeks', () => {
    expect(parseSince('90s', NOW).toISOString()).toBe('2026-11-26T11:58:30.000Z');
    expect(parseSince('30m', NOW).toISOString()).toBe('2026-11-26T11:30:00.000Z');
    expect(parseSince('2h', NOW).toISOString()).toBe('2026-11-26T10:00:00.000Z');
    expect(parseSince('7d', NOW).toISOString()).toBe('2026-11-19T12:00:00.000Z');
    expect(parseSince('2w', NOW).toISOString()).toBe('2026-11-12T12:00:00.000Z');
  });

  it('reads ISO times with a zone and plain dates as UTC midnight', () => {
    expect(parseSince('2026-11-26T09:15:00Z', NOW).toISOString()).toBe('2026-11-26T09:15:00.000Z');
    expect(parseSince('2026-11-26T09:15:00.250+02:00', NOW).toISOString()).toBe('2026-11-26T07:15:00.250Z');
    expect(parseSince('2026-11-20', NOW).toISOString()).toBe('2026-11-20T00:00:00.000Z');
  });

  it('refuses times without a zone, unknown units and free text, naming the accepted forms', () => {
    for (const text of ['2026-11-26T09:15:00', '2 hours', '5y', 'yesterday', '', '-2h', '2026-13-45']) {
      expect(() => parseSince(text, NOW), text).toThrow(InvalidSinceError);
    }
    expect(() => parseSince('5y', NOW)).toThrow(/span back from now \(90s, 30m, 2h, 7d, 2w\)/);
  });
});
