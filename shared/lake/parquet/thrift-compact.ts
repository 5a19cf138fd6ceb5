// The Thrift compact protocol, write side, for the structs a Parquet file needs (page headers
// and the footer). Fields are written in increasing id order, as the format expects.
// https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md
import type { ByteSink } from './byte-sink.js';

/** Compact-protocol type ids of the field kinds written here. */
const TYPE = { TRUE: 1, FALSE: 2, I16: 4, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

/** Writes fields of nested structs; each struct begins with `struct(id)` and ends with `end()`. */
export class CompactWriter {
  /** The last field id of each open struct, innermost last. */
  private readonly lastIds: number[] = [0];

  constructor(readonly sink: ByteSink) {}

  i32(id: number, value: number): void {
    this.header(id, TYPE.I32);
    this.sink.varint(zigzag(value));
  }

  i16(id: number, value: number): void {
    this.header(id, TYPE.I16);
    this.sink.varint(zigzag(value));
  }

  /** A whole number within ±2^53 (offsets, sizes and counts). */
  i64(id: number, value: number): void {
    this.header(id, TYPE.I64);
    this.sink.varint(zigzag(value));
  }

  bool(id: number, value: boolean): void {
    this.header(id, value ? TYPE.TRUE : TYPE.FALSE);
  }

  binary(id: number, bytes: Uint8Array): void {
    this.header(id, TYPE.BINARY);
    this.sink.varint(bytes.length);
    this.sink.append(bytes);
  }

  string(id: number, text: string): void {
    this.binary(id, Buffer.from(text, 'utf8'));
  }

  /** Opens a struct-valued field; close it with {@link end}. */
  struct(id: number): void {
    this.header(id, TYPE.STRUCT);
    this.lastIds.push(0);
  }

  /** Closes the innermost struct (or a list element opened with {@link element}). */
  end(): void {
    this.sink.u8(0);
    this.lastIds.pop();
  }

  /** A list of i32 (enum values). */
  i32List(id: number, values: readonly number[]): void {
    this.listHeader(id, TYPE.I32, values.length);
    for (const value of values) this.sink.varint(zigzag(value));
  }

  stringList(id: number, values: readonly string[]): void {
    this.listHeader(id, TYPE.BINARY, values.length);
    for (const value of values) {
      const bytes = Buffer.from(value, 'utf8');
      this.sink.varint(bytes.length);
      this.sink.append(bytes);
    }
  }

  /** Opens a list of `size` structs; write each with {@link element} … {@link end}. */
  structList(id: number, size: number): void {
    this.listHeader(id, TYPE.STRUCT, size);
  }

  /** Opens one struct element of a list. */
  element(): void {
    this.lastIds.push(0);
  }

  private listHeader(id: number, elementType: number, size: number): void {
    this.header(id, TYPE.LIST);
    if (size < 15) {
      this.sink.u8((size << 4) | elementType);
    } else {
      this.sink.u8(0xf0 | elementType);
      this.sink.varint(size);
    }
  }

  private header(id: number, type: number): void {
    const depth = this.lastIds.length - 1;
    const delta = id - this.lastIds[depth]!;
    if (delta > 0 && delta <= 15) {
      this.sink.u8((delta << 4) | type);
    } else {
      this.sink.u8(type);
      this.sink.varint(zigzag(id));
    }
    this.lastIds[depth] = id;
  }
}

/** Zigzag for whole numbers within ±2^53 (arithmetic, not bit ops, past 32 bits). */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}
