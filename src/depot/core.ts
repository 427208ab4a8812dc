/**
 * What every part of the depot shares ({@link DepotCore}): the LMDB env and
 * its dbis, the settings fixed at creation, the chunk reader (and its cache)
 * and segment writer, consistent read snapshots, checked index values, and
 * the version an `at` names. The public class (depot.ts) holds one core and
 * hands it to transaction.ts (writes), read.ts (getMany), rewrite.ts (purge,
 * compact) and verify.ts (verify, stats).
 *
 * Directory layout:
 *   DEPOT/index.mdb, index.mdb-lock   the LMDB env (lmdb-js)
 *   DEPOT/chunks/000000.vczc ...      segment files (docs/chunk-format.md)
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, RootDatabase } from 'lmdb';

import { blockCount, isCodecError, type VariantSet } from '../codec/index.ts';
import { ChunkReader, SegmentWriter, compress, decompress, isSchunkError, type ChunkExpectation } from '../schunk/index.ts';
import {
  AmbiguousAtError,
  DepotIOError,
  DepotVersionError,
  IndexCorruptionError,
  InvalidArgumentError,
  NotADepotError,
  ReadOnlyError,
  ReferenceMismatchError,
  UnknownTagError,
  UnknownVersionError,
  isDepotError,
} from './errors.ts';
import {
  DBI,
  DEPOT_FORMAT_VERSION,
  OLDEST_DEPOT_FORMAT,
  checkChunkEntry,
  checkVariantSetEntry,
  unpackVariantSet,
  type VariantSetEntry,
  checkDepotMeta,
  checkLogEntry,
  checkMetaValue,
  checkSampleEntry,
  checkTagEntry,
  deserializeVariantSet,
  type ChunkEntry,
  type DepotMeta,
  type LogEntry,
  type SampleEntry,
  type TagEntry,
} from './layout.ts';
import { checkVariantSet } from './variant-set-check.ts';
import type { At } from './types.ts';

import { indexIdentity, lastTxnIdStale, openCurrentEnv, republishLastTxnId } from './env.ts';

export { INDEX_FILE, indexIdentity, openCurrentEnv, openEnv } from './env.ts';
export const CHUNK_DIR = 'chunks';
/** ChunkReader's default cache budget (256 MiB). */
const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;
/** Above every entry seq: the end of a by_id range. */
export const MAX_SEQ = 2 ** 52;
export const MiB = 1024 * 1024;

/** The path of segment file number `file` of the depot at `root`. */
export function segmentPath(root: string, file: number): string {
  return join(root, CHUNK_DIR, `${String(file).padStart(6, '0')}.vczc`);
}

/** The numbers of the segment files among `names` (a listing of chunks/), ascending. */
export function segmentNumbers(names: readonly string[]): number[] {
  return names
    .filter((f) => /^\d{6}\.vczc$/.test(f))
    .map((f) => Number(f.slice(0, 6)))
    .sort((a, b) => a - b);
}

/** Size of a file, 0 when it is gone (deleted meanwhile by a compact or purge in another process). */
export function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * Positions per key of the refs dbi: [contig id, ⌊POS / REF_WINDOW⌋]. 2^20:
 * a window's value (~20 KB at one site in 80 bases) fills its LMDB overflow
 * pages; at 65,536 bases (~1.4 KB) each value took a leaf page of its own
 * (1,380,044 bytes of values in 3.9 MB of pages, the gVCF benchmark's file).
 */
export const REF_WINDOW = 1 << 20;
/** The first byte of a refs dbi value (format 3): the encoding below. */
const REF_WINDOW_ENCODING = 1;
/** zstd level of a refs dbi value (windows of ~10–100 KB raw: a millisecond or two each). */
const REF_WINDOW_LEVEL = 9;

function putVarint(out: number[], x: number): void {
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x = Math.floor(x / 128);
  }
  out.push(x);
}

/**
 * A refs dbi value (format 3): byte 0 = 1 (the encoding), a varint (LEB128)
 * raw length, then one zstd frame of the raw window: varint n (positions
 * with a REF), n varint offset deltas (POS mod REF_WINDOW, ascending; the
 * first from 0), n varint REF lengths, then the n REFs' bytes (upper case
 * ASCII) concatenated. About 1.6 bytes a SNP at one site in 80 bases
 * (format 2 kept u16 offset, u16 length, REF uncompressed, in 65,536-base
 * windows: about 5).
 *
 * @throws Error (the caller names the window) for a value that is not this.
 */
