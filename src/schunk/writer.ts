/**
 * Writing segment files: encode chunks (outside any lock), create files, and
 * append encoded chunks at the end recorded by the caller's index.
 */

import { closeSync, fdatasyncSync, fstatSync, fsyncSync, openSync, readSync, renameSync, writeSync, writevSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { ChunkCorruptionError, ChunkIOError } from './errors.ts';
import { FdCache, io, openChecked } from './fds.ts';
import { CHUNK_HEADER_SIZE, decodeFileHeader, encodeChunkHeader, encodeFileHeader, FILE_HEADER_SIZE } from './format.ts';
import { _compressWithHeadroom, DEFAULT_ZSTD_LEVEL } from './zstd.ts';

/** A chunk ready to be appended: header and payload in one buffer. */
export interface EncodedChunk {
  /** Chunk header (24 bytes) followed by the zstd frame; length 24 + compressedLength. */
  readonly bytes: Uint8Array;
  /** Decompressed length, bytes. */
  readonly rawLength: number;
  /** Length of the zstd frame, bytes (excludes the 24-byte header). */
  readonly compressedLength: number;
  /** CRC-32 (zlib) of the zstd frame. */
  readonly checksum: number;
}

/** Result of {@link SegmentWriter.appendChunks}. */
export interface AppendResult {
  /** Byte offset of each chunk's header in the file, in input order. */
  readonly offsets: number[];
  /** Byte offset just past the last chunk written: the new end to record in the index. */
  readonly end: number;
}

/**
 * Compresses `raw` and builds its on-disk form (header + zstd frame). Pure:
 * touches no file and takes no lock, so the depot runs it before its write
 * transaction.
 *
 * @param raw - decompressed chunk bytes (e.g. `Packed.raw`), at most 1 GiB
 * @param level - zstd compression level (default 3)
 * @throws {@link ZstdUnavailableError} when the native zstd codec is not loaded
 * @throws RangeError when `raw` exceeds 1 GiB or `level` is not an integer
 */
export function encodeChunk(raw: Uint8Array, level: number = DEFAULT_ZSTD_LEVEL): EncodedChunk {
  const bytes = _compressWithHeadroom(raw, level, CHUNK_HEADER_SIZE);
  const compressedLength = bytes.length - CHUNK_HEADER_SIZE;
  const checksum = crc32(bytes.subarray(CHUNK_HEADER_SIZE));
  encodeChunkHeader({ rawLength: raw.length, compressedLength, checksum }, bytes, 0);
  return { bytes, rawLength: raw.length, compressedLength, checksum };
}

const IOV_BATCH = 512;

function fsyncDir(path: string): void {
  const dir = dirname(path);
  const fd = io(dir, 'open', undefined, () => openSync(dir, 'r'));
  try {
    io(dir, 'fsync', undefined, () => fsyncSync(fd));
  } finally {
    closeSync(fd);
  }
}

/** Options of {@link SegmentWriter}. */
export interface SegmentWriterOptions {
  /** Most file descriptors kept open at once (least recently used closed first). Default 8. */
  readonly maxOpenFiles?: number;
}

/**
 * Creates segment files and appends chunks to them with positional writes.
 * Keeps a small LRU of open file descriptors; call {@link SegmentWriter.close}
 * when done. Not safe for two writers on one file: the depot's write lock
 * serialises appends.
 */
export class SegmentWriter {
  readonly #fds: FdCache;

  constructor(options: SegmentWriterOptions = {}) {
    this.#fds = new FdCache(options.maxOpenFiles ?? 8, (path) =>
      openChecked(path, 'r+', openSync, (fd) => {
        const header = new Uint8Array(FILE_HEADER_SIZE);
        const got = io(path, 'read', 0, () => readSync(fd, header, 0, FILE_HEADER_SIZE, 0));
        decodeFileHeader(header.subarray(0, got), path);
      }),
    );
  }

  /**
   * Creates a new, empty segment file: writes the 16-byte file header, then
   * fsyncs the file and its directory.
   *
   * @returns the end offset of the empty file (16), where the first chunk goes
   * @throws {@link ChunkIOError} when the file exists (step 'create', code EEXIST) or a write/fsync fails
   */
  create(path: string): number {
    const fd = io(path, 'create', undefined, () => openSync(path, 'wx+'));
    try {
      const header = encodeFileHeader();
      io(path, 'write', 0, () => writeSync(fd, header, 0, header.length, 0));
      io(path, 'fsync', undefined, () => fsyncSync(fd));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.#fds.remember(path, fd);
    fsyncDir(path);
    return FILE_HEADER_SIZE;
  }

  /**
   * Writes `chunks` contiguously starting at byte offset `at`, then
   * `fdatasync`s the file. `at` is the end recorded by the caller's index:
   * bytes already past it (garbage from a crashed writer) are overwritten;
   * garbage beyond the new end is left in place (it is never referenced).
   *
   * @param path - an existing segment file (its header is validated on first open)
   * @param at - byte offset of the first new chunk; at least 16 and at most the file size
   * @param chunks - encoded chunks, written in order
   * @returns each chunk's header offset and the new end offset
   * @throws {@link ChunkCorruptionError} (reason 'truncated') when the file is shorter than `at`
   * @throws {@link ChunkFileHeaderError} / {@link ChunkFileVersionError} for a file that is not a readable segment
   * @throws {@link ChunkIOError} when open, write or fdatasync fails; the index must then not be updated
   * @throws RangeError when `at` is not an integer >= 16
   */
  appendChunks(path: string, at: number, chunks: readonly EncodedChunk[]): AppendResult {
    if (!Number.isSafeInteger(at) || at < FILE_HEADER_SIZE) {
      throw new RangeError(`append offset must be an integer >= ${FILE_HEADER_SIZE}, got ${at}`);
    }
    const fd = this.#fds.get(path);
    const size = io(path, 'stat', undefined, () => fstatSync(fd).size);
    if (at > size) {
      throw new ChunkCorruptionError(
        { file: path, offset: at },
        'truncated',
        `the index records an end of ${at} bytes but the file has ${size}`,
      );
    }
    const offsets = new Array<number>(chunks.length);
    const bufs: Uint8Array[] = new Array(chunks.length);
    let end = at;
    for (let i = 0; i < chunks.length; i++) {
      offsets[i] = end;
      bufs[i] = chunks[i]!.bytes;
      end += chunks[i]!.bytes.length;
    }
    // Positional writev in batches; a short write resumes mid-buffer.
    let pos = at;
    let i = 0;
    while (i < bufs.length) {
      const batch = bufs.slice(i, i + IOV_BATCH);
      const written = io(path, 'write', pos, () => writevSync(fd, batch, pos));
      if (written === 0) throw new ChunkIOError(path, 'write', pos, new Error('write made no progress'));
      pos += written;
      let n = written;
      while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
      if (n > 0) bufs[i] = bufs[i]!.subarray(n);
    }
    io(path, 'fsync', undefined, () => fdatasyncSync(fd));
    return { offsets, end };
  }

  /**
   * Moves a finished segment file to `to` (replacing any file there), then
   * fsyncs the directory so the new name is durable. Both paths must be in
   * one directory (the depot's chunks/), so the rename is atomic.
   *
   * @throws {@link ChunkIOError} (step 'rename' or 'fsync') when it fails
   */
  rename(from: string, to: string): void {
    this.closeFile(from);
    this.closeFile(to);
    io(from, 'rename', undefined, () => renameSync(from, to));
    fsyncDir(to);
  }

  /** Closes every cached file descriptor. The writer can still be used afterwards (files reopen). */
  close(): void {
    this.#fds.closeAll();
  }

  /** Closes the cached descriptor of one file, e.g. before it is deleted or renamed. */
  closeFile(path: string): void {
    this.#fds.close(path);
  }
}
