// Condenses the local stack's invocation log: successful invocations per function become
// one line per interval, so failures (printed at once) stand out.
import type { BatchLogEntry } from './kinesis-event-source.js';

/** How often the summary line is printed. */
export const SUMMARY_EVERY_MS = 5000;

/**
 * @example const summary = new BatchSummary(); summary.add(entry); summary.flush(console.log);
 */
export class BatchSummary {
  private readonly byFunction = new Map<string, { records: number; durations: number[] }>();

  add(e: BatchLogEntry): void {
    const f = this.byFunction.get(e.functionKey) ?? { records: 0, durations: [] };
    f.records += e.records;
    f.durations.push(e.durationMs);
    this.byFunction.set(e.functionKey, f);
  }

  flush(print: (line: string) => void): void {
    for (const [fn, f] of this.byFunction) {
      const sorted = [...f.durations].sort((a, b) => a - b);
      const p50 = sorted[Math.floor(sorted.length / 2)]!;
      print(`λ ${fn}  ${plural(sorted.length, 'invocation')}  ${plural(f.records, 'record')}  p50 ${p50} ms  max ${sorted.at(-1)!} ms  ok (last ${SUMMARY_EVERY_MS / 1000} s)`);
    }
    this.byFunction.clear();
  }
}

/** One invocation as a log line. */
export function formatBatch(e: BatchLogEntry): string {
  const detail = e.detail ? `  ${e.detail}` : '';
  return `λ ${e.functionKey}  ${e.source}  ${plural(e.records, 'record')}  ${e.durationMs} ms  ${e.outcome}${detail}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