export function parseRefWindow(value: Uint8Array | undefined): Map<number, string> {
  const m = new Map<number, string>();
  if (value === undefined) return m;
  if (!(value instanceof Uint8Array) || value.length < 2 || value[0] !== REF_WINDOW_ENCODING) throw new Error('not a format 3 REF window (encoding byte 1)');
  let i = 1;
  let rawLength = 0;
  for (let shift = 1; ; shift *= 128) {
    if (i >= value.length) throw new Error('its raw length is cut short');
    const b = value[i++]!;
    rawLength += (b & 0x7f) * shift;
    if (b < 0x80) break;
  }
  const raw = decompress(value.subarray(i), rawLength);
  if (raw.length !== rawLength) throw new Error(`it decompresses to ${raw.length} bytes, not the recorded ${rawLength}`);
  let j = 0;
  const varint = (): number => {
    let x = 0;
    for (let shift = 1; ; shift *= 128) {
      if (j >= raw.length) throw new Error('its window is cut short');
      const b = raw[j++]!;
      x += (b & 0x7f) * shift;
      if (b < 0x80) return x;
    }
  };
  const n = varint();
  const offs = new Array<number>(n);
  for (let k = 0, o = 0; k < n; k++) offs[k] = o += varint();
  const lens = new Array<number>(n);
  for (let k = 0; k < n; k++) lens[k] = varint();
  const text = Buffer.from(raw.buffer, raw.byteOffset + j, raw.length - j).toString('latin1');
  for (let k = 0, t = 0; k < n; k++) {
    if (t + lens[k]! > text.length) throw new Error('its REFs are cut short');
    m.set(offs[k]!, text.slice(t, (t += lens[k]!)));
  }
  return m;
}

/** Inverse of {@link parseRefWindow}. */
export function formatRefWindow(m: Map<number, string>): Uint8Array {
  const items = [...m].sort((a, b) => a[0] - b[0]);
  const head: number[] = [];
  putVarint(head, items.length);
  let prev = 0;
  for (const [o] of items) {
    putVarint(head, o - prev);
    prev = o;
  }
  for (const [, r] of items) putVarint(head, r.length);
  const raw = Buffer.concat([Buffer.from(head), Buffer.from(items.map(([, r]) => r).join(''), 'latin1')]);
  const frame = compress(raw, REF_WINDOW_LEVEL);
  const pre: number[] = [REF_WINDOW_ENCODING];
  putVarint(pre, raw.length);
  const out = new Uint8Array(pre.length + frame.length);
  out.set(pre, 0);
  out.set(frame, pre.length);
  return out;
}

/**
 * Inside a write transaction: records the REFs of `vs` in the refs dbi `db`
 * ([contig id, ⌊POS / 2^20⌋] → the longest REF, upper case, at each
 * position of that window, {@link parseRefWindow}), checking each against
 * the REF held at its CHROM:POS: one must be a prefix of the other,
 * case-insensitive (bcftools `merge_alleles`). Stricter than bcftools, which
 * checks only the records it joins into one (so an A>C and a G>C at one POS
 * pass it): a REF that disagrees with the depot's is another reference.
 * Cost: one get (and zstd decompression) and at most one put (and zstd
 * compression) per window the set touches.
 *
 * @throws ReferenceMismatchError naming `label` and the site;
 *   IndexCorruptionError (naming `root`, the window) for a damaged value.
 */
export function indexRefs(db: Database<Uint8Array, [string, number]>, vs: VariantSet, label: string, root = ''): void {
  const ids = vs.contigs.map((c) => c.id);
  let key: [string, number] | undefined;
  let held = new Map<number, string>();
  let dirty = false;
  const flush = (): void => {
    if (key && dirty) db.putSync(key, formatRefWindow(held));
    dirty = false;
  };
  for (let v = 0; v < vs.numVariants; v++) {
    const contig = ids[vs.contig[v]!]!;
    const pos = vs.position[v]!;
    const win = Math.floor(pos / REF_WINDOW);
    if (!key || key[0] !== contig || key[1] !== win) {
      flush();
      key = [contig, win];
      try {
        held = parseRefWindow(db.get(key));
      } catch (err) {
        throw new IndexCorruptionError(root, `refs[${JSON.stringify(key)}]`, (err as Error).message, { cause: err });
      }
    }
    const off = pos - win * REF_WINDOW;
    const ref = vs.alleles[v]![0]!.toUpperCase();
    const cur = held.get(off);
    if (cur !== undefined && !(ref.length > cur.length ? ref.startsWith(cur) : cur.startsWith(ref))) {
      throw new ReferenceMismatchError(label, contig, pos, vs.alleles[v]![0]!, cur);
    }
    if (cur === undefined || ref.length > cur.length) {
      held.set(off, ref);
      dirty = true;
    }
  }
  flush();
}

