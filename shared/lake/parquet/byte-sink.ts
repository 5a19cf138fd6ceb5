// A growable byte buffer with the little-endian and varint writes the Parquet format needs.
// One Buffer grows by doubling, so writing a page costs no allocation per value.

const TWO_32 = 0x1_0000_0000;

/** Appends bytes to a growing buffer; `bytes()` views what was written. */
export class ByteSink {
  private buffer: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(initialCapacity = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialCapacity);
  }

  /** Forgets what was written, keeping the memory for the next use. */
  reset(): void {
    this.length = 0;
  }

  /** Makes room for `count` more bytes. */
  reserve(count: number): void {
    const needed = this.length + count;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** A view of the written bytes: valid until the next write or reset. */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  u32le(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value >>> 0, this.length);
    this.length += 4;
  }

  i32le(value: number): void {
    this.reserve(4);
    this.buffer.writeInt32LE(value, this.length);
    this.length += 4;
  }

  /** A whole number as a two's-complement 64-bit integer; BigInt only past ±2^53 (rare). */
  i64le(value: number): void {
    this.reserve(8);
    if (!Number.isSafeInteger(value)) {
      this.buffer.writeBigInt64LE(BigInt(value), this.length);
      this.length += 8;
      return;
    }
    const high = Math.floor(value / TWO_32);
    this.buffer.writeUInt32LE(value - high * TWO_32, this.length);
    this.buffer.writeInt32LE(high, this.length + 4);
    this.length += 8;
  }

  f64le(value: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
  }

  /** Unsigned LEB128 of a whole number below 2^53. */
  varint(value: number): void {
    this.reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** A string's UTF-8 bytes with no prefix; returns their count. */
  utf8(text: string): number {
    this.reserve(text.length * 3);
    const written = this.buffer.write(text, this.length);
    this.length += written;
    return written;
  }

  /** A string as Parquet's PLAIN BYTE_ARRAY: a 4-byte length, then the UTF-8 bytes. */
  lengthPrefixedUtf8(text: string): void {
    this.reserve(4 + text.length * 3);
    const start = this.length;
    const written = this.buffer.write(text, start + 4);
    this.buffer.writeUInt32LE(written, start);
    this.length = start + 4 + written;
  }
}

