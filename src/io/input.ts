/**
 * Reading calls from a file, whatever its kind: VCF (plain or bgzipped), BCF
 * (BGZF or uncompressed, read by the VCF reader of src/vcf) or
 * VCZ (a directory, or a .zip, Zarr format 2 or 3).
 *
 * The VCF readers here are src/vcf's, refusing at import (VcfFieldNameError,
 * at the header line) every INFO/FORMAT ID whose Zarr array the VCZ writer
 * cannot write (`fieldArrayName`, src/vcz/names.ts): nothing is imported that
 * could never be exported.
 */
import { existsSync, statSync } from 'node:fs';
import type { SampleCalls, VariantSet } from '../codec/index.ts';
import * as vcf from '../vcf/index.ts';
import type { VcfData, VcfReadOptions, VcfWindowOptions, VcfWindowResult } from '../vcf/index.ts';
import { fieldArrayName, readVcz } from '../vcz/index.ts';

/** src/vcf's readVcf, with the VCZ writer's field-name check. */
export function readVcf(path: string, options: VcfReadOptions = {}): Promise<VcfData> {
  return vcf.readVcf(path, { fieldName: fieldArrayName, ...options });
}

/** src/vcf's readVcfVariants, with the VCZ writer's field-name check. */
export function readVcfVariants(path: string, options: VcfReadOptions & { readonly signal?: AbortSignal } = {}): ReturnType<typeof vcf.readVcfVariants> {
  return vcf.readVcfVariants(path, { fieldName: fieldArrayName, ...options });
}

/** src/vcf's readVcfWindows, with the VCZ writer's field-name check. */
export function readVcfWindows(path: string, options: VcfWindowOptions): Promise<VcfData & { window: VcfWindowResult }> {
  return vcf.readVcfWindows(path, { fieldName: fieldArrayName, ...options });
}

/** src/vcf's readGvcf, with the VCZ writer's field-name check. */
export function readGvcf(path: string, options: VcfReadOptions = {}): Promise<vcf.GvcfData> {
  return vcf.readGvcf(path, { fieldName: fieldArrayName, ...options });
}

/** src/vcf's readGvcfVariants, with the VCZ writer's field-name check. */
export function readGvcfVariants(path: string, options: VcfReadOptions & { readonly signal?: AbortSignal } = {}): ReturnType<typeof vcf.readGvcfVariants> {
  return vcf.readGvcfVariants(path, { fieldName: fieldArrayName, ...options });
}

/** src/vcf's readGvcfWindows, with the VCZ writer's field-name check. */
export function readGvcfWindows(path: string, options: VcfWindowOptions): Promise<vcf.GvcfData & { window: VcfWindowResult }> {
  return vcf.readGvcfWindows(path, { fieldName: fieldArrayName, ...options });
}

/** The variant set and samples of an imported file. */
export interface ImportedCalls {
  readonly variantSet: VariantSet;
  /** Sample ids in file order (VCZ null samples `""` excluded). */
  readonly sampleIds: readonly string[];
  /** The calls of sample `i` (0-based index into `sampleIds`). */
  calls(i: number): SampleCalls;
  /**
   * A gVCF's: sample `i`'s reference blocks, encoded (`encodeReferenceBlocks`,
   * docs/gvcf.md) for `DepotTransaction.putMany`. Absent for a plain VCF or VCZ.
   */
  readonly referenceBlocks?: (i: number) => Uint8Array;
}

/** A gVCF read whole ({@link readGvcf}) as ImportedCalls: its variant records' calls and each sample's encoded blocks. */
export function gvcfImport(g: vcf.GvcfData): ImportedCalls {
  return {
    variantSet: g.variantSet,
    sampleIds: g.sampleIds,
    calls: (i) => g.calls(i),
    referenceBlocks: (i) => vcf.encodeReferenceBlocks(g.referenceBlocks(i)),
  };
}

/**
 * Reads `path`: a directory or a name ending `.zip` is read as VCZ,
 * anything else as VCF or BCF (told apart by their content); a gVCF (a
 * record uses `<NON_REF>` or `<*>`; the first 1,000 records decide unless
 * the header declares the symbolic allele, INFO/END and `##GVCFBlock` or
 * MIN_DP: src/vcf `sniffGvcf`) is split into its variant records and
 * each sample's reference blocks (`readGvcf`, docs/gvcf.md).
 *
 * VCF warnings (e.g. an undeclared FILTER key) go to `options.onWarning`.
 *
 * @throws the VCF/VCZ readers' typed errors (file and line), the gVCF
 *   reader's (src/vcf/gvcf-errors.ts); an Error when
 *   the path does not exist.
 */
export async function readInput(path: string, options: VcfReadOptions = {}): Promise<ImportedCalls> {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  if (isVczPath(path)) return readVcz(path);
  if (await vcf.sniffGvcf(path)) return gvcfImport(await readGvcf(path, options));
  return readVcf(path, options);
}

/** True when `path` (which must exist) is read as VCZ: a directory or a name ending `.zip`. */
export function isVczPath(path: string): boolean {
  return statSync(path).isDirectory() || /\.zip$/i.test(path);
}
