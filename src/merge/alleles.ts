/**
 * Allele-level rules of `bcftools merge` 1.16 (vcfmerge.c, htslib 1.16
 * vcf.c, bcftools vcmp.c), reimplemented from reading the C source:
 * variant-type classification, REF extension when alleles of records at one
 * POS are joined, the suffix trimming of the output alleles, and the allele
 * equivalence `-m none` uses. Alleles are VCF text (REF first, then ALTs).
 */

/** htslib's VCF_* variant-type bits (htslib/vcf.h 1.16). VCF_REF is 0. */
export const VT = {
  REF: 0,
  SNP: 1,
  MNP: 2,
  INDEL: 4,
  OTHER: 8,
  BND: 16,
  OVERLAP: 32,
  INS: 64,
  DEL: 128,
} as const;

/**
 * The shifted type masks of vcfmerge.c `can_merge`: a record's type `t`
 * becomes `t << 2`, or 2 (REF_MASK) when `t` is 0 (a REF-only record).
 */
export const SNP_MASK = (VT.SNP << 2) | (VT.MNP << 2);
export const INDEL_MASK = VT.INDEL << 2;
export const INS_MASK = VT.INS << 2;
export const DEL_MASK = VT.DEL << 2;
export const REF_MASK = 2;

/** Case-insensitive equality of two bases (equal strings first: no upper-casing in the common case). */
const eqi = (x: string, y: string): boolean => x === y || x.toUpperCase() === y.toUpperCase();

/**
 * The type of one ALT against REF: htslib 1.16 `bcf_set_variant_type`
 * (`*` overlap, `.`/`X`/`<X>`/`<*>`/`<NON_REF>` REF, other `<...>` OTHER,
 * breakends BND, then SNP / MNP / INDEL|INS / INDEL|DEL / OTHER after
 * trimming the shared prefix and suffix, case-insensitively).
 */
export function alleleType(ref: string, alt: string): number {
  if (alt === '*') return VT.OVERLAP;
  if (ref.length === 1 && alt.length === 1) {
    if (alt === '.' || ref === alt) return VT.REF;
    if (alt === 'X') return VT.REF;
    return VT.SNP;
  }
  if (alt[0] === '<') {
    if (alt === '<X>' || alt === '<*>' || alt === '<NON_REF>') return VT.REF;
    return VT.OTHER;
  }
  if (alt[0] === ']' || alt[0] === '[') return VT.BND;
  let r = 0;
  let a = 0;
  while (r < ref.length && a < alt.length && eqi(ref[r]!, alt[a]!)) {
    r++;
    a++;
  }
  if (a < alt.length && r === ref.length) {
    if (alt[a] === ']' || alt[a] === '[') return VT.BND;
    return VT.INDEL | VT.INS;
  }
  if (r < ref.length && a === alt.length) return VT.INDEL | VT.DEL;
  if (r === ref.length && a === alt.length) return VT.REF;
  let re = ref.length - 1;
  let ae = alt.length - 1;
  while (re > r && ae > a && eqi(ref[re]!, alt[ae]!)) {
    re--;
    ae--;
  }
  if (ae === a) {
    if (re === r) return VT.SNP;
    return eqi(ref[re]!, alt[ae]!) ? VT.INDEL | VT.DEL : VT.OTHER;
  }
  if (re === r) return eqi(ref[re]!, alt[ae]!) ? VT.INDEL | VT.INS : VT.OTHER;
  return re - r === ae - a ? VT.MNP : VT.OTHER;
}

/** OR of the types of a record's ALTs (htslib `bcf_has_variant_types(.., VCF_ANY, bcf_match_overlap)`); 0 for REF-only. */
export function recordType(alleles: readonly string[]): number {
  let t = 0;
  for (let k = 1; k < alleles.length; k++) t |= alleleType(alleles[0]!, alleles[k]!);
  return t;
}

/** `can_merge`'s shifted type: `t << 2`, or REF_MASK for a REF-only record. */
export function shiftedType(t: number): number {
  return t ? t << 2 : REF_MASK;
}

const isSymbolic = (a: string): boolean => a[0] === '<' || a[0] === '*';

