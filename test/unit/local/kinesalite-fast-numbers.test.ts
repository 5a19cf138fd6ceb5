// The BigInt arithmetic swapped into kinesalite must give exactly what its bignumber.js
// arithmetic gives: compared side by side on random and edge-case inputs.
import { createRequire } from 'node:module';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fastNumbers, type KinesaliteNumbers, type SequenceParts } from '../../../shared/local/kinesalite-fast-numbers.js';

/** A fresh copy of kinesalite's db module, whatever another test installed into the cached one. */
function pristineDb(): KinesaliteNumbers {
  const require = createRequire(import.meta.url);
  const path = require.resolve('kinesalite/db/index.js');
  const cached = require.cache[path];
  delete require.cache[path];
  try {
    return require(path) as KinesaliteNumbers;
  } finally {
    if (cached) require.cache[path] = cached;
  }
}

const original = pristineDb();
const fast = fastNumbers(original);

/** The value, or the error message, so a throw on one side must be a throw on the other. */
function outcome<T>(fn: () => T): { value: T } | { error: string } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function randomDecimal(bits: number): string {
  return BigInt(`0x${randomBytes(Math.ceil(bits / 8)).toString('hex')}`).toString();
}

function randomParts(): SequenceParts {
  const shardIx = [0, 1, 3, 15, 16, randomInt(0, 2 ** 31 - 1)][randomInt(0, 6)]!;
  const seqIxChoices = [undefined, 0, 1, randomInt(0, 2 ** 40), randomDecimal(62), '9223372036854775807'];
  return {
    shardCreateTime: randomInt(1_400_000_000, 2_100_000_000) * 1000,
    shardIx,
    seqIx: seqIxChoices[randomInt(0, seqIxChoices.length)],
    ...(randomInt(0, 2) === 0 ? { seqTime: randomInt(1_400_000_000, 2_100_000_000) * 1000 + randomInt(0, 1000) } : {}),
    ...(randomInt(0, 3) === 0 ? { byte1: randomBytes(1).toString('hex') } : {}),
  };
}

describe('kinesalite with BigInt sequence numbers and hash keys', () => {
  it('stringifies, parses and increments 3,000 random sequence numbers exactly as kinesalite does', () => {
    for (let i = 0; i < 3000; i++) {
      const parts = randomParts();
      const seq = original.stringifySequence(parts);
      expect(fast.stringifySequence(parts)).toBe(seq);
      expect(outcome(() => fast.parseSequence(seq))).toEqual(outcome(() => original.parseSequence(seq)));
      expect(outcome(() => fast.incrementSequence(seq))).toEqual(outcome(() => original.incrementSequence(seq)));
      const parsed = outcome(() => original.parseSequence(seq));
      if ('value' in parsed) {
        expect(fast.incrementSequence(parsed.value, parts.seqTime)).toBe(original.incrementSequence(parsed.value, parts.seqTime));
      }
    }
  });

  it('agrees on the odd shapes it hands back to kinesalite: other versions, junk, out-of-range parts', () => {
    const version1 = original.stringifySequence({ shardCreateTime: 1_600_000_000_000, shardIx: 2, seqIx: 5, version: 1 });
    const version0 = original.stringifySequence({ shardCreateTime: 1_600_000_000_000, shardIx: 2, version: 0 });
    const inputs = ['', 'abc', '12', '1e60', '-5', ' 7', version1, version0, randomDecimal(190), randomDecimal(120), `${version1}0`];
    for (const seq of inputs) expect(outcome(() => fast.parseSequence(seq))).toEqual(outcome(() => original.parseSequence(seq)));
    const odd: SequenceParts[] = [
      { shardCreateTime: 1_600_000_000_000, shardIx: -1, seqIx: 3 },
      { shardCreateTime: 1_600_000_000_000, shardIx: 2, seqIx: '1.5' },
      { shardCreateTime: 99_999_999_999_000, shardIx: 2, seqIx: 3 },
      { shardCreateTime: 1_600_000_000_000, shardIx: 2, seqIx: '99999999999999999999999' },
      { shardCreateTime: 1_600_000_000_000, shardIx: 2, seqIx: 7, version: 1 },
    ];
    for (const parts of odd) expect(outcome(() => fast.stringifySequence(parts))).toEqual(outcome(() => original.stringifySequence(parts)));
  });

  it('routes partition keys to the same side of every shard boundary', () => {
    const bounds = ['0', '1', '170141183460469231731687303715884105727', '340282366920938463463374607431768211455', randomDecimal(128), randomDecimal(127)];
    for (let i = 0; i < 2000; i++) {
      const key = i % 3 === 0 ? `${i}` : randomBytes(randomInt(1, 40)).toString('base64');
      const ours = fast.partitionKeyToHashKey(key);
      const theirs = original.partitionKeyToHashKey(key);
      for (const bound of bounds) expect(ours.comparedTo(bound)).toBe(theirs.comparedTo(bound));
    }
    expect(fast.partitionKeyToHashKey('a').comparedTo(0)).toBe(original.partitionKeyToHashKey('a').comparedTo(0)); // not a decimal string: kinesalite's own compare
  });
});
