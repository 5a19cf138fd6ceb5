import { defineConfig } from 'vitest/config';

// Integration tests share one Postgres database and one S3 emulator per file; files run in
// parallel on separate schemas/buckets, so keep the pool small for the 2-core CI machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
