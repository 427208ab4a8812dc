/**
 * Errors of the variant-set merge (src/merge), in the vczdepot error family
 * (src/errors.ts). Each class carries a literal `code` and names the input
 * set, the variant and what to do.
 */
import { areaGuard, type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';

/** Base class of every merge error. */
export abstract class MergeError extends VczdepotError {}

/**
 * An input variant set is not sorted as a tabix-indexed VCF must be: a
 * position smaller than the one before it on the same contig, or a contig
 * whose sites are not contiguous. `bcftools merge` refuses such files too
 * (it needs them indexed). Sort the file (`bcftools sort`) and import it again.
 */
export class MergeUnsortedError extends MergeError {
  readonly code = 'merge-unsorted' as const;
  constructor(
    /** 0-based index of the input set. */
    readonly setIndex: number,
    /** 0-based index of the first offending site in that set. */
    readonly variantIndex: number,
    readonly variantLabel: string,
    readonly reason: string,
    /** The file the set came from, when the caller knows it. */
    readonly file?: string,
  ) {
    super(`${file ?? `variant set ${setIndex}`}: site ${variantIndex} (${variantLabel}) ${reason}; sort the file (bcftools sort) and import it again`);
  }
}

/**
 * Two records at one CHROM:POS that bcftools would join have REFs that
 * disagree on their common prefix (`bcftools merge`: "The REF prefixes
 * differ", fatal). The files were made against different references or one
 * is not normalised; fix the REF (`bcftools norm -c`) and import it again.
 */
export class MergeRefMismatchError extends MergeError {
  readonly code = 'merge-ref-mismatch' as const;
  constructor(
    readonly setIndex: number,
    readonly variantIndex: number,
    readonly variantLabel: string,
    /** The REF the records joined before it extend to. */
    readonly mergedRef: string,
    /** The file the set came from, when the caller knows it. */
    readonly file?: string,
  ) {
    super(
      `${file ?? `variant set ${setIndex}`}: site ${variantIndex} (${variantLabel}) has a REF that differs from ${mergedRef} of the other files at that position ` +
        `(bcftools merge: "The REF prefixes differ"); check the reference with bcftools norm -c and import it again`,
    );
  }
}

type AnyMergeError = MergeUnsortedError | MergeRefMismatchError;

nameErrors({ MergeUnsortedError, MergeRefMismatchError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnyMergeError> {}
}

/** True when `err` is a merge error (with the given code, if one is given). */
export const isMergeError = areaGuard<AnyMergeError>(MergeError);
