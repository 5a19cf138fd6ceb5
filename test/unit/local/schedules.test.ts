import { describe, expect, it } from 'vitest';
import { schedulesOf } from '../../../shared/local/schedule-event-source.js';
import { parseServiceDescription } from '../../../shared/local/service-description.js';

describe('schedulesOf', () => {
  it('runs rate schedules, skips cron and disabled ones', () => {
    const { functions } = parseServiceDescription(
      {
        service: 's',
        provider: {},
        functions: {
          drain: { events: [{ schedule: { rate: 'rate(1 minute)' } }, { schedule: 'rate(2 hours)' }] },
          report: { events: [{ schedule: { rate: 'cron(0 12 * * ? *)' } }, { schedule: { rate: 'rate(5 minutes)', enabled: false } }] },
        },
      },
      'dev',
    );
    const { schedules, skipped } = schedulesOf(functions);
    expect(schedules.map((s) => [s.functionKey, s.everyMs])).toEqual([
      ['drain', 60_000],
      ['drain', 7_200_000],
    ]);
    expect(skipped).toEqual(['report: cron(0 12 * * ? *)']);
  });
});
