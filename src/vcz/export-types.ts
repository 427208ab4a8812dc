/**
 * What the VCZ exporter (./export.ts) reads and reports: the export source
 * (a variant set, the samples to export and their records, by variant
 * block), the export options and the summary.
 */
import type { RecordView, VariantSet } from '../codec/index.ts';
import type { ZarrStoreBackend } from '../zarr/index.ts';

/** What the exporter reads: the variant set, the samples to export and their records. */
export interface ExportSource {
  variantSet: VariantSet;
  /** The samples to export, in output order. */
  sampleIds: readonly string[];
  /** Variants per record block. */
  blockSize: number;
  /** Max ploidy over the samples (0 = no GT in any record). */
  maxPloidy: number;
  /**
   * Per FORMAT id over the exported samples: max width (values per variant)
   * and, for Integer fields, min/max of the values (sentinels may be
   * included). Sizes the `FORMAT_<ID>_dim` dimensions and picks Integer
   * dtypes. An optional `GT` entry (min/max allele index) picks
   * `call_genotype`'s dtype; without it the largest possible allele index
   * decides.
   */
  fieldStats: ReadonlyMap<string, { width: number; min?: number; max?: number }>;
  /**
   * The variants to export: 0-based indices into `variantSet`, in output
   * order, each at most once (e.g. the records `bcftools view -r` selects).
   * Default: every variant, in order. Records are still read by block of the
   * whole variant set.
   */
  variants?: ArrayLike<number>;
  /** One RecordView per sample of `sampleIds` (same order) for block `block`. */
  readBlock(sampleIds: readonly string[], block: number): RecordView[];
  /**
   * Optional: the exporter calls it with a `readBlock` result it will not
   * read again (every view of it); the source may then reuse that memory
   * for a later `readBlock`.
   */
  releaseBlock?(records: RecordView[]): void;
  /** Root attribute `source`, e.g. `vczdepot-0.1.0`; default `vczdepot-<package version>`. */
  source?: string;
}

/** Export options. */
export interface ExportOptions {
  /** Zarr format; default 2 (as bio2zarr). */
  zarrFormat?: 2 | 3;
  /** Variants per chunk; default min(variants, 1000), at least 1. */
  variantsChunkSize?: number;
  /** Samples per chunk; default min(samples, 10000), at least 1. */
  samplesChunkSize?: number;
  /** 'blosc' (default; Blosc zstd as bio2zarr) or plain 'zstd' frames (numcodecs `Zstd`). */
  compressor?: 'blosc' | 'zstd';
  /** Level of the plain 'zstd' compressor; default 7. */
  zstdLevel?: number;
  /**
   * zstd level used inside Blosc frames; default 7. `'c-blosc'` uses
   * c-blosc's own mapping from the Blosc clevel (7 → zstd 13, region_index's
   * 9 → 22), which is what numcodecs writes (byte-identical frames with the
   * same zstd version) but ~2.5× slower for ~0.3% smaller chunks. The
   * metadata says clevel 7 / 9 either way; decoders do not use the level.
   */
  bloscZstdLevel?: number | 'c-blosc';
  /**
   * Recompute the cohort-level INFO fields AC, AN and AF from the exported
   * calls (default true), as `bcftools view -s` does for AC/AN; false keeps
   * the stored values (bcftools `--no-update`). See {@link recomputedInfo}.
   */
  updateInfo?: boolean;
  /**
   * Write local alleles as `vcf2zarr convert --local-alleles` (bio2zarr
   * 0.2.1) does: `call_LA` int8 [variants, samples, local_alleles = 2], the
   * distinct called alleles of each GT; `call_LAD` [.., local_alleles_AD =
   * 2] and `call_LPL` [.., local_genotypes = 3] instead of `call_AD` and
   * `call_PL` (src/vcz/local-alleles.ts, docs/vcz-export.md "Local
   * alleles"). Default false (the dense arrays). Needs diploid GT; throws
   * ExportSourceError otherwise.
   */
  localAlleles?: boolean;
  /** Write a `.vcz.zip` (ZIP_STORED) instead of a directory. Default: true when `out` ends in `.zip`. */
  zip?: boolean;
  /**
   * Write consolidated metadata (format 2 `.zmetadata`, format 3
   * `consolidated_metadata` in the root `zarr.json`, byte for byte as
   * zarr-python 3.1.6 `zarr.consolidate_metadata` writes them). Default false.
   */
  consolidated?: boolean;
  /**
   * Threads: with {@link builders} (a depot export), the builders' worker
   * threads read the records and build, encode and write the chunks
   * (docs/scale.md "Every core"); otherwise the main thread (which reads the
   * records and builds the chunks) and `threads − 1` worker threads compress
   * chunks (src/zarr/pool.ts: about max(16 MiB, 2 R) + 3 R of memory each, R
   * the largest chunk's raw bytes). An integer >= 1; default
   * `os.availableParallelism()`. The store's bytes do not depend on it.
   */
  threads?: number;
  /** Called after every chunk written, with chunks done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Write one part of a store exported as independent jobs (./export-parts.ts
   * drives this; most callers leave it unset): default the whole store.
   */
  part?: ExportPart;
  /**
   * Build the variant chunks elsewhere (worker threads that read the
   * records themselves: ./export-threads.ts, src/io/export-depot.ts for a
   * depot): the exporter writes the metadata and the arrays that need the
   * whole set, hands every (samples-chunk column, variant chunk) item to
   * `builders.run`, adds the called-allele counts it reports, and finishes
   * the store. Most callers leave it unset.
   */
  builders?: ExportBuilders;
  /**
   * Put the store's files to this backend (e.g. an S3 upload,
   * `S3StoreUpload` in src/zarr/s3.ts) instead of a local directory at
   * `out`; the exporter awaits its `ready()` between steps. Not with `zip`.
   */
  storeBackend?: ZarrStoreBackend;
}