/**
 * Joins record alleles `a` into the growing allele list `b` (modified in
 * place), as vcfmerge.c `merge_alleles`: the longer REF wins and every
 * allele of the shorter side (symbolic `<..>` and `*` excepted) is extended
 * by the REF suffix it lacks; an ALT of `a` equal (case-insensitively) to one
 * of `b` maps to it, otherwise it is appended. Returns the map from `a`'s
 * allele indices to `b`'s (0 → 0), or undefined when the REFs disagree on
 * their common prefix (bcftools: "The REF prefixes differ", fatal).
 */
export function mergeAlleles(a: readonly string[], b: string[]): Int32Array | undefined {
  const map = new Int32Array(a.length);
  const rla = a[0]!.length;
  const rlb = b[0]!.length;
  if (a.length === 2 && b.length === 2 && rla === 1 && rlb === 1 && a[1]!.length === 1 && b[1]!.length === 1 && a[1] === b[1]) {
    map[1] = 1;
    return map;
  }
  let aa = a;
  const samePrefix = rla <= rlb ? b[0]!.startsWith(a[0]!) : a[0]!.startsWith(b[0]!);
  if (!samePrefix) {
    const n = Math.min(rla, rlb);
    if (a[0]!.slice(0, n).toUpperCase() !== b[0]!.slice(0, n).toUpperCase()) return undefined;
    // Different case only: bcftools upper-cases both sides.
    aa = a.map((x) => x.toUpperCase());
    for (let i = 0; i < b.length; i++) b[i] = b[i]!.toUpperCase();
  }
  if (rla > rlb) {
    const suffix = aa[0]!.slice(rlb);
    for (let i = 0; i < b.length; i++) if (!isSymbolic(b[i]!)) b[i] = b[i] + suffix;
  }
  for (let i = 1; i < aa.length; i++) {
    const ai = rlb > rla && !isSymbolic(aa[i]!) ? aa[i] + b[0]!.slice(rla) : aa[i]!;
    // strcasecmp: an exact match first (the common case), then ignoring case.
    let j = 1;
    for (; j < b.length; j++) if (b[j] === ai) break;
    if (j === b.length) {
      const u = ai.toUpperCase();
      for (j = 1; j < b.length; j++) if (b[j]!.toUpperCase() === u) break;
    }
    if (j < b.length) {
      map[i] = j;
      continue;
    }
    map[i] = b.length;
    b.push(ai);
  }
  return map;
}

/**
 * Trims the suffix all alleles share while REF is longer than one base,
 * each allele keeping at least one base (vcfmerge.c `normalize_alleles`,
 * applied to a merged record's output alleles): `GTTT,GTT` → `GT,G`.
 * Modifies `als` in place.
 */
export function normalizeAlleles(als: string[]): void {
  const ref = als[0]!;
  if (ref.length <= 1) return;
  let i = 1;
  outer: while (i < ref.length) {
    for (let j = 1; j < als.length; j++) {
      const s = als[j]!;
      if (i >= s.length || s[s.length - i] !== ref[ref.length - i]) break outer;
    }
    i++;
  }
  if (i > 1) {
    const cut = i - 1;
    for (let j = 0; j < als.length; j++) als[j] = als[j]!.slice(0, als[j]!.length - cut);
  }
}

/**
 * vcmp.c `vcmp_set_ref` + `vcmp_find_allele` as `-m none` uses them: whether
 * REFs `ref1` (the merged record's) and `ref2` are compatible (one a
 * case-insensitive prefix of the other), and then the index in `als1` (ALTs
 * over `ref1`) of an allele equal to `al2` (over `ref2`) once both are
 * extended to the longer REF, or -1.
 */
export function findEquivalentAllele(ref1: string, als1: readonly string[], from: number, ref2: string, al2: string): number {
  const n = Math.min(ref1.length, ref2.length);
  if (ref1.slice(0, n).toUpperCase() !== ref2.slice(0, n).toUpperCase()) return -2;
  const d1 = ref1.length > ref2.length ? ref1.slice(n).toUpperCase() : '';
  const d2 = ref2.length > ref1.length ? ref2.slice(n).toUpperCase() : '';
  const target = (al2 + d1).toUpperCase();
  for (let i = from; i < als1.length; i++) if ((als1[i]! + d2).toUpperCase() === target) return i;
  return -1;
}

/** True when REFs are compatible for `-m none` (vcmp_set_ref >= 0). */
export function refsCompatible(ref1: string, ref2: string): boolean {
  const n = Math.min(ref1.length, ref2.length);
  return ref1.slice(0, n).toUpperCase() === ref2.slice(0, n).toUpperCase();
}
