/** Checks a variant set's columns agree before a depot is created from it. */
import type { VariantSet } from '../codec/index.ts';
import { InvalidArgumentError } from './errors.ts';

/**
 * @throws InvalidArgumentError naming the first column whose length
 *   disagrees with `numVariants`, a variant with no REF allele, or a contig
 *   index out of range.
 */
export function checkVariantSet(vs: VariantSet): void {
  const n = vs.numVariants;
  const bad = (what: string): never => {
    throw new InvalidArgumentError('variant set', what);
  };
  if (!Number.isInteger(n) || n < 0) bad(`numVariants ${n} must be an integer >= 0`);
  const cols: [string, { length: number }, number][] = [
    ['contig', vs.contig, n],
    ['position', vs.position, n],
    ['id', vs.id, n],
    ['alleles', vs.alleles, n],
    ['quality', vs.quality, n],
    ['length', vs.length, n],
    ['filter', vs.filter, n * vs.filters.length],
  ];
  for (const [name, col, want] of cols) if (col.length !== want) bad(`column ${name} has ${col.length} entries; expected ${want}`);
  for (const c of vs.info) if (c.values.length !== n * c.width) bad(`INFO ${c.def.id} has ${c.values.length} values; expected ${n} × ${c.width}`);
  for (let v = 0; v < n; v++) {
    if (!(vs.alleles[v]!.length >= 1)) bad(`variant ${v} has no REF allele`);
    const c = vs.contig[v]!;
    if (c < 0 || c >= vs.contigs.length) bad(`variant ${v} has contig index ${c}; there are ${vs.contigs.length} contigs`);
  }
  const ids = new Set<string>();
  for (const f of vs.format) {
    if (ids.has(f.id)) bad(`FORMAT ${f.id} is declared twice`);
    ids.add(f.id);
  }
}
