/**
 * Errors of the record codec, in the vczdepot error family (src/errors.ts).
 * Each class carries a literal `code` and typed fields; `isVczdepotError(err,
 * code)` (or `isCodecError(err, code)`) narrows them.
 */
import { areaGuard, type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';

/** Codes of the codec errors. */
export type CodecErrorCode = AnyCodecError['code'];
/** @deprecated The old name of {@link CodecErrorCode}. */
export type CodecErrorTag = CodecErrorCode;

/** Base class of every codec error. */
export abstract class CodecError extends VczdepotError {}

/**
 * A record (or a sample's calls) does not fit the variant set: wrong variant
 * count, an allele index beyond the variant's alleles, an unknown FORMAT
 * field, a wrong width or type. Names the sample, the field and the variant.
 */
export class RecordValidationError extends CodecError {
  readonly code = 'record-invalid' as const;
  constructor(
    readonly sampleId: string,
    /** `GT` for genotypes, the FORMAT ID otherwise, undefined for the record as a whole. */
    readonly field: string | undefined,
    /** 0-based index of the first offending variant in the variant set, if one. */
    readonly variantIndex: number | undefined,
    readonly reason: string,
    readonly variantLabel?: string,
  ) {
    const where = [
      `sample '${sampleId}'`,
      field !== undefined ? `field ${field}` : undefined,
      variantIndex !== undefined ? `variant ${variantIndex}${variantLabel ? ` (${variantLabel})` : ''}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    super(`invalid calls for ${where}: ${reason}`);
  }
}

/**
 * Bytes that should hold a sample record do not: wrong file identifier, a
 * vector of the wrong length, or FlatBuffers offsets out of range. Reading a
 * checksummed chunk makes this rare; it signals a bug or a foreign file.
 */
export class RecordFormatError extends CodecError {
  readonly code = 'record-malformed' as const;
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`malformed sample record: ${reason}`, options);
  }
}

/** Every codec error class. */
type AnyCodecError = RecordValidationError | RecordFormatError;

nameErrors({ RecordValidationError, RecordFormatError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnyCodecError> {}
}

/** True when `err` is a codec error (with the given code, if one is given); `isVczdepotError` for the codec's classes. */
export const isCodecError = areaGuard<AnyCodecError>(CodecError);
