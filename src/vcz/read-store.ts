/**
 * VCZ import, the store layer: opening a directory or `.vcz.zip` store
 * (Zarr format 2 or 3) and reading its keys with size checks, so that a
 * hostile store cannot make the import allocate more than its metadata
 * promise.
 *
 * - Every key is read through {@link CheckedStore}: a metadata key
 *   (`.zgroup`, `.zattrs`, `.zarray`, `zarr.json`) may hold at most
 *   {@link METADATA_MAX_BYTES}; a chunk of an array the import reads at most
 *   what its chunk shape and codec allow (see {@link chunkCheckOf}). The size
 *   is checked before the key is read: a file's size from `stat`, a zip
 *   entry's from the central directory.
 * - A zip entry is read by this module (not unzipit, which inflates without
 *   a bound): its local header must be a local header, its compressed bytes
 *   must lie inside the archive, a stored entry's sizes must agree and a
 *   deflated one is inflated with `maxOutputLength` = the size its header
 *   declares, so an entry that inflates to more (a zip bomb whose header
 *   lies) stops at that size; one that inflates to less is truncated.
 * - Each chunk frame is checked before a codec sees it: a Blosc-1 frame's
 *   16-byte header (nbytes, blocksize, cbytes; c-blosc `README_HEADER.rst`)
 *   must declare exactly the chunk's byte size (chunk shape × dtype size; for
 *   vlen-utf8 strings at most {@link vlenMaxBytes}) and at most the bytes
 *   the frame holds; a zstd frame (RFC 8878 zstd specification §3.1.1) must declare its
 *   Frame_Content_Size, equal to the chunk's byte size, and its blocks must
 *   lie inside the chunk; an uncompressed chunk must have exactly that size.
 *
 * Errors are VczInvalidError naming the array and the chunk key (`chunk`).
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type * as ZarrStorage from '@zarrita/storage';
import type * as Zarr from 'zarrita';
import { bloscHeader, BLOSC_HEADER_SIZE } from '../zarr/index.ts';
import { VczInvalidError, VczNotAStoreError, VczUnsafeZipEntryError } from './vcz-errors.ts';

/** Largest metadata document (`.zarray`, `.zattrs`, `zarr.json`, ...) read: 64 MiB. */
export const METADATA_MAX_BYTES = 64 * 2 ** 20;

export const utf8 = new TextDecoder('utf-8');

