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
 */

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { BloscEncoder, type BloscShuffle } from './blosc.ts';
import { CodecUnavailableError, ZarrSpecError, ZarrStateError } from './errors.ts';
import { VlenUtf8Encoder } from './vlen-utf8.ts';
import { zarrNameProblem } from './names.ts';

/**
 * Element types the writer supports. `str` is a variable-length UTF-8 string
 * (v2 `"|O"` + vlen-utf8, v3 `"string"`); `char` is one Unicode character
 * (v2 `"<U1"`, v3 `fixed_length_utf32` of 4 bytes; "" is stored as 0).
 */
export type ZarrDtype = 'bool' | 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'str' | 'char';

/** Compressor of an array: Blosc (zstd inside) as bio2zarr writes, or plain zstd. */
export type ZarrCompressor =
  | { readonly id: 'blosc'; readonly cname: 'zstd'; readonly clevel: number; readonly shuffle: BloscShuffle }
  | { readonly id: 'zstd'; readonly level: number };

/** Description of one array to create. */
export interface ZarrArraySpec {
  /** Path inside the store, e.g. `call_genotype`; segments of `[A-Za-z0-9_.-]`, not starting with `.`. */
  readonly name: string;
  readonly dtype: ZarrDtype;
  /** Array shape; every entry an integer ≥ 0. */
  readonly shape: readonly number[];
  /** Chunk shape, same rank as `shape`, every entry ≥ 1. */
  readonly chunks: readonly number[];
  /** One name per dimension (v2 `_ARRAY_DIMENSIONS`, v3 `dimension_names`). */
  readonly dimensionNames: readonly string[];
  /** Array attributes written after the dimension names (e.g. `{description: ...}`), in this key order. */
  readonly attributes?: Readonly<Record<string, unknown>>;
  /**
   * 'null': v2 `fill_value: null` (bio2zarr's schema arrays; xarray then
   * applies no mask). 'default': zarr-python's default fill (0, 0.0, false,
   * ""). Format 3 always writes the default.
   */
  readonly fillValue: 'null' | 'default';
  readonly compressor: ZarrCompressor;
}

/**
 * Data of one chunk, C order over the full chunk shape (edge chunks padded by
 * the caller): bool Uint8Array of 0/1, int8 Int8Array, int16 Int16Array,
 * int32 Int32Array, int64 BigInt64Array, float32 Float32Array, float64
 * Float64Array, str string[], char string[] (each "" or one character) or a
 * Uint32Array of code points.
 */
export type ChunkData = Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array | Uint32Array | readonly string[];

/** Options of {@link ZarrStoreWriter.create}. */
export interface ZarrStoreOptions {
  /** Zarr format to write; default 2. */
  readonly zarrFormat?: 2 | 3;
  /** Zip the store into `out` at `finish()` (ZIP_STORED entries, relative keys, files only, sorted). */
  readonly zip?: boolean;
  /** zstd level inside Blosc instead of c-blosc's mapping (clevel 7 → 13); see `blosc.ts`. */
  readonly bloscZstdLevel?: number;
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
}

/** A created array; pass it to {@link ZarrStoreWriter.writeChunk}. */
export interface ZarrArrayHandle {
  readonly spec: ZarrArraySpec;
  /** Chunks per dimension: ceil(shape / chunks). */
  readonly chunkGrid: readonly number[];
  /** Elements per chunk (product of the chunk shape). */
  readonly chunkLength: number;
}

const ITEMSIZE: Record<ZarrDtype, number> = { bool: 1, int8: 1, int16: 2, int32: 4, int64: 8, float32: 4, float64: 8, str: 1, char: 4 };
const V2_DTYPE: Record<ZarrDtype, string> = { bool: '|b1', int8: '|i1', int16: '<i2', int32: '<i4', int64: '<i8', float32: '<f4', float64: '<f8', str: '|O', char: '<U1' };
const V3_DTYPE: Record<ZarrDtype, unknown> = {
  bool: 'bool',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  float32: 'float32',
  float64: 'float64',
  str: 'string',
  char: { name: 'fixed_length_utf32', configuration: { length_bytes: 4 } },
};
const BLOSC_SHUFFLE_V3 = ['noshuffle', 'shuffle', 'bitshuffle'] as const;

