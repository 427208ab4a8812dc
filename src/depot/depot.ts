/**
 * The depot: one directory holding an LMDB env (the index) and segment files
 * of zstd-compressed chunks of sample records. Appends, removals and tags are
 * ACID LMDB transactions; every commit gets the next version; tags name
 * versions immutably.
 *
 * Directory layout:
 *   DEPOT/index.mdb, index.mdb-lock   the LMDB env (lmdb-js)
 *   DEPOT/chunks/000000.vczc ...      segment files (docs/chunk-format.md)
 *
 * Commit protocol (docs/depot-format.md, "Commit protocol"): records are encoded and
 * compressed outside the write lock; inside one synchronous LMDB write
 * transaction the chunks are appended at the end of the active segment file
 * *as recorded in the index*, fdatasync'ed, and only then are the index
 * entries, the new version and its log entry written and the transaction
 * committed (LMDB syncs on commit: `overlappingSync` is off). A crash before
 * the commit leaves bytes past the recorded end, which the next writer
 * overwrites; readers never follow an index entry to unsynced bytes.
 */
import { closeSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Database, RootDatabase } from 'lmdb';

// lmdb-js through its CommonJS build (one pre-bundled file): loading it this
// way takes ~19 ms at start-up against ~31 ms for its ESM entry's module
// graph, a tenth of a one-shot command such as `vczdepot remove`.
const { open: openLmdb } = createRequire(import.meta.url)('lmdb') as typeof import('lmdb');
import {
  RecordView,
  isCodecError,
  validateRecordView,
  blockCount,
  encodeBlockRecord,
  encodeSampleRecords,
  RecordValidationError,
  type SampleCalls,
  type VariantSet,
} from '../codec/index.ts';
import { CHUNK_HEADER_SIZE, ChunkReader, FILE_HEADER_SIZE, SegmentWriter, isSchunkError, scanChunks, type EncodedChunk } from '../schunk/index.ts';
import {
  AmbiguousAtError,
  DepotExistsError,
  DepotIOError,
  DepotNotFoundError,
  DepotVersionError,
  DuplicateSampleError,
  IndexCorruptionError,
  InvalidArgumentError,
  NotADepotError,
  ReadOnlyError,
  TagExistsError,
  UnknownSampleError,
  UnknownTagError,
  UnknownVersionError,
  isDepotError,
} from './errors.ts';
import {
  DBI,
  DEPOT_FORMAT_VERSION,
  checkChunkEntry,
  checkDepotMeta,
  checkLogEntry,
  checkMetaValue,
  checkSampleEntry,
  checkTagEntry,
  deserializeVariantSet,
  serializeVariantSet,
  type ChunkEntry,
  type Counters,
  type DepotMeta,
  type FieldStats,
  type LogEntry,
  type Operation,
  type SampleEntry,
  type SegmentState,
  type TagEntry,
} from './layout.ts';
import { checkVariantSet } from './variant-set-check.ts';
import { BlockRepacker, ChunkArena, ChunkStager, REPACK_GROUP_CHUNKS, align8, stagingOwner, type EncodedSample, type RepackItem } from './chunks.ts';

/**
 * A version number, or a string: the name of a tag, or, when it is all
 * digits (as `--at 3` passes it), the version of that number (see
 * {@link Depot.resolveVersion}).
 */
export type At = number | string;

/** Options of {@link Depot.create}. */
export interface CreateOptions {
  /** Variants per record block. Default 1000 (VCZ's default variants chunk). */
  readonly blockSize?: number;
  /** zstd level for new chunks, 1..19. Default 3. */
  readonly level?: number;
  /** Target raw size of a chunk, bytes; a larger record gets a chunk of its own. Default 4 MiB. */
  readonly chunkTargetBytes?: number;
  /** Segment files roll over past this size, bytes. Default 1 GiB. */
  readonly segmentMaxBytes?: number;
  /** Budget of the decompressed-chunk cache, bytes. Default 256 MiB. */
  readonly cacheBytes?: number;
  /**
   * Compressed chunk bytes a transaction holds in memory before it writes
   * them to a staging file (see {@link Depot.begin}). Default 64 MiB.
   */
  readonly spillBytes?: number;
}

/** One problem `verify` found. */
export interface VerifyIssue {
  /** `error`: damage or inconsistency; `warning`: harmless leftovers. */
  readonly severity: 'error' | 'warning';
  /** What kind: corrupt-chunk, bad-file, truncated-file, missing-file, chunk-missing, chunk-mismatch, dangling, bad-record, index, log, tag, bytes-past-end, orphan-file, staging-file, unreferenced-chunk. */
  readonly kind: 'corrupt-chunk' | 'bad-file' | 'truncated-file' | 'missing-file' | 'chunk-missing' | 'chunk-mismatch' | 'dangling' | 'bad-record' | 'index' | 'log' | 'tag' | 'bytes-past-end' | 'orphan-file' | 'staging-file' | 'unreferenced-chunk';
  readonly message: string;
  readonly file?: string;
  /** Byte offset in `file`. */
  readonly offset?: number;
  readonly chunk?: number;
  readonly sampleId?: string;
  readonly block?: number;
  readonly version?: number;
  readonly tag?: string;
}

/** The result of {@link Depot.verify}. */
export interface VerifyReport {
  /** True when no error was found (warnings allowed). */
  readonly ok: boolean;
  readonly depot: string;
  readonly issues: readonly VerifyIssue[];
  /** How much was checked. */
  readonly checked: { segmentFiles: number; chunks: number; records: number; entries: number; versions: number; tags: number };
  readonly seconds: number;
}

/** Options of {@link Depot.open}. */
export interface OpenOptions {
  /** Open for reading only: every write throws {@link ReadOnlyError}. */
  readonly readOnly?: boolean;
  /** Budget of the decompressed-chunk cache, bytes. Default 256 MiB. */
  readonly cacheBytes?: number;
  /**
   * Compressed chunk bytes a transaction holds in memory before it writes
   * them to a staging file (see {@link Depot.begin}). Default 64 MiB.
   */
  readonly spillBytes?: number;
}

/** What a commit did. */
export interface CommitInfo {
  /** The version this commit created. */
  readonly version: number;
  /** ISO 8601 commit time. */
  readonly time: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly tags: readonly string[];
}

/** A sample's records as read: one {@link RecordView} per requested block, in the order asked. */
export interface SampleView {
  readonly sampleId: string;
  /** The sample's ploidy (0 = no GT). */
  readonly ploidy: number;
  /** Blocks read, parallel to `records`. */
  readonly blocks: readonly number[];
  readonly records: readonly RecordView[];
}

/** Options of {@link Depot.getMany}. */
export interface GetOptions {
  /** Block indices to read (0-based); default all blocks. */
  readonly blocks?: readonly number[];
  /** A version or a tag name; default the head. */
  readonly at?: At;
}

/** Options of the writes. */
export interface WriteOptions {
  /** Free text kept in the log entry. */
  readonly message?: string;
}

/** One sample to add. */
export interface SampleInput {
  readonly sampleId: string;
  readonly calls: SampleCalls;
}

/** A sample live at some version, with what the exporter needs to size arrays. */
export interface SampleInfo {
  readonly sampleId: string;
  /** Version that added it. */
  readonly addedAt: number;
  readonly ploidy: number;
  /** FORMAT ID → width and (Integer) value range of this sample. */
  readonly fields: Readonly<Record<string, FieldStats>>;
}

/** Size figures of a depot. */
export interface DepotStats {
  readonly head: number;
  readonly samples: number;
  readonly entries: number;
  readonly tags: number;
  readonly chunks: number;
  readonly segmentFiles: number;
  /** Bytes of all segment files. */
  readonly chunkBytes: number;
  /** Bytes of the LMDB env file. */
  readonly indexBytes: number;
  /** Decompressed bytes of all chunks. */
  readonly rawBytes: number;
}

/**
 * Operations staged in {@link Depot.transaction} (or {@link Depot.begin}).
 * Puts are validated, encoded and compressed when called (outside the write
 * lock); nothing is visible until the commit succeeds.
 */
export interface DepotTransaction {
  put(sampleId: string, calls: SampleCalls): void;
  putMany(entries: Iterable<SampleInput>): void;
  /**
   * Adds `sampleIds` block by block, for importers that read a cohort
   * variant by variant and never hold a whole sample: the returned writer
   * takes block 0, 1, ... in order, each as every sample's calls over that
   * block's variants. The commit refuses a writer that did not get every
   * block (`InvalidArgumentError`). In a depot without variants (no block)
   * the samples are added with ploidy 0; use `putMany` to record another.
   *
   * @throws InvalidArgumentError for a malformed sample id.
   */
  putBlocks(sampleIds: readonly string[]): BlockWriter;
  remove(sampleIds: Iterable<string>): void;
  tag(name: string, options?: WriteOptions): void;
}

/** Options of {@link Depot.begin}. */
export interface BeginOptions {
  /** This transaction's {@link OpenOptions.spillBytes} (default: the depot's). */
  readonly spillBytes?: number;
}

/** Stages the samples of {@link DepotTransaction.putBlocks}, one variant block at a time. */
export interface BlockWriter {
  readonly sampleIds: readonly string[];
  /** The block the next {@link BlockWriter.add} stages (0-based); the block count once all are in. */
  readonly nextBlock: number;
  /**
   * Validates, encodes and stages block `nextBlock` of every sample.
   * `calls(i)` is sample i's calls over the block's variants only:
   * `genotype` [blockVariants, ploidy], `phased` [blockVariants], fields
   * [blockVariants, width], where the block's variants are
   * `blockRange(numVariants, blockSize, nextBlock)` (the last block may be
   * short). A sample must have the same ploidy in every block; FORMAT widths
   * follow the same rules as {@link Depot.put}.
   *
   * @throws RecordValidationError (naming the sample, the field and the
   *   variant by its index in the whole set) when the calls do not fit, or a
   *   sample's ploidy changes between blocks; InvalidArgumentError when every
   *   block was already added. The transaction must then be dropped.
   */
  add(calls: (sampleIndex: number) => SampleCalls): void;
}

/**
 * A transaction from {@link Depot.begin}: stage operations (synchronously, at
 * any pace, e.g. between reads of a stream), then `commit` or `abort`. A
 * large one holds little memory: its chunks go to staging files in the
 * depot's chunks/ directory, which the commit renames into place.
 */