/**
 * Inside a write transaction: empties the refs dbi `db` and indexes the
 * REFs of `sets` again ({@link indexRefs}), each stored set's bytes once
 * (a set sharing another's bytes, `stored`, is skipped). What `purge` does
 * after deleting sets, and what upgrades a format 2 depot's REF index (its
 * windows uncompressed, or older layouts) to format 3 in place.
 */
export function rebuildRefs(core: DepotCore, sets: readonly VariantSetEntry[]): void {
  core.dbRefs.clearSync();
  const indexed = new Set<number>();
  for (const se of sets) {
    const id = se.stored ?? se.id;
    if (indexed.has(id)) continue;
    indexed.add(id);
    core.indexRefs(core.variantSet(se.id), `variant set ${se.id}`);
  }
}

/** The id of the variant set entry `e`'s records are over (format 1: 0). */
export function setOf(e: SampleEntry): number {
  return e.variantSet ?? 0;
}

/** Whether entry `e` is live at `version` (added at or before it, not removed by it). */
export function isLive(e: SampleEntry, version: number): boolean {
  return e.addedAt <= version && (e.removedAt === undefined || e.removedAt > version);
}

/** Appends `value` to the list `map` keeps under `key`. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Names a record in an IndexCorruptionError. */
function recordWhere(e: SampleEntry, b: number): string {
  return `sample '${e.sampleId}' block ${b} (chunk ${e.chunks[b]})`;
}

/**
 * The end of entry `e`'s record of block `b` in its decompressed chunk of
 * `chunkBytes` bytes: the record is [e.offsets[b], end).
 *
 * @throws IndexCorruptionError (naming the depot at `root`, the sample, the
 *   block and the chunk) when it is not inside the chunk at an 8-byte aligned offset.
 */
export function recordEnd(root: string, e: SampleEntry, b: number, chunkBytes: number): number {
  const off = e.offsets[b]!;
  const end = off + e.lengths[b]!;
  if (off % 8 !== 0 || !(end <= chunkBytes)) throw new IndexCorruptionError(root, recordWhere(e, b), `record [${off}, ${end}) is not inside the chunk's ${chunkBytes} bytes at an 8-byte aligned offset`);
  return end;
}

/** The IndexCorruptionError for a record that is not the one entry `e` names for block `b`. */
export function wrongRecord(root: string, e: SampleEntry, b: number, detail: string): IndexCorruptionError {
  return new IndexCorruptionError(root, recordWhere(e, b), detail);
}

// ---------------------------------------------------------------- names

/** A name of digits only: reads as a version number (`--at 3`), so no new tag may have one. */
export const ALL_DIGITS = /^[0-9]+$/;

/** Longest sample id or tag name, UTF-8 bytes: both are LMDB keys (at most 1978 bytes with their encoding). */
const MAX_NAME_BYTES = 1024;

/** Whether `name` can be an LMDB key of the index (at most {@link MAX_NAME_BYTES} UTF-8 bytes). */
export function fitsKey(name: string): boolean {
  return Buffer.byteLength(name, 'utf8') <= MAX_NAME_BYTES;
}

/**
 * A sample id (or tag name) VCF and line-based output can carry: the
 * tab-separated `#CHROM` line and `vczdepot samples` / `tags` cannot hold a
 * tab, a line break or a NUL; a lone UTF-16 surrogate has no UTF-8 form (it
 * would be stored as U+FFFD, another id); the index keys it, so at most
 * {@link MAX_NAME_BYTES} UTF-8 bytes. Anything else (non-ASCII, spaces,
 * punctuation) is accepted; the codec rejects "".
 *
 * @throws InvalidArgumentError naming `what` and the name.
 */
