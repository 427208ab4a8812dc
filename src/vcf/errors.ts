/**
 * Errors of VCF / BCF input, in the vczdepot error family (src/errors.ts).
 * Every class carries a literal `code` and typed fields; `isVczdepotError(err,
 * code)` (or `isVczError(err, code)`, for these classes only) narrows to the
 * class with that code. Messages say what is wrong, where (file and 1-based
 * line) and what to do.
 */
import { areaGuard, type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';

/** Codes of the VCF input errors. */
export type VcfErrorCode = AnyVczError['code'];
/** Every code of this module's errors. */
export type VczErrorCode = VcfErrorCode;
/** @deprecated The old name of {@link VcfErrorCode}. */
export type VcfErrorTag = VcfErrorCode;
/** @deprecated The old name of {@link VczErrorCode}. */
export type VczErrorTag = VczErrorCode;

/** Base class of the VCF input errors (the name is historical: VCZ import, export and write errors have their own bases). */
export abstract class VczError extends VczdepotError {}

/**
 * Base class of errors about a VCF input file. `file` is the path as given;
 * `line` is the 1-based line number in the (decompressed) file, counting
 * header lines, or 0 when the problem is not on one line.
 */
export abstract class VcfError extends VczError {
  constructor(readonly file: string, readonly line: number, what: string, todo: string, options?: { cause?: unknown }) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${what}. ${todo}`, options);
  }
}

/**
 * The compressed input ends early (a gzip/BGZF stream cut short, or a BGZF
 * file without its end-of-file block). `line` is the last complete line read.
 */
export class VcfTruncatedError extends VcfError {
  readonly code = 'vcf-truncated' as const;
  constructor(file: string, line: number, readonly reason: string, options?: { cause?: unknown }) {
    super(file, line, `the compressed file is truncated or corrupt (${reason})`, 'Re-copy or re-compress the file (bgzip) and check it with `bgzip -t` or `bcftools view`', options);
  }
}

/** The header is unusable: no `#CHROM` line, wrong columns, a bad INFO/FORMAT definition. */
export class VcfHeaderError extends VcfError {
  readonly code = 'vcf-header' as const;
  constructor(file: string, line: number, readonly reason: string) {
    super(file, line, `invalid VCF header: ${reason}`, 'Fix the header (VCF 4.3 §1.4) and retry');
  }
}

/** A data line is malformed: fewer than 8 columns, a non-numeric POS, a bad FORMAT layout. */
export class VcfSyntaxError extends VcfError {
  readonly code = 'vcf-syntax' as const;
  constructor(file: string, line: number, readonly reason: string) {
    super(file, line, `malformed data line: ${reason}`, 'Fix or remove the line (`bcftools view` reports the same problems)');
  }
}

/** A record uses an INFO, FORMAT or FILTER key the header does not declare. */
export class VcfUndeclaredError extends VcfError {
  readonly code = 'vcf-undeclared' as const;
  constructor(file: string, line: number, readonly kind: 'INFO' | 'FORMAT' | 'FILTER', readonly key: string) {
    super(file, line, `${kind} key '${key}' is not declared in the header`, `Add a ##${kind}=<ID=${key},...> line to the header (e.g. with \`bcftools annotate -h\`) and retry`);
  }
}

/** A value does not match its declared type (e.g. a non-numeric Integer). */
export class VcfValueError extends VcfError {
  readonly code = 'vcf-value' as const;
  /**
   * @param field `INFO/<ID>`, `FORMAT/<ID>`, `QUAL` or `POS`.
   * @param sample Sample name, for FORMAT values.
   */
  constructor(file: string, line: number, readonly field: string, readonly value: string, readonly expected: string, readonly sample?: string) {
    super(file, line, `${field}${sample !== undefined ? ` of sample '${sample}'` : ''} has value '${value}', expected ${expected}`, 'Fix the value (use `.` for missing) or correct the field\'s Type in the header');
  }
}

/** A GT allele index is not an allele of the variant, or a GT is unparseable. */
export class VcfGenotypeError extends VcfError {
  readonly code = 'vcf-genotype' as const;
  /**
   * @param numAlleles Number of alleles of the variant (REF + ALTs).
   */
  constructor(file: string, line: number, readonly sample: string, readonly genotype: string, readonly numAlleles: number) {
    super(file, line, `GT '${genotype}' of sample '${sample}' is not a genotype over the variant's ${numAlleles} allele(s) (indices 0..${numAlleles - 1})`, 'Fix the genotype or the ALT column');
  }
}

/** A data line has more or fewer sample columns than the header names. */
export class VcfSampleCountError extends VcfError {
  readonly code = 'vcf-sample-count' as const;
  constructor(file: string, line: number, readonly expected: number, readonly actual: number) {
    super(file, line, `the line has ${actual} sample column(s) but the header names ${expected}`, 'Every data line needs one column per sample in the #CHROM line; fix the line or the header');
  }
}

/**
 * A Number=A/R/G field holds more values than the file's dimension allows
 * (as vcf2zarr rejects): A > alleles − 1, R > alleles, G > genotypes.
 */
export class VcfFieldCountError extends VcfError {
  readonly code = 'vcf-field-count' as const;
  /**
   * @param field `INFO/<ID>` or `FORMAT/<ID>`.
   */
  constructor(file: string, line: number, readonly field: string, readonly count: number, readonly limit: number) {
    super(file, line, `${field} has ${count} values but its Number allows at most ${limit} in this file`, 'Fix the values or declare the field with Number=.');
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
  readonly code = 'vcf-changed' as const;
  constructor(file: string, variants: number) {
    super(file, 0, `the file changed while it was being read (after ${variants} variants its calls no longer fit what the first pass measured)`, 'Do not modify an input while vczdepot reads it; run the command again');
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
  readonly code = 'vcf-field-name' as const;
  /**
   * @param arrayName The Zarr array name the field would get.
   */
  constructor(file: string, line: number, readonly kind: 'INFO' | 'FORMAT', readonly id: string, readonly arrayName: string, readonly reason: string) {
    super(file, line, `${kind}/${id} cannot be exported: its Zarr array '${arrayName}' is not a valid name (${reason})`, `Rename the field in the header and records (e.g. \`bcftools annotate --rename-annots\`) and retry`);
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
  readonly code = 'bcf-format' as const;
  constructor(file: string, line: number, readonly reason: string, options?: { cause?: unknown }) {
    super(file, line, `invalid BCF: ${reason}`, 'Check the file with `bcftools view`; re-create it or convert it to VCF with `bcftools view -Oz`', options);
  }
}

/**
 * A VCF parser worker thread of a threaded import (`threads` > 1) stopped
 * (killed, out of memory) before it answered. `line` is 0.
 */
export class VcfWorkerError extends VcfError {
  readonly code = 'vcf-worker' as const;
  constructor(file: string, readonly reason: string, options?: { cause?: unknown }) {
    super(file, 0, `a VCF parser worker thread failed (${reason})`, 'Run the command again with one thread (--threads 1)', options);
  }
}

/** Every concrete error class of this module. */
export type AnyVczError =
  | VcfTruncatedError | VcfHeaderError | VcfSyntaxError | VcfUndeclaredError | VcfValueError | VcfGenotypeError
  | VcfSampleCountError | VcfFieldCountError | VcfShapeChangedError | VcfFieldNameError | BcfFormatError | VcfWorkerError;

nameErrors({ VcfTruncatedError, VcfHeaderError, VcfSyntaxError, VcfUndeclaredError, VcfValueError, VcfGenotypeError, VcfSampleCountError, VcfFieldCountError, VcfShapeChangedError, VcfFieldNameError, BcfFormatError, VcfWorkerError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnyVczError> {}
}

/**
 * True when `err` is a VCF input error of this module (with the given code,
 * if one is given). Other VCZ errors (`VczReadError`, `VczWriteError`,
 * export errors) are not: `isVczdepotError` recognises every error.
 */
export const isVczError = areaGuard<AnyVczError>(VczError);