/**
 * One part of a partitioned export. Variant chunk `c` (rows [c·vChunk,
 * (c+1)·vChunk)) belongs to partition `c mod count`.
 * * `{count, index, onCounts}`: write only the chunks of partition `index`'s
 *   variant chunks of every variant-axis array (call arrays, variant_*,
 *   variant_<INFO>) except the recomputed AC/AN/AF, no metadata;
 *   `onCounts` gets the called-allele counts [variants, alleles] (Int32,
 *   zero outside the partition's rows) when AC/AN/AF are recomputed.
 * * `{count, finalise: true, ...}`: write the metadata (every array's, the
 *   root's, consolidated if asked), `sample_id`, `contig_*`, `filter_*`,
 *   `region_index` and the recomputed AC/AN/AF from `counts()` (the whole
 *   [variants, alleles] counts), take the partitions' chunk files from the
 *   directories `adopt` (ZarrStoreWriter.adopt), and finish the store.
 */
export type ExportPart =
  | { readonly count: number; readonly index: number; readonly onCounts?: (counts: Int32Array, shape: CountsShape) => void }
  | { readonly items: ExportItems }
  | { readonly count: number; readonly finalise: true; readonly adopt: readonly string[]; readonly counts?: (shape: CountsShape) => Int32Array };

/**
 * One unit of work of an export built in several threads: the tiles of
 * samples-chunk column `sc` (0-based) of variant chunk `c` (rows [c·vChunk,
 * (c+1)·vChunk)) of every call array, and, when `sc` is 0, the chunks `c`
 * of every variant-axis array but the recomputed AC/AN/AF.
 */
export interface ExportItem {
  readonly sc: number;
  readonly c: number;
}

/**
 * A dynamic share of an export (`part: { items }`, a worker thread of
 * ./export-threads.ts): the exporter writes no metadata and only the items
 * `next()` hands out, in the order given, until it resolves null.
 */
export interface ExportItems {
  next(): Promise<ExportItem | null>;
  /**
   * An item's chunks are written: `counts` holds the called-allele counts of
   * its rows [c·vChunk, c·vChunk + rows) × alleles (int32, this column's
   * samples only; null when AC/AN/AF are not recomputed), `chunks` the
   * chunk files written.
   */
  done(item: ExportItem, counts: Int32Array | null, chunks: number): Promise<void> | void;
}

/** What {@link ExportBuilders.run} is given: where the chunks go, the items, and what to call as each is done. */
export interface BuildJob {
  /** The store's name in errors (OUT, or an `s3://` URL). */
  readonly out: string;
  /** The local directory the store is built in (chunk files go under their keys), or undefined with `backend`. */
  readonly dir: string | undefined;
  /** The store backend (an S3 upload) chunks are put to instead of `dir`: put each, await `ready()` before more. */
  readonly backend: ZarrStoreBackend | undefined;
  /** Variant chunks and samples-chunk columns (at least 1): items are (sc, c) for sc < columns, c < variantChunks. */
  readonly variantChunks: number;
  readonly columns: number;
  /** Called on the main thread as each item a worker built is done (see {@link ExportItems.done}); may throw (e.g. cancelled) to fail the export. */
  onItem(item: ExportItem, counts: Int32Array | null, chunks: number): void;
  /**
   * Builds `item` on the main thread (its own writer; the counts go straight
   * into the export's): the builders call it for the items the main thread
   * takes itself, one at a time, so that it is one of the threads building.
   * Absent: every item goes to a worker.
   */
  buildItem?(item: ExportItem): Promise<void>;
}

/** Builds every item of an export in other threads (./export-threads.ts). */
export interface ExportBuilders {
  /**
   * Writes every item's chunks (to `job.dir` or `job.backend`) and resolves
   * with the chunk files and bytes written and the threads that wrote them; rejects with the first error
   * (as its own class), once no other thread writes anymore.
   */
  run(job: BuildJob): Promise<{ chunks: number; bytes: number; threads: number }>;
}

/** The shape of the called-allele counts of a partitioned export: [variants, alleles], chunked by vChunk rows. */
export interface CountsShape {
  readonly variants: number;
  readonly alleles: number;
  readonly vChunk: number;
}

/** What {@link exportVcz} reports. */
export interface ExportSummary {
  /** Arrays written. */
  arrays: number;
  /** Chunk files written. */
  chunks: number;
  /** Bytes written (all files; the zip's size when zipped). */
  bytes: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** Absolute path of the store. */
  path: string;
  /** Chunks compressed (and, with `builders`, built) by worker threads (0 with `threads` 1; the main thread compressed the rest). */
  workerChunks: number;
  /**
   * Threads that read the records and built the call and variant chunks: 1
   * (the main thread), or with `builders` (e.g. `exportDepot` with `threads`
   * > 1) the worker threads and the main thread that did.
   */
  buildThreads: number;
}

/** Default zstd level inside Blosc frames (see {@link ExportOptions.bloscZstdLevel}). */
export const DEFAULT_BLOSC_ZSTD_LEVEL = 7;

/** VCZ version written to the root attribute `vcf_zarr_version` (bio2zarr 0.2.1). */
export const VCF_ZARR_VERSION = '0.5';
