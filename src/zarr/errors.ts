/**
 * Errors of the VCZ writer (`src/zarr/*`, `src/vcz/export*.ts`), in the
 * vczdepot error family (src/errors.ts). Each class carries a literal `code`
 * and typed fields; `isVczdepotError(err, code)` (or `isVczWriteError(err,
 * code)`) narrows them. Errors raised by `node:fs` or the zstd codec are kept
 * in `cause`.
 */
import { areaGuard, type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';

/** Codes of the VCZ writer errors. */
export type VczWriteErrorCode = AnyVczWriteError['code'];
/** @deprecated The old name of {@link VczWriteErrorCode}. */
export type VczWriteErrorTag = VczWriteErrorCode;

/** Base class of every error thrown by the VCZ writer. */
export abstract class VczWriteError extends VczdepotError {}

/**
 * A Blosc-1 frame cannot be decoded: short or inconsistent header, an
 * unsupported version or compressor, a block running past the frame, or a
 * zstd stream that does not decode to the block's size.
 */
export class BloscFrameError extends VczWriteError {
  readonly code = 'blosc-frame' as const;
  /**
   * @param reason What is wrong, e.g. "header says cbytes 120 but the frame has 100 bytes".
   */
  constructor(readonly reason: string, options?: ErrorOptions) {
    super(`invalid Blosc frame: ${reason}`, options);
  }
}

/**
 * An array or chunk request that the Zarr writer cannot honour: an invalid
 * name, shape, chunk shape, dtype, compressor, chunk coordinates out of range
 * or chunk data of the wrong type or length.
 */
export class ZarrSpecError extends VczWriteError {
  readonly code = 'zarr-spec' as const;
  /**
   * @param array The array's path inside the store, or `""` for the root group.
   */
  constructor(readonly array: string, readonly reason: string, options?: ErrorOptions) {
    super(`zarr array '${array}': ${reason}`, options);
  }
}

/**
 * The store is used out of order: writing after `finish()`/`abort()`, the
 * output path already exists, or finishing fails to move the temporary
 * directory into place.
 */
export class ZarrStateError extends VczWriteError {
  readonly code = 'zarr-state' as const;
  /**
   * @param path The output path.
   */
  constructor(readonly path: string, readonly reason: string, options?: ErrorOptions) {
    super(`zarr store '${path}': ${reason}`, options);
  }
}

/**
 * The export source is inconsistent: `readBlock` returned the wrong number of
 * records or records for the wrong block or sample, a field is wider than its
 * VCZ dimension allows, or a value does not fit the array's dtype; or the
 * data cannot be written as asked (`localAlleles` on calls that are not
 * diploid with GT, a non-Integer AD/PL, an allele above 127).
 */
export class ExportSourceError extends VczWriteError {
  readonly code = 'export-source' as const;
  /**
   * @param array The VCZ array being written, when one is concerned.
   */
  constructor(readonly reason: string, readonly array?: string, options?: ErrorOptions) {
    super(`export: ${array ? `${array}: ` : ''}${reason}`, options);
  }
}

/** The native zstd codec (zstd-napi) could not be loaded, so nothing can be compressed. */
export class CodecUnavailableError extends VczWriteError {
  readonly code = 'codec-unavailable' as const;
  constructor(options?: ErrorOptions) {
    super('the native zstd codec (zstd-napi) cannot be loaded; VCZ export needs it to compress chunks', options);
  }
}

/** Every VCZ writer error class. */
type AnyVczWriteError = BloscFrameError | ZarrSpecError | ZarrStateError | ExportSourceError | CodecUnavailableError;

nameErrors({ BloscFrameError, ZarrSpecError, ZarrStateError, ExportSourceError, CodecUnavailableError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnyVczWriteError> {}
}

/** True when `err` is a VCZ writer error (with the given code, if one is given); `isVczdepotError` for these classes. */
export const isVczWriteError = areaGuard<AnyVczWriteError>(VczWriteError);
