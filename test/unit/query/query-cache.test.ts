import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trimQueryCache } from '../../../shared/query/query-cache.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'query-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A cached file of `kb` KiB last used `hoursAgo` hours ago. */
async function cached(name: string, kb: number, hoursAgo: number): Promise<string> {
  const path = join(dir, 'bucket', 'events', name);
  await mkdir(join(dir, 'bucket', 'events'), { recursive: true });
  await writeFile(path, Buffer.alloc(kb * 1024));
  const at = new Date(Date.now() - hoursAgo * 3_600_000);
  await utimes(path, at, at);
  return path;
}

describe('trimQueryCache', () => {
  it('removes the least recently used files first, only until the cache fits', async () => {
    const oldest = await cached('a.parquet', 10, 5);
    const older = await cached('b.parquet', 10, 4);
    const recent = await cached('c.parquet', 10, 1);
    const result = await trimQueryCache(dir, 15 * 1024, new Set());
    expect(result).toEqual({ removedFiles: 2, removedBytes: 20 * 1024, keptBytes: 10 * 1024 });
    expect([existsSync(oldest), existsSync(older), existsSync(recent)]).toEqual([false, false, true]);
  });

  it('never removes a file in use, even past the cap, and leaves a cache under the cap alone', async () => {
    const inUse = await cached('old-but-read.parquet', 10, 9);
    const other = await cached('other.parquet', 10, 1);
    expect(await trimQueryCache(dir, 1024, new Set([inUse]))).toEqual({ removedFiles: 1, removedBytes: 10 * 1024, keptBytes: 10 * 1024 });
    expect([existsSync(inUse), existsSync(other)]).toEqual([true, false]);
    expect(await trimQueryCache(dir, 1024 * 1024, new Set())).toEqual({ removedFiles: 0, removedBytes: 0, keptBytes: 10 * 1024 });
  });

  it('treats a missing cache folder as empty', async () => {
    expect(await trimQueryCache(join(dir, 'nope'), 0, new Set())).toEqual({ removedFiles: 0, removedBytes: 0, keptBytes: 0 });
  });
});
