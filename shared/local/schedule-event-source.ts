// Runs the `schedule` events of serverless.yml locally: rate expressions on a timer, each
// tick invoking the function with the EventBridge scheduled event shape. Cron expressions
// are reported and skipped (a local stack rarely runs long enough to need them).
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { BatchLogEntry } from './kinesis-event-source.js';
import type { InvokeResult, LambdaInvoker } from './lambda-invoker.js';
import type { FunctionDescription } from './service-description.js';

/** A schedule of one function. */
export interface ScheduleConfig {
  readonly functionKey: string;
  readonly functionName: string;
  readonly rate: string;
  readonly everyMs: number;
}

const RATE = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * The rate schedules of every function; cron ones are returned in `skipped`.
 *
 * @example schedulesOf(service.functions) // { schedules: [{ functionKey: 'outboxDrain', everyMs: 60000, … }], skipped: [] }
 */
export function schedulesOf(functions: readonly FunctionDescription[]): { schedules: ScheduleConfig[]; skipped: string[] } {
  const schedules: ScheduleConfig[] = [];
  const skipped: string[] = [];
  for (const fn of functions) {
    for (const event of fn.events) {
      const schedule = event['schedule'];
      if (schedule === undefined) continue;
      const settings = typeof schedule === 'string' ? { rate: schedule } : (schedule as { rate?: unknown; enabled?: unknown });
      if (settings.enabled === false) continue;
      for (const rate of [settings.rate].flat().map(String)) {
        const m = RATE.exec(rate.trim());
        if (!m) {
          skipped.push(`${fn.key}: ${rate}`);
          continue;
        }
        schedules.push({ functionKey: fn.key, functionName: fn.name, rate, everyMs: Number(m[1]) * UNIT_MS[m[2]!.replace(/s$/, '')]! });
      }
    }
  }
  return { schedules, skipped };
}

/** Invokes a function on its rate, one invocation at a time. */
export class ScheduleEventSource {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    readonly config: ScheduleConfig,
    private readonly deps: { invoker: LambdaInvoker; region: string; log?: (entry: BatchLogEntry) => void },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick());
    }, this.config.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: this.deps.region,
      resources: [`arn:aws:events:${this.deps.region}:000000000000:rule/${this.config.functionName}-schedule`],
      detail: {},
    };
    const started = Date.now();
    const result = await this.deps.invoker
      .invoke(this.config.functionName, event)
      .catch((error: unknown): InvokeResult => ({ ok: false, error: `Invoke failed: ${(error as Error).message}` }));
    this.deps.log?.({
      functionKey: this.config.functionKey,
      source: this.config.rate,
      records: 1,
      durationMs: Date.now() - started,
      outcome: result.ok ? 'ok' : 'error',
      ...(result.ok ? {} : { detail: result.error }),
    });
  }
}
