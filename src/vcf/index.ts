/**
 * VCF and BCF reading: the public surface of src/vcf. This layer imports
 * only src/codec (never depot, zarr or vcz); src/io re-exports the readers
 * with the VCZ writer's field-name check (src/io/input.ts).
 */
export { readVcf, readVcfVariants, readVcfWindows } from './read.ts';
export type {
  FieldNameCheck,
  VcfCallShape,
  VcfData,
  VcfReadOptions,
  VcfWarning,
  VcfWindow,
  VcfWindowOptions,
  VcfWindowResult,
} from './types.ts';
export * from './errors.ts';
export { GvcfSplitter, readGvcf, readGvcfVariants, readGvcfWindows, sniffGvcf, SNIFF_RECORDS, SYMBOLIC_ALLELES, type GvcfData } from './gvcf.ts';
export {
  blockCount,
  coveringBlock,
  coverSites,
  coverScratch,
  type CoverScratch,
  coversSite,
  decodeReferenceBlocks,
  encodeReferenceBlocks,
  validateReferenceBlocks,
  type ReferenceBlocks,
} from './ref-blocks.ts';
export * from './gvcf-errors.ts';
