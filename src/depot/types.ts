/**
 * The public shapes of the depot API: the options and results of
 * {@link Depot}'s methods and the transaction objects it hands out. The
 * implementation is split by responsibility (docs/design.md,
 * "Inside src/depot"): depot.ts (the public class), core.ts (env, dbis, snapshots,
 * `at`), transaction.ts (staging and the commit protocol), read.ts
 * (getMany), rewrite.ts (purge, compact) and verify.ts (verify, stats).
 */
import type { RecordView, SampleCalls, VariantSet } from '../codec/index.ts';
import type { FieldStats, Operation } from './layout.ts';

/**
 * A version number, or a string: the name of a tag, or, when it is all
 * digits (as `--at 3` passes it), the version of that number (see
 * {@link Depot.resolveVersion}).
 */
export type At = number | string;

/** Options of {@link Depot.create}. */
export interface CreateOptions {
  /** How the variant sets of imports merge, kept in the depot: `bcftools merge -m both` (default) or `-m none`. */
  readonly merge?: 'both' | 'none';
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
  /** What kind: corrupt-chunk, bad-file, truncated-file, missing-file, chunk-missing, chunk-mismatch, dangling, bad-record, bad-reference-blocks (stored blocks that do not decompress), index, log, tag, bytes-past-end, orphan-file, staging-file, unreferenced-chunk. */
  readonly kind: 'corrupt-chunk' | 'bad-file' | 'truncated-file' | 'missing-file' | 'chunk-missing' | 'chunk-mismatch' | 'dangling' | 'bad-record' | 'bad-reference-blocks' | 'index' | 'log' | 'tag' | 'bytes-past-end' | 'orphan-file' | 'staging-file' | 'unreferenced-chunk';
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
  readonly checked: { segmentFiles: number; chunks: number; records: number; entries: number; versions: number; tags: number; referenceBlocks: number };
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

/** What {@link Depot.purge} did: the commit, and what was erased. */
export interface PurgeResult extends CommitInfo {
  /** Tags whose samples changed (they held a purged sample). */
  readonly tagsChanged: string[];
  /** Bytes of all segment files before and after the rewrite. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly erased: {
    /** The sample ids erased (as given, without repeats). */
    readonly samples: readonly string[];
    /** Index entries dropped (a sample removed and re-added has several). */
    readonly entries: number;
    /** Records (one per entry and block) dropped. */
    readonly records: number;
    /** Segment files rewritten (then deleted), relative to the depot: those that held a purged record or unreferenced bytes. */
    readonly filesRewritten: readonly string[];
    /** Segment files the rewrite wrote. */
    readonly filesWritten: readonly string[];
    /** Every file deleted: the rewritten ones, unreferenced segment files, leftovers of dead processes. */
    readonly filesDeleted: readonly string[];
    /** The index file's bytes before, and after it was replaced by a compacted copy. */
    readonly indexBytesBefore: number;
    readonly indexBytesAfter: number;
    /** Wall time of the whole purge, seconds. */
    readonly seconds: number;
  };
}

/**
 * A variant set for the samples a transaction puts: the id of a stored set
 * (0: the declared set of `Depot.create`, or a format 1 depot's), or the
 * handle {@link DepotTransaction.addVariantSet} returned.
 */
export type VariantSetRef = number | { readonly staged: true; readonly variantSet: VariantSet };

/** One stored variant set (see docs/growing-cohort.md). */
export interface VariantSetInfo {
  readonly id: number;
  /** Its sites (VCF records). */
  readonly numVariants: number;
  /** Declared sites: part of every version's variant set, with or without samples. */
  readonly declared: boolean;
  /** The version that stored it. */
  readonly addedAt: number;
  /** Bytes it takes in the index (msgpack, zstd-compressed); 0 for a format 1 set and for one sharing another's bytes. */
  readonly bytes: number;
  /** The set whose stored bytes it reads: itself, or an earlier import of exactly the same content (sites, ID, QUAL, FILTER, INFO, header). */
  readonly storedAs: number;
}