export function checkName(what: 'sample id' | 'tag name', name: string): string {
  if (typeof name !== 'string') return name;
  const shown = name.length > 60 ? `${JSON.stringify(name.slice(0, 60))}…` : JSON.stringify(name);
  if (/[\t\n\r\0]/.test(name)) throw new InvalidArgumentError(what, `${shown} contains a tab, line break or NUL, which VCF and line-based output cannot carry`);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name)) {
    throw new InvalidArgumentError(what, `${shown} is not well-formed Unicode (a lone surrogate)`);
  }
  if (!fitsKey(name)) throw new InvalidArgumentError(what, `${shown} is ${Buffer.byteLength(name, 'utf8')} bytes in UTF-8; at most ${MAX_NAME_BYTES}`);
  return name;
}

/**
 * The open cores of this process by the identity of the index file their env
 * has open. LMDB's lock-file locks (fcntl) belong to the process, and closing
 * any env of a lock file drops them all: so before a core opens a new index
 * file, every env of this process on the old one is closed (see
 * {@link DepotCore.reopen}).
 */
const openCores = new Map<string, Set<DepotCore>>();

/** Thrown inside a write transaction whose env is no longer the depot's index file; the write is retried on the new one. */
const SWAPPED = Symbol('index file swapped');
/** Thrown inside a write transaction that did not start from the newest commit (env.ts); the write is retried once the lock file is repaired. */
const STALE_BASE = Symbol('stale last transaction id');
/** Attempts of a write transaction (index file swapped, stale transaction id) before it fails. */
const WRITE_ATTEMPTS = 20;
/** How long a read-only depot waits for a stale read snapshot to catch up (ms; see {@link DepotCore.snapshot}). */
const STALE_READ_WAIT_MS = 500;

/**
 * An open depot's state, shared by the parts of {@link Depot}: the env and
 * its dbis, the settings, the reader and writer of segment files.
 */
export class DepotCore {
  /** Absolute path of the depot directory. */
  readonly path: string;
  readonly readOnly: boolean;
  /** Settings fixed at creation. */
  readonly meta: DepotMeta;
  env!: RootDatabase;
  dbMeta!: Database<any, string>;
  dbEntries!: Database<SampleEntry, number>;
  dbById!: Database<boolean, [string, number]>;
  dbChunks!: Database<ChunkEntry, number>;
  dbLog!: Database<LogEntry, number>;
  dbTags!: Database<TagEntry, string>;
  dbVariants!: Database<any, string>;
  dbRefs!: Database<Uint8Array, [string, number]>;
  /** seq → a sample's stored reference blocks (layout.ts, `DBI.refBlocks`). */
  dbRefBlocks!: Database<Uint8Array, number>;
  /** Decoded variant sets by id (a stored set never changes; purge only deletes). */
  private readonly decodedSets = new Map<number, VariantSet>();
  /** OpenOptions.spillBytes. */
  readonly spillBytes: number;
  /** OpenOptions.cacheBytes. */
  readonly cacheBytes: number;
  /** Reads chunks for getMany, through the decompressed-chunk cache. */
  readonly reader: ChunkReader;
  private segmentWriter: SegmentWriter | undefined;
  private closed = false;
  /** Identity of the index file the env has open ({@link indexIdentity}). */
  private identity = '';
  /** The env was closed because another core of this process moved to a new index file: reopen before use. */
  private detached = false;
  /** The newest head this core has read or committed: heads only grow, so a snapshot with an older one is stale. */
  private headSeen = 0;
  /** Times a write transaction found the lock file's last transaction id stale and repaired it (tests, diagnostics). */
  staleTxnIdRepairs = 0;

  /**
   * @throws InvalidArgumentError for a negative `spillBytes`; NotADepotError
   *   when the index lacks or has a damaged format record, variant set or
   *   variant count; DepotVersionError for a newer format.
   */
  constructor(path: string, opened: { env: RootDatabase; identity: string }, readOnly: boolean, cacheBytes: number | undefined, spillBytes: number | undefined) {
    this.path = path;
    this.spillBytes = spillBytes ?? 64 * MiB;
    if (!(this.spillBytes >= 0)) throw new InvalidArgumentError('spillBytes', `${spillBytes} must be a number >= 0`);
    this.readOnly = readOnly;
    this.attach(opened.env, opened.identity);
    const meta = this.dbMeta.get('format') as DepotMeta | undefined;
    if (!meta) throw new NotADepotError(path, 'its index has no format record');
    const bad = checkDepotMeta(meta);
    if (bad) throw new NotADepotError(path, `its format record is damaged (${bad})`);
    if (meta.version > DEPOT_FORMAT_VERSION || meta.version < OLDEST_DEPOT_FORMAT) throw new DepotVersionError(path, meta.version, DEPOT_FORMAT_VERSION);
    this.meta = meta;
    if (meta.version === 1) {
      // Format 1: one set (id 0) for every sample. The set itself is decoded on first use.
      if (!this.dbVariants.doesExist('set')) throw new NotADepotError(path, 'its index has no variant set');
      const count = this.dbVariants.get('count');
      if (!Number.isSafeInteger(count) || count < 0) throw new NotADepotError(path, `its variant count is ${count === undefined ? 'missing' : 'damaged'}`);
    }
    this.reader = new ChunkReader(cacheBytes !== undefined ? { cacheBytes } : {});
    this.cacheBytes = cacheBytes ?? DEFAULT_CACHE_BYTES;
  }