export function product(xs: readonly number[]): number {
  let n = 1;
  for (const x of xs) n *= x;
  return n;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** How a chunk's stored bytes are compressed: the one bytes-to-bytes codec, when it can be checked. */
export type FrameKind = 'blosc' | 'zstd' | 'none' | 'unchecked';

/**
 * What a chunk of one array may hold. `bytes`: the exact decoded byte size
 * (chunk shape × dtype size), or undefined for vlen-utf8 strings, whose
 * decoded size is at most `maxBytes`.
 */
export interface ChunkCheck {
  readonly frame: FrameKind;
  readonly bytes: number | undefined;
  readonly maxBytes: number;
}

/** Most bytes a vlen-utf8 chunk of `n` strings may decode to: counts and lengths (4 + 4n) plus max(64 MiB, 1 KiB a string) of UTF-8. */
export function vlenMaxBytes(n: number): number {
  return 4 + 4 * n + Math.max(64 * 2 ** 20, 1024 * n);
}

/** Most bytes a stored chunk frame may take for `decoded` bytes of content (zstd's / deflate's worst-case bound, Blosc's nbytes + 16). */
function storedMaxBytes(check: ChunkCheck): number {
  if (check.frame === 'none') return check.maxBytes;
  return check.maxBytes + Math.ceil(check.maxBytes / 128) + 1024;
}

/** Why a zip entry name is unsafe, or undefined when it is a plain relative path. */
function unsafeEntryReason(name: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'NUL byte in the name';
  if (name.startsWith('/') || name.startsWith('\\')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'drive-letter path';
  if (name.split(/[\\/]/).some((seg) => seg === '..')) return "'..' path segment";
  return undefined;
}

/** Raw access to a store's keys (no leading `/`). `read` fails when the key holds more than `maxBytes`. */
interface ByteSource {
  has(key: string): boolean | Promise<boolean>;
  read(key: string, maxBytes: number, fail: (reason: string) => never, what: string): Promise<Uint8Array | undefined>;
}

class DirectorySource implements ByteSource {
  constructor(readonly root: string) {}
  #file(key: string): string {
    return nodePath.join(this.root, ...key.split('/'));
  }
  has(key: string): boolean {
    return fs.existsSync(this.#file(key));
  }
  async read(key: string, maxBytes: number, fail: (reason: string) => never, what: string): Promise<Uint8Array | undefined> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.#file(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) fail(`the file has ${size} bytes, more than the ${maxBytes} ${what} may take`);
      const out = new Uint8Array(size);
      const { bytesRead } = await handle.read(out, 0, size, 0);
      return out.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
}

/** A zip entry as unzipit's central directory parse gives it. */
interface ZipEntryInfo {
  readonly size: number;
  readonly compressedSize: number;
  readonly compressionMethod: number;
  readonly _rawEntry?: { readonly relativeOffsetOfLocalHeader?: number; readonly generalPurposeBitFlag?: number };
}

class ZipSource implements ByteSource {
  constructor(readonly blob: Blob, readonly entries: Readonly<Record<string, ZipEntryInfo>>) {}
  has(key: string): boolean {
    return Object.hasOwn(this.entries, key);
  }
  async #bytes(offset: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
  }
  async read(key: string, maxBytes: number, fail: (reason: string) => never, what: string): Promise<Uint8Array | undefined> {
    if (!this.has(key)) return undefined;
    const e = this.entries[key]!;
    const where = `zip entry ${key}`;
    if (e.size > maxBytes) fail(`${where}: its header declares ${e.size} bytes, more than the ${maxBytes} ${what} may take`);
    const local = e._rawEntry?.relativeOffsetOfLocalHeader;
    if (typeof local !== 'number') fail(`${where}: no local header offset`);
    if (((e._rawEntry?.generalPurposeBitFlag ?? 0) & 1) !== 0) fail(`${where} is encrypted`);
    const head = await this.#bytes(local, 30);
    const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (head.length < 30 || hv.getUint32(0, true) !== 0x04034b50) fail(`${where}: no local file header at offset ${local}`);
    const start = local + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    if (start + e.compressedSize > this.blob.size) {
      fail(`${where}: its ${e.compressedSize} compressed bytes from offset ${start} run past the end of the archive (${this.blob.size} bytes)`);
    }
    if (e.compressionMethod === 0) {
      if (e.compressedSize !== e.size) fail(`${where} is stored, but its header declares ${e.size} bytes and ${e.compressedSize} stored bytes`);
      return this.#bytes(start, e.size);
    }
    if (e.compressionMethod !== 8) fail(`${where}: unsupported compression method ${e.compressionMethod}`);
    // Deflate grows incompressible data by ~5 bytes per 16 KiB block: a compressed size far beyond the declared size is a lie too.
    if (e.compressedSize > e.size + Math.ceil(e.size / 1000) + 64 && e.compressedSize > maxBytes + 1024) {
      fail(`${where}: ${e.compressedSize} compressed bytes for the ${e.size} bytes its header declares (deflate never grows data by more than ~0.1%)`);
    }
    const raw = await this.#bytes(start, e.compressedSize);
    let out: Buffer;
    try {
      out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        fail(`${where} inflates to more than the ${e.size} bytes its header declares`);
      }
      fail(`${where} does not inflate (${errorText(err)})`);
    }
    if (out.length !== e.size) fail(`${where} inflates to ${out.length} bytes, but its header declares ${e.size} (truncated entry)`);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
}

/**
 * A zarrita store over a directory or zip that checks what it reads: keys
 * of arrays registered with {@link CheckedStore.expect} are chunk frames
 * checked against their {@link ChunkCheck}; other keys are metadata of at
 * most {@link METADATA_MAX_BYTES}.
 */
export class CheckedStore {
  readonly #checks = new Map<string, ChunkCheck>();
  constructor(readonly path: string, readonly source: ByteSource) {}

  /** Checks chunk keys under `array/` with `check` from now on. */
  expect(array: string, check: ChunkCheck): void {
    this.#checks.set(array, check);
  }

  async has(key: Zarr.AbsolutePath): Promise<boolean> {
    return this.source.has(key.replace(/^\//, ''));
  }

  async get(key: Zarr.AbsolutePath): Promise<Uint8Array | undefined> {
    const rel = key.replace(/^\//, '');
    const slash = rel.indexOf('/');
    const array = slash > 0 ? rel.slice(0, slash) : undefined;
    const sub = slash > 0 ? rel.slice(slash + 1) : rel;
    const isMeta = /^(\.zarray|\.zattrs|\.zgroup|\.zmetadata|zarr\.json)$/.test(sub);
    const check = array !== undefined && !isMeta ? this.#checks.get(array) : undefined;
    const fail = (reason: string): never => {
      throw new VczInvalidError(this.path, array, reason, { chunk: check !== undefined ? sub : rel });
    };
    const what = check ? (check.bytes !== undefined ? `a frame of this chunk's ${check.bytes} bytes` : 'a frame of this chunk') : 'a metadata document';
    const bytes = await this.source.read(rel, check ? storedMaxBytes(check) : METADATA_MAX_BYTES, fail, what);
    if (bytes !== undefined && check) checkFrame(bytes, check, fail);
    return bytes;
  }
}

/**
 * Checks a chunk's frame header against what the chunk must hold (see the
 * module comment); `fail` throws.
 */
export function checkFrame(bytes: Uint8Array, check: ChunkCheck, fail: (reason: string) => never): void {
  const need = (declared: number, kind: string): void => {
    if (check.bytes !== undefined && declared !== check.bytes) {
      fail(`the ${kind} declares ${declared} decompressed bytes, but the chunk shape needs ${check.bytes}`);
    }
    if (declared > check.maxBytes) fail(`the ${kind} declares ${declared} decompressed bytes, more than the ${check.maxBytes} a chunk of this array may hold`);
  };
  switch (check.frame) {
    case 'none':
      need(bytes.length, 'uncompressed chunk');
      return;
    case 'blosc': {
      if (bytes.length < BLOSC_HEADER_SIZE) fail(`truncated chunk: ${bytes.length} bytes, shorter than the 16-byte Blosc header`);
      const h = bloscHeader(bytes);
      if (h.cbytes < BLOSC_HEADER_SIZE) fail(`the Blosc header declares a frame of ${h.cbytes} bytes, less than its own 16`);
      if (h.cbytes > bytes.length) fail(`truncated chunk: the Blosc header declares a ${h.cbytes}-byte frame, the chunk has ${bytes.length} bytes`);
      need(h.nbytes, 'Blosc header');
      if ((h.flags & 0x02) !== 0 && h.cbytes < h.nbytes + BLOSC_HEADER_SIZE) fail(`truncated chunk: an uncompressed Blosc frame of ${h.cbytes} bytes cannot hold ${h.nbytes}`);
      return;
    }
    case 'zstd': {
      const z = zstdFrame(bytes);
      if (typeof z === 'string') fail(z);
      if (z.contentSize === undefined) fail('the zstd frame does not declare its Frame_Content_Size');
      need(z.contentSize, 'zstd frame header');
      return;
    }
    case 'unchecked':
      return;
  }
}

/**
 * Reads a zstd frame's header and walks its block headers (RFC 8878 zstd specification §3.1.1):
 * returns the declared Frame_Content_Size (undefined when absent), or why
 * the frame is not one (bad magic, truncated header or blocks).
 */
export function zstdFrame(b: Uint8Array): { contentSize: number | undefined; frameBytes: number } | string {
  if (b.length < 6) return `truncated chunk: ${b.length} bytes, shorter than a zstd frame header`;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== 0xfd2fb528) return 'the chunk is not a zstd frame (bad magic number)';
  const fhd = b[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  let pos = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (pos + fcsBytes > b.length) return 'truncated chunk: the zstd frame header is cut short';
  let contentSize: number | undefined;
  if (fcsBytes === 1) contentSize = b[pos]!;
  else if (fcsBytes === 2) contentSize = v.getUint16(pos, true) + 256;
  else if (fcsBytes === 4) contentSize = v.getUint32(pos, true);
  else if (fcsBytes === 8) contentSize = v.getUint32(pos, true) + v.getUint32(pos + 4, true) * 2 ** 32;
  pos += fcsBytes;
  for (;;) {
    if (pos + 3 > b.length) return `truncated chunk: a zstd block header at byte ${pos} lies past the chunk's ${b.length} bytes`;
    const h = b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16);
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === 3) return `the zstd block at byte ${pos} has the reserved block type`;
    pos += 3 + (type === 1 ? 1 : size);
    if (pos > b.length) return `truncated chunk: a zstd block ends at byte ${pos}, past the chunk's ${b.length} bytes`;
    if (h & 1) break;
  }
  if (checksum) pos += 4;
  if (pos > b.length) return `truncated chunk: the zstd frame's checksum lies past the chunk's ${b.length} bytes`;
  return { contentSize, frameBytes: pos };
}

/** An opened store and the names of its top-level arrays (directories with `.zarray` / `zarr.json`), sorted. */
export interface OpenedStore {
  readonly store: CheckedStore;
  readonly arrayNames: readonly string[];
}

/**
 * Opens a directory or zip store and lists its top-level arrays. A zip's
 * entry names are checked on its central directory, before any entry is read.
 *
 * @throws VczNotAStoreError (no such path, neither a directory nor a zip);
 *   VczUnsafeZipEntryError (an entry name with `..`, an absolute or drive path, a NUL).
 */
export async function openStore(path: string, storage: typeof ZarrStorage): Promise<OpenedStore> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(path);
  } catch (err) {
    throw new VczNotAStoreError(path, [], `cannot open: ${errorText(err)}`, { cause: err });
  }
  if (stat.isDirectory()) {
    const names: string[] = [];
    for (const ent of await fs.promises.readdir(path, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      const dir = nodePath.join(path, ent.name);
      if (fs.existsSync(nodePath.join(dir, '.zarray')) || fs.existsSync(nodePath.join(dir, 'zarr.json'))) names.push(ent.name);
    }
    return { store: new CheckedStore(path, new DirectorySource(path)), arrayNames: names.sort() };
  }
  if (!stat.isFile()) throw new VczNotAStoreError(path, [], 'neither a directory nor a zip archive');

  let entries: Record<string, ZipEntryInfo> = {};
  let unsafe: VczUnsafeZipEntryError | undefined;
  const blob = await fs.openAsBlob(path);
  // unzipit (through @zarrita/storage) parses the central directory only; entries are read by ZipSource.
  const zip = storage.ZipFileStore.fromBlob(blob, {
    transformEntries(found) {
      for (const [key, entry] of Object.entries(found)) {
        for (const name of [key, entry.name]) {
          const reason = unsafeEntryReason(name);
          if (reason !== undefined) {
            unsafe = new VczUnsafeZipEntryError(path, name, reason);
            throw unsafe;
          }
        }
      }
      entries = found as unknown as Record<string, ZipEntryInfo>;
      return found;
    },
  });
  try {
    await zip.has('/.zgroup');
  } catch (err) {
    if (unsafe !== undefined) throw unsafe;
    throw new VczNotAStoreError(path, [], `not a zip archive (${errorText(err)})`, { cause: err });
  }
  const names = new Set<string>();
  for (const key of Object.keys(entries)) {
    const m = /^([^/]+)\/(?:\.zarray|zarr\.json)$/.exec(key);
    if (m) names.add(m[1]!);
  }
  return { store: new CheckedStore(path, new ZipSource(blob, entries)), arrayNames: [...names].sort() };
}

/** Reads and parses a JSON metadata key (undefined when absent); errors name the array. */
export async function getJson(store: CheckedStore, key: string): Promise<unknown> {
  const bytes = await store.get(`/${key}` as Zarr.AbsolutePath);
  if (bytes === undefined) return undefined;
  return JSON.parse(utf8.decode(bytes)) as unknown;
}
