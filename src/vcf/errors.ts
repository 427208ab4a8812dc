/**
 * Errors of VCF / VCZ import and export. Every class carries a literal `tag`
 * and typed fields; `isVczError(err, tag)` narrows to the class with that tag.
 * Messages say what is wrong, where (file and 1-based line) and what to do.
 */

/** Tags of the VCF input errors. */
export type VcfErrorTag =
  | 'vcf-truncated'
  | 'vcf-header'
  | 'vcf-syntax'
  | 'vcf-undeclared'
  | 'vcf-value'
  | 'vcf-genotype'
  | 'vcf-sample-count'
  | 'vcf-field-count'
  | 'vcf-changed'
  | 'vcf-field-name'
  | 'bcf-format';

/** Every tag of this module's errors. */
export type VczErrorTag = VcfErrorTag;

/** Base class of every error of `src/vcz`. */
export abstract class VczError extends Error {
  abstract readonly tag: VczErrorTag;
}

/**
 * Base class of errors about a VCF input file. `file` is the path as given;
 * `line` is the 1-based line number in the (decompressed) file, counting
 * header lines, or 0 when the problem is not on one line.
 */
export abstract class VcfError extends VczError {
  abstract override readonly tag: VcfErrorTag;
  constructor(
    readonly file: string,
    readonly line: number,
    what: string,
    todo: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${what}. ${todo}`, options);
  }
}

/**
 * The compressed input ends early (a gzip/BGZF stream cut short, or a BGZF
 * file without its end-of-file block). `line` is the last complete line read.
 */
export class VcfTruncatedError extends VcfError {
  readonly tag = 'vcf-truncated' as const;
  constructor(file: string, line: number, readonly reason: string, options?: { cause?: unknown }) {
    super(
      file,
      line,
      `the compressed file is truncated or corrupt (${reason})`,
      'Re-copy or re-compress the file (bgzip) and check it with `bgzip -t` or `bcftools view`',
      options,
    );
    this.name = 'VcfTruncatedError';
  }
}

/** The header is unusable: no `#CHROM` line, wrong columns, a bad INFO/FORMAT definition. */
export class VcfHeaderError extends VcfError {
  readonly tag = 'vcf-header' as const;
  constructor(file: string, line: number, readonly reason: string) {
    super(file, line, `invalid VCF header: ${reason}`, 'Fix the header (VCF 4.3 §1.4) and retry');
    this.name = 'VcfHeaderError';
  }
}

/** A data line is malformed: fewer than 8 columns, a non-numeric POS, a bad FORMAT layout. */
export class VcfSyntaxError extends VcfError {
  readonly tag = 'vcf-syntax' as const;
  constructor(file: string, line: number, readonly reason: string) {
    super(file, line, `malformed data line: ${reason}`, 'Fix or remove the line (`bcftools view` reports the same problems)');
    this.name = 'VcfSyntaxError';
  }
}

/** A record uses an INFO, FORMAT or FILTER key the header does not declare. */
export class VcfUndeclaredError extends VcfError {
  readonly tag = 'vcf-undeclared' as const;
  constructor(
    file: string,
    line: number,
    readonly kind: 'INFO' | 'FORMAT' | 'FILTER',
    readonly key: string,
  ) {
    super(
      file,
      line,
      `${kind} key '${key}' is not declared in the header`,
      `Add a ##${kind}=<ID=${key},...> line to the header (e.g. with \`bcftools annotate -h\`) and retry`,
    );
    this.name = 'VcfUndeclaredError';
  }
}

/** A value does not match its declared type (e.g. a non-numeric Integer). */
export class VcfValueError extends VcfError {
  readonly tag = 'vcf-value' as const;
  constructor(
    file: string,
    line: number,
    /** `INFO/<ID>`, `FORMAT/<ID>`, `QUAL` or `POS`. */
    readonly field: string,
    readonly value: string,
    readonly expected: string,
    /** Sample name, for FORMAT values. */
    readonly sample?: string,
  ) {
    super(
      file,
      line,
      `${field}${sample !== undefined ? ` of sample '${sample}'` : ''} has value '${value}', expected ${expected}`,
      'Fix the value (use `.` for missing) or correct the field\'s Type in the header',
    );
    this.name = 'VcfValueError';
  }
}

/** A GT allele index is not an allele of the variant, or a GT is unparseable. */
export class VcfGenotypeError extends VcfError {
  readonly tag = 'vcf-genotype' as const;
  constructor(
    file: string,
    line: number,
    readonly sample: string,
    readonly genotype: string,
    /** Number of alleles of the variant (REF + ALTs). */
    readonly numAlleles: number,
  ) {
    super(
      file,
      line,
      `GT '${genotype}' of sample '${sample}' is not a genotype over the variant's ${numAlleles} allele(s) (indices 0..${numAlleles - 1})`,
      'Fix the genotype or the ALT column',
    );
    this.name = 'VcfGenotypeError';
  }
}

/** A data line has more or fewer sample columns than the header names. */
export class VcfSampleCountError extends VcfError {
  readonly tag = 'vcf-sample-count' as const;
  constructor(
    file: string,
    line: number,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      file,
      line,
      `the line has ${actual} sample column(s) but the header names ${expected}`,
      'Every data line needs one column per sample in the #CHROM line; fix the line or the header',
    );
    this.name = 'VcfSampleCountError';
  }
}

/**
 * A Number=A/R/G field holds more values than the file's dimension allows
 * (as vcf2zarr rejects): A > alleles − 1, R > alleles, G > genotypes.
 */
export class VcfFieldCountError extends VcfError {
  readonly tag = 'vcf-field-count' as const;
  constructor(
    file: string,
    line: number,
    /** `INFO/<ID>` or `FORMAT/<ID>`. */
    readonly field: string,
    readonly count: number,
    readonly limit: number,
  ) {
    super(
      file,
      line,
      `${field} has ${count} values but its Number allows at most ${limit} in this file`,
      'Fix the values or declare the field with Number=.',
    );
    this.name = 'VcfFieldCountError';
  }
}

/**
 * A streaming import reads a VCF twice when its first pass finds the calls'
 * shape grew after the first variant block (higher ploidy or more values
 * later in the file); the second pass found data the first did not: the file
 * changed while it was being imported. `line` is the 1-based data line count
 * where it was noticed (0 for the header).
 */
export class VcfShapeChangedError extends VcfError {
  readonly tag = 'vcf-changed' as const;
  constructor(file: string, variants: number) {
    super(file, 0, `the file changed while it was being read (after ${variants} variants its calls no longer fit what the first pass measured)`, 'Do not modify an input while vczdepot reads it; run the command again');
    this.name = 'VcfShapeChangedError';
  }
}

/**
 * An INFO or FORMAT ID that the VCF header declares (and htslib accepts)
 * but that cannot name the field's Zarr array, `variant_<ID>` or
 * `call_<ID>` (bio2zarr's names): it holds `/` or `\\`, is longer than a
 * file name may be, or is the name of a fixed VCZ array (`variant_position`,
 * `call_genotype`, ...). Raised at import, so that no depot is created that
 * could never be exported. `line` is the header line declaring the field.
 */
export class VcfFieldNameError extends VcfError {
  readonly tag = 'vcf-field-name' as const;
  constructor(
    file: string,
    line: number,
    readonly kind: 'INFO' | 'FORMAT',
    readonly id: string,
    /** The Zarr array name the field would get. */
    readonly arrayName: string,
    readonly reason: string,
  ) {
    super(
      file,
      line,
      `${kind}/${id} cannot be exported: its Zarr array '${arrayName}' is not a valid name (${reason})`,
      `Rename the field in the header and records (e.g. \`bcftools annotate --rename-annots\`) and retry`,
    );
    this.name = 'VcfFieldNameError';
  }
}

/**
 * A BCF file's binary layout is broken: a bad magic or header length, a
 * record running past the end of the file, an unknown typed-value type, or
 * a key or contig index the header's dictionaries do not hold (hts-specs
 * VCFv4.3 §6, BCF2). `line` is the 1-based line the record would have in
 * `bcftools view`'s VCF text (header lines included), 0 for the header.
 */
export class BcfFormatError extends VcfError {
  readonly tag = 'bcf-format' as const;
  constructor(file: string, line: number, readonly reason: string, options?: { cause?: unknown }) {
    super(file, line, `invalid BCF: ${reason}`, 'Check the file with `bcftools view`; re-create it or convert it to VCF with `bcftools view -Oz`', options);
    this.name = 'BcfFormatError';
  }
}

/** Every concrete error class of this module. */
export type AnyVczError =
  | VcfTruncatedError
  | VcfHeaderError
  | VcfSyntaxError
  | VcfUndeclaredError
  | VcfValueError
  | VcfGenotypeError
  | VcfSampleCountError
  | VcfFieldCountError
  | VcfShapeChangedError
  | VcfFieldNameError
  | BcfFormatError;

/** True when `err` is an error of this module (with the given tag, if one is given). */
export function isVczError<T extends VczErrorTag>(err: unknown, tag?: T): err is Extract<AnyVczError, { tag: T }> {
  return err instanceof VczError && (tag === undefined || err.tag === tag);
}
