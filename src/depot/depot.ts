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
 * This file is the public class, thin over the parts it is split into by
 * responsibility (docs/design.md, "Inside src/depot"): core.ts (the env, its
 * dbis, snapshots, which version an `at` names), transaction.ts (staging and
 * the commit protocol, docs/depot-format.md "Commit protocol"), read.ts
 * (getMany), rewrite.ts (purge, compact) and verify.ts (verify, stats); the
 * option and result types are in types.ts.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { RootDatabase } from 'lmdb';
import type { RecordView, SampleCalls, VariantSet } from '../codec/index.ts';
import { SegmentWriter } from '../schunk/index.ts';
import { DepotExistsError, DepotIOError, DepotNotFoundError, IndexCorruptionError, InvalidArgumentError, NotADepotError, UnknownSampleError, isDepotError } from './errors.ts';
import { DBI, DEPOT_FORMAT_VERSION, compressVariantSet, decompressReferenceBlocks, packVariantSet, refsHash, type VariantSetEntry, type Counters, type DepotMeta, type LogEntry, type Operation, type SegmentState, type TagEntry } from './layout.ts';
import { checkVariantSet } from './variant-set-check.ts';
import { CHUNK_DIR, DepotCore, INDEX_FILE, MiB, indexRefs, openCurrentEnv, openEnv, segmentPath } from './core.ts';
import { beginTransaction } from './transaction.ts';
import { SampleReader } from './read.ts';
import { compact, purge } from './rewrite.ts';
import { stats, verify } from './verify.ts';
import type {
  At,
  BeginOptions,
  CommitInfo,
  PurgeResult,
  CreateOptions,
  DepotStats,
  DepotTransaction,
  GetOptions,
  OpenOptions,
  SampleInfo,
  SampleInput,
  SampleView,
  StagedTransaction,
  VariantSetInfo,
  VerifyReport,
  WriteOptions,
} from './types.ts';

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
  /** Settings fixed at creation. */
  readonly meta: DepotMeta;
  /** The env, dbis, snapshots and files every part shares. */
  readonly #core: DepotCore;
  readonly #reader: SampleReader;

  private constructor(core: DepotCore) {
    this.#core = core;
    this.path = core.path;
    this.readOnly = core.readOnly;
    this.meta = core.meta;
    this.#reader = new SampleReader(core);
  }

  /**
   * Stored variant set `id` (each import stores its file's set, unless a
   * stored set has the same sites: docs/growing-cohort.md). Decoded from the
   * index on first use and kept: a stored set never changes.
   *
   * @throws InvalidArgumentError when no set `id` is stored; NotADepotError when it is damaged.
   */
  variantSet(id = 0): VariantSet {
    const core = this.#core;
    core.assertOpen();
    return core.variantSet(id);
  }

  /** Every stored variant set, by id (a format 1 depot has one: 0, declared). */
  variantSets(): VariantSetInfo[] {
    const core = this.#core;
    core.assertOpen();
    return core.snapshot((txn) => core.setEntries(txn).map(({ id, numVariants, declared, addedAt, bytes, stored }) => ({ id, numVariants, declared, addedAt, bytes, storedAs: stored ?? id })));
  }

  /**
   * The ids of the variant sets version `at` (default the head) is made of,
   * ascending (= import order): the declared sets and every set with a
   * sample live at that version. The version's variant set is their merge
   * (`bcftools merge` of them in this order, src/io does it).
   *
   * @throws UnknownTagError, UnknownVersionError, AmbiguousAtError.
   */
  variantSetAt(options: { at?: At } = {}): number[] {
    const core = this.#core;
    core.assertOpen();
    return core.snapshot((txn) => {
      const { version } = core.resolveAt(options.at, txn);
      const ids = new Set<number>();
      for (const e of core.setEntries(txn)) if (e.declared && e.addedAt <= version) ids.add(e.id);
      for (const { entry } of core.liveEntries(version, txn)) ids.add(entry.variantSet ?? 0);
      return [...ids].sort((a, b) => a - b);
    });
  }

  /**
   * Creates a new, empty depot at `path` (version 0), with `variantSet` as
   * its declared sites (set 0, part of every version; what `put` uses by
   * default), or none (each import then brings its own set, see
   * {@link DepotTransaction.addVariantSet}). The
   * depot is built in a temporary sibling directory and renamed into place,
   * so a crash never leaves a half-made depot at `path`.
   *
   * @param path a directory that does not exist yet (or is empty).
   * @throws DepotExistsError when `path` exists and is not empty.
   * @throws InvalidArgumentError when the variant set's columns disagree in
   *   length or an option is out of range.
   */
  static create(path: string, variantSet?: VariantSet, options: CreateOptions = {}): Depot {
    const abs = resolve(path);
    if (existsSync(abs) && (!statSync(abs).isDirectory() || readdirSync(abs).length > 0)) throw new DepotExistsError(abs);
    if (variantSet) checkVariantSet(variantSet);
    const merge = options.merge ?? 'both';
    if (merge !== 'both' && merge !== 'none') throw new InvalidArgumentError('merge', `'${String(merge)}' must be 'both' or 'none' (bcftools merge -m)`);
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
      const env = openEnv(tmp, false);
      const time = new Date().toISOString();
      const meta: DepotMeta = { version: DEPOT_FORMAT_VERSION, blockSize, level, chunkTargetBytes, segmentMaxBytes, created: time, merge };
      const writer = new SegmentWriter();
      const end = writer.create(segmentPath(tmp, 0));
      writer.close();
      env.transactionSync(() => {
        const m = env.openDB({ name: DBI.meta, encoding: 'msgpack' });
        m.putSync('format', meta);
        m.putSync('head', 0);
        m.putSync('segment', { file: 0, end } satisfies SegmentState);
        m.putSync('next', { chunk: 0, seq: 0, set: variantSet ? 1 : 0 } satisfies Counters);
        const v = env.openDB({ name: DBI.variants, encoding: 'msgpack' });
        if (variantSet) {
          const packed = packVariantSet(variantSet);
          const bytes = compressVariantSet(packed, level);
          v.putSync('set:0', bytes);
          v.putSync('info:0', { id: 0, numVariants: variantSet.numVariants, declared: true, addedAt: 0, bytes: bytes.length, contentHash: packed.contentHash, refsHash: refsHash(variantSet) } satisfies VariantSetEntry);
          indexRefs(env.openDB({ name: DBI.refs, encoding: 'msgpack' }), variantSet, 'the declared sites');
        }
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
    let opened: { env: RootDatabase; identity: string };
    try {
      opened = openCurrentEnv(abs, options.readOnly ?? false);
    } catch (err) {
      throw new NotADepotError(abs, `its LMDB index cannot be opened (${(err as Error).message})`, { cause: err });
    }
    try {
      return new Depot(new DepotCore(abs, opened, options.readOnly ?? false, options.cacheBytes, options.spillBytes));
    } catch (err) {
      void opened.env.close();
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
    return this.#core.dbTags.get(name) ?? { name, version: commit.version, time: commit.time };
  }

  /**
   * Runs several operations as one transaction: all or nothing, one version,
   * one log entry. The callback *stages* operations; puts are validated,
   * encoded and compressed as they are called (outside the write lock). If
   * the callback throws, nothing is written and the error propagates. After
   * it returns, the staged operations are applied in order inside one LMDB
   * write transaction (the commit protocol: docs/depot-format.md, transaction.ts); if
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
    return beginTransaction(this.#core, options);
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
  purge(sampleIds: Iterable<string>, options: WriteOptions = {}): PurgeResult {
    return purge(this.#core, sampleIds, options);
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
    return compact(this.#core, options);
  }

  // ------------------------------------------------------------------- reads

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
    const core = this.#core;
    core.assertOpen();
    return core.snapshot((txn) => core.resolveAt(at, txn).version);
  }

  /** The current head version. */
  version(): number {
    const core = this.#core;
    core.assertOpen();
    return core.snapshot((txn) => core.head(txn));
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
    const core = this.#core;
    core.assertOpen();
    return core.snapshot((txn) => {
      const { version } = core.resolveAt(options.at, txn);
      return core.liveEntries(version, txn).map(({ entry }) => ({ sampleId: entry.sampleId, addedAt: entry.addedAt, ploidy: entry.ploidy, variantSet: entry.variantSet ?? 0, fields: entry.fields, hasReferenceBlocks: entry.referenceBlocks !== undefined }));
    });
  }

  /**
   * The reference blocks (gVCF) of `sampleId` as live at `at` (default the
   * head): the bytes the importer gave (`encodeReferenceBlocks` of
   * src/vcf, decoded by `decodeReferenceBlocks`), decompressed from the
   * `ref_blocks` dbi; undefined when the sample has none (a plain-VCF sample).
   * A removed sample's blocks are hidden from the versions after its removal
   * and kept for earlier ones (tags), like its records; purge erases them.
   *
   * @throws UnknownSampleError when the sample is not live at `at`;
   *   UnknownTagError, UnknownVersionError; IndexCorruptionError when the
   *   entry names blocks the index does not hold or that do not decompress.
   */
  referenceBlocks(sampleId: string, options: { at?: At } = {}): Uint8Array | undefined {
    const core = this.#core;
    core.assertOpen();
    const stored = core.snapshot((txn) => {
      const { version, label } = core.resolveAt(options.at, txn);
      const seq = core.liveSeq(sampleId, version, txn);
      if (seq === undefined) throw new UnknownSampleError(sampleId, core.path, label);
      const entry = core.checked('entries', seq, core.dbEntries.get(seq, { transaction: txn } as any));
      if (!entry.referenceBlocks) return undefined;
      const raw = core.dbRefBlocks.get(seq, { transaction: txn } as any);
      if (raw === undefined) throw new IndexCorruptionError(core.path, `ref_blocks[${seq}]`, `missing: sample '${sampleId}' (entry ${seq}) has reference blocks the index does not hold`);
      // Copy out of the read transaction's memory map before it ends.
      return new Uint8Array(raw);
    });
    if (stored === undefined) return undefined;
    try {
      return decompressReferenceBlocks(stored);
    } catch (err) {
      throw new IndexCorruptionError(core.path, `ref_blocks of sample '${sampleId}'`, (err as Error).message, { cause: err });
    }
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
    return this.#reader.getMany(sampleIds, options);
  }

  /**
   * @internal The export's read (src/io/source.ts): block `block` of each of
   * `sampleIds` at `at`, as checked RecordViews in that order, from one read
   * snapshot; the views hold memory of their own (never reused by a later
   * read unless handed back as `reuse`) of at most twice the records' bytes.
   * `reuse`: a buffer the caller no longer reads (e.g. the one of an earlier
   * result it dropped), used for this read when large enough. Errors as
   * {@link getMany}.
   */
  _readBlock(sampleIds: readonly string[], block: number, at?: At, reuse?: Uint8Array<ArrayBuffer>): RecordView[] {
    return this.#reader.readBlock(sampleIds, block, at, reuse);
  }

  /** Tags, oldest version first. */
  tags(): TagEntry[] {
    const core = this.#core;
    core.assertOpen();
    return core.snapshot((txn) => core.tagsIn(txn));
  }

  /** The log: one entry per version, oldest first. */
  log(): LogEntry[] {
    const core = this.#core;
    core.assertOpen();
    return core.snapshot((txn) => [...core.dbLog.getRange({ transaction: txn } as any)].map(({ key, value }) => core.checked('log', key as number, value)));
  }

  /** Size figures (reads the whole index; cheap for thousands of samples). */
  stats(): DepotStats {
    return stats(this.#core);
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
    return verify(this.#core);
  }

  /** Closes the env and files. The depot object is unusable afterwards. */
  close(): void {
    this.#core.close();
  }
}
