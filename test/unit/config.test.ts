// The Redis key prefix as the functions and the CLIs read it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCliConfig } from '../../shared/cli/cli-config.js';
import { loadConfig } from '../../shared/config.js';

const base = { STAGE: 'prod', AWS_REGION: 'eu-west-1', LAKE_BUCKET: 'lake-bucket', DATABASE_URL: 'postgres://db/lake', REDIS_URL: 'redis://cache:6379' };

describe('REDIS_KEY_PREFIX', () => {
  it('is empty unless set, and taken as given when it is key-safe', () => {
    expect(loadConfig(base).redisKeyPrefix).toBe('');
    expect(loadConfig({ ...base, REDIS_KEY_PREFIX: 'staging:' }).redisKeyPrefix).toBe('staging:');
  });

  it('refuses braces (keys carry a hash tag), spaces and overlong values, naming the variable', () => {
    for (const bad of ['{stage}:', 'my stage', 'x'.repeat(65)]) {
      expect(() => loadConfig({ ...base, REDIS_KEY_PREFIX: bad })).toThrow(/REDIS_KEY_PREFIX/);
    }
  });

  it('comes with the local stack’s Redis in the CLIs, and not when REDIS_URL points elsewhere', () => {
    const stackFile = join(mkdtempSync(join(tmpdir(), 'stack-')), 'stack.json');
    writeFileSync(stackFile, JSON.stringify({ redisUrl: 'redis://127.0.0.1:6379', redisKeyPrefix: 'event_lake_local:' }));
    expect(loadCliConfig({}, { stackFile })).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', redisKeyPrefix: 'event_lake_local:' });
    // REDIS_URL exported for `npm run dev` itself names the stack's Redis: the prefix holds.
    expect(loadCliConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, { stackFile }).redisKeyPrefix).toBe('event_lake_local:');
    expect(loadCliConfig({ REDIS_URL: 'redis://cache:6379' }, { stackFile }).redisKeyPrefix).toBe('');
    expect(loadCliConfig({ REDIS_URL: 'redis://cache:6379', REDIS_KEY_PREFIX: 'prod:' }, { stackFile }).redisKeyPrefix).toBe('prod:');
  });
});
