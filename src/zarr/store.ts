/**
 * A minimal Zarr writer for one directory store (optionally zipped at the
 * end), in Zarr format 2 or 3, producing the metadata bytes zarr-python 3.1
 * writes for bio2zarr (`docs/vcz-format.md`, "Store layout"): same keys, key order,
 * 2-space indentation, ASCII-escaped strings.
 *
 * Format 2: `.zgroup` + `.zattrs` at the root; per array `.zarray` and
 * `.zattrs` (`_ARRAY_DIMENSIONS` first), chunk keys `a/0.1.0`
 * (`dimension_separator` "."), strings `"|O"` with the vlen-utf8 filter.
 * Format 3: `zarr.json` per node, `dimension_names`, chunk keys `a/c/0/1/0`,
 * codecs `[bytes | vlen-utf8, blosc | zstd]`.
 *
 * Atomicity: everything is written under `<out>.tmp-<random>`; `finish()`
 * renames it to `out` (or zips it into `out`), `abort()` deletes it. Chunks
 * are written synchronously as they are given (the caller bounds memory).
 * With a {@link ZarrStoreBackend} (e.g. an S3 upload, src/zarr/s3.ts) every
 * file goes to the backend instead, which publishes at `finish()`; the
 * caller awaits {@link ZarrStoreWriter.ready} between chunks so the
 * backend's buffer stays bounded.
 *
 * With one thread (the default) chunks are encoded and written synchronously as
 * they are given (the caller bounds memory); with `threads` > 1, chunks of
 * 8 KiB or more go to a pool of `threads − 1` worker threads (./pool.ts,
 * at most 16 MiB of chunks in flight each) and are written when encoded, from the
 * event loop, and `finish()` waits for them. The files are byte-identical
 * either way.
 */

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChunkEncoder, type ChunkCodec } from './chunk-encoder.ts';
import { ZarrSpecError, ZarrStateError } from './errors.ts';
import { EncoderPool, MIN_WORKER_CHUNK_BYTES } from './pool.ts';
import { VlenUtf8Encoder } from './vlen-utf8.ts';
import { zarrNameProblem } from './names.ts';
import { arrayMetadata, chunkKey, consolidatedMetadata, groupMetadata, ITEMSIZE, type ZarrArraySpec } from './metadata.ts';

/**
 * Data of one chunk, C order over the full chunk shape (edge chunks padded by
 * the caller): bool Uint8Array of 0/1, int8 Int8Array, int16 Int16Array,
 * int32 Int32Array, int64 BigInt64Array, float32 Float32Array, float64
 * Float64Array, str string[], char string[] (each "" or one character) or a
 * Uint32Array of code points.
 */
export type ChunkData = Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array | Uint32Array | readonly string[];

/**
 * Where a {@link ZarrStoreWriter} puts its files instead of a local
 * temporary directory (an object store upload, src/zarr/s3.ts). The writer
 * calls `put` for every file in the order written (group and array metadata
 * as created, possibly rewritten; chunks; consolidated metadata at
 * `finish`), then `commit` once; `abort` on failure. Ordering for readers
 * (metadata last) is the backend's job.
 */
export interface ZarrStoreBackend {
  /**
   * Takes the file at store key `key` (`/`-separated, relative to the store
   * root, e.g. `call_genotype/0.0.0`, `.zgroup`). `data` is valid only during
   * the call (copy it to keep it), unless `owned` is true: then the caller
   * hands `data` over (it never touches it again) and the backend may keep
   * it without a copy.
   *
   * @throws the backend's error once it has failed (e.g. a PUT that failed after its retries)
   */
  put(key: string, data: Uint8Array | string, owned?: boolean): void;
  /** Resolves when the backend can take more (its buffered bytes are below its bound); rejects once it has failed. */
  ready(): Promise<void>;
  /** Every file has been put: make the store visible. @returns bytes stored */
  commit(): Promise<number>;
  /** Stops taking files (no effect after `commit` resolved); the store must not become visible. */
  abort(): void;
}

