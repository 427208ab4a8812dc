/**
 * vczdepot: a transactional, compressed system of record for per-sample
 * variant calls, exporting VCF Zarr. This is the one public entry point.
 */
export { isVczdepotError, VczdepotError, type VczdepotErrorCode, type VczdepotErrorMap } from './errors.ts';
export * from './codec/index.ts';
export * from './depot/index.ts';
export {
  ChunkCorruptionError,
  ChunkFileHeaderError,
  ChunkFileVersionError,
  ChunkIOError,
  isSchunkError,
  zstdBackend,
  _setZstdBackend,
} from './schunk/index.ts';
export { VCZDEPOT_VERSION } from './version.ts';
export * from './vcz/index.ts';
