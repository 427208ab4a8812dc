/**
 * The `bcftools merge` 1.16 algorithm over variant sets, as a pure module
 * (docs/growing-cohort.md): `mergeVariantSets` builds the merged variant set
 * and the site/allele maps, `remapCalls` moves one sample's calls onto it.
 * Imports only src/codec (and the error family root).
 */
export { checkSorted, mergeVariantSets, identityMap, type MergedVariantSet, type MergeOptions, type MergeMode } from './merge.ts';
export { remapCalls, type RemapOptions } from './remap.ts';
export * from './errors.ts';