/** Options of {@link ZarrStoreWriter.create}. */
export interface ZarrStoreOptions {
  /** Zarr format to write; default 2. */
  readonly zarrFormat?: 2 | 3;
  /** Zip the store into `out` at `finish()` (ZIP_STORED entries, relative keys, files only, sorted). */
  readonly zip?: boolean;
  /** zstd level inside Blosc instead of c-blosc's mapping (clevel 7 → 13); see `blosc.ts`. */
  readonly bloscZstdLevel?: number;
  /**
   * Write consolidated metadata at `finish()` (format 2 `.zmetadata`, format
   * 3 `consolidated_metadata` in the root `zarr.json`, as zarr-python 3.1.6
   * `zarr.consolidate_metadata` writes them; {@link consolidatedMetadata}),
   * so a reader opens the store with one request. Default false.
   */
  readonly consolidated?: boolean;
  /**
   * false: write chunk files only, no group or array metadata (one
   * partition of a store, whose metadata another writer writes; see
   * {@link ZarrStoreWriter.adopt}). Default true.
   */
  readonly metadata?: boolean;
  /**
   * Put every file to this backend instead of `<out>.tmp-<random>`; `out`
   * is then only the store's name in errors and in the summary (e.g. an
   * `s3://` URL; nothing is checked or created on local disk). Not with `zip`.
   */
  readonly backend?: ZarrStoreBackend;
  /**
   * Threads that encode chunks: the main thread and `threads − 1` worker
   * threads (./pool.ts, which states their memory bound; started on the
   * first chunk of 8 KiB or more). An
   * integer >= 1; default 1 (no worker). The bytes written do not depend on
   * it. A chunk handed to a worker is written later, from the event loop:
   * let it run (await something) between chunks, as the VCZ exporter does.
   */
  readonly threads?: number;
}

/** What {@link ZarrStoreWriter.finish} reports. */
export interface ZarrStoreSummary {
  /** The final path (directory, or zip file). */
  readonly path: string;
  /** Arrays created. */
  readonly arrays: number;
  /** Chunk files written. */
  readonly chunks: number;
  /** Bytes of all files written (chunks and metadata); the zip file's size when zipped. */
  readonly bytes: number;
  /** Chunks encoded by worker threads (0 with one thread). */
  readonly workerChunks: number;
}

/** A created array; pass it to {@link ZarrStoreWriter.writeChunk}. */
export interface ZarrArrayHandle {
  readonly spec: ZarrArraySpec;
  /** Chunks per dimension: ceil(shape / chunks). */
  readonly chunkGrid: readonly number[];
  /** Elements per chunk (product of the chunk shape). */
  readonly chunkLength: number;
}

if (os.endianness() !== 'LE') throw new Error('vczdepot writes Zarr chunks from typed arrays and needs a little-endian platform');

// -------------------------------------------------------------------- codecs

const require = createRequire(import.meta.url);

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** [0..n) code points of one-character strings (UTF-32 code units of numpy `<U1`). */
function charCodes(items: readonly string[], array: string): Uint32Array {
  const out = new Uint32Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const s = items[i]!;
    if (s.length === 0) continue;
    const cp = s.codePointAt(0)!;
    if (s.length > (cp > 0xffff ? 2 : 1)) throw new ZarrSpecError(array, `Character value '${s}' at element ${i} has more than one character`);
    out[i] = cp;
  }
  return out;
}

// -------------------------------------------------------------------- writer


/**
 * Writes one Zarr store. Usage: `create` → `setRootAttributes` →
 * `createArray` → `writeChunk` (each chunk once) → `finish` (or `abort`).
 */
export class ZarrStoreWriter {
  /** The final output path. */
  readonly path: string;
  /** The temporary directory the store is built in. */
  readonly tmpPath: string;
  readonly zarrFormat: 2 | 3;
  readonly zip: boolean;
  private readonly encoder = new ChunkEncoder();
  private readonly pool: EncoderPool | null;
  private readonly vlen = new VlenUtf8Encoder();
  private readonly bloscZstdLevel: number | undefined;
  private readonly consolidated: boolean;
  private readonly metadata: boolean;
  private readonly backend: ZarrStoreBackend | undefined;
  private rootAttributes: Readonly<Record<string, unknown>> = {};
  private readonly dirs = new Set<string>();
  private readonly arrays = new Map<string, ZarrArrayHandle>();
  private state: 'open' | 'finished' | 'aborted' = 'open';
  private chunks = 0;
  private bytes = 0;

