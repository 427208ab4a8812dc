/**
 * Errors of VCZ import (`readVcz`, src/vcz/vcz-read.ts). Every class carries
 * a literal `tag` and typed fields; `isVczReadError(err, tag)` narrows to the
 * class with that tag. Messages name the store path, what is wrong and what
 * to do about it.
 */

/** Tags of the VCZ import errors. */
export type VczReadErrorTag = 'vcz-not-a-store' | 'vcz-unsafe-zip-entry' | 'vcz-invalid';

/** Base class of every VCZ import error. */
export abstract class VczReadError extends Error {
  abstract readonly tag: VczReadErrorTag;
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
  readonly tag = 'vcz-not-a-store' as const;
  constructor(
    readonly path: string,
    readonly missing: readonly string[],
    /** What was found instead, e.g. `no such file or directory`, `not a zip archive`. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${path}: not a VCF Zarr store (${detail}${missing.length > 0 ? `; missing: ${missing.join(', ')}` : ''}). ` +
        'Give a directory or .vcz.zip written by bio2zarr (vcf2zarr convert) or vczdepot export',
      options,
    );
    this.name = 'VczNotAStoreError';
  }
}

/**
 * A `.zip` store has an entry whose name would escape the store when
 * extracted (a `..` segment, an absolute path, a drive letter, a NUL byte).
 * Raised after reading only the zip's central directory, before any entry.
 */
export class VczUnsafeZipEntryError extends VczReadError {
  readonly tag = 'vcz-unsafe-zip-entry' as const;
  constructor(
    readonly path: string,
    /** The offending entry name, as stored in the central directory. */
    readonly entry: string,
    readonly reason: string,
  ) {
    super(
      `${path}: zip entry '${entry}' is unsafe (${reason}); refusing to read the archive. ` +
        'Re-create the zip from the store directory with relative paths only',
    );
    this.name = 'VczUnsafeZipEntryError';
  }
}

/**
 * The store is a VCZ store but cannot be imported: malformed metadata or
 * root attributes, an undecodable chunk, an unsupported dtype, an array whose
 * shape disagrees with the others, an Int64 value beyond Int32, an index out
 * of range. `array` names the array (undefined for the store as a whole).
 */
export class VczInvalidError extends VczReadError {
  readonly tag = 'vcz-invalid' as const;
  constructor(
    readonly path: string,
    readonly array: string | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${path}${array !== undefined ? `: array ${array}` : ''}: ${reason}. ` +
        'Check the store with `vcf2zarr inspect` or re-create it with bio2zarr',
      options,
    );
    this.name = 'VczInvalidError';
  }
}

/** Every concrete VCZ import error class. */
export type AnyVczReadError = VczNotAStoreError | VczUnsafeZipEntryError | VczInvalidError;

/** True when `err` is a VCZ import error (with the given tag, if one is given). */
export function isVczReadError<T extends VczReadErrorTag = VczReadErrorTag>(
  err: unknown,
  tag?: T,
): err is Extract<AnyVczReadError, { tag: T }> {
  return err instanceof VczReadError && (tag === undefined || err.tag === tag);
}
