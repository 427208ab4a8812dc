/**
 * The chunk file layer: append-only segment files of zstd-compressed,
 * checksummed chunks, and a reader with a decompressed-chunk cache. Knows
 * nothing of LMDB. Byte layout: docs/chunk-format.md.
 */

// Every error of the layer, its guard and the types they carry.
export * from './errors.ts';
export {
  CHUNK_HEADER_SIZE,
  CHUNK_MAGIC,
  COMPRESSION_ZSTD,
  decodeChunkHeader,
  decodeFileHeader,
  encodeChunkHeader,
  encodeFileHeader,
  FILE_HEADER_SIZE,
  FILE_MAGIC,
  FILE_TYPE_CHUNK_SEGMENT,
  FORMAT_VERSION,
  MAX_RAW_LENGTH,
  MIN_FORMAT_VERSION,
  RECORD_ALIGNMENT,
} from './format.ts';
export type { ChunkHeader, FileHeader } from './format.ts';
export { DEFAULT_CHUNK_TARGET_BYTES, packRecords, packRecordsIncrementally } from './pack.ts';
export type { Packed, PackedItem } from './pack.ts';
export { ChunkReader, scanChunks } from './reader.ts';
export type { ChunkExpectation, ChunkReaderOptions, ChunkReaderStats, ScannedChunk } from './reader.ts';
export { encodeChunk, SegmentWriter } from './writer.ts';
export type { AppendResult, EncodedChunk, SegmentWriterOptions } from './writer.ts';
export { _setZstdBackend, compress, decompress, DEFAULT_ZSTD_LEVEL, zstdBackend } from './zstd.ts';
export type { ZstdBackend } from './zstd.ts';