  private constructor(out: string, opts: ZarrStoreOptions) {
    this.backend = opts.backend;
    this.path = this.backend ? out : path.resolve(out);
    this.zarrFormat = opts.zarrFormat ?? 2;
    this.zip = opts.zip ?? false;
    this.bloscZstdLevel = opts.bloscZstdLevel;
    this.consolidated = opts.consolidated ?? false;
    this.metadata = opts.metadata ?? true;
    this.tmpPath = `${this.path}.tmp-${randomBytes(6).toString('hex')}`;
    this.pool = EncoderPool.create(opts.threads ?? 1, this.path);
  }

  /**
   * Starts a store at `out` (a directory, or a zip file when `opts.zip`).
   * Creates `<out>.tmp-<random>` next to it and writes the root group with
   * empty attributes.
   *
   * @throws ZarrStateError when `out` already exists or the parent directory is missing
   * @throws CodecUnavailableError when the native zstd codec cannot be loaded
   * @throws RangeError when `opts.threads` is not an integer >= 1
   */
  static create(out: string, opts: ZarrStoreOptions = {}): ZarrStoreWriter {
    const w = new ZarrStoreWriter(out, opts);
    w.encoder.prepare('blosc');
    if (w.zarrFormat !== 2 && w.zarrFormat !== 3) throw new ZarrStateError(w.path, `zarrFormat must be 2 or 3, got ${String(w.zarrFormat)}`);
    if (w.backend) {
      if (w.zip) throw new ZarrStateError(w.path, 'a store backend takes a directory layout, not zip');
      w.setRootAttributes({});
      return w;
    }
    if (fs.existsSync(w.path)) throw new ZarrStateError(w.path, 'the output path already exists; remove it or choose another');
    const parent = path.dirname(w.path);
    if (!fs.existsSync(parent)) throw new ZarrStateError(w.path, `the parent directory ${parent} does not exist`);
    fs.mkdirSync(w.tmpPath);
    w.dirs.add(w.tmpPath);
    try {
      w.setRootAttributes({});
    } catch (err) {
      w.abort(); // e.g. ENOSPC on the first write: leave no temporary directory
      throw err;
    }
    return w;
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new ZarrStateError(this.path, `the store is ${this.state}; no more writes`);
  }

