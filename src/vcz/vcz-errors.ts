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
  /**
   * The chunk key (`0.0.0`, `c/0/0/0`) or other store key (`call_DP/.zarray`)
   * the problem was found in, when it is one: a Blosc / zstd frame whose
   * header declares another decompressed size than the chunk shape needs or
   * more bytes than the frame holds (truncated), a zip entry whose size
   * differs from its header's.
   */
  readonly chunk: string | undefined;
  constructor(readonly path: string, readonly array: string | undefined, readonly reason: string, options?: { cause?: unknown; chunk?: string }) {
    super(
      `${path}${array !== undefined ? `: array ${array}` : ''}${options?.chunk !== undefined ? `, chunk ${options.chunk}` : ''}: ${reason}. ` +
        'Check the store with `vcf2zarr inspect` or re-create it with bio2zarr',
      options?.cause !== undefined ? { cause: options.cause } : undefined,
    );
    this.chunk = options?.chunk;
  }
}

/**
 * The store's metadata are consistent, but reading it would need more memory
 * than the import may use. VCZ import reads the arrays it imports whole (one
 * typed array per numeric array, one JS string per string element), so
 * before any chunk is read the bytes the arrays' shapes imply are added up
 * (numbers: elements × dtype size; strings: 16 bytes an element, counted
 * against the JS heap) and compared with the budget: `budget` is half the
 * machine's memory (`os.totalmem()`) for the whole store, and half of V8's
 * heap limit for the strings (or the `memoryBudget` given to `readVcz`).
 * `array` is the largest array, `bytes` what the store (or its strings) needs.
 */
export class VczTooLargeError extends VczReadError {
  readonly code = 'vcz-too-large' as const;
  /**
   * @param what `memory` (all arrays against the memory budget) or `heap` (string arrays against the JS heap).
   */
  constructor(readonly path: string, readonly array: string, readonly shape: readonly number[], readonly bytes: number, readonly budget: number, readonly what: 'memory' | 'heap') {
    super(
      `${path}: array ${array} (shape [${shape.join(', ')}]) makes the import need ${mb(bytes)} of ${what === 'heap' ? 'JS heap for strings' : 'memory'}, ` +
        `more than its budget of ${mb(budget)}. VCZ import reads a store whole: check the shapes with \`vcf2zarr inspect\`, ` +
        'or import the store in parts (vcztools view -s / -r to VCF; VCF import streams)',
    );
  }
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 0)} MiB`;
}

/** Every concrete VCZ import error class. */
export type AnyVczReadError = VczNotAStoreError | VczUnsafeZipEntryError | VczInvalidError | VczTooLargeError;

nameErrors({ VczNotAStoreError, VczUnsafeZipEntryError, VczInvalidError, VczTooLargeError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnyVczReadError> {}
}

/** True when `err` is a VCZ import error (with the given code, if one is given); `isVczdepotError` for these classes. */
export const isVczReadError = areaGuard<AnyVczReadError>(VczReadError);
