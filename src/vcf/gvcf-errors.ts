/**
 * Errors of gVCF input (./gvcf.ts, ./ref-blocks.ts), in the vczdepot error
 * family (src/errors.ts): each class has a literal kebab-case `code`, the
 * file and 1-based line (header lines counted, as every VcfError), and the
 * sample concerned where there is one. They derive from VcfError, so
 * `isVczError(err)` is true for them; they are kept out of ./errors.ts (and
 * so out of the public API, src/index.ts) until the depot imports gVCFs.
 */
import { type ErrorsByCode, nameErrors } from '../errors.ts';
import { VcfError } from './errors.ts';

/**
 * A reference block (a record whose only ALT is `<NON_REF>` or `<*>`) whose
 * INFO/END is before its POS (VCF 4.3 §1.6.1: END is the 1-based inclusive
 * last position; END = POS for a one-base block).
 */
export class GvcfBlockEndError extends VcfError {
  readonly code = 'gvcf-block-end' as const;
  constructor(file: string, line: number, readonly contig: string, readonly position: number, readonly end: number) {
    super(file, line, `the reference block at ${contig}:${position} has END=${end}, before its POS`, 'A block spans POS..END (1-based, inclusive): fix END (or drop it for a one-base block)');
  }
}

/**
 * A variant record (not a reference block) whose INFO/END is not
 * POS + len(REF) − 1: END would change the record's span (VCF 4.3 §1.6.1),
 * which a gVCF caller never writes on a variant record. Refused rather than
 * guessed (structural-variant records with END are not gVCF variant
 * records; import such a file as a plain VCF).
 */
export class GvcfRecordEndError extends VcfError {
  readonly code = 'gvcf-record-end' as const;
  constructor(file: string, line: number, readonly contig: string, readonly position: number, readonly end: number, readonly refLength: number) {
    super(
      file,
      line,
      `the variant record at ${contig}:${position} has END=${end}, but its REF spans ${position}..${position + refLength - 1}; only a reference block (ALT <NON_REF> or <*> alone) may carry an END beyond its REF`,
      'Remove END from the record, or import the file as a plain VCF if it is not a gVCF',
    );
  }
}

/**
 * Two records of one sample that a gVCF caller never writes together:
 * - `block-block`: a reference block starts at or before the END of the
 *   sample's previous block on the same contig;
 * - `variant-in-block`: a variant record's POS lies inside one of the
 *   sample's blocks;
 * - `block-at-variant`: a block starts at or before the POS of the sample's
 *   previous variant record on the contig (a block may start inside a
 *   variant's REF span past its POS: GATK and bcftools begin the next block
 *   right after a deletion's anchor base).
 * `previousLine` is the line of the other record.
 */
export class GvcfOverlapError extends VcfError {
  readonly code = 'gvcf-overlap' as const;
  constructor(
    file: string,
    line: number,
    readonly sample: string,
    readonly kind: 'block-block' | 'variant-in-block' | 'block-at-variant',
    readonly contig: string,
    readonly position: number,
    readonly previousLine: number,
  ) {
    const what =
      kind === 'block-block'
        ? `the reference block of sample '${sample}' at ${contig}:${position} overlaps the sample's block at line ${previousLine}`
        : kind === 'variant-in-block'
          ? `the variant record at ${contig}:${position} lies inside the reference block of sample '${sample}' at line ${previousLine}`
          : `the reference block of sample '${sample}' at ${contig}:${position} starts at or before the variant record at line ${previousLine}`;
    super(file, line, what, 'A gVCF gives each position of a sample once (a variant record or one block): fix the caller\'s output (e.g. re-run it) or split the file');
  }
}

/**
 * The records of a gVCF are not sorted: a record's POS is before the
 * previous record's on the same contig, or a contig comes back after other
 * contigs (as `bcftools index` refuses). Blocks are checked for overlaps as
 * the file streams, which needs the caller's sorted order.
 */
export class GvcfUnsortedError extends VcfError {
  readonly code = 'gvcf-unsorted' as const;
  constructor(file: string, line: number, readonly contig: string, readonly position: number, readonly reason: string) {
    super(file, line, `the gVCF is not sorted at ${contig}:${position} (${reason})`, 'Sort it with `bcftools sort` and retry');
  }
}

/**
 * Bytes given to `decodeReferenceBlocks` (./ref-blocks.ts) are not an
 * encoding of reference blocks: wrong magic or version, cut short, or
 * columns that do not add up. `file` names where the bytes came from (as
 * the caller gives it), `line` is 0.
 */
export class ReferenceBlocksFormatError extends VcfError {
  readonly code = 'reference-blocks-format' as const;
  constructor(file: string, readonly reason: string) {
    super(file, 0, `invalid reference-block encoding: ${reason}`, 'The stored blocks are damaged: restore the file from a backup (or re-import the sample)');
  }
}

/** Every gVCF error class. */
export type AnyGvcfError = GvcfBlockEndError | GvcfRecordEndError | GvcfOverlapError | GvcfUnsortedError | ReferenceBlocksFormatError;

nameErrors({ GvcfBlockEndError, GvcfRecordEndError, GvcfOverlapError, GvcfUnsortedError, ReferenceBlocksFormatError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnyGvcfError> {}
}
