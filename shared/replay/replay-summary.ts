// The human-readable summaries `npm run replay` prints at the end of a run.
import type { DlqReplayReport } from './dlq-replay.js';
import type { QuarantineReplayReport } from './quarantine-replay.js';

/** Reasons listed in the text summary; --json lists all. */
const LISTED_REASONS = 20;

/**
 * Summarizes a quarantine replay: counts, then the still-failing rows grouped by reason.
 *
 * @example formatQuarantineReport(report) // 'quarantine: 3 rows checked, 2 replayed in 1 message, 1 still failing (left pending)\n…'
 */
export function formatQuarantineReport(report: QuarantineReplayReport): string {
  const verb = report.dryRun ? 'would be replayed' : 'replayed';
  const lines = [
    `quarantine${report.dryRun ? ' (dry run)' : ''}: ${report.scanned} rows checked, ${report.replayed} ${verb} in ${plural(report.messages, 'message')}, ` +
      `${report.stillFailing} still failing (left pending)`,
  ];
  if (report.failures.length > 0) {
    lines.push('still failing, by reason:');
    for (const f of report.failures.slice(0, LISTED_REASONS)) lines.push(`  ${String(f.rows).padStart(7)}  ${f.code}: ${f.reason} (first row id ${f.firstRowId})`);
    const more = report.failures.length - LISTED_REASONS;
    if (more > 0) lines.push(`  … and ${plural(more, 'more reason')} (--json lists all)`);
  }
  return lines.join('\n');
}

/**
 * Summarizes a DLQ replay.
 *
 * @example formatDlqReport(report) // 'dlq: 3 messages received, 2 moved to the ingest queue, 1 skipped (released)'
 */
export function formatDlqReport(report: DlqReplayReport): string {
  const verb = report.dryRun ? 'would be moved' : 'moved';
  return (
    `dlq${report.dryRun ? ' (dry run)' : ''}: ${plural(report.received, 'message')} received, ${report.moved} ${verb} to the ingest queue, ` +
    `${report.skipped} skipped (not matching); ${report.released} released back to the DLQ`
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
