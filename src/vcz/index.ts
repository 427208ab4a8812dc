/**
 * VCF Zarr: reading a VCZ store (./vcz-read.ts) and writing one (./export.ts
 * and the modules it splits into, on top of src/zarr), the export target
 * guard (./export-guard.ts), and the Zarr array names of INFO/FORMAT fields
 * (./names.ts). Imports src/zarr, src/vcf and src/codec; never src/depot
 * (src/io adapts a depot to an {@link ExportSource}).
 */
export { readVcz, type VczData } from './vcz-read.ts';
export { exportVcz } from './export.ts';
export type { BuildJob, CountsShape, ExportBuilders, ExportItem, ExportItems, ExportOptions, ExportPart, ExportSource, ExportSummary } from './export-types.ts';
export {
  chunkOptions,
  flattenWorkerError,
  rebuildWorkerError,
  serveExportItems,
  threadBuilders,
  type ChunkOptions,
  type ErrorClass,
  type ExportDeal,
  type ExportWorkerInit,
  type ExportWorkerStart,
  type FlatWorkerError,
  type ThreadBuilders,
  type ThreadBuildersSpec,
} from './export-threads.ts';
export { exportPartition, finalisePartitions, partitionWorkDir, type PartitionedExportOptions, type PartitionIdentity, type PartitionSummary } from './export-parts.ts';
export { recomputedInfo } from './export-info.ts';
export { fieldArrayName, FIXED_FORMAT_NAMES, FIXED_INFO_NAMES } from './names.ts';
export * from './vcz-errors.ts';
export {
  ExportPartitionError,
  ExportTargetError,
  ExportWriteError,
  guardedExport,
  isExportGuardError,
  isVczdepotStore,
  prepareExportTarget,
  processAlive,
  removeStaleTemporaries,
  type ExportGuardErrorCode,
  type ExportTarget,
} from './export-guard.ts';
