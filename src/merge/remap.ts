/**
 * `remapCalls`: one sample's calls over its own variant set → dense over the
 * merged set, as `bcftools merge` 1.16 writes that sample's column
 * (vcfmerge.c `merge_GT`, `merge_format_field`, `merge_format_string`).
 */
import {
  FLOAT32_FILL_BITS,
  FLOAT32_MISSING_BITS,
  INT_FILL,
  INT_MISSING,
  STRING_FILL,
  STRING_MISSING,
  maxAlleles,
  type FieldValues,
  type FormatFieldDef,
  type SampleCalls,
} from '../codec/index.ts';
import type { MergedVariantSet } from './merge.ts';

/** Options of {@link remapCalls}. */
export interface RemapOptions {
  /** `bcftools merge -0`: a site the sample's set lacks gets GT 0 (unphased) instead of missing. */
  readonly missingToRef?: boolean;
  /**
   * The `alleles` dimension the widths of Number=A/R/G fields follow
   * (default `maxAlleles(merged.variantSet)`): a caller remapping one tile of
   * the merged sites at a time passes the whole merged set's, so every tile
   * has the same widths.
   */
  readonly maxAlleles?: number;
}

/** A field's values as a flat array of raw cells with its sentinels (float32 as bit patterns). */
interface Raw<T> {
  readonly src: ArrayLike<T>;
  readonly dst: { [i: number]: T; length: number };
  readonly miss: T;
  readonly fill: T;
}

function raw(f: FieldValues, n: number, width: number): Raw<number> | Raw<string> {
  const v = f.values;
  if (Array.isArray(v)) return { src: v as readonly string[], dst: new Array<string>(n * width).fill(STRING_FILL), miss: STRING_MISSING, fill: STRING_FILL };
  if (v instanceof Float32Array) {
    const dst = new Uint32Array(n * width).fill(FLOAT32_FILL_BITS);
    return { src: new Uint32Array(v.buffer, v.byteOffset, v.length), dst, miss: FLOAT32_MISSING_BITS, fill: FLOAT32_FILL_BITS };
  }
  return { src: v as ArrayLike<number>, dst: new Int32Array(n * width).fill(INT_FILL), miss: INT_MISSING, fill: INT_FILL };
}

/**
 * The calls of sample `calls` (over `merged.inputs[setIndex]`) over the merged
 * variant set, as `bcftools merge` writes that sample's column:
 *
 * - GT ([merged variants, ploidy], Int32Array): allele indices through
 *   `alleleMap`; a missing allele stays -1 and, as bcftools stores it without
 *   its phase bit, a call whose second allele is missing becomes unphased;
 *   fill (-2) kept. At a site the sample's set lacks: every allele -1
 *   (`./.`), or 0 with `missingToRef` (`-0`), unphased (phased 1 when
 *   `ploidy` is 1, the reader's convention). The ploidy of such a call in a
 *   VCF is the record's largest (bcftools pads to it); a writer must widen.
 * - FORMAT fields (the merged set's, in its order; a field these calls lack
 *   is left out, which `SampleCalls` defines as all missing): where the
 *   site's alleles are unchanged, copied; else Number=A/R/G re-indexed, each
 *   merged allele the sample's record lacked missing, and a vector of one
 *   value where several were due (`.` included) written whole-missing, as
 *   bcftools does; Number=G per the call's ploidy at the site (haploid →
 *   one value per allele, else diploid order). String Number=A/R keep the
 *   first non-missing per allele; String Number=G is re-indexed like numbers
 *   (bcftools exits on it: a deliberate difference). Fixed and `.` numbers
 *   are copied. Sites the set lacks: first value missing, the rest fill.
 *   Widths: A → max alleles − 1, R → max alleles, G → max alleles for a
 *   haploid sample else C(max alleles + 1, 2) (max alleles ≥ 2, as
 *   `maxAlleles`), others the input width. Integer → Int32Array, Float →
 *   Float32Array (bit patterns kept), strings → string[].
 *
 * @param formatDefs the FORMAT definitions of the input set (default
 *   `merged.inputs[setIndex].format`): every field of `calls` must be
 *   declared there. The merged definition's Number governs the remapping
 *   (bcf_hdr_merge keeps the first of clashing definitions).
 * @throws RangeError when `setIndex` is out of range or the calls' shape does
 *   not fit the input set.
 */
