/**
 * vczdepot: a transactional, compressed system of record for per-sample
 * variant calls, exporting VCF Zarr. This is the one public entry point:
 *
 * - the depot: {@link Depot} and its option and result types (src/depot);
 * - import and export: `createFromFile`, `addFiles`, `addSamplesFromFiles`,
 *   `readInput`, `readVcf`, `readVcz`, `exportDepot` (src/io, src/vcz);
 * - the data model: `VariantSet`, `SampleCalls`, their field types, the VCZ
 *   sentinels, `RecordView` and the helpers that turn records into calls
 *   (src/codec);
 * - every error class vczdepot throws on purpose, the area guards and
 *   `isVczdepotError` (src/errors.ts);
 * - `VCZDEPOT_VERSION`.
 *
 * Everything else (record encoding, the chunk file layer, the Zarr writer,
 * the CLI's helpers) is internal and may change without notice.
 */
export { isVczdepotError, VczdepotError, type VczdepotErrorCode, type VczdepotErrorMap } from './errors.ts';
export { VCZDEPOT_VERSION } from './version.ts';

// The depot (Depot, its option/result types, its errors).
export * from './depot/index.ts';

// The data model.
export {
  FLOAT32_FILL,
  FLOAT32_FILL_BITS,
  FLOAT32_MISSING,
  FLOAT32_MISSING_BITS,
  INT_FILL,
  INT_MISSING,
  STRING_FILL,
  STRING_MISSING,
  isFloat32MissingBits,
  RecordView,
  blockCount,
  blockRange,
  materializeCalls,
  sliceCalls,
  validateSampleCalls,
  CodecError,
  RecordFormatError,
  RecordValidationError,
  isCodecError,
  type CodecErrorCode,
  type CodecErrorTag,
  type Contig,
  type FieldValues,
  type FieldView,
  type Filter,
  type FormatFieldDef,
  type InfoColumn,
  type InfoFieldDef,
  type InfoType,
  type IntArray,
  type NumericArray,
  type SampleCalls,
  type VariantSet,
  type VcfNumber,
  type VcfType,
} from './codec/index.ts';

// Import and export.
export {
  addFiles,
  addSamplesFromFiles,
  createFromFile,
  exportDepot,
  exportDepotPartition,
  finaliseDepotExport,
  readInput,
  readSampleViews,
  readVcf,
  versionSites,
  ExportSelectionError,
  VariantSetMismatchError,
  type AddFilesOptions,
  type AddFilesResult,
  type ExportDepotOptions,
  type PartitionedDepotExportOptions,
  type ImportedCalls,
  type ImportedFile,
  type Region,
  type SampleSelection,
  type VariantSide,
  type VersionSites,
} from './io/index.ts';
// The bcftools merge of variant sets (a version's sites) and its errors.
export { MergeError, MergeRefMismatchError, MergeUnsortedError, isMergeError, type MergedVariantSet, type MergeMode } from './merge/index.ts';
export type { VcfData, VcfReadOptions, VcfWarning } from './vcf/index.ts';
export * from './vcf/errors.ts';
export * from './vcf/gvcf-errors.ts';
export {
  readVcz,
  ExportPartitionError,
  ExportTargetError,
  ExportWriteError,
  isExportGuardError,
  type ExportGuardErrorCode,
  type ExportOptions,
  type ExportSummary,
  type VczData,
} from './vcz/index.ts';
export * from './vcz/vcz-errors.ts';
export {
  BloscFrameError,
  CodecUnavailableError,
  ExportSourceError,
  S3StoreError,
  VczWriteError,
  ZarrSpecError,
  ZarrStateError,
  isVczWriteError,
  type VczWriteErrorCode,
  type VczWriteErrorTag,
} from './zarr/index.ts';

// The chunk files' errors.
export {
  ChunkCorruptionError,
  ChunkFileHeaderError,
  ChunkFileVersionError,
  ChunkIOError,
  isSchunkError,
  type ChunkCorruptionReason,
  type ChunkIOStep,
  type ChunkLocation,
  type FileHeaderReason,
  type SchunkErrorCode,
  type SchunkErrorTag,
} from './schunk/index.ts';