export interface StagedTransaction extends DepotTransaction {
  /**
   * Applies every staged operation as one durable version (see
   * {@link Depot.transaction}). Ends the transaction, committed or not.
   *
   * @throws as {@link Depot.transaction}; nothing is written on error.
   */
  commit(options?: WriteOptions & { operation?: Operation }): CommitInfo;
  /** Drops everything staged and deletes the staging files. Safe to call more than once. */
  abort(): void;
}

type StagedOp =
  | { kind: 'put'; samples: EncodedSample[] }
  | { kind: 'remove'; sampleIds: string[] }
  | { kind: 'tag'; name: string; message?: string };


const INDEX_FILE = 'index.mdb';
const utf8 = new TextEncoder();

/** Names a record in an IndexCorruptionError. */
function recordWhere(e: SampleEntry, b: number): string {
  return `sample '${e.sampleId}' block ${b} (chunk ${e.chunks[b]})`;
}
const CHUNK_DIR = 'chunks';
/** ChunkReader's default cache budget (256 MiB). */
const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;
/** getMany copies records out of a chunk when it needs at most 1/COPY_OUT_FRACTION of the chunk's bytes. */
const COPY_OUT_FRACTION = 4;
const MAX_SEQ = 2 ** 52;
const MiB = 1024 * 1024;

function segmentPath(root: string, file: number): string {
  return join(root, CHUNK_DIR, `${String(file).padStart(6, '0')}.vczc`);
}

function fieldStats(calls: SampleCalls): Record<string, FieldStats> {
  const out: Record<string, FieldStats> = {};
  for (const f of calls.fields) {
    if (Array.isArray(f.values) || f.values instanceof Float32Array) {
      out[f.id] = { width: f.width };
    } else {
      const v = f.values as Int8Array | Int16Array | Int32Array;
      let min = 0;
      let max = 0;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        if (x < min) min = x;
        else if (x > max) max = x;
      }
      out[f.id] = { width: f.width, min, max };
    }
  }
  return out;
}

/** Merges one block's field stats into a sample's: widest width, widest Integer range. */
function mergeFieldStats(into: Record<string, FieldStats>, add: Record<string, FieldStats>): void {
  for (const id of Object.keys(add)) {
    const a = add[id]!;
    const cur = into[id];
    if (!cur) {
      into[id] = a;
      continue;
    }
    const width = Math.max(cur.width, a.width);
    if (cur.min === undefined || a.min === undefined) into[id] = { width };
    else into[id] = { width, min: Math.min(cur.min, a.min), max: Math.max(cur.max!, a.max!) };
  }
}

/**
 * A depot of sample records. All methods are synchronous and run on the
 * calling thread; writes block it for the duration of the commit (the LMDB
 * write lock is shared across processes, so concurrent writers in other
 * processes wait their turn). One writer and many readers per machine.
 */
export class Depot {
  /** Absolute path of the depot directory. */
  readonly path: string;
  readonly readOnly: boolean;
  /**
   * Number of variants in the variant set (read from the index without
   * decoding the set).
   */
  readonly numVariants: number;
  /** Settings fixed at creation. */
  readonly meta: DepotMeta;
  private readonly env: RootDatabase;
  private readonly dbMeta: Database<any, string>;
  private readonly dbEntries: Database<SampleEntry, number>;
  private readonly dbById: Database<boolean, [string, number]>;
  private readonly dbChunks: Database<ChunkEntry, number>;
  private readonly dbLog: Database<LogEntry, number>;
  private readonly dbTags: Database<TagEntry, string>;
  private readonly dbVariants: Database<any, string>;
  private decodedVariantSet: VariantSet | undefined;
  /** OpenOptions.spillBytes. */
  private readonly spillBytes: number;
  /** OpenOptions.cacheBytes. */
  private readonly cacheBytes: number;
  private readonly reader: ChunkReader;
  private writer: SegmentWriter | undefined;
  private closed = false;

  private constructor(path: string, env: RootDatabase, readOnly: boolean, cacheBytes: number | undefined, spillBytes: number | undefined) {
    this.path = path;
    this.spillBytes = spillBytes ?? 64 * MiB;
    if (!(this.spillBytes >= 0)) throw new InvalidArgumentError('spillBytes', `${spillBytes} must be a number >= 0`);
    this.env = env;
    this.readOnly = readOnly;
    this.dbMeta = env.openDB({ name: DBI.meta, encoding: 'msgpack' });
    this.dbVariants = env.openDB({ name: DBI.variants, encoding: 'msgpack' });
    this.dbEntries = env.openDB({ name: DBI.entries, encoding: 'msgpack' });
    this.dbById = env.openDB({ name: DBI.byId, encoding: 'msgpack' });
    this.dbChunks = env.openDB({ name: DBI.chunks, encoding: 'msgpack' });
    this.dbLog = env.openDB({ name: DBI.log, encoding: 'msgpack' });
    this.dbTags = env.openDB({ name: DBI.tags, encoding: 'msgpack' });
    const meta = this.dbMeta.get('format') as DepotMeta | undefined;
    if (!meta) throw new NotADepotError(path, 'its index has no format record');
    const bad = checkDepotMeta(meta);
    if (bad) throw new NotADepotError(path, `its format record is damaged (${bad})`);
    if (meta.version !== DEPOT_FORMAT_VERSION) throw new DepotVersionError(path, meta.version, DEPOT_FORMAT_VERSION);
    this.meta = meta;
    if (!this.dbVariants.doesExist('set')) throw new NotADepotError(path, 'its index has no variant set');
    // The set itself (tens of MB for large cohorts' sites) is decoded on first
    // use; commands such as remove, tag and samples never need it.
    const count = this.dbVariants.get('count');
    if (!Number.isSafeInteger(count) || count < 0) throw new NotADepotError(path, `its variant count is ${count === undefined ? 'missing' : 'damaged'}`);
    this.numVariants = count as number;
    this.reader = new ChunkReader(cacheBytes !== undefined ? { cacheBytes } : {});
    this.cacheBytes = cacheBytes ?? DEFAULT_CACHE_BYTES;
  }

  /**
   * The variants every sample is stored against. Decoded from the index on
   * first access and kept.
   *
   * @throws NotADepotError when the stored set is damaged.
   */
  get variantSet(): VariantSet {
    if (this.decodedVariantSet) return this.decodedVariantSet;
    let vs: VariantSet;
    try {
      const raw = this.dbVariants.get('set');
      if (!raw) throw new Error('it is missing');
      vs = deserializeVariantSet(raw);
      checkVariantSet(vs);
    } catch (err) {
      throw new NotADepotError(this.path, `its variant set is damaged (${(err as Error).message})`, { cause: err });
    }
    const count = this.numVariants;
    if (count !== vs.numVariants) {
      throw new NotADepotError(this.path, `its variant set is damaged (it holds ${vs.numVariants} variants, the index records ${String(count)})`);
    }
    this.decodedVariantSet = vs;
    return vs;
  }

  private static openEnv(path: string, readOnly: boolean): RootDatabase {
    return openLmdb({
      path: join(path, INDEX_FILE),
      maxDbs: 16,
      readOnly,
      // Durable commits: LMDB syncs inside the commit, so a returned write is on disk.
      overlappingSync: false,
      noSync: false,
      encoding: 'msgpack',
    });
  }

  /**
   * Creates a new, empty depot at `path` for `variantSet` (version 0). The
   * depot is built in a temporary sibling directory and renamed into place,
   * so a crash never leaves a half-made depot at `path`.
   *
   * @param path a directory that does not exist yet (or is empty).
   * @throws DepotExistsError when `path` exists and is not empty.
   * @throws InvalidArgumentError when the variant set's columns disagree in
   *   length or an option is out of range.
   */
  static create(path: string, variantSet: VariantSet, options: CreateOptions = {}): Depot {
    const abs = resolve(path);
    if (existsSync(abs) && (!statSync(abs).isDirectory() || readdirSync(abs).length > 0)) throw new DepotExistsError(abs);
    checkVariantSet(variantSet);
    const blockSize = options.blockSize ?? 1000;
    const level = options.level ?? 3;
    const chunkTargetBytes = options.chunkTargetBytes ?? 4 * MiB;
    const segmentMaxBytes = options.segmentMaxBytes ?? 1024 * MiB;
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new InvalidArgumentError('blockSize', `${blockSize} must be an integer >= 1`);
    if (!Number.isInteger(level) || level < 1 || level > 19) throw new InvalidArgumentError('level', `${level} must be an integer in 1..19`);
    if (!(chunkTargetBytes >= 1024)) throw new InvalidArgumentError('chunkTargetBytes', `${chunkTargetBytes} must be >= 1024`);
    if (!(segmentMaxBytes >= chunkTargetBytes)) throw new InvalidArgumentError('segmentMaxBytes', `${segmentMaxBytes} must be >= chunkTargetBytes`);
    const tmp = join(dirname(abs), `.${basename(abs)}.creating-${process.pid}-${Date.now()}`);
    try {
      mkdirSync(join(tmp, CHUNK_DIR), { recursive: true });
      const env = Depot.openEnv(tmp, false);
      const time = new Date().toISOString();
      const meta: DepotMeta = { version: DEPOT_FORMAT_VERSION, blockSize, level, chunkTargetBytes, segmentMaxBytes, created: time };
      const writer = new SegmentWriter();
      const end = writer.create(segmentPath(tmp, 0));
      writer.close();
      env.transactionSync(() => {
        const m = env.openDB({ name: DBI.meta, encoding: 'msgpack' });
        m.putSync('format', meta);
        m.putSync('head', 0);
        m.putSync('segment', { file: 0, end } satisfies SegmentState);
        m.putSync('next', { chunk: 0, seq: 0 } satisfies Counters);
        const v = env.openDB({ name: DBI.variants, encoding: 'msgpack' });
        v.putSync('set', serializeVariantSet(variantSet));
        v.putSync('count', variantSet.numVariants);
        const log: LogEntry = { version: 0, time, operation: 'create', added: [], removed: [], tags: [] };
        env.openDB({ name: DBI.log, encoding: 'msgpack' }).putSync(0, log);
      });
      void env.close();
      if (existsSync(abs)) rmSync(abs, { recursive: true });
      renameSync(tmp, abs);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (isDepotError(err)) throw err;
      throw new DepotIOError(abs, 'create', { cause: err });
    }
    return Depot.open(abs, {
      ...(options.cacheBytes !== undefined ? { cacheBytes: options.cacheBytes } : {}),
      ...(options.spillBytes !== undefined ? { spillBytes: options.spillBytes } : {}),
    });
  }