if (os.endianness() !== 'LE') throw new Error('vczdepot writes Zarr chunks from typed arrays and needs a little-endian platform');

// ------------------------------------------------------------------- JSON

/** A float written with a decimal point (Python's `0.0`), for JSON output. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

/**
 * Serialises `value` exactly as Python's `json.dumps(value, indent=2,
 * allow_nan=True)` does (what zarr-python writes): 2-space indentation,
 * `", "`-free separators, non-ASCII and DEL escaped as `\uXXXX`, empty
 * containers as `[]`/`{}`, NaN/Infinity bare. Integers are written as
 * integers; wrap a number in {@link JsonFloat} to force `1.0` style.
 */
export function pythonJson(value: unknown, indent = 2): string {
  return dump(value, indent, 0);
}

function dump(v: unknown, indent: number, level: number): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof JsonFloat) return pyFloat(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return pyString(v);
  const pad = '\n' + ' '.repeat(indent * (level + 1));
  const end = '\n' + ' '.repeat(indent * level);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + v.map((x) => pad + dump(x, indent, level + 1)).join(',') + end + ']';
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return '{' + entries.map(([k, x]) => pad + pyString(k) + ': ' + dump(x, indent, level + 1)).join(',') + end + '}';
}

function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return (Object.is(x, -0) ? '-0' : String(x)) + '.0';
  const s = String(x);
  // Python repr uses 'e-05' / 'e+16' where JS writes 'e-5' / 'e+16'.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

// ------------------------------------------------------------------ metadata

function fillValue(spec: ZarrArraySpec, format: 2 | 3): unknown {
  if (format === 2 && spec.fillValue === 'null') return null;
  switch (spec.dtype) {
    case 'bool':
      return false;
    case 'float32':
    case 'float64':
      return new JsonFloat(0);
    case 'str':
    case 'char':
      return '';
    default:
      return 0;
  }
}

function v2Compressor(c: ZarrCompressor): unknown {
  if (c.id === 'blosc') return { id: 'blosc', cname: c.cname, clevel: c.clevel, shuffle: c.shuffle, blocksize: 0 };
  return { id: 'zstd', level: c.level };
}

function v3Codecs(spec: ZarrArraySpec): unknown[] {
  const codecs: unknown[] = [];
  const itemsize = ITEMSIZE[spec.dtype];
  if (spec.dtype === 'str') codecs.push({ name: 'vlen-utf8', configuration: {} });
  else if (itemsize > 1) codecs.push({ name: 'bytes', configuration: { endian: 'little' } });
  else codecs.push({ name: 'bytes' });
  const c = spec.compressor;
  if (c.id === 'blosc') {
    codecs.push({
      name: 'blosc',
      configuration: { typesize: itemsize, cname: c.cname, clevel: c.clevel, shuffle: BLOSC_SHUFFLE_V3[c.shuffle], blocksize: 0 },
    });
  } else {
    codecs.push({ name: 'zstd', configuration: { level: c.level, checksum: false } });
  }
  return codecs;
}

/**
 * The metadata files of an array, as zarr-python writes them: format 2
 * `.zarray` and `.zattrs`, format 3 `zarr.json`.
 *
 * @returns map from file name (relative to the array's directory) to its text
 */
export function arrayMetadata(spec: ZarrArraySpec, format: 2 | 3): Map<string, string> {
  const files = new Map<string, string>();
  if (format === 2) {
    files.set(
      '.zarray',
      pythonJson({
        shape: [...spec.shape],
        chunks: [...spec.chunks],
        dtype: V2_DTYPE[spec.dtype],
        fill_value: fillValue(spec, 2),
        order: 'C',
        filters: spec.dtype === 'str' ? [{ id: 'vlen-utf8' }] : null,
        dimension_separator: '.',
        compressor: v2Compressor(spec.compressor),
        zarr_format: 2,
      }),
    );
    files.set('.zattrs', pythonJson({ _ARRAY_DIMENSIONS: [...spec.dimensionNames], ...(spec.attributes ?? {}) }));
  } else {
    files.set(
      'zarr.json',
      pythonJson({
        shape: [...spec.shape],
        data_type: V3_DTYPE[spec.dtype],
        chunk_grid: { name: 'regular', configuration: { chunk_shape: [...spec.chunks] } },
        chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
        fill_value: fillValue(spec, 3),
        codecs: v3Codecs(spec),
        attributes: { ...(spec.attributes ?? {}) },
        dimension_names: [...spec.dimensionNames],
        zarr_format: 3,
        node_type: 'array',
        storage_transformers: [],
      }),
    );
  }
  return files;
}

