/**
 * Byte layout of a chunk segment file (see docs/chunk-format.md).
 *
 * ```
 * file    := file_header chunk*
 * chunk   := chunk_header payload         payload = one zstd frame
 * ```
 * All integers are little-endian. Offsets are byte offsets from the start
 * of the file.
 */

import { crc32 } from 'node:zlib';
import {
  ChunkCorruptionError,
  ChunkFileHeaderError,
  ChunkFileVersionError,
  type ChunkLocation,
} from './errors.ts';

/** Magic bytes at offset 0 of every segment file: ASCII "VCZDSEG" and a NUL. */
export const FILE_MAGIC = Uint8Array.of(0x56, 0x43, 0x5a, 0x44, 0x53, 0x45, 0x47, 0x00);
/** Format version this build writes, and the newest it reads. */
export const FORMAT_VERSION = 1;
/** Oldest format version this build reads. */
export const MIN_FORMAT_VERSION = 1;
/** File type byte: a segment of zstd-compressed chunks. */
export const FILE_TYPE_CHUNK_SEGMENT = 1;
/** Compression byte: every chunk payload is one zstd frame. */
export const COMPRESSION_ZSTD = 1;
/** Size of the file header in bytes; the first chunk starts at this offset. */
export const FILE_HEADER_SIZE = 16;

/** Chunk header magic, u32le 0x4B435A56: the bytes "VZCK" on disk. */
export const CHUNK_MAGIC = 0x4b435a56;
/** Size of a chunk header in bytes; the payload starts right after it. */
export const CHUNK_HEADER_SIZE = 24;
/** Number of leading chunk-header bytes covered by the header checksum. */
export const CHUNK_HEADER_CHECKED = 20;
/** Largest decompressed chunk accepted, in bytes (1 GiB). Larger is corruption. */
export const MAX_RAW_LENGTH = 1 << 30;
/**
 * Largest compressed payload accepted, in bytes: zstd's worst-case bound for
 * {@link MAX_RAW_LENGTH} (raw + raw/256 + 128 KiB), rounded up.
 */
export const MAX_COMPRESSED_LENGTH = MAX_RAW_LENGTH + (MAX_RAW_LENGTH >>> 8) + (1 << 20);
/** Records inside a decompressed chunk start at multiples of this many bytes. */
export const RECORD_ALIGNMENT = 8;

/** A decoded segment file header. */
export interface FileHeader {
  readonly version: number;
  readonly fileType: number;
  readonly compression: number;
}

/** A decoded, validated chunk header. Lengths in bytes. */
export interface ChunkHeader {
  /** Decompressed length of the payload, bytes. */
  readonly rawLength: number;
  /** Length of the zstd frame that follows the header, bytes. */
  readonly compressedLength: number;
  /** CRC-32 (zlib polynomial) of the compressed payload. */
  readonly checksum: number;
  /** Reserved, 0 in format version 1. */
  readonly flags: number;
}

/** Returns a fresh 16-byte file header for the current {@link FORMAT_VERSION}. */
export function encodeFileHeader(): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(FILE_HEADER_SIZE);
  out.set(FILE_MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint16(8, FORMAT_VERSION, true);
  out[10] = FILE_TYPE_CHUNK_SEGMENT;
  out[11] = COMPRESSION_ZSTD;
  dv.setUint32(12, 0, true);
  return out;
}

function hexBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Validates and decodes the first 16 bytes of a segment file.
 *
 * @param bytes - the bytes read from offset 0 (may be shorter than 16 if the file is)
 * @param file - path, for messages
 * @throws {@link ChunkFileHeaderError} when shorter than 16 bytes, magic differs, or file type / compression is unknown
 * @throws {@link ChunkFileVersionError} when the version is below {@link MIN_FORMAT_VERSION} or above {@link FORMAT_VERSION}
 */
