/**
 * Reading chunks back: validate, decompress, cache. Also a file walker for
 * `verify`.
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { ChunkCorruptionError, type ChunkLocation, type ChunkRef, isSchunkError } from './errors.ts';
import { FdCache, io, openChecked } from './fds.ts';
import {
  CHUNK_HEADER_SIZE,
  type ChunkHeader,
  decodeChunkHeader,
  decodeFileHeader,
  FILE_HEADER_SIZE,
  type FileHeader,
} from './format.ts';
import { decompress } from './zstd.ts';

/** What the caller's index says about a chunk; any given field is checked. */
export interface ChunkExpectation {
  /** Decompressed length, bytes. */
  readonly rawLength?: number;
  /** zstd frame length, bytes (excludes the 24-byte header). */
  readonly compressedLength?: number;
  /** Chunk id, used only in error messages. */
  readonly chunk?: ChunkRef;
  /**
   * On a cache miss, where to decompress: called with the raw length once
   * the chunk header and payload checksum are verified (so sizes claimed by
   * a damaged index or header are never allocated); must return a buffer of
   * exactly that length. Default: a fresh buffer.
   */
  readonly into?: (rawLength: number) => Uint8Array<ArrayBuffer>;
  /**
   * False: do not keep the decompressed chunk in the cache (for an `into`
   * buffer the caller reuses). A cached copy is still used on a hit.
   * Default true.
   */
  readonly cache?: boolean;
}

/** Options of {@link ChunkReader}. */
export interface ChunkReaderOptions {
  /** Budget of the decompressed-chunk LRU, bytes. Default 256 MiB; 0 disables caching. */
  readonly cacheBytes?: number;
  /** Most file descriptors kept open at once. Default 64. */
  readonly maxOpenFiles?: number;
}

/** Counters of a {@link ChunkReader}'s cache. */
export interface ChunkReaderStats {
  /** Reads served from the cache. */
  readonly hits: number;
  /** Reads that decompressed a chunk. */
  readonly misses: number;
  /** Chunks dropped to stay within the budget. */
  readonly evictions: number;
  /** Decompressed bytes currently cached. */
  readonly bytes: number;
  /** Chunks currently cached. */
  readonly chunks: number;
}

const SCRATCH_KEEP = 16 << 20;

interface CachedChunk {
  readonly raw: Uint8Array<ArrayBuffer>;
  readonly compressedLength: number;
}

