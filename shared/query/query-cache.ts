// The local cache of lake files `npm run query` reads: files are immutable once committed,
// so a cached copy stays valid; the cache is trimmed to a size cap, least recently used
// first, never touching the files the current query reads.
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';

/** Default cap of the query cache: enough for a few days of a busy dev stack. */
export const DEFAULT_QUERY_CACHE_MAX_BYTES = 2 * 1024 ** 3;

/** Marks files as just used, so trimming removes others first. */
export async function touchCachedFiles(paths: readonly string[]): Promise<void> {
  const now = new Date();
  await Promise.all(paths.map((path) => utimes(path, now, now).catch(() => undefined)));
}

/** What a trim removed, and what the cache holds after it. */
export interface TrimResult {
  readonly removedFiles: number;
  readonly removedBytes: number;
  readonly keptBytes: number;
}

/**
 * Deletes the least recently used files (by modification time, which {@link touchCachedFiles}
 * refreshes) until the cache is at most `maxBytes`, skipping `inUse`. Files in use may keep
 * the cache above the cap: a query needs all of its files.
 *
 * @example await trimQueryCache('.local/query-cache', 2 * 1024 ** 3, new Set(paths))
 */
export async function trimQueryCache(cacheDir: string, maxBytes: number, inUse: ReadonlySet<string>): Promise<TrimResult> {
  const files = await listFiles(cacheDir);
  let total = files.reduce((sum, f) => sum + f.size, 0);
  let removedFiles = 0;
  let removedBytes = 0;
  for (const file of files.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
    if (total <= maxBytes) break;
    if (inUse.has(file.path)) continue;
    await rm(file.path, { force: true });
    total -= file.size;
    removedFiles += 1;
    removedBytes += file.size;
  }
  return { removedFiles, removedBytes, keptBytes: total };
}

async function listFiles(dir: string): Promise<{ path: string; size: number; mtimeMs: number }[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Promise.all(
    files.map(async (path) => {
      const info = await stat(path);
      return { path, size: info.size, mtimeMs: info.mtimeMs };
    }),
  );
}