export function decodeFileHeader(bytes: Uint8Array, file: string): FileHeader {
  if (bytes.length < FILE_HEADER_SIZE) {
    throw new ChunkFileHeaderError(file, 'short header', `${bytes.length} bytes, need ${FILE_HEADER_SIZE}`);
  }
  const magic = bytes.subarray(0, FILE_MAGIC.length);
  if (Buffer.compare(magic, FILE_MAGIC) !== 0) {
    throw new ChunkFileHeaderError(file, 'bad magic', `0x${hexBytes(magic)}, expected 0x${hexBytes(FILE_MAGIC)}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_SIZE);
  const version = dv.getUint16(8, true);
  if (version < MIN_FORMAT_VERSION) throw new ChunkFileVersionError(file, version, FORMAT_VERSION, 'too-old');
  if (version > FORMAT_VERSION) throw new ChunkFileVersionError(file, version, FORMAT_VERSION, 'too-new');
  const fileType = bytes[10]!;
  if (fileType !== FILE_TYPE_CHUNK_SEGMENT) {
    throw new ChunkFileHeaderError(file, 'bad file type', `${fileType}, expected ${FILE_TYPE_CHUNK_SEGMENT} (chunk segment)`);
  }
  const compression = bytes[11]!;
  if (compression !== COMPRESSION_ZSTD) {
    throw new ChunkFileHeaderError(file, 'bad compression', `${compression}, expected ${COMPRESSION_ZSTD} (zstd)`);
  }
  return { version, fileType, compression };
}

/**
 * Writes a 24-byte chunk header into `out` at byte offset `at`, computing the
 * header checksum over its first 20 bytes.
 */
export function encodeChunkHeader(h: Omit<ChunkHeader, 'flags'> & { flags?: number }, out: Uint8Array, at = 0): void {
  const dv = new DataView(out.buffer, out.byteOffset + at, CHUNK_HEADER_SIZE);
  dv.setUint32(0, CHUNK_MAGIC, true);
  dv.setUint32(4, h.rawLength, true);
  dv.setUint32(8, h.compressedLength, true);
  dv.setUint32(12, h.checksum >>> 0, true);
  dv.setUint32(16, h.flags ?? 0, true);
  dv.setUint32(20, crc32(out.subarray(at, at + CHUNK_HEADER_CHECKED)), true);
}

/**
 * Validates and decodes a 24-byte chunk header: magic, header checksum,
 * flags, then the length bounds (so no length is trusted, or allocated,
 * before its checksum passes).
 *
 * @param bytes - at least 24 bytes; the header is at byte offset 0
 * @param where - file and offset, for messages
 * @throws {@link ChunkCorruptionError} with reason 'truncated', 'bad chunk magic', 'header checksum mismatch',
 *   'unsupported chunk flags', 'raw length too large' or 'compressed length too large'
 */
export function decodeChunkHeader(bytes: Uint8Array, where: ChunkLocation): ChunkHeader {
  if (bytes.length < CHUNK_HEADER_SIZE) {
    throw new ChunkCorruptionError(where, 'truncated', `chunk header has ${bytes.length} of ${CHUNK_HEADER_SIZE} bytes`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, CHUNK_HEADER_SIZE);
  const magic = dv.getUint32(0, true);
  if (magic !== CHUNK_MAGIC) {
    throw new ChunkCorruptionError(
      where,
      'bad chunk magic',
      `found 0x${magic.toString(16).padStart(8, '0')}, expected 0x${CHUNK_MAGIC.toString(16)}`,
    );
  }
  const stored = dv.getUint32(20, true);
  const actual = crc32(bytes.subarray(0, CHUNK_HEADER_CHECKED));
  if (stored !== actual) {
    throw new ChunkCorruptionError(
      where,
      'header checksum mismatch',
      `stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}`,
    );
  }
  const flags = dv.getUint32(16, true);
  if (flags !== 0) {
    throw new ChunkCorruptionError(where, 'unsupported chunk flags', `flags 0x${flags.toString(16)}, expected 0`);
  }
  const rawLength = dv.getUint32(4, true);
  if (rawLength > MAX_RAW_LENGTH) {
    throw new ChunkCorruptionError(where, 'raw length too large', `${rawLength} bytes, limit ${MAX_RAW_LENGTH}`);
  }
  const compressedLength = dv.getUint32(8, true);
  if (compressedLength > MAX_COMPRESSED_LENGTH) {
    throw new ChunkCorruptionError(
      where,
      'compressed length too large',
      `${compressedLength} bytes, limit ${MAX_COMPRESSED_LENGTH}`,
    );
  }
  return { rawLength, compressedLength, checksum: dv.getUint32(12, true), flags };
}
