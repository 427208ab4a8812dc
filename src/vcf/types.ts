/**
 * The shapes the VCF reader hands out (src/vcf/read.ts): the data of a
 * whole file, the windows of a windowed read, warnings and options.
 */
import type { SampleCalls, VariantSet } from '../codec/index.ts';

/**
 * A problem bcftools reads past with a warning, and so do we (the import
 * goes on). `message` is the whole text: file, 1-based line, what was done.
 */
export interface VcfWarning {
  readonly file: string;
  /** 1-based line (header lines included) where it was first seen. */
  readonly line: number;
  /**
   * `undeclared-filter`: a FILTER key the header does not declare; as htslib
   * 1.16 (vcf_parse_filter) does, it is added to the filters as
   * `##FILTER=<ID=key,Description="Dummy">` after the declared ones, in
   * first-seen order, and warned about once per key.
   */
  readonly kind: 'undeclared-filter';
  readonly key: string;
  readonly message: string;
}

/**
 * The Zarr array name the VCZ writer gives INFO or FORMAT field `id`
 * (`variant_<ID>` / `call_<ID>`, as bio2zarr names them) and why it cannot
 * write that name (undefined when it can). src/vcz passes its
 * `fieldArrayName` (src/vcz/names.ts); this layer knows no Zarr.
 */
export type FieldNameCheck = (category: 'INFO' | 'FORMAT', id: string) => { readonly name: string; readonly problem: string | undefined };

/** Options every VCF reader takes. */
export interface VcfReadOptions {
  /** Called with each warning, in file order (by default warnings are dropped). */
  readonly onWarning?: (warning: VcfWarning) => void;
  /**
   * Checks each INFO/FORMAT ID the header declares: an ID with a problem is
   * a VcfFieldNameError at its header line, so that nothing is imported that
   * could never be exported. The readers src/vcz exports (the public API)
   * check with the VCZ writer's names; without it no ID is refused.
   */
  readonly fieldName?: FieldNameCheck;
}

/** What `readVcf` returns. */
export interface VcfData {
  /** The variants, contigs, filters, INFO columns and header metadata of the file. */
  readonly variantSet: VariantSet;
  /** Sample names from the `#CHROM` line, in column order (possibly empty). */
  readonly sampleIds: string[];
  /**
   * The calls of sample `sampleIndex` (0-based, into `sampleIds`), as fresh
   * arrays the caller owns:
   * - `ploidy` P: the file-wide maximum GT ploidy (vcf2zarr's `ploidy`
   *   dimension, at least 1) when the header declares FORMAT/GT, else 0 and no
   *   `genotype`/`phased`;
   * - `genotype`: [variants, P] allele indices (0 = REF), -1 missing (`.`),
   *   -2 fill (a call of lower ploidy); all -1 where the record has no GT.
   *   Int8Array unless an allele index exceeds 127 (then Int16Array, or
   *   Int32Array beyond 32767);
   * - `phased`: [variants] 0/1 as cyvcf2 reports it: in a record whose
   *   largest call has ploidy ≥ 2, 1 when the separator before the second
   *   allele is `|` or the call is haploid; 0 in records whose calls are all
   *   haploid and where the record has no GT; all 1 when P = 1;
   * - `fields`: every FORMAT field the header declares (except GT), in header
   *   order, [variants, width] with the file-wide width (§ widths below) and
   *   dtype (Integer: narrowest of Int8/16/32Array holding every value of the
   *   field in the file; Float: Float32Array; String/Character: string[]).
   *   Explicit `.` (or a sub-field the sample omits) → missing (-1, NaN
   *   0x7F800001, `.`); positions past the sample's value count → fill (-2,
   *   NaN 0x7F800002, `""`) — except Float, where positions below the
   *   record's largest count over all samples are missing and only those
   *   beyond it are fill (vcf2zarr re-stamps every NaN of the record's block
   *   as missing); a field not in the record's FORMAT column → every
   *   position missing.
   * Throws RangeError for an index outside [0, sampleIds.length).
   */
  calls(sampleIndex: number): SampleCalls;
  /** The value of the first `##source=` header line, `''` when there is none. */
  readonly source: string;
}

/**
 * The shape of the calls a reader hands out: the ploidy P (0 without GT) and
 * each FORMAT field's width, in header order (`variantSet.format` order).
 */
export interface VcfCallShape {
  readonly ploidy: number;
  readonly widths: readonly number[];
}

/** One window of a windowed read: every sample's calls over the variants [start, end) (0-based, half-open). */
export interface VcfWindow {
  /** 0-based window number (the depot block when windows are blocks). */
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** Sample ids of the file (the `#CHROM` line's), in column order. */
  readonly sampleIds: readonly string[];
  /** The window's variants: contig id, POS (1-based) and alleles (REF first) of each. */
  readonly variants: { readonly contig: readonly string[]; readonly position: Int32Array; readonly alleles: readonly (readonly string[])[] };
  /**
   * Sample `i`'s calls over the window's variants, as {@link VcfData.calls}
   * gives them over the whole file: `genotype` [end - start, ploidy],
   * fields [end - start, width], with the window's {@link VcfCallShape}.
   * Fresh arrays; valid until the next window is read.
   */
  calls(sampleIndex: number): SampleCalls;
}

/** How a windowed read ended. */
export interface VcfWindowResult {
  /** Windows read (including any not handed out). */
  readonly windows: number;
  /**
   * True when the shape grew after the first window was handed out (a later
   * call of higher ploidy, or more values of a Number=. or fixed-Number
   * field than any before): the windows handed out are not valid, and the
   * file must be read again with `shape` given.
   */
  readonly restartNeeded: boolean;
  /** The file's final shape (what `shape` must be for a second read). */
  readonly shape: VcfCallShape;
  /** Windows whose sample columns a worker thread parsed (0 with one thread). */
  readonly workerWindows?: number;
}

/** Options of {@link readVcfWindows}. */
export interface VcfWindowOptions extends VcfReadOptions {
  /** Variants per window (the depot's block size). */
  readonly windowSize: number;
  /** The alleles dimension of Number=A/R/G widths: max(max alleles of the variants, 2), known beforehand (the depot's). */
  readonly maxAlleles: number;
  /** The final shape from a first read that ended with `restartNeeded`. */
  readonly shape?: VcfCallShape;
  /** Called with each window, in order, as soon as its last line is read. May throw to stop the read. */
  readonly onWindow: (w: VcfWindow) => void;
  /** Called as the file is read: bytes of the file (compressed, as on disk) read so far, and its size. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Threads that parse the sample columns: this one and `threads` − 1
   * worker threads (default 1: no worker). The windows are the same for
   * any value (docs/scale.md, "Import on every core").
   */
  readonly threads?: number;
}

/** Receives one line as bytes buf[start, end) (without `\n` or a trailing `\r`) and its 1-based number (./lines.ts, ./bcf.ts). */
export type LineHandler = (buf: Buffer, start: number, end: number, line: number) => void;