/** Reads up to `len` bytes at `pos` into `buf`; returns the count (short only at end of file). */
function readFully(fd: number, file: string, buf: Uint8Array, len: number, pos: number): number {
  let got = 0;
  while (got < len) {
    const n = io(file, 'read', pos + got, () => readSync(fd, buf, got, len - got, pos + got));
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Reads and validates the 16-byte header of an open segment file. */
function readHeaderFd(fd: number, file: string): FileHeader {
  const buf = new Uint8Array(FILE_HEADER_SIZE);
  const got = readFully(fd, file, buf, FILE_HEADER_SIZE, 0);
  return decodeFileHeader(buf.subarray(0, got), file);
}

/**
 * Reads one chunk at `where.offset` of `fd`: header, payload, checksum,
 * decompression. `scratch` is a reusable payload buffer; the grown one is
 * returned for the next call.
 */
function readChunkFd(
  fd: number,
  where: ChunkLocation,
  headerBuf: Uint8Array,
  scratch: Uint8Array,
  expect: ChunkExpectation | undefined,
): { header: ChunkHeader; raw: Uint8Array<ArrayBuffer>; scratch: Uint8Array } {
  const { file, offset } = where;
  const got = readFully(fd, file, headerBuf, CHUNK_HEADER_SIZE, offset);
  if (got < CHUNK_HEADER_SIZE) {
    throw new ChunkCorruptionError(
      where,
      'truncated',
      `file ends ${got} bytes into the ${CHUNK_HEADER_SIZE}-byte chunk header`,
    );
  }
  const header = decodeChunkHeader(headerBuf, where);
  if (expect?.rawLength !== undefined && expect.rawLength !== header.rawLength) {
    throw new ChunkCorruptionError(
      where,
      'raw length mismatch',
      `index says ${expect.rawLength} bytes, chunk header says ${header.rawLength}`,
    );
  }
  if (expect?.compressedLength !== undefined && expect.compressedLength !== header.compressedLength) {
    throw new ChunkCorruptionError(
      where,
      'compressed length mismatch',
      `index says ${expect.compressedLength} bytes, chunk header says ${header.compressedLength}`,
    );
  }
  const len = header.compressedLength;
  if (scratch.length < len) scratch = new Uint8Array(len);
  const payload = scratch.subarray(0, len);
  const pgot = readFully(fd, file, payload, len, offset + CHUNK_HEADER_SIZE);
  if (pgot < len) {
    throw new ChunkCorruptionError(where, 'truncated', `file ends ${pgot} bytes into a ${len}-byte payload`);
  }
  const sum = crc32(payload);
  if (sum !== header.checksum) {
    throw new ChunkCorruptionError(
      where,
      'checksum mismatch',
      `stored 0x${header.checksum.toString(16)}, computed 0x${sum.toString(16)} over ${len} payload bytes`,
    );
  }
  const raw = decompress(payload, header.rawLength, where, expect?.into?.(header.rawLength));
  return { header, raw, scratch };
}

/**
 * Reads chunks from segment files, validating every byte, and keeps an LRU
 * of decompressed chunks bounded in bytes. Keeps file descriptors open
 * (validating each file's header once, on first open). Synchronous; one
 * instance per thread. Files are only ever appended to, so cached chunks
 * stay valid until a file is replaced (call {@link ChunkReader.closeFile}).
 */
export class ChunkReader {
  readonly #cache = new Map<string, CachedChunk>();
  readonly #fds: FdCache;
  readonly #cacheBytes: number;
  readonly #header = new Uint8Array(CHUNK_HEADER_SIZE);
  #scratch: Uint8Array = new Uint8Array(0);
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(options: ChunkReaderOptions = {}) {
    this.#cacheBytes = Math.max(0, options.cacheBytes ?? 256 * 1024 * 1024);
    this.#fds = new FdCache(options.maxOpenFiles ?? 64, (path) => openChecked(path, 'r', openSync, (fd) => void readHeaderFd(fd, path)));
  }

  /**
   * Returns the decompressed bytes of the chunk whose header starts at byte
   * `offset` of `path`. The result is a whole ArrayBuffer-backed Uint8Array
   * (byteOffset 0), so typed views at 8-byte aligned offsets inside it are
   * legal. It may be shared with other callers through the cache: treat it
   * as read-only.
   *
   * @param path - segment file
   * @param offset - byte offset of the chunk header (as returned by appendChunks)
   * @param expect - lengths recorded by the index, checked against the header; `chunk` names it in errors
   * @throws {@link ChunkCorruptionError} on any header, length, checksum or frame mismatch, or a short file ('truncated')
   * @throws {@link ChunkFileHeaderError} / {@link ChunkFileVersionError} when the file's header is bad (first open)
   * @throws {@link ChunkIOError} when open or read fails
   */
  read(path: string, offset: number, expect?: ChunkExpectation): Uint8Array<ArrayBuffer> {
    const key = `${offset}:${path}`;
    const hit = this.#cache.get(key);
    if (
      hit !== undefined &&
      (expect?.rawLength === undefined || expect.rawLength === hit.raw.length) &&
      (expect?.compressedLength === undefined || expect.compressedLength === hit.compressedLength)
    ) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      this.#hits++;
      return hit.raw;
    }
    // A miss, or a hit that disagrees with `expect`: re-read so the error comes from the disk bytes.
    const where: ChunkLocation = { file: path, offset, chunk: expect?.chunk };
    if (!Number.isSafeInteger(offset) || offset < FILE_HEADER_SIZE) {
      throw new ChunkCorruptionError(where, 'bad offset', `chunks start at byte ${FILE_HEADER_SIZE} or later`);
    }
    const fd = this.#fds.get(path);
    const r = readChunkFd(fd, where, this.#header, this.#scratch, expect);
    if (r.scratch.length <= SCRATCH_KEEP) this.#scratch = r.scratch;
    this.#misses++;
    if (expect?.cache !== false) this.#insert(key, { raw: r.raw, compressedLength: r.header.compressedLength });
    return r.raw;
  }

  /**
   * Reads and validates the 16-byte header of a segment file.
   *
   * @throws {@link ChunkFileHeaderError} for a short header, bad magic, unknown file type or compression
   * @throws {@link ChunkFileVersionError} for a version older or newer than this build reads
   * @throws {@link ChunkIOError} when open or read fails
   */
  readFileHeader(path: string): FileHeader {
    return readHeaderFd(this.#fds.get(path), path);
  }

  /** Cache counters (for tests and diagnostics). */
  stats(): ChunkReaderStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      bytes: this.#bytes,
      chunks: this.#cache.size,
    };
  }

  /** Drops one file's descriptor and cached chunks, e.g. after compaction replaced it. */
  closeFile(path: string): void {
    this.#fds.close(path);
    const suffix = `:${path}`;
    for (const [key, e] of this.#cache) {
      if (key.endsWith(suffix) && key.length - suffix.length === key.indexOf(':')) {
        this.#cache.delete(key);
        this.#bytes -= e.raw.length;
      }
    }
  }

  /** Closes every file descriptor and empties the cache. The reader can still be used afterwards. */
  close(): void {
    this.#fds.closeAll();
    this.#cache.clear();
    this.#bytes = 0;
  }

  #insert(key: string, entry: CachedChunk): void {
    if (entry.raw.length > this.#cacheBytes) return;
    const old = this.#cache.get(key);
    if (old !== undefined) this.#bytes -= old.raw.length;
    this.#cache.delete(key);
    this.#cache.set(key, entry);
    this.#bytes += entry.raw.length;
    for (const [k, e] of this.#cache) {
      if (this.#bytes <= this.#cacheBytes) break;
      this.#cache.delete(k);
      this.#bytes -= e.raw.length;
      this.#evictions++;
    }
  }

}

/** One step of {@link scanChunks}. Lengths in bytes; `offset` is the chunk header's byte offset. */
export type ScannedChunk =
  | {
      readonly ok: true;
      /** 0-based position of the chunk in the file. */
      readonly index: number;
      readonly offset: number;
      readonly rawLength: number;
      readonly compressedLength: number;
      readonly checksum: number;
    }
  | {
      readonly ok: false;
      readonly index: number;
      readonly offset: number;
      /** Known when the header was valid (only the payload is bad), else undefined. */
      readonly rawLength: number | undefined;
      readonly compressedLength: number | undefined;
      readonly error: ChunkCorruptionError;
    };

/**
 * Walks a segment file chunk by chunk from byte 16, fully checking each one
 * (header checksum, payload checksum, decompression). A chunk whose header
 * is valid but whose payload is bad is reported and the walk goes on (its
 * lengths are trustworthy); an invalid header or a short file is reported
 * once and ends the walk, since the next chunk cannot be located.
 *
 * @param path - segment file
 * @param end - byte offset where chunks end (the index-recorded end); default the file size.
 *   Bytes past `end` are crash leftovers and are not scanned; compare with the file size to report them.
 * @throws {@link ChunkFileHeaderError} / {@link ChunkFileVersionError} when the file header is bad (before any yield)
 * @throws {@link ChunkIOError} when open, stat or read fails
 */
export function* scanChunks(path: string, end?: number): Generator<ScannedChunk, void, undefined> {
  const fd = io(path, 'open', undefined, () => openSync(path, 'r'));
  try {
    readHeaderFd(fd, path);
    const limit = end ?? io(path, 'stat', undefined, () => fstatSync(fd).size);
    const headerBuf = new Uint8Array(CHUNK_HEADER_SIZE);
    let scratch: Uint8Array = new Uint8Array(0);
    let offset = FILE_HEADER_SIZE;
    for (let index = 0; offset < limit; index++) {
      const where: ChunkLocation = { file: path, offset, chunk: index };
      let header: ChunkHeader | undefined;
      let error: ChunkCorruptionError | undefined;
      try {
        if (limit - offset < CHUNK_HEADER_SIZE) {
          throw new ChunkCorruptionError(
            where,
            'truncated',
            `${limit - offset} bytes left before the end at ${limit}, a chunk header needs ${CHUNK_HEADER_SIZE}`,
          );
        }
        const got = readFully(fd, path, headerBuf, CHUNK_HEADER_SIZE, offset);
        header = decodeChunkHeader(headerBuf.subarray(0, got), where);
        const next = offset + CHUNK_HEADER_SIZE + header.compressedLength;
        if (next > limit) {
          throw new ChunkCorruptionError(where, 'truncated', `chunk runs to byte ${next}, past the end at ${limit}`);
        }
        const r = readChunkFd(fd, where, headerBuf, scratch, undefined);
        scratch = r.scratch.length <= SCRATCH_KEEP ? r.scratch : new Uint8Array(0);
      } catch (err) {
        if (!isSchunkError(err, 'chunk-corrupt')) throw err;
        error = err;
      }
      if (error === undefined && header !== undefined) {
        yield {
          ok: true,
          index,
          offset,
          rawLength: header.rawLength,
          compressedLength: header.compressedLength,
          checksum: header.checksum,
        };
      } else {
        yield {
          ok: false,
          index,
          offset,
          rawLength: header?.rawLength,
          compressedLength: header?.compressedLength,
          error: error!,
        };
        // A bad payload behind a valid header can be stepped over; anything else cannot.
        if (header === undefined || error!.reason === 'truncated') return;
      }
      offset += CHUNK_HEADER_SIZE + header.compressedLength;
    }
  } finally {
    closeSync(fd);
  }
}
