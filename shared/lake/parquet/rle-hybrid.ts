// Parquet's RLE / bit-packing hybrid: definition levels and dictionary indices.
// https://parquet.apache.org/docs/file-format/data-pages/encodings/#run-length-encoding--bit-packing-hybrid-rle--3
import type { ByteSink } from './byte-sink.js';

/** Runs shorter than this are bit-packed with their neighbours; longer ones become one RLE run. */
const MIN_RLE_RUN = 8;

/**
 * Writes `count` values of `bitWidth` bits (1-24) without a length prefix. Long runs of one
 * value (a constant column, all-present levels) cost a few bytes; the rest is bit-packed in
 * groups of 8, the last group padded with zeros.
 */
export function writeRleHybrid(sink: ByteSink, values: ArrayLike<number>, count: number, bitWidth: number): void {
  // Packing shifts values within a 32-bit integer: past 24 bits they would overflow it.
  if (bitWidth < 1 || bitWidth > 24) throw new RangeError(`RLE bit width ${bitWidth} is outside 1-24`);
  const valueBytes = (bitWidth + 7) >> 3;
  let i = 0;
  while (i < count) {
    const value = values[i]!;
    let runEnd = i + 1;
    while (runEnd < count && values[runEnd] === value) runEnd++;
    if (runEnd - i >= MIN_RLE_RUN || runEnd === count) {
      sink.varint((runEnd - i) * 2);
      for (let b = 0; b < valueBytes; b++) sink.u8((value >>> (8 * b)) & 0xff);
      i = runEnd;
      continue;
    }
    // Bit-pack whole groups of 8 until a group would start a long run.
    let end = i + 8;
    while (end < count && !startsLongRun(values, end, count)) end += 8;
    const packedEnd = Math.min(end, count);
    const groups = Math.ceil((packedEnd - i) / 8);
    sink.varint(groups * 2 + 1);
    sink.reserve(groups * bitWidth);
    let bits = 0;
    let pending = 0;
    for (let k = i; k < i + groups * 8; k++) {
      pending |= (k < packedEnd ? values[k]! : 0) << bits;
      bits += bitWidth;
      while (bits >= 8) {
        sink.u8(pending & 0xff);
        pending >>>= 8;
        bits -= 8;
      }
    }
    i = packedEnd;
  }
}

function startsLongRun(values: ArrayLike<number>, start: number, count: number): boolean {
  const value = values[start];
  const end = Math.min(count, start + MIN_RLE_RUN);
  if (end - start < MIN_RLE_RUN) return false;
  for (let k = start + 1; k < end; k++) if (values[k] !== value) return false;
  return true;
}

/** Bits needed for values 0..maxValue, at least 1. */
export function bitWidthFor(maxValue: number): number {
  return Math.max(1, 32 - Math.clz32(Math.max(0, maxValue)));
}