  // ------------------------------------------------------- variant sets

  /**
   * Every stored variant set's entry, by id, from the current snapshot (or
   * `txn`). A format 1 depot has one: set 0, declared.
   *
   * @throws IndexCorruptionError for a damaged entry.
   */
  setEntries(txn?: unknown): VariantSetEntry[] {
    const opts: any = txn ? { transaction: txn } : {};
    if (this.isLegacy()) {
      const count = this.dbVariants.get('count', opts) as number;
      return [{ id: 0, numVariants: count, declared: true, addedAt: 0, bytes: 0, contentHash: '' }];
    }
    const out: VariantSetEntry[] = [];
    for (const { key, value } of this.dbVariants.getRange({ ...opts, start: 'info:', end: 'info;' })) {
      const id = Number((key as string).slice(5));
      const bad = checkVariantSetEntry(value, id);
      if (bad) throw new IndexCorruptionError(this.path, `variants[${JSON.stringify(key)}]`, bad);
      out.push(value as VariantSetEntry);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** Whether set 0 is still stored as format 1 stored it ('set', 'count', no 'info:0'). */
  isLegacy(): boolean {
    return !this.dbVariants.doesExist('info:0') && this.dbVariants.doesExist('set');
  }

  /** The entry of variant set `id`, or undefined when no such set is stored. */
  setEntry(id: number, txn?: unknown): VariantSetEntry | undefined {
    if (id === 0 && this.isLegacy()) return this.setEntries(txn)[0];
    const value = this.dbVariants.get(`info:${id}`, (txn ? { transaction: txn } : undefined) as any);
    if (value === undefined) return undefined;
    const bad = checkVariantSetEntry(value, id);
    if (bad) throw new IndexCorruptionError(this.path, `variants["info:${id}"]`, bad);
    return value as VariantSetEntry;
  }

  /** Record blocks of a sample over set `id`: blockCount(numVariants, meta.blockSize). */
  setBlocks(id: number, txn?: unknown): number {
    const e = this.setEntry(id, txn);
    if (!e) throw new IndexCorruptionError(this.path, `variants["info:${id}"]`, 'missing: an entry names a variant set the index does not hold');
    return blockCount(e.numVariants, this.meta.blockSize);
  }

  /** The id under which set `id`'s bytes are stored (its own, or the earlier set with the same content). */
  storageId(id: number): number {
    return this.setEntry(id)?.stored ?? id;
  }

  /**
   * Variant set `id`, decoded on first use and kept (sets are immutable).
   * Sets sharing stored bytes (the same content) are one object.
   *
   * @throws InvalidArgumentError when no set `id` is stored; NotADepotError when the stored set is damaged.
   */
  variantSet(id: number): VariantSet {
    const entry = this.setEntry(id);
    if (!entry) throw new InvalidArgumentError('variant set', `${id} is not stored in ${this.path}`);
    const key = entry.stored ?? id;
    const cached = this.decodedSets.get(key);
    if (cached) return cached;
    let vs: VariantSet;
    try {
      const legacy = key === 0 && !this.dbVariants.doesExist('set:0') && this.dbVariants.doesExist('set');
      const raw = this.dbVariants.get(legacy ? 'set' : `set:${key}`);
      if (!raw) throw new Error('it is missing');
      vs = legacy ? deserializeVariantSet(raw) : unpackVariantSet(raw);
      checkVariantSet(vs);
    } catch (err) {
      throw new NotADepotError(this.path, `its variant set ${id} is damaged (${(err as Error).message})`, { cause: err });
    }
    if (entry.numVariants !== vs.numVariants) {
      throw new NotADepotError(this.path, `its variant set ${id} is damaged (it holds ${vs.numVariants} variants, the index records ${entry.numVariants})`);
    }
    this.decodedSets.set(key, vs);
    return vs;
  }

  /** Inside a write transaction: {@link indexRefs} on this depot's refs dbi. */
  indexRefs(vs: VariantSet, label: string): void {
    indexRefs(this.dbRefs, vs, label, this.path);
  }

  /** Drops decoded set `id` (after purge deleted it). */
  forgetSet(id: number): void {
    this.decodedSets.delete(id);
  }

  /** The segment writer (one per open depot, made on the first write). */
  get writer(): SegmentWriter {
    return (this.segmentWriter ??= new SegmentWriter());
  }

  /** Reads, checksum-verifies and decompresses chunk `id` (described by `c`) with `reader`. */
  readChunk(reader: ChunkReader, id: number, c: ChunkEntry, options?: Pick<ChunkExpectation, 'into' | 'cache'>): Uint8Array<ArrayBuffer> {
    return reader.read(segmentPath(this.path, c.file), c.offset, { rawLength: c.rawLength, compressedLength: c.compressedLength, chunk: id, ...options });
  }

  /** @throws InvalidArgumentError once the depot is closed. */
  assertOpen(): void {
    if (this.closed) throw new InvalidArgumentError('depot', `${this.path} is closed`);
  }

  /** @throws InvalidArgumentError once closed; ReadOnlyError for a read-only depot. */
  assertWritable(operation: string): void {
    this.assertOpen();
    if (this.readOnly) throw new ReadOnlyError(this.path, operation);
  }

  /** Closes the env and files; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
    this.segmentWriter?.close();
    this.detach();
  }

  // ------------------------------------------------- the index file's identity

  /** Takes `env` (on the index file `identity`) as this core's env and opens its dbis. */
  private attach(env: RootDatabase, identity: string): void {
    this.env = env;
    this.identity = identity;
    this.detached = false;
    this.dbMeta = env.openDB({ name: DBI.meta, encoding: 'msgpack' });
    this.dbVariants = env.openDB({ name: DBI.variants, encoding: 'msgpack' });
    this.dbRefs = env.openDB({ name: DBI.refs, encoding: 'msgpack' });
    this.dbEntries = env.openDB({ name: DBI.entries, encoding: 'msgpack' });
    this.dbById = env.openDB({ name: DBI.byId, encoding: 'msgpack' });
    this.dbChunks = env.openDB({ name: DBI.chunks, encoding: 'msgpack' });
    this.dbLog = env.openDB({ name: DBI.log, encoding: 'msgpack' });
    this.dbTags = env.openDB({ name: DBI.tags, encoding: 'msgpack' });
    this.dbRefBlocks = env.openDB({ name: DBI.refBlocks, encoding: 'binary' });
    let set = openCores.get(identity);
    if (!set) openCores.set(identity, (set = new Set()));
    set.add(this);
  }

  /** Closes the env (not the files); the core reopens it before its next use unless closed. */
  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    const set = openCores.get(this.identity);
    set?.delete(this);
    if (set?.size === 0) openCores.delete(this.identity);
    void this.env.close();
  }

  /** Whether the env is open on the depot's current index file. */
  isCurrent(): boolean {
    return !this.detached && indexIdentity(this.path) === this.identity;
  }

  /**
   * Reopens the env on the depot's current index file, after a purge in this
   * or another process replaced it (erase.ts). Every env of this process on
   * the old file is closed first (the others reopen on their next use): the
   * old file's lock-file locks must be gone before the new env takes them.
   *
   * @throws NotADepotError when the index file is gone or cannot be opened.
   */
  reopen(): void {
    for (const c of [...(openCores.get(this.identity) ?? [])]) c.detach();
    this.detach();
    let opened: { env: RootDatabase; identity: string };
    try {
      opened = openCurrentEnv(this.path, this.readOnly);
    } catch (err) {
      throw new NotADepotError(this.path, `its LMDB index cannot be reopened (${(err as Error).message})`, { cause: err });
    }
    this.attach(opened.env, opened.identity);
  }

  /** Before a read or write: reopens the env when the index file was replaced (one stat, ~2 µs). */
  ensureCurrent(): void {
    if (!this.isCurrent()) this.reopen();
  }

  // ------------------------------------------------------------ snapshots

  /**
   * Runs `fn` inside one LMDB read transaction (a consistent snapshot).
   *
   * The snapshot is never older than a head this core has already read or
   * committed: a read transaction starts at the lock file's last transaction
   * id, which another process's open can set one commit back (env.ts). Such
   * a stale snapshot is retaken: a writable depot first repairs the id
   * (an empty write transaction, {@link writeTxn}); a read-only one waits for
   * the next write (up to 500 ms, then reads the older snapshot, a whole
   * committed version).
   */
  snapshot<T>(fn: (txn: any) => T): T {
    const t0 = Date.now();
    for (let attempt = 0; ; attempt++) {
      this.ensureCurrent();
      // lmdb-js renews its shared read snapshot only when the event loop turns
      // (setTimeout 0): without this reset a caller reading in a synchronous
      // loop would never see another process's commits (nor the new index
      // after a compaction deleted the files of its old snapshot).
      this.env.resetReadTxn();
      const txn = this.env.useReadTransaction();
      try {
        const head = this.dbMeta.get('head', { transaction: txn } as any);
        const stale = typeof head === 'number' && head < this.headSeen && (this.readOnly ? Date.now() - t0 < STALE_READ_WAIT_MS : attempt < 3);
        if (!stale) {
          if (typeof head === 'number' && head > this.headSeen) this.headSeen = head;
          return fn(txn);
        }
      } catch (err) {
        // Values the checks below did not foresee (a damaged index) must still give a typed error.
        if (isDepotError(err) || isSchunkError(err) || isCodecError(err)) throw err;
        throw new IndexCorruptionError(this.path, 'reading the index', (err as Error)?.message ?? String(err), { cause: err });
      } finally {
        txn.done();
      }
      this.catchUp(); // a stale snapshot, released above
    }
  }

  /** A stale snapshot was met (see {@link snapshot}): repair the lock file's transaction id, or wait 1 ms for a writer to. */
  private catchUp(): void {
    if (this.readOnly) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    else this.writeTxn('repair the LMDB transaction id', () => undefined);
  }

  /**
   * Runs `fn` in one LMDB write transaction, wrapping foreign errors in a
   * DepotIOError naming `operation`. Holding the write lock, it first checks
   * that the env is still the depot's index file (a purge replaces the file
   * while holding the lock, erase.ts): if not, nothing is written, the env is
   * reopened and the transaction runs there. It then checks that the
   * transaction starts from the newest commit (env.ts `lastTxnIdStale`): if
   * another process's open set the lock file's last transaction id back,
   * nothing is written, the id is repaired while the lock is held, and the
   * transaction is retried, so that it cannot overwrite that commit.
   */
  writeTxn<T>(operation: string, fn: () => T): T {
    for (let attempt = 0; ; attempt++) {
      this.ensureCurrent();
      try {
        return this.env.transactionSync(() => {
          if (!this.isCurrent()) throw SWAPPED;
          if (lastTxnIdStale(this.env)) {
            republishLastTxnId(this.path);
            this.staleTxnIdRepairs++;
            throw STALE_BASE;
          }
          const out = fn();
          const head = this.dbMeta.get('head');
          if (typeof head === 'number' && head > this.headSeen) this.headSeen = head;
          return out;
        });
      } catch (err) {
        if ((err === SWAPPED || err === STALE_BASE) && attempt < WRITE_ATTEMPTS) continue;
        if (isDepotError(err)) throw err;
        const cause = err === SWAPPED ? new Error(`the index file was replaced ${WRITE_ATTEMPTS} times in a row`) : err === STALE_BASE ? new Error(`the LMDB last transaction id was set back ${WRITE_ATTEMPTS} times in a row`) : err;
        throw new DepotIOError(this.path, operation, { cause });
      }
    }
  }

  /** `value`, read from `dbi` at `key`, if it has the shape the depot wrote; else an IndexCorruptionError. */
  checked(dbi: 'entries', key: number, value: unknown): SampleEntry;
  checked(dbi: 'chunks', key: number, value: unknown): ChunkEntry;
  checked(dbi: 'tags', key: string, value: unknown): TagEntry;
  checked(dbi: 'log', key: number, value: unknown): LogEntry;
  checked(dbi: 'meta', key: 'head' | 'segment' | 'next', value: unknown): any;
  checked(dbi: string, key: any, value: unknown): any {
    const reason =
      value === undefined
        ? 'missing'
        : dbi === 'entries'
          ? checkSampleEntry(value)
          : dbi === 'chunks'
            ? checkChunkEntry(value)
            : dbi === 'tags'
              ? checkTagEntry(value, key)
              : dbi === 'log'
                ? checkLogEntry(value, key)
                : checkMetaValue(key, value);
    if (reason) throw new IndexCorruptionError(this.path, `${dbi}[${JSON.stringify(key)}]`, reason);
    return value;
  }

  /** The head version in read transaction `txn`. */
  head(txn: any): number {
    return this.checked('meta', 'head', this.dbMeta.get('head', { transaction: txn } as any)) as number;
  }

  /**
   * The version `at` names in read transaction `txn`, and how to name it in
   * an error (see Depot.resolveVersion).
   *
   * @throws UnknownVersionError, UnknownTagError, AmbiguousAtError, IndexCorruptionError.
   */
  resolveAt(at: At | undefined, txn: any): { version: number; label: string } {
    const head = this.head(txn);
    if (at === undefined) return { version: head, label: `the head (version ${head})` };
    if (typeof at === 'number') {
      if (!Number.isInteger(at) || at < 0 || at > head) throw new UnknownVersionError(at, head, this.path);
      return { version: at, label: `version ${at}` };
    }
    const raw = fitsKey(at) ? this.dbTags.get(at, { transaction: txn } as any) : undefined;
    if (ALL_DIGITS.test(at)) {
      // All digits: a version, unless a depot made before such tag names
      // were refused holds a tag of that name; both at once is an error.
      const n = Number(at);
      const isVersion = Number.isSafeInteger(n) && n <= head;
      if (raw) {
        const t = this.checked('tags', at, raw);
        if (isVersion) throw new AmbiguousAtError(at, n, t.version, this.path);
      } else {
        if (!isVersion) throw new UnknownVersionError(n, head, this.path);
        return { version: n, label: `version ${n}` };
      }
    }
    if (!raw) throw new UnknownTagError(at, this.path, this.tagsIn(txn).map((x) => x.name));
    const t = this.checked('tags', at, raw);
    if (t.version > head) throw new IndexCorruptionError(this.path, `tags[${JSON.stringify(at)}]`, `names version ${t.version}, past the head ${head}`);
    return { version: t.version, label: `tag '${at}' (version ${t.version})` };
  }

  /** Every tag in `txn`, oldest version first (then by name). */
  tagsIn(txn: any): TagEntry[] {
    return [...this.dbTags.getRange({ transaction: txn } as any)].map(({ key, value }) => this.checked('tags', key as string, value)).sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  }

  /** Entries live at `version`, in the order samples were added. */
  liveEntries(version: number, txn: any): { seq: number; entry: SampleEntry }[] {
    const out: { seq: number; entry: SampleEntry }[] = [];
    for (const { key, value } of this.dbEntries.getRange({ transaction: txn } as any)) {
      const entry = this.checked('entries', key as number, value);
      if (isLive(entry, version)) out.push({ seq: key as number, entry });
    }
    return out;
  }

  /** Seq of the entry of `sampleId` live at `version` (Infinity = head), from the current txn/snapshot. */
  liveSeq(sampleId: string, version: number, transaction?: unknown): number | undefined {
    if (!fitsKey(sampleId)) return undefined; // could never have been added
    const opts: any = { start: [sampleId, 0], end: [sampleId, MAX_SEQ], reverse: false };
    if (transaction) opts.transaction = transaction;
    let found: number | undefined;
    for (const { key } of this.dbById.getRange(opts)) {
      const seq = (key as [string, number])[1];
      const e = this.checked('entries', seq, transaction ? this.dbEntries.get(seq, { transaction } as any) : this.dbEntries.get(seq));
      if (isLive(e, version)) found = seq;
    }
    return found;
  }

  // ------------------------------------------------------- segment files

  /** The segment files in chunks/, by number, ascending. */
  segmentFiles(): number[] {
    return segmentNumbers(readdirSync(join(this.path, CHUNK_DIR)));
  }

  /** Bytes of all segment files. */
  segmentBytes(): number {
    return this.segmentFiles().reduce((s, f) => s + fileSize(segmentPath(this.path, f)), 0);
  }

  /** Deletes rewritten segment files after the commit that stopped referencing them. */
  deleteFiles(files: readonly number[]): void {
    for (const f of files) {
      const path = segmentPath(this.path, f);
      this.reader.closeFile(path);
      this.segmentWriter?.closeFile(path);
      rmSync(path, { force: true });
    }
  }
}
