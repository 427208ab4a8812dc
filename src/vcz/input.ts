/**
 * Reading calls from a file, whatever its kind: VCF (plain or bgzipped), BCF
 * (BGZF or uncompressed, read by the VCF reader) or
 * VCZ (a directory, or a .zip, Zarr format 2 or 3).
 */
import { existsSync, statSync } from 'node:fs';
import type { SampleCalls, VariantSet } from '../codec/index.ts';
import { readVcf, type VcfReadOptions } from './vcf.ts';
import { readVcz } from './vcz-read.ts';

/** The variant set and samples of an imported file. */
export interface ImportedCalls {
  readonly variantSet: VariantSet;
  /** Sample ids in file order (VCZ null samples `""` excluded). */
  readonly sampleIds: readonly string[];
  /** The calls of sample `i` (0-based index into `sampleIds`). */
  calls(i: number): SampleCalls;
}

/**
 * Reads `path`: a directory or a name ending `.zip` is read as VCZ,
 * anything else as VCF or BCF (told apart by their content).
 *
 * VCF warnings (e.g. an undeclared FILTER key) go to `options.onWarning`.
 *
 * @throws the VCF/VCZ readers' typed errors (file and line); an Error when
 *   the path does not exist.
 */
export async function readInput(path: string, options: VcfReadOptions = {}): Promise<ImportedCalls> {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  if (isVczPath(path)) return readVcz(path);
  return readVcf(path, options);
}

/** True when `path` (which must exist) is read as VCZ: a directory or a name ending `.zip`. */
export function isVczPath(path: string): boolean {
  return statSync(path).isDirectory() || /\.zip$/i.test(path);
}
