/**
 * Errors of VCZ import (`readVcz`, src/vcz/vcz-read.ts), in the vczdepot
 * error family (src/errors.ts). Every class carries a literal `code` and
 * typed fields; `isVczdepotError(err, code)` (or `isVczReadError(err, code)`)
 * narrows to the class with that code. Messages name the store path, what is
 * wrong and what to do about it.
 */
import { areaGuard, type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';

/** Codes of the VCZ import errors. */
export type VczReadErrorCode = AnyVczReadError['code'];
/** @deprecated The old name of {@link VczReadErrorCode}. */
export type VczReadErrorTag = VczReadErrorCode;

/** Base class of every VCZ import error. */
export abstract class VczReadError extends VczdepotError {
  /** The store path as given to `readVcz`. */
  abstract readonly path: string;
}

/**
 * `path` is not a VCF Zarr store: it does not exist, is neither a directory
 * nor a zip archive, has no Zarr group metadata, or lacks arrays every VCZ
 * store has (`variant_position`, `sample_id`, `contig_id`, `variant_contig`,
 * `variant_allele`). `missing` lists the absent keys / arrays (empty when the
 * problem is of another kind, see `detail`).
 */
export class VczNotAStoreError extends VczReadError {
  readonly code = 'vcz-not-a-store' as const;
  /**
   * @param detail What was found instead, e.g. `no such file or directory`, `not a zip archive`.
   */
  constructor(readonly path: string, readonly missing: readonly string[], readonly detail: string, options?: { cause?: unknown }) {
    super(
      `${path}: not a VCF Zarr store (${detail}${missing.length > 0 ? `; missing: ${missing.join(', ')}` : ''}). ` +
        'Give a directory or .vcz.zip written by bio2zarr (vcf2zarr convert) or vczdepot export',
      options,
    );
  }
}

/**
 * A `.zip` store has an entry whose name would escape the store when
 * extracted (a `..` segment, an absolute path, a drive letter, a NUL byte).
 * Raised after reading only the zip's central directory, before any entry.
 */
export class VczUnsafeZipEntryError extends VczReadError {
  readonly code = 'vcz-unsafe-zip-entry' as const;
  /**
   * @param entry The offending entry name, as stored in the central directory.
   */
  constructor(readonly path: string, readonly entry: string, readonly reason: string) {
    super(
      `${path}: zip entry '${entry}' is unsafe (${reason}); refusing to read the archive. ` +
        'Re-create the zip from the store directory with relative paths only',
    );
  }
}

/**
 * The store is a VCZ store but cannot be imported: malformed metadata or
 * root attributes, an undecodable chunk, an unsupported dtype, an array whose
 * shape disagrees with the others, an Int64 value beyond Int32, an index out
 * of range. `array` names the array (undefined for the store as a whole).
 */
export class VczInvalidError extends VczReadError {
  readonly code = 'vcz-invalid' as const;
  constructor(readonly path: string, readonly array: string | undefined, readonly reason: string, options?: { cause?: unknown }) {
    super(
      `${path}${array !== undefined ? `: array ${array}` : ''}: ${reason}. ` +
        'Check the store with `vcf2zarr inspect` or re-create it with bio2zarr',
      options,
    );
  }
}

/** Every concrete VCZ import error class. */
export type AnyVczReadError = VczNotAStoreError | VczUnsafeZipEntryError | VczInvalidError;

nameErrors({ VczNotAStoreError, VczUnsafeZipEntryError, VczInvalidError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnyVczReadError> {}
}

/** True when `err` is a VCZ import error (with the given code, if one is given); `isVczdepotError` for these classes. */
export const isVczReadError = areaGuard<AnyVczReadError>(VczReadError);
