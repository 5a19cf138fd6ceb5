// Renders rows as an aligned text table for terminals, like psql's default output.

/**
 * Formats rows under a header; numbers are right-aligned, nulls shown as `NULL`.
 *
 * @example formatTable(['n'], [{ n: 1 }]) // ' n \n---\n 1 \n(1 row)'
 */
export function formatTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const cells = rows.map((row) => columns.map((c) => cellText(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || r[c] === null));
  const line = (values: readonly string[], alignNumbers: boolean) =>
    values
      .map((v, i) => (alignNumbers && numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const out = [line(columns, false), widths.map((w) => '-'.repeat(w)).join('-+-')];
  for (const row of cells) out.push(line(row, true));
  out.push(`(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`);
  return out.join('\n');
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
