/**
 * Files <-> depot: the one layer that connects files with a depot.
 *
 * Import: `readInput` (./input.ts) is the one place that picks the reader
 * for a path (VCZ for a directory or a `.zip`, else VCF/BCF by content);
 * `addFiles`, `addSamplesFromFiles` and `createFromFile` (./add.ts) stream
 * files into a depot, each file's samples over its own variant set.
 * A version's variant set: `versionSites` (./cohort.ts) merges the sets of
 * its samples as `bcftools merge` does; `MergedReader` remaps samples'
 * calls onto it, tile by tile.
 * Export: `depotExportSource` (./source.ts) adapts a depot (its public API
 * only) to the VCZ exporter of src/vcz, with bcftools-style sample and
 * region selection; `exportDepot` (./export-depot.ts) is the safe export;
 * ./show.ts prints samples' calls as VCF lines or JSON.
 */
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
export { exportDepot, exportDepotPartition, finaliseDepotExport, type ExportDepotOptions, type PartitionedDepotExportOptions } from './export-depot.ts';
export { MergedReader, readSampleViews, versionSites, type VersionSites } from './cohort.ts';
export { formatFloat32, formatSampleVcf, sampleCallsJson, type ShowOptions, type ShownVariant } from './show.ts';
