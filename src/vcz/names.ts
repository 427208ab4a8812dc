/**
 * The Zarr array names of INFO and FORMAT fields: bio2zarr names INFO arrays
 * `variant_<ID>` and FORMAT arrays `call_<ID>` with the ID exactly as the
 * VCF header spells it (`variant_GERP++_RS`,
 * `variant_Pathway(BioCarta)_short`), and zarr-python and vcztools read
 * them, as long as the name is a Zarr node name (`zarrNameProblem`,
 * src/zarr/names.ts) and not one of the fixed VCZ arrays.
 */
import { zarrNameProblem } from '../zarr/index.ts';

/** The fixed VCZ arrays an INFO field `variant_<ID>` must not replace (bio2zarr's check_field_clobbering, plus `length`, which we write as `variant_length`). */
export const FIXED_INFO_NAMES: ReadonlySet<string> = new Set(['contig', 'id', 'id_mask', 'position', 'allele', 'filter', 'quality', 'length']);
/** The fixed VCZ arrays a FORMAT field `call_<ID>` must not replace (bio2zarr's check_field_clobbering). */
export const FIXED_FORMAT_NAMES: ReadonlySet<string> = new Set(['genotype', 'genotype_phased', 'genotype_mask']);

/**
 * The Zarr array name of INFO/FORMAT field `id` (`variant_<ID>` /
 * `call_<ID>`, as bio2zarr names it) and why the VCZ writer cannot write
 * it (undefined when it can): an invalid node name, or a name of one of
 * the fixed arrays.
 */
export function fieldArrayName(category: 'INFO' | 'FORMAT', id: string): { name: string; problem: string | undefined } {
  const name = `${category === 'INFO' ? 'variant' : 'call'}_${id}`;
  const fixed = category === 'INFO' ? FIXED_INFO_NAMES : FIXED_FORMAT_NAMES;
  if (fixed.has(id)) return { name, problem: `'${name}' is a fixed VCZ array` };
  return { name, problem: zarrNameProblem(name) };
}
