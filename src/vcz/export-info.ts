/**
 * The cohort-level INFO fields AC, AN and AF, recomputed at export from the
 * exported genotypes (docs/vcz-format.md and docs/vcz-export.md,
 * "Cohort-level INFO"), as `bcftools view -s` recomputes AC/AN and
 * `bcftools +fill-tags -t AF` writes AF.
 */
import { FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, type InfoColumn, INT_FILL, INT_MISSING, type VariantSet } from '../codec/index.ts';
import type { TileContext } from './export-calls.ts';

/**
 * The INFO fields an export recomputes from the exported calls: the ids among
 * `AC` (Type=Integer, Number=A or .), `AN` (Integer, Number=1) and `AF`
 * (Float, Number=A or .) that the variant set declares, when it declares
 * FORMAT/GT (none otherwise: without genotypes there is nothing to count,
 * and bcftools leaves such records alone). A field declared with another
 * Type or Number is kept as stored.
 *
 * What is written (docs/vcz-export.md, "Cohort-level INFO"):
 * * AN = number of called alleles (allele index ≥ 0; missing `.` and the fill
 *   of a lower ploidy are not counted) over the exported samples, as
 *   `bcftools view -s` (htslib `bcf_calc_ac`) writes it; 0 when none is called.
 * * AC[k] = number of called alleles equal to ALT k (one value per ALT; a
 *   variant without ALT gets no AC, i.e. missing, as bcftools removes it).
 * * AF[k] = AC[k] / AN rounded to float32, missing when AN = 0 and absent
 *   (missing) without ALT — what `bcftools +fill-tags -- -t AF` writes.
 *   `bcftools view -s` leaves AF as it was; we recompute it on purpose.
 */
export function recomputedInfo(vs: VariantSet): Set<string> {
  const ids = new Set<string>();
  if (!vs.hasGenotype) return ids;
  for (const { def } of vs.info) {
    if (def.id === 'AC' && def.type === 'Integer' && (def.number === 'A' || def.number === '.')) ids.add('AC');
    else if (def.id === 'AN' && def.type === 'Integer' && def.number === 1) ids.add('AN');
    else if (def.id === 'AF' && def.type === 'Float' && (def.number === 'A' || def.number === '.')) ids.add('AF');
  }
  return ids;
}

/** Adds the called alleles of a call_genotype tile (rows [v0, v1) of the column) to counts [variants, alleles], whose row 0 is variant `firstRow` (default 0: the whole set's counts). */
export function countAlleles(tile: Int8Array | Int16Array, ctx: TileContext, counts: Int32Array, alleles: number, firstRow = 0): void {
  const { v0, v1, nIds, sChunk, ploidy } = ctx;
  for (let v = v0; v < v1; v++) {
    const row = (v - v0) * sChunk * ploidy;
    const out = (v - firstRow) * alleles;
    for (let k = row, end = row + nIds * ploidy; k < end; k++) {
      const a = tile[k]!;
      if (a >= 0 && a < alleles) counts[out + a]!++;
    }
  }
}

/** The recomputed columns (ids of `ids`, in the variant set's order) from allele counts [variants, alleles]. */
export function recomputedColumns(vs: VariantSet, ids: ReadonlySet<string>, counts: Int32Array, alleles: number): InfoColumn[] {
  const nV = vs.numVariants;
  let maxAlt = 1;
  for (let v = 0; v < nV; v++) maxAlt = Math.max(maxAlt, vs.alleles[v]!.length - 1);
  const an = new Int32Array(nV);
  for (let v = 0; v < nV; v++) {
    let sum = 0;
    for (let a = 0; a < alleles; a++) sum += counts[v * alleles + a]!;
    an[v] = sum;
  }
  const cols: InfoColumn[] = [];
  for (const col of vs.info) {
    const def = col.def;
    if (!ids.has(def.id)) continue;
    if (def.id === 'AN') {
      cols.push({ def, width: 1, values: an });
      continue;
    }
    const w = def.number === 'A' ? alleles - 1 : maxAlt;
    if (def.id === 'AC') {
      const ac = new Int32Array(nV * w);
      for (let v = 0; v < nV; v++) {
        const nAlt = vs.alleles[v]!.length - 1;
        for (let k = 0; k < w; k++) ac[v * w + k] = nAlt === 0 ? INT_MISSING : k < nAlt ? counts[v * alleles + 1 + k]! : INT_FILL;
      }
      cols.push({ def, width: w, values: ac });
    } else {
      const af = new Float32Array(nV * w);
      const bits = new Uint32Array(af.buffer);
      for (let v = 0; v < nV; v++) {
        const nAlt = vs.alleles[v]!.length - 1;
        for (let k = 0; k < w; k++) {
          if (nAlt === 0 || (k < nAlt && an[v] === 0)) bits[v * w + k] = FLOAT32_MISSING_BITS;
          else if (k >= nAlt) bits[v * w + k] = FLOAT32_FILL_BITS;
          else af[v * w + k] = counts[v * alleles + 1 + k]! / an[v]!;
        }
      }
      cols.push({ def, width: w, values: af });
    }
  }
  return cols;
}
