// kinesalite does its 128-bit and 185-bit arithmetic (sequence numbers, partition-key hashes)
// with bignumber.js, converting between decimal and hex strings digit by digit: a third of
// the emulator's CPU at a few thousand records/s, and what made GetRecords take hundreds of
// ms in the local stack. This swaps the four functions of its `db` module that do that
// arithmetic for BigInt versions that return exactly the same values. Only the common shapes take the fast path
// (decimal strings, version-2 sequence numbers, which is all kinesalite itself creates);
// anything else goes to kinesalite's own code, errors included.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/** A parsed sequence number, as kinesalite's `db.parseSequence` returns it. */
export interface SequenceParts {
  shardCreateTime: number;
  seqIx?: string | number;
  byte1?: string;
  seqTime?: number;
  seqRand?: string;
  shardIx: number;
  version?: number | null;
}

/** What putRecord(s) does with a partition key's hash: compare it to shard hash key ranges. */
export interface ComparableHashKey {
  comparedTo(other: unknown): number;
}

/** The functions of kinesalite's `db` module this replaces. */
export interface KinesaliteNumbers {
  parseSequence(seq: string): SequenceParts;
  stringifySequence(parts: SequenceParts): string;
  partitionKeyToHashKey(partitionKey: string): ComparableHashKey;
  incrementSequence(seq: string | SequenceParts, seqTime?: number | null): string;
}

const DECIMAL = /^\d+$/;
const POW_2_185 = 1n << 185n;
/** Version-2 sequence numbers lie between 2^185 and 1.5 × 2^185 and end in hex digit 2. */
const POW_2_185_NEXT = POW_2_185 + (POW_2_185 >> 1n);

const requireFromHere = createRequire(import.meta.url);

/** kinesalite's own `db` module (CommonJS, shared by all its actions). */
export function kinesaliteDb(): KinesaliteNumbers {
  return requireFromHere('kinesalite/db/index.js') as KinesaliteNumbers;
}

let installed = false;

/**
 * Replaces kinesalite's sequence and hash-key arithmetic with the BigInt versions, once per
 * thread (the actions look the functions up on the module at each call).
 *
 * @example installFastNumbers(); const server = kinesalite({ createStreamMs: 0 });
 */
export function installFastNumbers(): void {
  if (installed) return;
  const db = kinesaliteDb();
  const fast = fastNumbers({ ...db });
  db.parseSequence = fast.parseSequence;
  db.stringifySequence = fast.stringifySequence;
  db.partitionKeyToHashKey = fast.partitionKeyToHashKey;
  db.incrementSequence = fast.incrementSequence;
  installed = true;
}

/**
 * BigInt versions of kinesalite's functions, falling back to `original` off the fast path;
 * exported so a test can compare the two on the same inputs.
 */
export function fastNumbers(original: KinesaliteNumbers): KinesaliteNumbers {
  const fast: KinesaliteNumbers = {
    parseSequence(seq) {
      if (typeof seq !== 'string' || !DECIMAL.test(seq)) return original.parseSequence(seq);
      const n = BigInt(seq);
      if (n <= POW_2_185 || n >= POW_2_185_NEXT) return original.parseSequence(seq);
      const hex = n.toString(16);
      if (hex[hex.length - 1] !== '2') return original.parseSequence(seq);
      const seqIxHex = hex.slice(11, 27);
      let shardIxHex = hex.slice(38, 46);
      if (parseInt(seqIxHex[0]!, 16) > 7) throw new Error('Sequence index too high');
      if (parseInt(shardIxHex[0]!, 16) > 7) shardIxHex = `-${shardIxHex}`;
      const shardCreateSecs = parseInt(hex.slice(1, 10), 16);
      if (shardCreateSecs >= 16025175000) throw new Error(`Date too large: ${shardCreateSecs}`);
      return {
        shardCreateTime: shardCreateSecs * 1000,
        seqIx: BigInt(`0x${seqIxHex}`).toString(),
        byte1: hex.slice(27, 29),
        seqTime: parseInt(hex.slice(29, 38), 16) * 1000,
        shardIx: parseInt(shardIxHex, 16),
        version: 2,
      };
    },

    stringifySequence(parts) {
      const seqIx = parts.seqIx || 0;
      if ((parts.version != null && parts.version !== 2) || !DECIMAL.test(String(seqIx))) return original.stringifySequence(parts);
      const hex = [
        '2',
        `00000000${Math.floor(parts.shardCreateTime / 1000).toString(16)}`.slice(-9),
        (parts.shardIx || 0).toString(16).slice(-1),
        `0000000000000000${BigInt(seqIx).toString(16)}`.slice(-16),
        parts.byte1 || '00',
        `00000000${Math.floor((parts.seqTime || parts.shardCreateTime) / 1000).toString(16)}`.slice(-9),
        `0000000${(parts.shardIx || 0).toString(16)}`.slice(-8),
        '2',
      ].join('');
      // kinesalite's field widths assume well-formed parts; anything odd keeps its behaviour.
      if (!/^[0-9a-f]{47}$/.test(hex)) return original.stringifySequence(parts);
      return BigInt(`0x${hex}`).toString();
    },

    partitionKeyToHashKey(partitionKey) {
      const slow = () => original.partitionKeyToHashKey(partitionKey);
      const value = BigInt(`0x${md5Hex(partitionKey)}`);
      return {
        comparedTo(other: unknown): number {
          if (typeof other !== 'string' || !DECIMAL.test(other)) return slow().comparedTo(other);
          const bound = BigInt(other);
          return value < bound ? -1 : value > bound ? 1 : 0;
        },
      };
    },

    // kinesalite's own calls its module-local functions, so it is replaced as a whole.
    incrementSequence(seq, seqTime) {
      const parts = typeof seq === 'string' ? fast.parseSequence(seq) : seq;
      return fast.stringifySequence({
        shardCreateTime: parts.shardCreateTime,
        seqIx: parts.seqIx,
        seqTime: seqTime || (parts.seqTime ?? Number.NaN) + 1000,
        shardIx: parts.shardIx,
      });
    },
  };
  return fast;
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