/** A sample's records as read: one {@link RecordView} per requested block, in the order asked. */
export interface SampleView {
  readonly sampleId: string;
  /** The id of the variant set its records are over; `blocks` index that set's blocks. */
  readonly variantSet: number;
  /** The sample's ploidy (0 = no GT). */
  readonly ploidy: number;
  /** Blocks read, parallel to `records`. */
  readonly blocks: readonly number[];
  readonly records: readonly RecordView[];
}

/** Options of {@link Depot.getMany}. */
export interface GetOptions {
  /** Block indices of each sample's own variant set to read (0-based); default all its blocks. */
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
  /**
   * The sample's gVCF reference blocks, encoded by the io layer
   * (`encodeReferenceBlocks`, docs/gvcf.md); opaque to the depot, which
   * stores them zstd-compressed in the same commit (`ref_blocks` dbi, keyed
   * by the entry's seq) and hands them back from {@link Depot.referenceBlocks}.
   * Removed with the entry, erased by purge, checked by verify.
   */
  readonly referenceBlocks?: Uint8Array;
}

/** A sample live at some version, with what the exporter needs to size arrays. */
export interface SampleInfo {
  readonly sampleId: string;
  /** Version that added it. */
  readonly addedAt: number;
  readonly ploidy: number;
  /** The id of the variant set its records are over (see {@link Depot.variantSetAt}). */
  readonly variantSet: number;
  /** FORMAT ID → width and (Integer) value range of this sample. */
  readonly fields: Readonly<Record<string, FieldStats>>;
  /** Whether the sample was added with reference blocks (a gVCF sample; {@link Depot.referenceBlocks}). */
  readonly hasReferenceBlocks: boolean;
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
  /** Samples live at the head that have reference blocks (gVCF samples). */
  readonly referenceBlockSamples: number;
  /** Stored (zstd) bytes of every entry's reference blocks, removed samples' included (the `ref_blocks` dbi's values). */
  readonly referenceBlockBytes: number;
}

/**
 * Operations staged in {@link Depot.transaction} (or {@link Depot.begin}).
 * Puts are validated, encoded and compressed when called (outside the write
 * lock); nothing is visible until the commit succeeds.
 */
export interface DepotTransaction {
  /**
   * Stages the variant set of one file (one import) for its samples: `put`,
   * `putMany` and `putBlocks` take the returned reference. The commit gives
   * it the next set id (a version's variant set is the merge of its sets,
   * one per file, as `bcftools merge` of the files); when a stored (or
   * staged) set has exactly the same content, the new set shares its
   * stored bytes; when that set is declared sites, their id is returned and
   * the samples go over them (a batch of the fixed-site cohort they
   * declare: one input of the merge, its INFO as stored).
   * `declared` makes it declared sites (part of every version, `create
   * --no-samples`). The commit stores a staged set only when samples use it
   * (or it is declared), and checks its REFs against the depot's (a REF
   * disagreeing at one CHROM:POS is another reference).
   *
   * @param options.label what errors name the set by (the file's path).
   * @throws InvalidArgumentError when the set's columns disagree; the commit
   *   throws ReferenceMismatchError for a REF that disagrees with the depot's.
   */
  addVariantSet(variantSet: VariantSet, options?: { declared?: boolean; label?: string }): VariantSetRef;
  /**
   * Stages one sample over `set` (default 0, the declared set), with its
   * gVCF reference blocks when `options.referenceBlocks` is given (see
   * {@link SampleInput.referenceBlocks}).
   *
   * @throws RecordValidationError when the calls do not fit the set;
   *   InvalidArgumentError for a malformed id or empty referenceBlocks.
   */
  put(sampleId: string, calls: SampleCalls, set?: VariantSetRef, options?: { referenceBlocks?: Uint8Array }): void;
  /** Stages samples over `set` (default 0, the declared set), each with its reference blocks when given. */
  putMany(entries: Iterable<SampleInput>, set?: VariantSetRef): void;
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
  putBlocks(sampleIds: readonly string[], set?: VariantSetRef): BlockWriter;
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
  /**
   * Gives sample `sampleIndex` (of `sampleIds`) its reference blocks, at any
   * time before the commit (a streaming reader has them only at the end of
   * the file); see {@link SampleInput.referenceBlocks}.
   *
   * @throws InvalidArgumentError for an index out of range or empty bytes.
   */
  setReferenceBlocks(sampleIndex: number, referenceBlocks: Uint8Array): void;
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