  /**
   * Opens an existing depot.
   *
   * @throws DepotNotFoundError when `path` does not exist.
   * @throws NotADepotError when `path` is a file, or a directory without a depot index.
   * @throws DepotVersionError when the depot format is newer than this code.
   */
  static open(path: string, options: OpenOptions = {}): Depot {
    const abs = resolve(path);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) throw new DepotNotFoundError(abs);
    if (!st.isDirectory()) throw new NotADepotError(abs, 'it is a file; a depot is a directory');
    if (!existsSync(join(abs, INDEX_FILE))) throw new NotADepotError(abs, `no ${INDEX_FILE} in it`);
    let env: RootDatabase;
    try {
      env = Depot.openEnv(abs, options.readOnly ?? false);
    } catch (err) {
      throw new NotADepotError(abs, `its LMDB index cannot be opened (${(err as Error).message})`, { cause: err });
    }
    try {
      return new Depot(abs, env, options.readOnly ?? false, options.cacheBytes, options.spillBytes);
    } catch (err) {
      void env.close();
      throw err;
    }
  }

  // ------------------------------------------------------------------ writes

  /**
   * Adds one sample in one durable transaction. Returns once the commit is
   * on disk (chunks fdatasync'ed, LMDB commit synced).
   *
   * @throws RecordValidationError when the calls do not fit the variant set.
   * @throws InvalidArgumentError when `sampleId` contains a tab, line break, NUL or a lone surrogate, or is over 1024 UTF-8 bytes.
   * @throws DuplicateSampleError when `sampleId` is live in the head.
   * @throws ReadOnlyError, DepotIOError. On any error nothing is written.
   */
  put(sampleId: string, calls: SampleCalls, options: WriteOptions = {}): CommitInfo {
    return this.transaction((txn) => txn.put(sampleId, calls), { ...options, operation: 'put' }).commit;
  }

  /**
   * Adds a batch of samples in one durable transaction: all or none. Records
   * are packed block-major (all samples of a block together).
   *
   * @throws as {@link Depot.put}; a sample id twice in the batch is a DuplicateSampleError.
   */
  putMany(entries: Iterable<SampleInput>, options: WriteOptions = {}): CommitInfo {
    return this.transaction((txn) => txn.putMany(entries), { ...options, operation: 'put' }).commit;
  }

  /**
   * Hides samples from the head in one durable transaction. Versions and
   * tags taken before still see them, byte for byte.
   *
   * @throws UnknownSampleError when a sample is not live in the head; nothing changes.
   */
  remove(sampleIds: Iterable<string>, options: WriteOptions = {}): CommitInfo {
    return this.transaction((txn) => txn.remove(sampleIds), { ...options, operation: 'remove' }).commit;
  }

  /**
   * Names the current head version with an immutable tag, as git and
   * Icechunk tag an existing snapshot: no version is created (the head stays
   * where it is). One durable LMDB write transaction records the tag
   * (`{name, version: head, time, message?}` in the tags dbi) and adds its
   * name to the `tags` of the head's log entry, so the log shows which
   * versions are tagged and `tags()` when each tag was taken.
   *
   * @returns the tag as stored (its `time` is when it was taken, ISO 8601).
   * @throws TagExistsError when the name was ever used; InvalidArgumentError
   *   for an empty name, an all-digit name (`--at 3` reads as version 3: use
   *   e.g. `v3`), one with a tab, line break or NUL, or over 1024 UTF-8 bytes.
   *   On error nothing is written.
   */
  tag(name: string, options: WriteOptions = {}): TagEntry {
    const { commit } = this.transaction((txn) => txn.tag(name, options), { operation: 'tag' });
    return this.dbTags.get(name) ?? { name, version: commit.version, time: commit.time };
  }

  /**
   * Runs several operations as one transaction: all or nothing, one version,
   * one log entry. The callback *stages* operations; puts are validated,
   * encoded and compressed as they are called (outside the write lock). If
   * the callback throws, nothing is written and the error propagates. After
   * it returns, the staged operations are applied in order inside one LMDB
   * write transaction (see the commit protocol at the top of this file); if
   * any fails (duplicate sample, unknown sample, reused tag) the whole
   * transaction rolls back and the error propagates. A tag staged here names
   * the transaction's version; a transaction that stages only tags creates
   * no version, its tags name the head (as {@link Depot.tag}; a tag without
   * a message of its own gets the commit's). Not reentrant: do not call
   * depot writes from inside the callback.
   *
   * @returns the callback's result and the commit.
   */
  transaction<T>(
    fn: (txn: DepotTransaction) => T,
    options: WriteOptions & { operation?: Operation } = {},
  ): { result: T; commit: CommitInfo } {
    const txn = this.begin();
    let result: T;
    try {
      result = fn(txn);
    } catch (err) {
      txn.abort();
      throw err;
    }
    return { result, commit: txn.commit(options) };
  }

  /**
   * Starts a transaction to stage operations at the caller's pace (e.g. an
   * importer awaiting a stream), then commit or abort it. Staging happens
   * outside the write lock; writers in other processes commit meanwhile, and
   * this one's checks (duplicate sample, unknown sample, reused tag) are made
   * against the head at its commit. Once a transaction's compressed chunks
   * pass 64 MiB they are written to staging files
   * (`chunks/.staging-<host>-<pid>-….tmp`, fdatasync'ed) instead of memory;
   * the commit renames them to the next segment files. Staging files of a
   * process that died are deleted by the next large transaction; `verify`
   * reports them.
   *
   * @throws ReadOnlyError for a read-only depot.
   */
  begin(options: BeginOptions = {}): StagedTransaction {
    this.assertWritable('write');
    const spillBytes = options.spillBytes ?? this.spillBytes;
    if (!(spillBytes >= 0)) throw new InvalidArgumentError('spillBytes', `${spillBytes} must be a number >= 0`);
    const ops: StagedOp[] = [];
    const nBlocks = blockCount(this.numVariants, this.meta.blockSize);
    const stager = new ChunkStager(nBlocks, this.meta.chunkTargetBytes, this.meta.level, {
      dir: join(this.path, CHUNK_DIR),
      thresholdBytes: spillBytes,
      fileMaxBytes: this.meta.segmentMaxBytes,
    });
    const writers: { sampleIds: readonly string[]; nextBlock: number }[] = [];
    let ended = false;
    const live = (): void => {
      if (ended) throw new InvalidArgumentError('transaction', 'it was already committed or aborted');
    };
    const encode = (sampleId: string, calls: SampleCalls): EncodedSample => {
      const s: EncodedSample = {
        sampleId: checkSampleId(sampleId),
        ploidy: calls.ploidy,
        records: encodeSampleRecords(this.variantSet, this.meta.blockSize, sampleId, calls),
        fields: fieldStats(calls),
      };
      stager.add(s);
      return s;
    };
    const putBlocks = (sampleIds: readonly string[]): BlockWriter => {
      live();
      const ids = [...sampleIds];
      const samples: EncodedSample[] = ids.map((id) => ({ sampleId: checkSampleId(id), ploidy: 0, records: [], fields: {} }));
      ops.push({ kind: 'put', samples });
      const state = { sampleIds: ids, nextBlock: 0 };
      writers.push(state);
      const vs = this.variantSet;
      const blockSize = this.meta.blockSize;
      return {
        sampleIds: ids,
        get nextBlock() {
          return state.nextBlock;
        },
        add: (calls) => {
          live();
          const block = state.nextBlock;
          if (block >= nBlocks) throw new InvalidArgumentError('block', `all ${nBlocks} blocks of this putBlocks were already added`);
          const records: Uint8Array[] = new Array(samples.length);
          for (let i = 0; i < samples.length; i++) {
            const s = samples[i]!;
            const c = calls(i);
            records[i] = encodeBlockRecord(vs, blockSize, s.sampleId, block, c);
            if (block === 0) s.ploidy = c.ploidy;
            else if (c.ploidy !== s.ploidy) {
              throw new RecordValidationError(s.sampleId, 'GT', undefined, `ploidy ${c.ploidy} in block ${block} but ${s.ploidy} in block 0: every block of a sample must have the same ploidy`);
            }
            mergeFieldStats(s.fields, fieldStats(c));
          }
          stager.addBlock(samples, block, records);
          state.nextBlock = block + 1;
        },
      };
    };
    return {
      put: (sampleId, calls) => {
        live();
        ops.push({ kind: 'put', samples: [encode(sampleId, calls)] });
      },
      putMany: (entries) => {
        live();
        const samples: EncodedSample[] = [];
        for (const e of entries) samples.push(encode(e.sampleId, e.calls));
        ops.push({ kind: 'put', samples });
      },
      putBlocks,
      remove: (ids) => {
        live();
        ops.push({ kind: 'remove', sampleIds: [...ids] });
      },
      tag: (name, o) => {
        live();
        if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('tag name', 'must be a non-empty string');
        checkName('tag name', name);
        if (ALL_DIGITS.test(name)) {
          throw new InvalidArgumentError('tag name', `'${name}' is all digits, which \`--at ${name}\` reads as version ${Number(name)}; a tag needs another character, e.g. 'v${name}'`);
        }
        ops.push({ kind: 'tag', name, ...(o?.message !== undefined ? { message: o.message } : {}) });
      },
      commit: (o = {}) => {
        live();
        ended = true;
        try {
          for (const w of writers) {
            if (w.nextBlock !== nBlocks) {
              throw new InvalidArgumentError('putBlocks', `${w.nextBlock} of ${nBlocks} blocks were added for ${w.sampleIds.length} sample(s) (${w.sampleIds.slice(0, 3).join(', ')}${w.sampleIds.length > 3 ? ', ...' : ''})`);
            }
          }
          const operation = o.operation ?? (ops.length === 1 ? (ops[0]!.kind as Operation) : 'transaction');
          return this.commit(ops, stager, operation, o.message);
        } finally {
          stager.discard();
        }
      },
      abort: () => {
        ended = true;
        stager.discard();
      },
    };
  }

  private commit(ops: StagedOp[], stager: ChunkStager, operation: Operation, message: string | undefined): CommitInfo {
    if (ops.length > 0 && ops.every((op) => op.kind === 'tag')) return this.commitTags(ops as Extract<StagedOp, { kind: 'tag' }>[], message);
    stager.finish();
    const { chunks, where } = stager;
    const writer = (this.writer ??= new SegmentWriter());
    const time = new Date().toISOString();
    try {
      return this.env.transactionSync(() => {
        const head = this.dbMeta.get('head') as number;
        const version = head + 1;
        const added: string[] = [];
        const removed: string[] = [];
        const tags: string[] = [];
        let next = this.dbMeta.get('next') as Counters;
        // Chunk ids are known before anything is written: next.chunk + i.
        const chunkIds = chunks.map((_, i) => next.chunk + i);
        next = { ...next, chunk: next.chunk + chunks.length };
        const batch = new Set<string>();
        for (const op of ops) {
          if (op.kind === 'put') {
            for (const s of op.samples) {
              if (batch.has(s.sampleId)) throw new DuplicateSampleError(s.sampleId, this.path, true);
              batch.add(s.sampleId);
              if (this.liveSeq(s.sampleId, Infinity) !== undefined) throw new DuplicateSampleError(s.sampleId, this.path);
              const locs = where.get(s)!;
              const entry: SampleEntry = {
                sampleId: s.sampleId,
                addedAt: version,
                ploidy: s.ploidy,
                chunks: locs.map((l) => chunkIds[l.chunk]!),
                offsets: locs.map((l) => l.offset),
                lengths: locs.map((l) => l.length),
                fields: s.fields,
              };
              const seq = next.seq;
              next = { ...next, seq: seq + 1 };
              this.dbEntries.putSync(seq, entry);
              this.dbById.putSync([s.sampleId, seq], true);
              added.push(s.sampleId);
            }
          } else if (op.kind === 'remove') {
            for (const id of op.sampleIds) {
              const seq = this.liveSeq(id, Infinity);
              if (seq === undefined) throw new UnknownSampleError(id, this.path, `the head (version ${head})`);
              const entry = this.dbEntries.get(seq)!;
              this.dbEntries.putSync(seq, { ...entry, removedAt: version });
              removed.push(id);
            }
          } else {
            const existing = this.dbTags.get(op.name);
            if (existing) throw new TagExistsError(op.name, this.path, existing.version);
            const t: TagEntry = { name: op.name, version, time, ...(op.message !== undefined ? { message: op.message } : {}) };
            this.dbTags.putSync(op.name, t);
            tags.push(op.name);
          }
        }
        if (stager.stagingFiles.length > 0) {
          // Every check passed. A large transaction's chunks are already in
          // staging files (fdatasync'ed): they become the segment files after
          // the recorded one (replacing crash leftovers there), the directory
          // is fsync'ed, and only then the index records them.
          const seg = this.dbMeta.get('segment') as SegmentState;
          // An active file without chunks (a new depot's) is replaced, not left empty.
          const first = seg.end === FILE_HEADER_SIZE ? seg.file : seg.file + 1;
          stager.stagingFiles.forEach((f, k) => writer.rename(f, segmentPath(this.path, first + k)));
          chunks.forEach((c, i) => {
            this.dbChunks.putSync(chunkIds[i]!, { file: first + c.staged!.file, offset: c.staged!.offset, compressedLength: c.compressedLength, rawLength: c.rawLength, items: c.items });
          });
          const last = stager.stagingFiles.length - 1;
          this.dbMeta.putSync('segment', { file: first + last, end: stager.stagingEnds[last]! } satisfies SegmentState);
        } else if (chunks.length > 0) {
          // Every check passed: append at the recorded end (overwriting crash
          // leftovers), fdatasync, and only then record where the chunks are.
          let seg = this.dbMeta.get('segment') as SegmentState;
          const total = chunks.reduce((s, c) => s + c.bytes!.length, 0);
          if (seg.end + total > this.meta.segmentMaxBytes && seg.end > FILE_HEADER_SIZE) {
            const file = seg.file + 1;
            const next = segmentPath(this.path, file);
            // A file past the recorded one is a crash leftover: nothing references it.
            rmSync(next, { force: true });
            seg = { file, end: writer.create(next) };
          }
          const { offsets, end } = writer.appendChunks(segmentPath(this.path, seg.file), seg.end, chunks as EncodedChunk[]);
          chunks.forEach((c, i) => {
            this.dbChunks.putSync(chunkIds[i]!, { file: seg.file, offset: offsets[i]!, compressedLength: c.compressedLength, rawLength: c.rawLength, items: c.items });
          });
          this.dbMeta.putSync('segment', { file: seg.file, end } satisfies SegmentState);
        }
        this.dbMeta.putSync('next', next);
        this.dbMeta.putSync('head', version);
        const log: LogEntry = { version, time, operation, added, removed, tags, ...(message !== undefined ? { message } : {}) };
        this.dbLog.putSync(version, log);
        return { version, time, added, removed, tags };
      });
    } catch (err) {
      if (isDepotError(err)) throw err;
      throw new DepotIOError(this.path, `commit (${operation})`, { cause: err });
    }
  }

  /**
   * Tags alone name the head: no new version. One write transaction puts each
   * tag and appends its name to the head's log entry (`tags`: the tags naming
   * that version, whether taken by its commit or later).
   */
  private commitTags(ops: Extract<StagedOp, { kind: 'tag' }>[], message: string | undefined): CommitInfo {
    const time = new Date().toISOString();
    return this.writeTxn('commit (tag)', () => {
      const head = this.checked('meta', 'head', this.dbMeta.get('head')) as number;
      const log = this.checked('log', head, this.dbLog.get(head));
      const tags: string[] = [];
      for (const op of ops) {
        const existing = this.dbTags.get(op.name);
        if (existing) throw new TagExistsError(op.name, this.path, existing.version);
        const msg = op.message ?? message;
        const t: TagEntry = { name: op.name, version: head, time, ...(msg !== undefined ? { message: msg } : {}) };
        this.dbTags.putSync(op.name, t);
        tags.push(op.name);
      }
      this.dbLog.putSync(head, { ...log, tags: [...log.tags, ...tags] });
      return { version: head, time, added: [], removed: [], tags };
    });
  }

  /**
   * Erases samples (withdrawn consent): in one durable transaction, every
   * entry of each sample id — live or kept by tags — is dropped, the log
   * forgets the ids (the purge's own log entry records only how many samples
   * were erased and which tags changed), and every segment file holding one
   * of their records is rewritten without it (chunks without purged records
   * are copied verbatim, chunks with them are repacked) and then deleted.
   * Other samples and tags are unchanged, byte for byte. Blocks writers for
   * the duration (it holds the LMDB write lock); readers keep reading (a
   * read that meets a deleted file retries on the new index). Memory as
   * {@link Depot.compact}: the repacked records stream group by group.
   *
   * @throws UnknownSampleError when an id was never in the depot; nothing changes.
   */
  purge(sampleIds: Iterable<string>, options: WriteOptions = {}): CommitInfo & { tagsChanged: string[]; bytesBefore: number; bytesAfter: number } {
    this.assertWritable('purge');
    const ids = [...new Set(sampleIds)];
    let oldFiles: number[] = [];
    const result = this.writeTxn('purge', () => {
      const head = this.dbMeta.get('head') as number;
      const version = head + 1;
      const drop = new Set<number>();
      for (const id of ids) {
        const seqs = fitsKey(id) ? [...this.dbById.getRange({ start: [id, 0], end: [id, MAX_SEQ] })].map(({ key }) => (key as [string, number])[1]) : [];
        if (seqs.length === 0) throw new UnknownSampleError(id, this.path, 'any version');
        seqs.forEach((q) => drop.add(q));
      }
      const entries = this.allEntries();
      const tagsChanged = [...this.dbTags.getRange({})]
        .map(({ value }) => value as TagEntry)
        .filter((t) => [...drop].some((q) => isLive(entries.get(q)!, t.version)))
        .map((t) => t.name);
      const affected = new Set<number>();
      for (const q of drop) for (const c of entries.get(q)!.chunks) affected.add(this.dbChunks.get(c)!.file);
      const bytesBefore = this.segmentBytes();
      for (const q of drop) {
        const e = entries.get(q)!;
        this.dbEntries.removeSync(q);
        this.dbById.removeSync([e.sampleId, q]);
        entries.delete(q);
      }
      oldFiles = this.rewriteFiles(entries, affected, false);
      // The log forgets the ids.
      const gone = new Set(ids);
      for (const { key, value } of [...this.dbLog.getRange({})]) {
        const l = value as LogEntry;
        if (l.added.some((x) => gone.has(x)) || l.removed.some((x) => gone.has(x))) {
          this.dbLog.putSync(key as number, { ...l, added: l.added.filter((x) => !gone.has(x)), removed: l.removed.filter((x) => !gone.has(x)) });
        }
      }
      const bytesAfter = this.segmentBytes() - oldFiles.reduce((s, f) => s + fileSize(segmentPath(this.path, f)), 0);
      const time = new Date().toISOString();
      const log: LogEntry = { version, time, operation: 'purge', added: [], removed: [], tags: [], purged: ids.length, tagsChanged, bytesBefore, bytesAfter, ...(options.message !== undefined ? { message: options.message } : {}) };
      this.dbLog.putSync(version, log);
      this.dbMeta.putSync('head', version);
      return { version, time, added: [], removed: [], tags: [], tagsChanged, bytesBefore, bytesAfter };
    });
    this.deleteFiles(oldFiles);
    return result;
  }

  /**
   * Rewrites every segment file: drops chunks no entry references (left by
   * purges or by interrupted writes), and repacks all records block-major
   * (all samples of a block together, in the order they were added), which
   * compresses better than many one-sample chunks and lets an export read
   * each block's records from few chunks. One durable transaction; a new
   * version with a log entry; the old files are deleted after the commit.
   * Blocks writers while it runs; readers keep their snapshot (a read that
   * meets a deleted file retries on the new index). A chunk holds records of
   * one block when a block's records fill 1/16 of a chunk or more (as
   * writes pack them). Memory is bounded, not proportional to the depot:
   * records are repacked one group of blocks at a time (about 16 chunk
   * targets of records, 64 MiB by default, or one block of every sample if
   * that is more), plus the index (docs/depot-format.md, "Compact and
   * purge"). On error nothing changes and the new files are deleted.
   */
  compact(options: WriteOptions = {}): CommitInfo & { bytesBefore: number; bytesAfter: number } {
    this.assertWritable('compact');
    let oldFiles: number[] = [];
    const result = this.writeTxn('compact', () => {
      const version = (this.dbMeta.get('head') as number) + 1;
      const bytesBefore = this.segmentBytes();
      const all = new Set(this.segmentFiles());
      oldFiles = this.rewriteFiles(this.allEntries(), all, true);
      const bytesAfter = this.segmentBytes() - oldFiles.reduce((s, f) => s + fileSize(segmentPath(this.path, f)), 0);
      const time = new Date().toISOString();
      this.dbLog.putSync(version, { version, time, operation: 'compact', added: [], removed: [], tags: [], bytesBefore, bytesAfter, ...(options.message !== undefined ? { message: options.message } : {}) } satisfies LogEntry);
      this.dbMeta.putSync('head', version);
      return { version, time, added: [], removed: [], tags: [], bytesBefore, bytesAfter };
    });
    this.deleteFiles(oldFiles);
    return result;
  }

  /** Runs `fn` in one LMDB write transaction, wrapping foreign errors. */
  private writeTxn<T>(operation: string, fn: () => T): T {
    try {
      return this.env.transactionSync(fn);
    } catch (err) {
      if (isDepotError(err)) throw err;
      throw new DepotIOError(this.path, operation, { cause: err });
    }
  }

  private allEntries(): Map<number, SampleEntry> {
    const m = new Map<number, SampleEntry>();
    for (const { key, value } of this.dbEntries.getRange({})) m.set(key as number, value as SampleEntry);
    return m;
  }

  private segmentFiles(): number[] {
    return readdirSync(join(this.path, CHUNK_DIR))
      .filter((f) => /^\d{6}\.vczc$/.test(f))
      .map((f) => Number(f.slice(0, 6)))
      .sort((a, b) => a - b);
  }

  private segmentBytes(): number {
    return this.segmentFiles().reduce((s, f) => s + fileSize(segmentPath(this.path, f)), 0);
  }

  /**
   * Inside a write transaction: moves every record of `entries` that lives in
   * one of `files` into new segment files (numbered after every existing
   * one), fdatasyncs them, and updates the chunk directory, the entries and
   * the active segment. With `repackAll` every record is repacked
   * block-major; otherwise chunks whose records all survive are copied
   * verbatim (checksum verified) and only the others are repacked. Chunks no
   * entry references are dropped. Returns the old file numbers, to delete
   * after the commit; on error the new files are deleted (the index, rolled
   * back with the transaction, never referenced them).
   *
   * Streaming: records are repacked one group of consecutive blocks at a
   * time (blocks are added to a group until its records reach
   * {@link REPACK_GROUP_CHUNKS} chunk targets, 64 MiB by default; a group
   * has at least one block). For a group, each source chunk holding one of
   * its records is decompressed once (one at a time, no cache), the group's
   * records are copied out, packed block-major ({@link BlockRepacker}: block
   * b of every sample in entry order, a block of 1/16 chunk or more in chunks
   * of its own), compressed, and appended to the new files; then the next
   * group. Memory: about one group of records, its compressed chunks and one
   * decompressed source chunk (a group is one block when one block of all
   * samples is larger than the budget), plus the index (entries and chunk
   * directory), whatever the depot's size. Verbatim chunks are copied in
   * batches of the same budget.
   */
  private rewriteFiles(entries: Map<number, SampleEntry>, files: Set<number>, repackAll: boolean): number[] {
    const chunks = new Map<number, ChunkEntry>();
    for (const { key, value } of this.dbChunks.getRange({})) chunks.set(key as number, value as ChunkEntry);
    const refCount = new Map<number, number>();
    for (const e of entries.values()) for (const c of e.chunks) refCount.set(c, (refCount.get(c) ?? 0) + 1);
    const moving = [...chunks].filter(([, c]) => files.has(c.file)).sort(([, x], [, y]) => x.file - y.file || x.offset - y.offset);
    // A chunk is copied verbatim unless repacking everything or some of its records are gone; unreferenced ones are dropped.
    const verbatim: number[] = [];
    const repack = new Set<number>();
    for (const [id, c] of moving) {
      const n = refCount.get(id) ?? 0;
      if (n === 0) continue;
      if (!repackAll && c.items === n) verbatim.push(id);
      else repack.add(id);
    }
    const budget = REPACK_GROUP_CHUNKS * this.meta.chunkTargetBytes;
    const reader = new ChunkReader({ cacheBytes: 0 });
    const writer = (this.writer ??= new SegmentWriter());
    const next = { ...(this.dbMeta.get('next') as Counters) };
    // ---- the new files, after every existing one
    const created: string[] = [];
    let file = Math.max(-1, ...this.segmentFiles());
    let path = '';
    let end = 0;
    const newFile = (): void => {
      file++;
      path = segmentPath(this.path, file);
      rmSync(path, { force: true });
      created.push(path);
      end = writer.create(path);
    };
    /** Appends chunks (one fdatasync per file written), rolling over past segmentMaxBytes; returns where each went. */
    const append = (cs: readonly EncodedChunk[]): { file: number; offset: number }[] => {
      const at: { file: number; offset: number }[] = [];
      let batch: EncodedChunk[] = [];
      const flush = (): void => {
        if (batch.length === 0) return;
        const r = writer.appendChunks(path, end, batch);
        for (const o of r.offsets) at.push({ file, offset: o });
        end = r.end;
        batch = [];
      };
      let pending = end;
      for (const c of cs) {
        if (pending + c.bytes.length > this.meta.segmentMaxBytes && pending > FILE_HEADER_SIZE) {
          flush();
          writer.closeFile(path);
          newFile();
          pending = end;
        }
        batch.push(c);
        pending += c.bytes.length;
      }
      flush();
      return at;
    };
    const updated = new Map<number, SampleEntry>();
    const entryOf = (seq: number): SampleEntry => {
      let e = updated.get(seq);
      if (!e) {
        const o = entries.get(seq)!;
        e = { ...o, chunks: [...o.chunks], offsets: [...o.offsets], lengths: [...o.lengths] };
        updated.set(seq, e);
      }
      return e;
    };
    const readChunk = (id: number): Uint8Array => {
      const c = chunks.get(id)!;
      return reader.read(segmentPath(this.path, c.file), c.offset, { rawLength: c.rawLength, compressedLength: c.compressedLength, chunk: id });
    };
    try {
      newFile();
      // ---- verbatim chunks: checksum verified, copied as they are, in batches
      const remap = new Map<number, number>();
      let batch: { id: number; chunk: EncodedChunk }[] = [];
      let batchBytes = 0;
      const flushVerbatim = (): void => {
        const at = append(batch.map((x) => x.chunk));
        batch.forEach(({ id, chunk }, i) => {
          const c = chunks.get(id)!;
          const nid = next.chunk++;
          this.dbChunks.putSync(nid, { file: at[i]!.file, offset: at[i]!.offset, compressedLength: chunk.compressedLength, rawLength: chunk.rawLength, items: c.items });
          remap.set(id, nid);
        });
        batch = [];
        batchBytes = 0;
      };
      for (const id of verbatim) {
        const c = chunks.get(id)!;
        readChunk(id); // verify the checksum before copying the bytes
        const bytes = this.readChunkBytes(c);
        batch.push({ id, chunk: { bytes, rawLength: c.rawLength, compressedLength: c.compressedLength, checksum: 0 } });
        batchBytes += bytes.length;
        if (batchBytes >= budget) flushVerbatim();
      }
      flushVerbatim();
      if (remap.size > 0) {
        for (const [seq, e] of entries) {
          e.chunks.forEach((c, b) => {
            const nid = remap.get(c);
            if (nid !== undefined) entryOf(seq).chunks[b] = nid;
          });
        }
      }
      // ---- repacked records, one group of blocks at a time
      const emitted: { chunk: EncodedChunk; items: RepackItem[] }[] = [];
      const writeEmitted = (): void => {
        const at = append(emitted.map((x) => x.chunk));
        emitted.forEach(({ chunk, items }, i) => {
          const nid = next.chunk++;
          this.dbChunks.putSync(nid, { file: at[i]!.file, offset: at[i]!.offset, compressedLength: chunk.compressedLength, rawLength: chunk.rawLength, items: items.length });
          for (const it of items) {
            const e = entryOf(it.seq);
            e.chunks[it.block] = nid;
            e.offsets[it.block] = it.offset;
            e.lengths[it.block] = it.length;
          }
        });
        emitted.length = 0;
      };
      const packer = new BlockRepacker(this.meta.chunkTargetBytes, this.meta.level, (chunk, items) => void emitted.push({ chunk, items }));
      if (repack.size > 0) {
        const list = [...entries];
        const nBlocks = blockCount(this.numVariants, this.meta.blockSize);
        for (let b0 = 0; b0 < nBlocks; ) {
          // The group [b0, b1): blocks until their records reach the budget.
          let b1 = b0;
          let bytes = 0;
          while (b1 < nBlocks && (b1 === b0 || bytes < budget)) {
            for (const [, e] of list) if (repack.has(e.chunks[b1]!)) bytes += e.lengths[b1]!;
            b1++;
          }
          // Its records, in (block, entry) order, and which chunk each is in.
          const seqs: number[][] = [];
          const recs: Uint8Array[][] = [];
          const byChunk = new Map<number, { g: number; i: number; e: SampleEntry }[]>();
          for (let b = b0; b < b1; b++) {
            const s: number[] = [];
            for (const [seq, e] of list) {
              const c = e.chunks[b]!;
              if (!repack.has(c)) continue;
              (byChunk.get(c) ?? byChunk.set(c, []).get(c)!).push({ g: b - b0, i: s.length, e });
              s.push(seq);
            }
            seqs.push(s);
            recs.push(new Array<Uint8Array>(s.length));
          }
          const order = [...byChunk.keys()].sort((x, y) => chunks.get(x)!.file - chunks.get(y)!.file || chunks.get(x)!.offset - chunks.get(y)!.offset);
          for (const id of order) {
            const buf = readChunk(id);
            for (const { g, i, e } of byChunk.get(id)!) {
              const b = b0 + g;
              const off = e.offsets[b]!;
              const stop = off + e.lengths[b]!;
              if (off % 8 !== 0 || stop > buf.length) throw new IndexCorruptionError(this.path, recordWhere(e, b), `record [${off}, ${stop}) is not inside the chunk's ${buf.length} bytes at an 8-byte aligned offset`);
              recs[g]![i] = buf.slice(off, stop);
            }
          }
          byChunk.clear();
          for (let g = 0; g < seqs.length; g++) {
            packer.addBlock(b0 + g, seqs[g]!, recs[g]!);
            recs[g] = [];
          }
          writeEmitted();
          b0 = b1;
        }
        packer.finish();
        writeEmitted();
      }
      // Every new file is synced (appendChunks fdatasyncs); now the index.
      for (const [id] of moving) this.dbChunks.removeSync(id);
      for (const [seq, e] of updated) this.dbEntries.putSync(seq, e);
      this.dbMeta.putSync('segment', { file, end } satisfies SegmentState);
      this.dbMeta.putSync('next', next);
      return [...files];
    } catch (err) {
      // The transaction rolls back; the new files were never referenced.
      for (const p of created) {
        try {
          writer.closeFile(p);
        } finally {
          rmSync(p, { force: true });
        }
      }
      throw err;
    } finally {
      reader.close();
    }
  }

  /** The on-disk bytes (header + frame) of a chunk, read whole. */
  private readChunkBytes(c: ChunkEntry): Uint8Array {
    const fd = openSync(segmentPath(this.path, c.file), 'r');
    try {
      const out = new Uint8Array(CHUNK_HEADER_SIZE + c.compressedLength);
      let got = 0;
      while (got < out.length) {
        const n = readSync(fd, out, got, out.length - got, c.offset + got);
        if (n === 0) throw new DepotIOError(this.path, `reading chunk at byte ${c.offset} of segment ${c.file}`, { cause: new Error('unexpected end of file') });
        got += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes rewritten segment files after the commit that stopped referencing them. */
  private deleteFiles(files: number[]): void {
    for (const f of files) {
      const path = segmentPath(this.path, f);
      this.reader.closeFile(path);
      this.writer?.closeFile(path);
      rmSync(path, { force: true });
    }
  }

  /** Seq of the entry of `sampleId` live at `version` (Infinity = head), from the current txn/snapshot. */
  private liveSeq(sampleId: string, version: number, transaction?: unknown): number | undefined {
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

  // ------------------------------------------------------------------- reads

  /** Runs `fn` inside one LMDB read transaction (a consistent snapshot). */
  private snapshot<T>(fn: (txn: any) => T): T {
    // lmdb-js renews its shared read snapshot only when the event loop turns
    // (setTimeout 0): without this reset a caller reading in a synchronous
    // loop would never see another process's commits (nor the new index
    // after a compaction deleted the files of its old snapshot).
    this.env.resetReadTxn();
    const txn = this.env.useReadTransaction();
    try {
      return fn(txn);
    } catch (err) {
      // Values the checks below did not foresee (a damaged index) must still give a typed error.
      if (isDepotError(err) || isSchunkError(err) || isCodecError(err)) throw err;
      throw new IndexCorruptionError(this.path, 'reading the index', (err as Error)?.message ?? String(err), { cause: err });
    } finally {
      txn.done();
    }
  }

  /** `value`, read from `dbi` at `key`, if it has the shape the depot wrote; else an IndexCorruptionError. */
  private checked(dbi: 'entries', key: number, value: unknown): SampleEntry;
  private checked(dbi: 'chunks', key: number, value: unknown): ChunkEntry;
  private checked(dbi: 'tags', key: string, value: unknown): TagEntry;
  private checked(dbi: 'log', key: number, value: unknown): LogEntry;
  private checked(dbi: 'meta', key: 'head' | 'segment' | 'next', value: unknown): any;
  private checked(dbi: string, key: any, value: unknown): any {
    const reason =
      value === undefined
        ? 'missing'
        : dbi === 'entries'
          ? checkSampleEntry(value, blockCount(this.numVariants, this.meta.blockSize))
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

  private resolveAt(at: At | undefined, txn: any): { version: number; label: string } {
    const head = this.checked('meta', 'head', this.dbMeta.get('head', { transaction: txn } as any)) as number;
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

  /**
   * The version `at` names, from one read snapshot: the head when `at` is
   * undefined; a number is a version (0..head); a string is a tag name, or,
   * when it is all digits (what `--at 3` passes), the version of that number.
   * A depot made before all-digit tag names were refused may hold a tag
   * named like a version: a string naming both is {@link AmbiguousAtError};
   * one naming only the tag (no such version yet) is the tag.
   *
   * @throws UnknownVersionError, UnknownTagError, AmbiguousAtError.
   */
  resolveVersion(at?: At): number {
    this.assertOpen();
    return this.snapshot((txn) => this.resolveAt(at, txn).version);
  }

  private tagsIn(txn: any): TagEntry[] {
    return [...this.dbTags.getRange({ transaction: txn } as any)].map(({ key, value }) => this.checked('tags', key as string, value)).sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  }

  /** Entries live at `version`, in the order samples were added. */
  private liveEntries(version: number, txn: any): { seq: number; entry: SampleEntry }[] {
    const out: { seq: number; entry: SampleEntry }[] = [];
    for (const { key, value } of this.dbEntries.getRange({ transaction: txn } as any)) {
      const entry = this.checked('entries', key as number, value);
      if (isLive(entry, version)) out.push({ seq: key as number, entry });
    }
    return out;
  }

  /** The current head version. */
  version(): number {
    this.assertOpen();
    return this.snapshot((txn) => this.checked('meta', 'head', this.dbMeta.get('head', { transaction: txn } as any)) as number);
  }

  /**
   * Sample ids live at `at` (default the head), in the order they were added.
   * @throws UnknownTagError, UnknownVersionError.
   */
  samples(options: { at?: At } = {}): string[] {
    return this.sampleInfo(options).map((s) => s.sampleId);
  }

  /**
   * Samples live at `at` with their ploidy and per-field widths and ranges,
   * in the order they were added.
   */
  sampleInfo(options: { at?: At } = {}): SampleInfo[] {
    this.assertOpen();
    return this.snapshot((txn) => {
      const { version } = this.resolveAt(options.at, txn);
      return this.liveEntries(version, txn).map(({ entry }) => ({ sampleId: entry.sampleId, addedAt: entry.addedAt, ploidy: entry.ploidy, fields: entry.fields }));
    });
  }

  /** Reads all blocks of one sample; see {@link Depot.getMany}. */
  get(sampleId: string, options: { at?: At } = {}): SampleView {
    return this.getMany([sampleId], options)[0]!;
  }

  /**
   * Reads samples' records as views, in the order asked, from one read
   * snapshot. Each needed chunk is read, checksum-verified and decompressed
   * once per call (and kept in a bounded LRU across calls, `cacheBytes`).
   * The views point into the chunk buffers (zero copy), or, for a chunk of
   * which the call needs a quarter or less (a few samples of a block-major
   * cohort), into copies of just those records: the result then holds the
   * records, not every chunk they came from. Copy what you keep long.
   *
   * @param sampleIds samples to read; each must be live at `at`.
   * @throws UnknownSampleError, UnknownTagError, UnknownVersionError,
   *   InvalidArgumentError (block out of range), ChunkCorruptionError (a
   *   chunk failed its checksum: run `vczdepot verify`), RecordFormatError.
   */
  getMany(sampleIds: readonly string[], options: GetOptions = {}): SampleView[] {
    this.assertOpen();
    const nBlocks = blockCount(this.numVariants, this.meta.blockSize);
    const blocks = options.blocks ?? Array.from({ length: nBlocks }, (_, i) => i);
    for (const b of blocks) {
      if (!Number.isInteger(b) || b < 0 || b >= nBlocks) throw new InvalidArgumentError('block', `${b} is not in 0..${nBlocks - 1}`);
    }
    let at = options.at;
    for (let attempt = 0; ; attempt++) {
      const { entries, chunkEntries, version } = this.snapshot((txn) => {
        const { version, label } = this.resolveAt(at, txn);
        const entries = sampleIds.map((id) => {
          const seq = this.liveSeq(id, version, txn);
          if (seq === undefined) throw new UnknownSampleError(id, this.path, label);
          return this.checked('entries', seq, this.dbEntries.get(seq, { transaction: txn } as any));
        });
        const ids = new Set<number>();
        for (const e of entries) for (const b of blocks) ids.add(e.chunks[b]!);
        const chunkEntries = new Map<number, ChunkEntry>();
        for (const id of ids) chunkEntries.set(id, this.checked('chunks', id, this.dbChunks.get(id, { transaction: txn } as any)));
        return { entries, chunkEntries, version };
      });
      // Of each chunk, the record bytes this call needs (from the index).
      const byChunk = new Map<number, { i: number; j: number }[]>();
      const need = new Map<number, number>();
      entries.forEach((e, i) =>
        blocks.forEach((b, j) => {
          const c = e.chunks[b]!;
          (byChunk.get(c) ?? byChunk.set(c, []).get(c)!).push({ i, j });
          need.set(c, (need.get(c) ?? 0) + align8(e.lengths[b] ?? 0));
        }),
      );
      // A chunk of which a quarter or less is needed (a few samples of a
      // block-major cohort) is decompressed into a reused buffer, or read
      // through the cache, and its records are copied out: the result holds
      // those records, not every chunk they came from. Otherwise the views
      // point into the chunk itself (zero copy).
      const copyOut = new Set<number>();
      let expected = 0;
      for (const [id, c] of chunkEntries) {
        const n = need.get(id)!;
        if (n * COPY_OUT_FRACTION <= c.rawLength) copyOut.add(id);
        expected += copyOut.has(id) ? n : align8(c.rawLength);
      }
      const arena = new ChunkArena(expected);
      const records = entries.map(() => new Array<Uint8Array>(blocks.length));
      const cacheOff = this.cacheBytes === 0;
      try {
        for (const [id, c] of chunkEntries) {
          const out = copyOut.has(id);
          const into = out ? (cacheOff ? this.scratch : undefined) : arena.take;
          const buf = this.reader.read(segmentPath(this.path, c.file), c.offset, {
            rawLength: c.rawLength,
            compressedLength: c.compressedLength,
            chunk: id,
            ...(into ? { into } : {}),
            ...(out && cacheOff ? { cache: false } : {}),
          });
          for (const { i, j } of byChunk.get(id)!) {
            const e = entries[i]!;
            const b = blocks[j]!;
            const off = e.offsets[b]!;
            const end = off + e.lengths[b]!;
            if (off % 8 !== 0 || !(end <= buf.length)) throw new IndexCorruptionError(this.path, recordWhere(e, b), `record [${off}, ${end}) is not inside the chunk's ${buf.length} bytes at an 8-byte aligned offset`);
            if (out) {
              const copy = arena.take(end - off);
              copy.set(buf.subarray(off, end));
              records[i]![j] = copy;
            } else records[i]![j] = buf.subarray(off, end);
          }
        }
      } catch (err) {
        // compact/purge deleted a file after this snapshot: the same version,
        // read again from the new index, holds the same records.
        if (attempt < 3 && isSchunkError(err, 'chunk-io') && err.errno === 'ENOENT') {
          at = version;
          continue;
        }
        throw err;
      }
      return this.views(entries, blocks, records);
    }
  }

  /** RecordViews of `records[i][j]` (entry i's record of block j), each checked against its entry. */
  private views(entries: SampleEntry[], blocks: readonly number[], records: Uint8Array[][]): SampleView[] {
    return entries.map((e, i) => {
      const idBytes = utf8.encode(e.sampleId);
      return {
        sampleId: e.sampleId,
        ploidy: e.ploidy,
        blocks,
        records: blocks.map((b, j) => {
          const view = new RecordView(records[i]![j]!);
          // A damaged index must not hand out another sample's record.
          if (!view.sampleIdEquals(idBytes) || view.block !== b) throw new IndexCorruptionError(this.path, recordWhere(e, b), `points at the record of sample '${view.sampleId}' block ${view.block}`);
          if (view.ploidy !== e.ploidy) throw new IndexCorruptionError(this.path, recordWhere(e, b), `the record has ploidy ${view.ploidy}, the index ${e.ploidy}`);
          return view;
        }),
      };
    });
  }

  /**
   * A chunk buffer reused by getMany for chunks it copies records out of
   * (when the chunk cache is off); grows to the largest chunk read, kept up
   * to 64 MiB.
   */
  private readonly scratch = (n: number): Uint8Array<ArrayBuffer> => {
    if (this.scratchBuf.length < n) {
      const buf = new Uint8Array(n);
      if (n <= 64 * MiB) this.scratchBuf = buf;
      return buf;
    }
    return this.scratchBuf.subarray(0, n);
  };
  private scratchBuf: Uint8Array<ArrayBuffer> = new Uint8Array(0);

  /** Tags, oldest version first. */
  tags(): TagEntry[] {
    this.assertOpen();
    return this.snapshot((txn) => this.tagsIn(txn));
  }

  /** The log: one entry per version, oldest first. */
  log(): LogEntry[] {
    this.assertOpen();
    return this.snapshot((txn) => [...this.dbLog.getRange({ transaction: txn } as any)].map(({ key, value }) => this.checked('log', key as number, value)));
  }

  /** Size figures (reads the whole index; cheap for thousands of samples). */
  stats(): DepotStats {
    this.assertOpen();
    return this.snapshot((txn) => {
      let chunks = 0;
      let rawBytes = 0;
      for (const { value } of this.dbChunks.getRange({ transaction: txn } as any)) {
        chunks++;
        rawBytes += (value as ChunkEntry).rawLength;
      }
      const head = this.dbMeta.get('head', { transaction: txn } as any) as number;
      const files = readdirSync(join(this.path, CHUNK_DIR)).filter((f) => f.endsWith('.vczc'));
      const chunkBytes = files.reduce((s, f) => s + fileSize(join(this.path, CHUNK_DIR, f)), 0);
      return {
        head,
        samples: this.liveEntries(head, txn).length,
        entries: this.dbEntries.getKeysCount({ transaction: txn } as any),
        tags: this.dbTags.getKeysCount({ transaction: txn } as any),
        chunks,
        segmentFiles: files.length,
        chunkBytes,
        indexBytes: statSync(join(this.path, INDEX_FILE)).size,
        rawBytes,
      };
    });
  }

  /**
   * Checks the whole depot and reports problems with their locations
   * (fsck). Runs in one read snapshot, so it can run while a writer writes.
   * Errors: a bad segment file header (magic, version), a chunk whose
   * checksum or decompressed length is wrong, an index entry pointing
   * outside a committed chunk or at bytes that do not decode against the
   * variant set, an inconsistent log, tag or sample index. Warnings
   * (harmless): bytes past a file's committed end and segment files past the
   * recorded one (crash leftovers), chunks no sample references.
   *
   * @returns the report; `ok` is false when there is any error. Never throws
   *   for damage it finds (only for a closed depot).
   */
  verify(): VerifyReport {
    this.assertOpen();
    const t0 = performance.now();
    // A compact or purge committed by another process deletes the files of
    // the snapshot being checked: when the head moved during a check that
    // found errors, check again from the new head (a few times at most).
    for (let attempt = 0; ; attempt++) {
      const { report, head } = this.verifyOnce(t0);
      if (report.ok || attempt === 2) return report;
      let now: number;
      try {
        now = this.version();
      } catch {
        return report; // a damaged head: reported already
      }
      if (now === head) return report;
    }
  }

  private verifyOnce(t0: number): { report: VerifyReport; head: number } {
    let snapHead = -1;
    const issues: VerifyIssue[] = [];
    const err = (i: Omit<VerifyIssue, 'severity'>) => void issues.push({ severity: 'error', ...i });
    const warn = (i: Omit<VerifyIssue, 'severity'>) => void issues.push({ severity: 'warning', ...i });
    const checked = { segmentFiles: 0, chunks: 0, records: 0, entries: 0, versions: 0, tags: 0 };
    const reader = new ChunkReader({ cacheBytes: 0 });
    try {
      // The variant set is decoded lazily; a damaged one is reported here (records are then checked without it).
      let vs: VariantSet | undefined;
      try {
        vs = this.variantSet;
      } catch (e) {
        err({ kind: 'index', message: (e as Error).message });
      }
      this.snapshot((txn) => {
        const T = { transaction: txn } as any;
        // Values of the wrong shape (a damaged index) are reported and skipped.
        const shape = (dbi: string, key: unknown, reason: string | undefined): boolean => {
          if (reason) err({ kind: 'index', message: `${dbi}[${JSON.stringify(key)}] is damaged: ${reason}` });
          return !reason;
        };
        const metaOk = (['head', 'segment', 'next'] as const).map((k) => shape('meta', k, checkMetaValue(k, this.dbMeta.get(k, T)))).every(Boolean);
        if (!metaOk) return;
        const head = this.dbMeta.get('head', T) as number;
        snapHead = head;
        const seg = this.dbMeta.get('segment', T) as SegmentState;
        const next = this.dbMeta.get('next', T) as Counters;
        const chunks = new Map<number, ChunkEntry>();
        for (const { key, value } of this.dbChunks.getRange(T)) if (shape('chunks', key, checkChunkEntry(value))) chunks.set(key as number, value as ChunkEntry);
        // ---- segment files: headers, every chunk, leftovers
        const byFile = new Map<number, ChunkEntry[]>();
        for (const c of chunks.values()) (byFile.get(c.file) ?? byFile.set(c.file, []).get(c.file)!).push(c);
        const names = readdirSync(join(this.path, CHUNK_DIR));
        for (const name of names) {
          const owner = stagingOwner(name);
          if (owner) {
            const path = join(this.path, CHUNK_DIR, name);
            warn({ kind: 'staging-file', file: path, message: `staging file ${path} of process ${owner.pid} on ${owner.host}: a large transaction in progress, or left by one that was interrupted (the next large write on that host deletes it once the process is gone), harmless` });
          }
        }
        const files = names.filter((f) => /^\d{6}\.vczc$/.test(f)).map((f) => Number(f.slice(0, 6))).sort((a, b) => a - b);
        const onDisk = new Map<string, { rawLength: number; compressedLength: number }>();
        for (const file of files) {
          const path = segmentPath(this.path, file);
          if (file > seg.file) {
            warn({ kind: 'orphan-file', file: path, message: `segment file ${path} is past the recorded one (${seg.file}): left by an interrupted write, harmless` });
            continue;
          }
          checked.segmentFiles++;
          const own = byFile.get(file) ?? [];
          if (own.length === 0 && file !== seg.file) {
            warn({ kind: 'orphan-file', file: path, message: `segment file ${path} holds no chunk of the index (left by an interrupted compact or purge): reclaimable by compact` });
            continue;
          }
          const end = file === seg.file ? seg.end : own.reduce((m, c) => Math.max(m, c.offset + CHUNK_HEADER_SIZE + c.compressedLength), FILE_HEADER_SIZE);
          const size = statSync(path, { throwIfNoEntry: false })?.size;
          if (size === undefined) {
            err({ kind: 'missing-file', file: path, message: `segment file ${path} disappeared while being checked` });
            continue;
          }
          if (size < end) err({ kind: 'truncated-file', file: path, offset: size, message: `${path} has ${size} bytes but chunks are committed up to byte ${end}` });
          else if (size > end) warn({ kind: 'bytes-past-end', file: path, offset: end, message: `${size - end} bytes past the committed end of ${path} (byte ${end}): left by an interrupted write, harmless` });
          try {
            for (const c of scanChunks(path, Math.min(end, size))) {
              checked.chunks++;
              if (c.ok) onDisk.set(`${file}:${c.offset}`, { rawLength: c.rawLength, compressedLength: c.compressedLength });
              else err({ kind: 'corrupt-chunk', file: path, offset: c.offset, message: c.error.message });
            }
          } catch (e) {
            err({ kind: 'bad-file', file: path, message: (e as Error).message });
          }
        }
        for (const file of byFile.keys()) {
          if (!files.includes(file)) err({ kind: 'missing-file', file: segmentPath(this.path, file), message: `segment file ${segmentPath(this.path, file)} is referenced by the index but missing` });
        }
        for (const [id, c] of chunks) {
          if (id >= next.chunk) err({ kind: 'index', chunk: id, message: `chunk id ${id} is not below the next id ${next.chunk}` });
          const d = onDisk.get(`${c.file}:${c.offset}`);
          if (!d) {
            if (files.includes(c.file)) err({ kind: 'chunk-missing', chunk: id, file: segmentPath(this.path, c.file), offset: c.offset, message: `chunk ${id} at byte ${c.offset} of ${segmentPath(this.path, c.file)} is not a valid chunk on disk` });
          } else if (d.rawLength !== c.rawLength || d.compressedLength !== c.compressedLength) {
            err({ kind: 'chunk-mismatch', chunk: id, file: segmentPath(this.path, c.file), offset: c.offset, message: `chunk ${id}: index says ${c.rawLength}/${c.compressedLength} bytes, file says ${d.rawLength}/${d.compressedLength}` });
          }
        }
        // ---- entries: every record decodes against the variant set
        const nBlocks = blockCount(this.numVariants, this.meta.blockSize);
        const refs = new Map<number, { seq: number; e: SampleEntry; b: number }[]>();
        const entries = new Map<number, SampleEntry>();
        for (const { key, value } of this.dbEntries.getRange(T)) {
          const seq = key as number;
          const e = value as SampleEntry;
          if (!shape('entries', key, checkSampleEntry(value, nBlocks))) continue;
          entries.set(seq, e);
          checked.entries++;
          if (seq >= next.seq) err({ kind: 'index', sampleId: e.sampleId, message: `entry ${seq} is not below the next seq ${next.seq}` });
          if (e.addedAt > head || (e.removedAt !== undefined && (e.removedAt > head || e.removedAt <= e.addedAt))) {
            err({ kind: 'index', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}) has versions added ${e.addedAt} / removed ${e.removedAt} outside 0..${head}` });
          }
          if (e.chunks.length !== nBlocks || e.offsets.length !== nBlocks || e.lengths.length !== nBlocks) {
            err({ kind: 'index', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}) lists ${e.chunks.length} blocks; the variant set has ${nBlocks}` });
            continue;
          }
          if (this.dbById.get([e.sampleId, seq], T) === undefined) err({ kind: 'index', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}) is missing from the sample-id index` });
          e.chunks.forEach((id, b) => (refs.get(id) ?? refs.set(id, []).get(id)!).push({ seq, e, b }));
        }
        for (const { key } of this.dbById.getRange(T)) {
          const [id, seq] = key as [string, number];
          if (entries.get(seq)?.sampleId !== id) err({ kind: 'index', sampleId: id, message: `sample-id index names entry ${seq} for '${id}', which does not exist` });
        }
        for (const [id, list] of refs) {
          const c = chunks.get(id);
          if (!c) {
            for (const r of list) err({ kind: 'dangling', sampleId: r.e.sampleId, block: r.b, chunk: id, message: `sample '${r.e.sampleId}' block ${r.b} points at chunk ${id}, which the index does not have` });
            continue;
          }
          if (!onDisk.has(`${c.file}:${c.offset}`)) continue; // reported above
          let buf: Uint8Array;
          try {
            buf = reader.read(segmentPath(this.path, c.file), c.offset, { rawLength: c.rawLength, compressedLength: c.compressedLength, chunk: id });
          } catch (e) {
            err({ kind: 'corrupt-chunk', chunk: id, file: segmentPath(this.path, c.file), offset: c.offset, message: (e as Error).message });
            continue;
          }
          for (const r of list) {
            checked.records++;
            const off = r.e.offsets[r.b]!;
            const len = r.e.lengths[r.b]!;
            const where = { sampleId: r.e.sampleId, block: r.b, chunk: id };
            if (off % 8 !== 0 || off + len > c.rawLength) {
              err({ kind: 'dangling', ...where, message: `sample '${r.e.sampleId}' block ${r.b}: record [${off}, ${off + len}) is not inside chunk ${id} (${c.rawLength} bytes) at an 8-byte aligned offset` });
              continue;
            }
            try {
              const view = new RecordView(buf.subarray(off, off + len));
              if (view.sampleId !== r.e.sampleId || view.block !== r.b) throw new Error(`holds sample '${view.sampleId}' block ${view.block}`);
              if (view.ploidy !== r.e.ploidy) throw new Error(`has ploidy ${view.ploidy}; the index says ${r.e.ploidy}`);
              if (vs) validateRecordView(vs, this.meta.blockSize, view);
              else void view.fields; // still check each field's structure
            } catch (e) {
              err({ kind: 'bad-record', ...where, message: `sample '${r.e.sampleId}' block ${r.b} (chunk ${id}): ${(e as Error).message}` });
            }
          }
        }
        for (const id of chunks.keys()) {
          if (!refs.has(id)) warn({ kind: 'unreferenced-chunk', chunk: id, message: `chunk ${id} holds no live or tagged record (reclaimable by compact)` });
        }
        // ---- log, versions and tags
        const log = new Map<number, LogEntry>();
        for (const { key, value } of this.dbLog.getRange(T)) if (shape('log', key, checkLogEntry(value, key as number))) log.set(key as number, value as LogEntry);
        for (let v = 0; v <= head; v++) {
          checked.versions++;
          const l = log.get(v);
          if (!l || l.version !== v) err({ kind: 'log', version: v, message: `the log has no entry for version ${v} (head ${head})` });
        }
        for (const v of log.keys()) if (v > head) err({ kind: 'log', version: v, message: `the log has version ${v} past the head ${head}` });
        // Replaying the log must rebuild each version's sample set from the entries.
        const replay = new Set<string>();
        const tagsByVersion = new Map<number, string[]>();
        for (const { key, value } of this.dbTags.getRange(T)) {
          if (!shape('tags', key, checkTagEntry(value, key as string))) continue;
          const t = value as TagEntry;
          checked.tags++;
          if (t.version > head || !log.get(t.version)?.tags.includes(t.name)) err({ kind: 'tag', tag: t.name, version: t.version, message: `tag '${t.name}' names version ${t.version}, which the log does not record as tagged '${t.name}'` });
          (tagsByVersion.get(t.version) ?? tagsByVersion.set(t.version, []).get(t.version)!).push(t.name);
          if (ALL_DIGITS.test(t.name) && Number(t.name) <= head) {
            warn({ kind: 'tag', tag: t.name, version: t.version, message: `tag '${t.name}' (version ${t.version}) is named like version ${Number(t.name)}, so \`--at ${t.name}\` is ambiguous (an error); read the tag with --at ${t.version}` });
          }
        }
        const liveAt = (v: number) => [...entries.values()].filter((e) => isLive(e, v)).map((e) => e.sampleId);
        for (let v = 0; v <= head; v++) {
          const l = log.get(v);
          if (!l) continue;
          for (const id of l.removed) replay.delete(id);
          for (const id of l.added) replay.add(id);
          for (const t of l.tags) if (!tagsByVersion.get(v)?.includes(t)) err({ kind: 'tag', tag: t, version: v, message: `the log says version ${v} created tag '${t}', which does not exist` });
          if (v === head || tagsByVersion.has(v)) {
            const got = new Set(liveAt(v));
            const same = got.size === replay.size && [...replay].every((id) => got.has(id));
            if (!same) err({ kind: 'log', version: v, message: `the samples live at version ${v} (${got.size}) differ from the log's replay (${replay.size})` });
          }
        }
        // Every version, not only tagged ones: each entry's addedAt / removedAt is
        // exactly where the log names it added / removed, and nothing else is named.
        const key = (v: number, id: string) => `${v}\u0000${id}`;
        const entryAdds = new Set<string>();
        const entryRemoves = new Set<string>();
        for (const e of entries.values()) {
          entryAdds.add(key(e.addedAt, e.sampleId));
          if (e.removedAt !== undefined) entryRemoves.add(key(e.removedAt, e.sampleId));
        }
        const logAdds = new Set<string>();
        const logRemoves = new Set<string>();
        for (const [v, l] of log) {
          for (const id of l.added) logAdds.add(key(v, id));
          for (const id of l.removed) logRemoves.add(key(v, id));
        }
        const mismatch = (a: Set<string>, b: Set<string>, what: string) => {
          for (const k of a) {
            if (b.has(k)) continue;
            const [v, id] = k.split('\u0000') as [string, string];
            err({ kind: 'log', version: Number(v), sampleId: id, message: `sample '${id}' ${what} at version ${v}` });
          }
        };
        mismatch(entryAdds, logAdds, 'is added by an entry but not by the log');
        mismatch(logAdds, entryAdds, 'is added by the log but by no entry');
        mismatch(entryRemoves, logRemoves, 'is removed by an entry but not by the log');
        mismatch(logRemoves, entryRemoves, 'is removed by the log but by no entry');
      });
    } catch (e) {
      // Never throw for damage: whatever stopped the check is an error of the report.
      err({ kind: 'index', message: `verify could not finish: ${(e as Error)?.message ?? String(e)}` });
    } finally {
      reader.close();
    }
    const report: VerifyReport = {
      ok: !issues.some((i) => i.severity === 'error'),
      depot: this.path,
      issues,
      checked,
      seconds: (performance.now() - t0) / 1000,
    };
    return { report, head: snapHead };
  }

  /** Closes the env and files. The depot object is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
    this.writer?.close();
    void this.env.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidArgumentError('depot', `${this.path} is closed`);
  }

  private assertWritable(operation: string): void {
    this.assertOpen();
    if (this.readOnly) throw new ReadOnlyError(this.path, operation);
  }
}

/** A name of digits only: reads as a version number (`--at 3`), so no new tag may have one. */
const ALL_DIGITS = /^[0-9]+$/;

/** Longest sample id or tag name, UTF-8 bytes: both are LMDB keys (at most 1978 bytes with their encoding). */
const MAX_NAME_BYTES = 1024;

function fitsKey(name: string): boolean {
  return Buffer.byteLength(name, 'utf8') <= MAX_NAME_BYTES;
}

/**
 * A sample id (or tag name) VCF and line-based output can carry: the
 * tab-separated `#CHROM` line and `vczdepot samples` / `tags` cannot hold a
 * tab, a line break or a NUL; a lone UTF-16 surrogate has no UTF-8 form (it
 * would be stored as U+FFFD, another id); the index keys it, so at most
 * {@link MAX_NAME_BYTES} UTF-8 bytes. Anything else (non-ASCII, spaces,
 * punctuation) is accepted; the codec rejects "".
 */
function checkName(what: 'sample id' | 'tag name', name: string): string {
  if (typeof name !== 'string') return name;
  const shown = name.length > 60 ? `${JSON.stringify(name.slice(0, 60))}…` : JSON.stringify(name);
  if (/[\t\n\r\0]/.test(name)) throw new InvalidArgumentError(what, `${shown} contains a tab, line break or NUL, which VCF and line-based output cannot carry`);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name)) {
    throw new InvalidArgumentError(what, `${shown} is not well-formed Unicode (a lone surrogate)`);
  }
  if (!fitsKey(name)) throw new InvalidArgumentError(what, `${shown} is ${Buffer.byteLength(name, 'utf8')} bytes in UTF-8; at most ${MAX_NAME_BYTES}`);
  return name;
}

function checkSampleId(sampleId: string): string {
  return checkName('sample id', sampleId);
}

/** Size of a file, 0 when it is gone (deleted meanwhile by a compact or purge in another process). */
function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

function isLive(e: SampleEntry, version: number): boolean {
  return e.addedAt <= version && (e.removedAt === undefined || e.removedAt > version);
}
