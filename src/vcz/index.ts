export { isVczPath, readInput, readVcf, readVcfVariants, readVcfWindows, type ImportedCalls } from './input.ts';
export { addFiles, addSamplesFromFiles, createFromFile, type AddFilesOptions, type AddFilesResult, type ImportedFile } from './add.ts';
export { checkSameVariants, checkVariantRange, VariantSetMismatchError, type VariantSide } from './match.ts';
export {
  depotExportSource,
  ExportSelectionError,
  parseRegions,
  parseSampleList,
  readSamplesFile,
  resolveSampleSelection,
  selectVariants,
  type ExportSelection,
  type Region,
  type SampleSelection,
} from './source.ts';
export { formatSampleVcf, formatFloat32, sampleCallsJson, type ShowOptions, type ShownVariant } from './show.ts';
export type { VcfCallShape, VcfReadOptions, VcfWarning, VcfWindow, VcfWindowOptions, VcfWindowResult } from '../vcf/index.ts';
export { readVcz } from './vcz-read.ts';
export { exportVcz, recomputedInfo, type ExportSource, type ExportOptions, type ExportSummary } from './export.ts';
export * from '../vcf/errors.ts';
export * from './vcz-errors.ts';
export {
  BloscFrameError,
  CodecUnavailableError,
  ExportSourceError,
  VczWriteError,
  ZarrSpecError,
  ZarrStateError,
  isVczWriteError,
  type VczWriteErrorCode,
  type VczWriteErrorTag,
} from './zarr/errors.ts';
export { exportDepot, type ExportDepotOptions } from './export-depot.ts';
export { ExportTargetError, ExportWriteError, guardedExport, isExportGuardError, isVczdepotStore, prepareExportTarget, type ExportTarget } from './export-guard.ts';
