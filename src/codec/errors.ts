/**
 * Errors of the record codec. Each class carries a literal `tag` and typed
 * fields; `isCodecError(err, tag)` narrows them.
 */

export type CodecErrorTag = 'record-invalid' | 'record-malformed';

/** Base class of every codec error. */
export abstract class CodecError extends Error {
  abstract readonly tag: CodecErrorTag;
}

/**
 * A record (or a sample's calls) does not fit the variant set: wrong variant
 * count, an allele index beyond the variant's alleles, an unknown FORMAT
 * field, a wrong width or type. Names the sample, the field and the variant.
 */
export class RecordValidationError extends CodecError {
  readonly tag = 'record-invalid' as const;
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
    this.name = 'RecordValidationError';
  }
}

/**
 * Bytes that should hold a sample record do not: wrong file identifier, a
 * vector of the wrong length, or FlatBuffers offsets out of range. Reading a
 * checksummed chunk makes this rare; it signals a bug or a foreign file.
 */
export class RecordFormatError extends CodecError {
  readonly tag = 'record-malformed' as const;
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`malformed sample record: ${reason}`, options);
    this.name = 'RecordFormatError';
  }
}

/** True when `err` is a codec error (with the given tag, if one is given). */
export function isCodecError<T extends CodecErrorTag>(
  err: unknown,
  tag?: T,
): err is Extract<RecordValidationError | RecordFormatError, { tag: T }> {
  return err instanceof CodecError && (tag === undefined || err.tag === tag);
}
