// serverless offline runs every function in one process: it takes the ingest functions' Node
// options (their V8 flags), so the local stack ingests with the flags it is deployed with.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { offlineNodeOptions } from '../../../shared/local/dev-stack.js';

describe('offlineNodeOptions', () => {
  it("adds the ingest functions' options to the inherited ones, once each", () => {
    expect(offlineNodeOptions('--enable-source-maps --import tsx', '--enable-source-maps --max-semi-space-size=32')).toBe(
      '--enable-source-maps --import tsx --max-semi-space-size=32',
    );
  });

  it('keeps the inherited options when the param is missing or not a string', () => {
    expect(offlineNodeOptions('--trace-warnings', undefined)).toBe('--trace-warnings');
    expect(offlineNodeOptions(undefined, 32)).toBe('');
  });

  it("carries serverless.yml's ingestNodeOptions default through", () => {
    const param = /^\s+ingestNodeOptions: (.+)$/m.exec(readFileSync('serverless.yml', 'utf8'))?.[1];
    expect(param).toContain('--max-semi-space-size=');
    expect(offlineNodeOptions(undefined, param).split(' ')).toEqual(param!.split(' '));
  });
});
