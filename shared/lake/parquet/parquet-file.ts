// Writes a whole Parquet file of one row group: "PAR1", the column chunks, the footer
// (FileMetaData in Thrift compact), its length, "PAR1".
// https://parquet.apache.org/docs/file-format/
import { ByteSink } from './byte-sink.js';
import { writeColumnChunk, writeColumnChunkMetadata, PHYSICAL_TYPE, type ColumnSpec, type Compress, type Scratch, type WrittenChunk } from './column-chunk.js';
import { CompactWriter } from './thrift-compact.js';

const MAGIC = Buffer.from('PAR1', 'ascii');
const CODEC = { UNCOMPRESSED: 0, ZSTD: 6 } as const;
const REPETITION = { REQUIRED: 0, OPTIONAL: 1 } as const;
const CONVERTED_TYPE = { UTF8: 0, TIMESTAMP_MILLIS: 9 } as const;

/** How files are compressed, and the footer's created_by. */
export interface ParquetFileOptions {
  readonly codec: 'ZSTD' | 'UNCOMPRESSED';
  readonly compress: Compress;
  readonly createdBy: string;
}

/**
 * Writes Parquet files from column arrays. Keeps its page buffers between files, so create
 * one per container.
 *
 * @example new ParquetFileWriter({ codec: 'ZSTD', compress, createdBy: 'me' }).write(columns, rows)
 */
export class ParquetFileWriter {
  private readonly scratch: Scratch;
  private readonly compress: Compress;

  constructor(private readonly options: ParquetFileOptions) {
    const header = new ByteSink(256);
    this.scratch = { values: new ByteSink(), levels: new ByteSink(4096), header, headerWriter: new CompactWriter(header) };
    this.compress = options.codec === 'ZSTD' ? checkedZstd(options.compress) : (bytes) => bytes;
  }

  /** The file's bytes; every column holds `rows` values. */
  write(columns: readonly ColumnSpec[], rows: number): Uint8Array {
    for (const column of columns) {
      if (column.data.values.length !== rows) throw new Error(`column ${column.name} has ${column.data.values.length} values for ${rows} rows`);
    }
    const file = new ByteSink(64 * 1024);
    file.append(MAGIC);
    const chunks = columns.map((column) => {
      try {
        return writeColumnChunk(file, column, rows, this.compress, this.scratch);
      } catch (error) {
        throw new Error(`column ${column.name}: ${(error as Error).message}`, { cause: error });
      }
    });
    const footerStart = file.length;
    writeFooter(new CompactWriter(file), chunks, rows, CODEC[this.options.codec], this.options.createdBy);
    file.u32le(file.length - footerStart);
    file.append(MAGIC);
    return Uint8Array.from(file.bytes());
  }
}

/** The first bytes of every zstd frame (0xFD2FB528, little-endian). */
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Refuses compressor output that is not a zstd frame, so a broken compressor (the wasm build
 * returns zeros if initialised twice in a process) fails the batch instead of storing an
 * unreadable file in the lake.
 */
function checkedZstd(compress: Compress): Compress {
  return (bytes) => {
    const out = compress(bytes);
    if (out.length < 4 || ZSTD_MAGIC.some((b, i) => out[i] !== b)) {
      throw new Error('the zstd compressor returned something that is not a zstd frame; nothing was written');
    }
    return out;
  };
}

function writeFooter(w: CompactWriter, chunks: readonly WrittenChunk[], rows: number, codec: number, createdBy: string): void {
  w.element(); // FileMetaData
  w.i32(1, 1); // version: parquet-format asks writers for 1
  w.structList(2, chunks.length + 1);
  w.element(); // the root
  w.string(4, 'schema');
  w.i32(5, chunks.length);
  w.end();
  for (const { spec } of chunks) writeSchemaElement(w, spec);
  w.i64(3, rows);
  w.structList(4, 1);
  w.element(); // RowGroup
  w.structList(1, chunks.length);
  for (const chunk of chunks) writeColumnChunkMetadata(w, chunk, codec);
  w.i64(2, chunks.reduce((sum, c) => sum + c.uncompressedSize, 0));
  w.i64(3, rows);
  w.i64(5, chunks[0]?.dictionaryPageOffset ?? chunks[0]?.dataPageOffset ?? MAGIC.length);
  w.i64(6, chunks.reduce((sum, c) => sum + c.compressedSize, 0));
  w.i16(7, 0); // ordinal
  w.end();
  w.string(6, createdBy);
  // column_orders: TypeDefinedOrder for every column, so readers trust min/max of strings.
  w.structList(7, chunks.length);
  for (let i = 0; i < chunks.length; i++) {
    w.element();
    w.struct(1);
    w.end();
    w.end();
  }
  w.end();
}

function writeSchemaElement(w: CompactWriter, spec: ColumnSpec): void {
  w.element();
  w.i32(1, PHYSICAL_TYPE[spec.data.kind]);
  w.i32(3, spec.required ? REPETITION.REQUIRED : REPETITION.OPTIONAL);
  w.string(4, spec.name);
  if (spec.logicalType === 'STRING') {
    w.i32(6, CONVERTED_TYPE.UTF8);
    w.struct(10); // LogicalType union
    w.struct(1); // STRING
    w.end();
    w.end();
  } else if (spec.logicalType === 'TIMESTAMP_MILLIS_UTC') {
    w.i32(6, CONVERTED_TYPE.TIMESTAMP_MILLIS);
    w.struct(10);
    w.struct(8); // TIMESTAMP
    w.bool(1, true); // isAdjustedToUTC
    w.struct(2); // unit
    w.struct(1); // MILLIS
    w.end();
    w.end();
    w.end();
    w.end();
  }
  w.end();
}
