/**
 * Local alleles (`export --local-alleles`): `call_LA`, `call_LAD` and
 * `call_LPL` as bio2zarr 0.2.1 `vcf2zarr convert --local-alleles` writes
 * them (vcf.py `convert_local_allele_field_types`, vcz.py
 * `compute_la_field`, `compute_lad_field`, `compute_lpl_field`; the names
 * are VCF 4.5's local-allele FORMAT fields), computed from the dense
 * `call_genotype`, `call_AD` and `call_PL` tiles the exporter gathers
 * (./export-calls.ts), so the depot's record layout does not matter.
 *
 * * `call_LA` int8 [variants, samples, local_alleles = 2]: the distinct
 *   called alleles of the sample's GT, ascending, padded with -2 (fill).
 *   Only the GT counts: a 0/0 call has LA [0, -2], 1/1 [1, -2], 1/2 [1, 2],
 *   0/1 [0, 1], ./. [-2, -2], ./1 [1, -2]; REF is not added unless called,
 *   and AD/PL never choose an allele.
 * * `call_LAD` [variants, samples, local_alleles_AD = 2] replaces `call_AD`
 *   (same dtype, description + " (local-alleles)"): AD at LA[0] and LA[1]
 *   (-2 where LA is -2).
 * * `call_LPL` [variants, samples, local_<last part of PL's dim> = 3, i.e.
 *   local_genotypes] replaces `call_PL`: a homozygous LA [a, -2] gives
 *   [PL(a,a), -2, -2], a heterozygous [a, b] gives [PL(a,a), PL(a,b),
 *   PL(b,b)], with the genotype order PL(a,b) = PL[b(b+1)/2 + a]
 *   (a ≤ b; the GL order of VCF 4.3 §1.6.2); LA [-2, -2] gives [-2, -2, -2].
 *
 * bio2zarr supports diploid data only (ploidy dimension 2) and needs
 * `call_genotype`; so does this module. Cells past the array's edge in an
 * edge chunk stay 0, as zarr-python writes them.
 */

/** Size of the `local_alleles` dimension (bio2zarr: the ploidy, which must be 2). */
export const LOCAL_ALLELES = 2;

/** bio2zarr's description of `call_LA`. */
export const LA_DESCRIPTION = '0-based indices into REF+ALT, indicating which alleles are relevant (local) for the current sample';

/** The FORMAT fields bio2zarr localises, with their local array name, values per call and trailing dimension name. */
export const LOCALISED_FIELDS: Readonly<Record<string, { readonly name: string; readonly width: number; readonly dim: (denseDim: string) => string }>> = {
  AD: { name: 'call_LAD', width: 2, dim: () => 'local_alleles_AD' },
  // bio2zarr: "local_" + the last "_"-separated part of call_PL's trailing dimension (genotypes → local_genotypes).
  PL: { name: 'call_LPL', width: 3, dim: (denseDim) => `local_${denseDim.split('_').pop()!}` },
};

const FILL = -2;

/**
 * Fills `la` (a call_LA tile [vChunk, sChunk, 2], int8) from `gt`, the
 * call_genotype tile [vChunk, sChunk, 2] of the same cells, for the first
 * `rows` variant rows and `cols` sample columns (the rest is left as is).
 * Negative alleles (missing -1, fill -2) are dropped; the distinct called
 * alleles go first, ascending, then -2.
 *
 * @returns -1, or the flat cell index (row · sChunk + column) of the first
 *   call with an allele above 127, which int8 cannot hold (bio2zarr wraps it
 *   silently; the caller throws)
 */
export function fillLocalAlleles(gt: Int8Array | Int16Array, la: Int8Array, rows: number, cols: number, sChunk: number): number {
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const o = (r * sChunk + i) * 2;
      let a = gt[o]!;
      let b = gt[o + 1]!;
      if (a > 127 || b > 127) return r * sChunk + i;
      if (a < 0) [a, b] = [b, FILL];
      else if (b < 0) b = FILL;
      else if (b < a) [a, b] = [b, a];
      if (a < 0) a = FILL;
      if (a === b) b = FILL;
      la[o] = a;
      la[o + 1] = b;
    }
  }
  return -1;
}

/**
 * Fills `out` (a call_LAD or call_LPL tile [vChunk, sChunk, width]) from
 * `dense` (the call_AD / call_PL tile [vChunk, sChunk, denseWidth]) and the
 * call_LA tile `la` [vChunk, sChunk, 2] of the same cells, for the first
 * `rows` × `cols` cells (module comment for the rule). An index past the
 * dense width reads -2 (fill), as a value past the record's width would.
 */
export function fillLocalField(field: 'AD' | 'PL', dense: Int8Array | Int16Array | Int32Array, denseWidth: number, la: Int8Array, out: Int8Array | Int16Array | Int32Array, rows: number, cols: number, sChunk: number): void {
  const width = LOCALISED_FIELDS[field]!.width;
  const at = (cell: number, k: number): number => (k < denseWidth ? dense[cell * denseWidth + k]! : FILL);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const cell = r * sChunk + i;
      const a = la[cell * 2]!;
      const b = la[cell * 2 + 1]!;
      const o = cell * width;
      out.fill(FILL, o, o + width);
      if (a < 0) continue;
      if (field === 'AD') {
        out[o] = at(cell, a);
        if (b >= 0) out[o + 1] = at(cell, b);
      } else {
        out[o] = at(cell, plIndex(a, a));
        if (b >= 0) {
          out[o + 1] = at(cell, plIndex(a, b));
          out[o + 2] = at(cell, plIndex(b, b));
        }
      }
    }
  }
}

/** Index of the genotype a/b (a ≤ b) in a diploid Number=G field: b(b+1)/2 + a (the GL order of VCF 4.3 §1.6.2). */
export function plIndex(a: number, b: number): number {
  return (b * (b + 1)) / 2 + a;
}