  private writeFile(rel: string, data: Uint8Array | string): void {
    if (this.backend) {
      this.backend.put(rel, data);
      this.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      return;
    }
    const full = path.join(this.tmpPath, rel);
    const dir = path.dirname(full);
    if (!this.dirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    fs.writeFileSync(full, data);
    this.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  }

  /**
   * Writes (or rewrites) the root group's metadata with these attributes, in
   * their key order (bio2zarr: `vcf_zarr_version`, `source`, `vcf_meta_information`).
   */
  setRootAttributes(attributes: Readonly<Record<string, unknown>>): void {
    this.checkOpen();
    this.rootAttributes = attributes;
    if (!this.metadata) return;
    for (const [name, text] of groupMetadata(attributes, this.zarrFormat)) this.writeFile(name, text);
  }

  /**
   * Creates an array and writes its metadata. No chunk is written; write
   * every chunk with {@link writeChunk}.
   *
   * @throws ZarrSpecError for an invalid or duplicate name, mismatched ranks,
   *   a negative shape or a chunk size < 1 (0 is allowed along an empty
   *   dimension, as zarr-python writes it), a bad compressor
   */
  createArray(spec: ZarrArraySpec): ZarrArrayHandle {
    this.checkOpen();
    const bad = (reason: string): never => {
      throw new ZarrSpecError(spec.name, reason);
    };
    for (const segment of spec.name.split('/')) {
      const problem = zarrNameProblem(segment);
      if (problem !== undefined) bad(`invalid name segment '${segment}': ${problem}`);
    }
    if (this.arrays.has(spec.name)) bad('created twice');
    if (!(spec.dtype in ITEMSIZE)) bad(`unknown dtype ${String(spec.dtype)}`);
    const rank = spec.shape.length;
    if (spec.chunks.length !== rank || spec.dimensionNames.length !== rank) bad(`shape, chunks and dimensionNames must have the same rank (${rank}, ${spec.chunks.length}, ${spec.dimensionNames.length})`);
    if (!spec.shape.every((s) => Number.isInteger(s) && s >= 0)) bad(`shape ${JSON.stringify(spec.shape)} must be integers >= 0`);
    // A chunk size of 0 only along an empty dimension (zarr-python writes that, e.g. bio2zarr's empty region_index).
    if (!spec.chunks.every((s, i) => Number.isInteger(s) && (s >= 1 || (s === 0 && spec.shape[i] === 0)))) bad(`chunks ${JSON.stringify(spec.chunks)} must be integers >= 1 (0 only along an empty dimension)`);
    const c = spec.compressor;
    if (c.id === 'blosc') {
      if (c.cname !== 'zstd' || !Number.isInteger(c.clevel) || c.clevel < 0 || c.clevel > 9 || ![0, 1, 2].includes(c.shuffle)) bad(`bad blosc compressor ${JSON.stringify(c)}`);
    } else if (c.id === 'zstd') {
      if (!Number.isInteger(c.level) || c.level < -131072 || c.level > 22) bad(`bad zstd level ${c.level}`);
      this.encoder.prepare('zstd');
    } else {
      bad(`unknown compressor ${JSON.stringify(c)}`);
    }
    const chunkGrid = spec.shape.map((s, i) => (s === 0 ? 0 : Math.ceil(s / spec.chunks[i]!)));
    const chunkLength = spec.chunks.reduce((a, b) => a * b, 1);
    const handle: ZarrArrayHandle = { spec, chunkGrid, chunkLength };
    if (this.metadata) for (const [name, text] of arrayMetadata(spec, this.zarrFormat)) this.writeFile(`${spec.name}/${name}`, text);
    this.arrays.set(spec.name, handle);
    return handle;
  }

  /**
   * Encodes and writes one chunk (full chunk shape, C order; pad edge
   * chunks yourself). With worker threads (`threads` > 1) a chunk of 8 KiB
   * or more is copied and handed to a worker when one has room (else
   * encoded here), and written once encoded; `data` may be reused as soon
   * as this returns.
   *
   * @param coords chunk indices, one per dimension, within the chunk grid
   * @throws ZarrSpecError for coordinates out of range, data of the wrong
   *   type for the dtype or of the wrong length, an invalid Character value
   * @throws the first failure of a chunk handed to a worker earlier (the
   *   same error as encoding or writing it here would have thrown; a
   *   ZarrStateError when a worker thread stopped)
   */
  writeChunk(array: ZarrArrayHandle, coords: readonly number[], data: ChunkData): void {
    this.checkOpen();
    this.pool?.check();
    const spec = array.spec;
    if (this.arrays.get(spec.name) !== array) throw new ZarrSpecError(spec.name, 'array was not created by this store');
    if (coords.length !== spec.shape.length || coords.some((c, i) => !Number.isInteger(c) || c < 0 || c >= array.chunkGrid[i]!)) {
      throw new ZarrSpecError(spec.name, `chunk ${JSON.stringify(coords)} is outside the chunk grid ${JSON.stringify(array.chunkGrid)}`);
    }
    if (data.length !== array.chunkLength) throw new ZarrSpecError(spec.name, `chunk data has ${data.length} elements; the chunk shape ${JSON.stringify(spec.chunks)} holds ${array.chunkLength}`);
    const raw = this.rawBytes(spec, data);
    const c = spec.compressor;
    const codec: ChunkCodec =
      c.id === 'blosc'
        ? { id: 'blosc', typesize: ITEMSIZE[spec.dtype], clevel: c.clevel, shuffle: c.shuffle, ...(this.bloscZstdLevel !== undefined ? { zstdLevel: this.bloscZstdLevel } : {}) }
        : { id: 'zstd', level: c.level };
    const key = chunkKey(spec.name, coords, this.zarrFormat);
    // raw is a view of the caller's data or of a scratch buffer: the pool copies it for the worker.
    if (this.pool && raw.length >= MIN_WORKER_CHUNK_BYTES && this.pool.submit(raw, codec, (out) => this.writeEncoded(key, out))) return;
    this.writeEncoded(key, this.encoder.encode(raw, codec));
  }

  private writeEncoded(key: string, encoded: Uint8Array): void {
    if (this.state !== 'open') return; // aborted meanwhile: the temporary directory is gone
    this.writeFile(key, encoded);
    this.chunks++;
  }

  private rawBytes(spec: ZarrArraySpec, data: ChunkData): Uint8Array {
    const wrong = (): never => {
      throw new ZarrSpecError(spec.name, `chunk data of type ${data.constructor.name} does not fit dtype ${spec.dtype}`);
    };
    switch (spec.dtype) {
      case 'str':
        if (!Array.isArray(data)) wrong();
        return this.vlen.encode(data as readonly string[]);
      case 'char':
        if (Array.isArray(data)) return bytesOf(charCodes(data as readonly string[], spec.name));
        if (!(data instanceof Uint32Array)) wrong();
        return bytesOf(data as Uint32Array);
      case 'bool':
        if (!(data instanceof Uint8Array)) wrong();
        return data as Uint8Array;
      case 'int8':
        if (!(data instanceof Int8Array)) wrong();
        break;
      case 'int16':
        if (!(data instanceof Int16Array)) wrong();
        break;
      case 'int32':
        if (!(data instanceof Int32Array)) wrong();
        break;
      case 'int64':
        if (!(data instanceof BigInt64Array)) wrong();
        break;
      case 'float32':
        if (!(data instanceof Float32Array)) wrong();
        break;
      case 'float64':
        if (!(data instanceof Float64Array)) wrong();
        break;
    }
    return bytesOf(data as ArrayBufferView);
  }

  /**
   * Resolves when the backend can take more chunks (at once without a
   * backend); await it between chunks to bound the backend's buffer.
   *
   * @throws the backend's error once it has failed
   */
  ready(): Promise<void> {
    return this.backend ? this.backend.ready() : Promise.resolve();
  }

  /**
   * Completes the store: renames the temporary directory to `path`, or zips
   * it into `path` (ZIP_STORED, keys sorted) and deletes it.
   *
   * @throws ZarrStateError when `path` appeared meanwhile or the rename/zip fails (the temporary data is removed)
   * @throws the failure of a chunk still with a worker thread, as {@link writeChunk} throws it (the temporary data is removed)
   */
  async finish(): Promise<ZarrStoreSummary> {
    this.checkOpen();
    if (this.pool) {
      // The chunks still with workers; a failure is thrown as writeChunk would have thrown it.
      try {
        await this.pool.drain();
      } catch (err) {
        this.abort();
        throw err;
      }
      this.pool.close();
      this.checkOpen(); // aborted while waiting
    }
    try {
      if (this.consolidated && this.metadata) {
        const [name, text] = consolidatedMetadata(this.rootAttributes, [...this.arrays.values()].map((a) => a.spec), this.zarrFormat);
        this.writeFile(name, text);
      }
      if (this.backend) {
        await this.backend.commit();
      } else if (fs.existsSync(this.path)) {
        throw new ZarrStateError(this.path, 'the output path appeared while exporting; not overwriting it');
      } else if (this.zip) {
        const tmpZip = `${this.tmpPath}.zip`;
        try {
          await zipDirectory(this.tmpPath, tmpZip);
          fs.renameSync(tmpZip, this.path);
        } finally {
          fs.rmSync(tmpZip, { force: true });
        }
        this.bytes = fs.statSync(this.path).size;
        fs.rmSync(this.tmpPath, { recursive: true, force: true });
      } else {
        fs.renameSync(this.tmpPath, this.path);
      }
    } catch (err) {
      this.abort();
      if (err instanceof ZarrStateError || this.backend) throw err; // a backend's own error (e.g. S3StoreError) as it is
      throw new ZarrStateError(this.path, `finishing failed: ${(err as Error).message}`, { cause: err });
    }
    this.state = 'finished';
    return { path: this.path, arrays: this.arrays.size, chunks: this.chunks, bytes: this.bytes, workerChunks: this.pool?.encoded ?? 0 };
  }

  /**
   * Takes every file under `dir` (chunk files another writer wrote with
   * `metadata: false`, for arrays of the same specs) into this store at the
   * same relative key, by hard link (a copy across filesystems); `dir` is
   * left as it was.
   *
   * @returns files and bytes taken
   * @throws ZarrStateError when a key is already in the store, or is not a
   *   chunk key of an array created here
   */
  adopt(dir: string): { files: number; bytes: number } {
    this.checkOpen();
    if (this.backend) throw new ZarrStateError(this.path, 'adopting chunk files needs a local store, not a store backend');
    let files = 0;
    let bytes = 0;
    for (const rel of listFiles(dir)) {
      const key = rel.join('/');
      const array = this.arrays.get(rel.slice(0, this.zarrFormat === 2 ? -1 : rel.lastIndexOf('c')).join('/'));
      if (!array || rel[rel.length - 1]!.startsWith('.') || key.endsWith('zarr.json')) throw new ZarrStateError(this.path, `${path.join(dir, ...rel)} is not a chunk of an array of this store`);
      const dst = path.join(this.tmpPath, ...rel);
      if (fs.existsSync(dst)) throw new ZarrStateError(this.path, `chunk ${key} from ${dir} is already in the store`);
      const parent = path.dirname(dst);
      if (!this.dirs.has(parent)) {
        fs.mkdirSync(parent, { recursive: true });
        this.dirs.add(parent);
      }
      const src = path.join(dir, ...rel);
      try {
        fs.linkSync(src, dst);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
        fs.copyFileSync(src, dst);
      }
      files++;
      bytes += fs.statSync(dst).size;
    }
    this.chunks += files;
    this.bytes += bytes;
    return { files, bytes };
  }

  /** Deletes the temporary data; the store cannot be used afterwards. Safe to call twice. */
  abort(): void {
    if (this.state === 'finished') return;
    this.state = 'aborted';
    this.pool?.close();
    if (this.backend) {
      this.backend.abort();
      return;
    }
    fs.rmSync(this.tmpPath, { recursive: true, force: true });
    fs.rmSync(`${this.tmpPath}.zip`, { force: true });
  }
}

/** Every file under `dir`, as `/`-separated relative paths sorted segment-wise (like Python's sorted(Path.rglob)). */
function listFiles(dir: string): string[][] {
  const out: string[][] = [];
  const walk = (rel: string[]): void => {
    for (const e of fs.readdirSync(path.join(dir, ...rel), { withFileTypes: true })) {
      if (e.isDirectory()) walk([...rel, e.name]);
      else if (e.isFile()) out.push([...rel, e.name]);
    }
  };
  walk([]);
  out.sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    }
    return a.length - b.length;
  });
  return out;
}

/**
 * The zip of every file under `dir` as a stream: stored (uncompressed)
 * entries under their relative keys, sorted segment-wise, each with the
 * modification time `mtime` (the bytes {@link ZarrStoreWriter.finish} writes
 * to a `.vcz.zip`). Files are read as the stream is consumed.
 */
export function zipStream(dir: string, mtime = new Date()): NodeJS.ReadableStream {
  const yazl = require('yazl') as typeof import('yazl');
  const zip = new yazl.ZipFile();
  for (const rel of listFiles(dir)) zip.addFile(path.join(dir, ...rel), rel.join('/'), { compress: false, mtime });
  zip.end();
  return zip.outputStream;
}

/** Zips every file under `dir` into `zipPath` ({@link zipStream}). */
async function zipDirectory(dir: string, zipPath: string): Promise<void> {
  const stream = zipStream(dir);
  await new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(zipPath);
    out.on('close', () => resolve());
    out.on('error', reject);
    stream.on('error', reject);
    stream.pipe(out);
  });
}
