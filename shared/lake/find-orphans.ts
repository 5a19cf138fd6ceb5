// A lake file on S3 without a manifest row is an orphan: a batch crashed between writing its
// files and committing them. Orphans younger than the grace period may still be committing.

/**
 * The listed lake objects that the manifest does not know and that are older than the grace period.
 *
 * @example findOrphans(listed, new Set(manifestKeys), { now: Date.now(), graceMs: 3_600_000 })
 */
export function findOrphans<T extends { key: string; lastModified: Date }>(
  listed: readonly T[],
  manifestKeys: ReadonlySet<string>,
  options: { now: number; graceMs: number },
): T[] {
  return listed.filter((o) => !manifestKeys.has(o.key) && options.now - o.lastModified.getTime() >= options.graceMs);
}