export function remapCalls(
  merged: MergedVariantSet,
  setIndex: number,
  calls: SampleCalls,
  formatDefs: readonly FormatFieldDef[] = merged.inputs[setIndex]?.format ?? [],
  options: RemapOptions = {},
): SampleCalls {
  const input = merged.inputs[setIndex];
  if (!input) throw new RangeError(`set index ${setIndex} is outside [0, ${merged.inputs.length})`);
  const out = merged.variantSet;
  const M = out.numVariants;
  const S = input.numVariants;
  const siteMap = merged.siteMap[setIndex]!;
  const alleleMap = merged.alleleMap[setIndex]!;
  const P = calls.ploidy;
  if (P > 0 && (!calls.genotype || calls.genotype.length !== S * P))
    throw new RangeError(`set ${setIndex}: genotype has ${calls.genotype?.length ?? 0} values, expected ${S} variants × ploidy ${P}`);
  const unchanged = new Uint8Array(S);
  for (let s = 0; s < S; s++) {
    const map = alleleMap[s]!;
    unchanged[s] = map.length === out.alleles[siteMap[s]!]!.length && map.every((x, k) => x === k) ? 1 : 0;
  }
  let genotype: Int32Array | undefined;
  let phased: Uint8Array | undefined;
  const siteP = new Uint8Array(S); // the call's ploidy at each own site (non-fill alleles)
  if (P > 0) {
    const g = calls.genotype!;
    const ph = calls.phased;
    genotype = new Int32Array(M * P).fill(options.missingToRef ? 0 : INT_MISSING);
    phased = new Uint8Array(M).fill(P === 1 ? 1 : 0);
    for (let s = 0; s < S; s++) {
      const m = siteMap[s]!;
      const map = alleleMap[s]!;
      let np = 0;
      for (let p = 0; p < P; p++) {
        const a = g[s * P + p]!;
        if (a !== INT_FILL) np++;
        genotype[m * P + p] = a >= 1 ? map[a]! : a;
      }
      siteP[s] = np;
      phased[m] = ph ? ph[s]! : 0;
      if (P >= 2 && g[s * P + 1] === INT_MISSING) phased[m] = 0;
    }
  }
  const fieldsIn = new Map(calls.fields.map((f) => [f.id, f]));
  const ownDefs = new Set(formatDefs.map((d) => d.id));
  for (const f of calls.fields)
    if (!ownDefs.has(f.id)) throw new RangeError(`set ${setIndex}: FORMAT field ${f.id} of the calls is not declared by the set`);
  const maxA = options.maxAlleles ?? maxAlleles(out);
  const fields: FieldValues[] = [];
  for (const def of out.format) {
    const f = fieldsIn.get(def.id);
    if (!f) continue;
    const number = def.number;
    const w = f.width;
    const width =
      number === 'A' ? maxA - 1 : number === 'R' ? maxA : number === 'G' ? (P === 1 ? maxA : (maxA * (maxA + 1)) / 2) : w;
    const r = raw(f, M, width) as Raw<number | string>;
    const { src, dst, miss, fill } = r;
    for (let m = 0; m < M; m++) dst[m * width] = miss;
    for (let s = 0; s < S; s++) {
      const m = siteMap[s]!;
      const o = m * width;
      const i0 = s * w;
      let c = 0; // the sample's value count at this site
      while (c < w && src[i0 + c] !== fill) c++;
      if (unchanged[s] || (number !== 'A' && number !== 'R' && number !== 'G')) {
        for (let k = 0; k < Math.min(c, width); k++) dst[o + k] = src[i0 + k]!;
        if (c === 0) dst[o] = miss;
        continue;
      }
      const map = alleleMap[s]!;
      const nIn = map.length;
      const nOut = out.alleles[m]!.length;
      const isString = typeof miss === 'string';
      if (number === 'G') {
        if (c === 0 || (c === 1 && (src[i0] === miss || nIn > 1))) continue; // whole missing
        const hap = siteP[s] === 1;
        const ng = hap ? nOut : (nOut * (nOut + 1)) / 2;
        for (let k = 0; k < ng; k++) dst[o + k] = miss;
        if (hap) {
          for (let i = 0; i < nIn && i < c; i++) dst[o + map[i]!] = src[i0 + i]!;
        } else {
          outer: for (let i = 0; i < nIn; i++)
            for (let j = 0; j <= i; j++) {
              const ko = (i * (i + 1)) / 2 + j;
              if (ko >= c) break outer;
              const a = map[i]!;
              const b = map[j]!;
              dst[o + (a > b ? (a * (a + 1)) / 2 + b : (b * (b + 1)) / 2 + a)] = src[i0 + ko]!;
            }
        }
        continue;
      }
      const from = number === 'A' ? 1 : 0;
      const expected = nIn - from;
      if (!isString && (c === 0 || (c === 1 && (expected !== 1 || src[i0] === miss)))) continue; // whole missing
      for (let k = 0; k < nOut - from; k++) dst[o + k] = miss;
      for (let i = from; i < nIn; i++) {
        if (i - from >= c) break;
        const x = src[i0 + i - from]!;
        if (isString && x === miss) continue;
        dst[o + map[i]! - from] = x;
      }
    }
    const values = Array.isArray(f.values)
      ? (dst as string[])
      : f.values instanceof Float32Array
        ? new Float32Array((dst as Uint32Array).buffer)
        : (dst as Int32Array);
    fields.push({ id: def.id, width, values } as FieldValues);
  }
  return { ploidy: P, ...(genotype ? { genotype, phased } : {}), fields };
}