/**
 * The root group's metadata files: format 2 `.zgroup` + `.zattrs`, format 3
 * `zarr.json` (attributes first, as zarr-python writes them).
 */
export function groupMetadata(attributes: Readonly<Record<string, unknown>>, format: 2 | 3): Map<string, string> {
  const files = new Map<string, string>();
  if (format === 2) {
    files.set('.zgroup', pythonJson({ zarr_format: 2 }));
    files.set('.zattrs', pythonJson(attributes));
  } else {
    files.set('zarr.json', pythonJson({ attributes, zarr_format: 3, node_type: 'group' }));
  }
  return files;
}

/** The store key of chunk `coords` of array `name`: v2 `name/0.1`, v3 `name/c/0/1`. */
export function chunkKey(name: string, coords: readonly number[], format: 2 | 3): string {
  if (format === 2) return `${name}/${coords.length ? coords.join('.') : '0'}`;
  return `${name}/c${coords.length ? '/' + coords.join('/') : ''}`;
}

// -------------------------------------------------------------------- codecs

const require = createRequire(import.meta.url);

/** Plain zstd frames (numcodecs `Zstd`, v3 `zstd` codec): content size recorded, no checksum. */
class ZstdFrameEncoder {
  private readonly binding: typeof ZstdBinding;
  private readonly cctx: ZstdBinding.CCtx;
  private out = new Uint8Array(0);
  constructor() {
    try {
      this.binding = require('zstd-napi/binding') as typeof ZstdBinding;
    } catch (err) {
      throw new CodecUnavailableError({ cause: err });
    }
    this.cctx = new this.binding.CCtx();
  }
  /** Returns a view valid until the next call. */
  encode(src: Uint8Array, level: number): Uint8Array {
    const need = this.binding.compressBound(src.length);
    if (this.out.length < need) this.out = new Uint8Array(need);
    const n = this.cctx.compress(this.out, src, level);
    return this.out.subarray(0, n);
  }
}

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
  private readonly blosc = new BloscEncoder();
  private zstd: ZstdFrameEncoder | undefined;
  private readonly vlen = new VlenUtf8Encoder();
  private readonly bloscZstdLevel: number | undefined;
  private readonly dirs = new Set<string>();
  private readonly arrays = new Map<string, ZarrArrayHandle>();
  private state: 'open' | 'finished' | 'aborted' = 'open';
  private chunks = 0;
  private bytes = 0;

  private constructor(out: string, opts: ZarrStoreOptions) {
    this.path = path.resolve(out);
    this.zarrFormat = opts.zarrFormat ?? 2;
    this.zip = opts.zip ?? false;
    this.bloscZstdLevel = opts.bloscZstdLevel;
    this.tmpPath = `${this.path}.tmp-${randomBytes(6).toString('hex')}`;
  }

  /**
   * Starts a store at `out` (a directory, or a zip file when `opts.zip`).
   * Creates `<out>.tmp-<random>` next to it and writes the root group with
   * empty attributes.
   *
   * @throws ZarrStateError when `out` already exists or the parent directory is missing
   * @throws CodecUnavailableError when the native zstd codec cannot be loaded
   */
  static create(out: string, opts: ZarrStoreOptions = {}): ZarrStoreWriter {
    const w = new ZarrStoreWriter(out, opts);
    if (w.zarrFormat !== 2 && w.zarrFormat !== 3) throw new ZarrStateError(w.path, `zarrFormat must be 2 or 3, got ${String(w.zarrFormat)}`);
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
      this.zstd ??= new ZstdFrameEncoder();
    } else {
      bad(`unknown compressor ${JSON.stringify(c)}`);
    }
    const chunkGrid = spec.shape.map((s, i) => (s === 0 ? 0 : Math.ceil(s / spec.chunks[i]!)));
    const chunkLength = spec.chunks.reduce((a, b) => a * b, 1);
    const handle: ZarrArrayHandle = { spec, chunkGrid, chunkLength };
    for (const [name, text] of arrayMetadata(spec, this.zarrFormat)) this.writeFile(`${spec.name}/${name}`, text);
    this.arrays.set(spec.name, handle);
    return handle;
  }

  /**
   * Encodes and writes one chunk (full chunk shape, C order; pad edge
   * chunks yourself).
   *
   * @param coords chunk indices, one per dimension, within the chunk grid
   * @returns bytes written
   * @throws ZarrSpecError for coordinates out of range, data of the wrong
   *   type for the dtype or of the wrong length, an invalid Character value
   */
  writeChunk(array: ZarrArrayHandle, coords: readonly number[], data: ChunkData): number {
    this.checkOpen();
    const spec = array.spec;
    if (this.arrays.get(spec.name) !== array) throw new ZarrSpecError(spec.name, 'array was not created by this store');
    if (coords.length !== spec.shape.length || coords.some((c, i) => !Number.isInteger(c) || c < 0 || c >= array.chunkGrid[i]!)) {
      throw new ZarrSpecError(spec.name, `chunk ${JSON.stringify(coords)} is outside the chunk grid ${JSON.stringify(array.chunkGrid)}`);
    }
    if (data.length !== array.chunkLength) throw new ZarrSpecError(spec.name, `chunk data has ${data.length} elements; the chunk shape ${JSON.stringify(spec.chunks)} holds ${array.chunkLength}`);
    const raw = this.rawBytes(spec, data);
    const c = spec.compressor;
    const encoded =
      c.id === 'blosc'
        ? this.blosc.encode(raw, { typesize: ITEMSIZE[spec.dtype], clevel: c.clevel, shuffle: c.shuffle, zstdLevel: this.bloscZstdLevel })
        : this.zstd!.encode(raw, c.level);
    this.writeFile(chunkKey(spec.name, coords, this.zarrFormat), encoded);
    this.chunks++;
    return encoded.length;
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
   * Completes the store: renames the temporary directory to `path`, or zips
   * it into `path` (ZIP_STORED, keys sorted) and deletes it.
   *
   * @throws ZarrStateError when `path` appeared meanwhile or the rename/zip fails (the temporary data is removed)
   */
  async finish(): Promise<ZarrStoreSummary> {
    this.checkOpen();
    try {
      if (fs.existsSync(this.path)) throw new ZarrStateError(this.path, 'the output path appeared while exporting; not overwriting it');
      if (this.zip) {
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
      if (err instanceof ZarrStateError) throw err;
      throw new ZarrStateError(this.path, `finishing failed: ${(err as Error).message}`, { cause: err });
    }
    this.state = 'finished';
    return { path: this.path, arrays: this.arrays.size, chunks: this.chunks, bytes: this.bytes };
  }

  /** Deletes the temporary data; the store cannot be used afterwards. Safe to call twice. */
  abort(): void {
    if (this.state === 'finished') return;
    this.state = 'aborted';
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

/** Zips every file under `dir` into `zipPath` with stored (uncompressed) entries. */
async function zipDirectory(dir: string, zipPath: string): Promise<void> {
  const yazl = require('yazl') as typeof import('yazl');
  const zip = new yazl.ZipFile();
  const done = new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(zipPath);
    out.on('close', () => resolve());
    out.on('error', reject);
    zip.outputStream.on('error', reject);
    zip.outputStream.pipe(out);
  });
  const mtime = new Date();
  for (const rel of listFiles(dir)) zip.addFile(path.join(dir, ...rel), rel.join('/'), { compress: false, mtime });
  zip.end();
  await done;
}
