/**
 * Facts derived from a variant set that the codec and the depot need often:
 * allele counts, block ranges and the expected width of each FORMAT field.
 */
import type { FormatFieldDef, InfoColumn, VariantSet, VcfNumber } from './types.ts';

const alleleCountCache = new WeakMap<VariantSet, Uint16Array>();

/** [variants] number of alleles (REF + ALTs) of each variant; cached per variant set. */
export function alleleCounts(vs: VariantSet): Uint16Array {
  let counts = alleleCountCache.get(vs);
  if (!counts) {
    counts = new Uint16Array(vs.numVariants);
    for (let v = 0; v < vs.numVariants; v++) counts[v] = vs.alleles[v]!.length;
    alleleCountCache.set(vs, counts);
  }
  return counts;
}

/**
 * Size of VCZ's `alleles` dimension: max(max number of alleles, 2)
 * (bio2zarr `vcf.py`: never below 2).
 */
export function maxAlleles(vs: VariantSet): number {
  let max = maxAllelesCache.get(vs);
  if (max === undefined) {
    const counts = alleleCounts(vs);
    max = 2;
    for (let v = 0; v < counts.length; v++) if (counts[v]! > max) max = counts[v]!;
    maxAllelesCache.set(vs, max);
  }
  return max;
}

// Caches per variant set (sets are not changed once made): a block-by-block
// import asks for these once per sample and block.
const maxAllelesCache = new WeakMap<VariantSet, number>();
const formatIndexCache = new WeakMap<VariantSet, Map<string, { def: FormatFieldDef; index: number }>>();

/** Number of blocks of `blockSize` variants covering `numVariants` (the last may be short). */
export function blockCount(numVariants: number, blockSize: number): number {
  return Math.ceil(numVariants / blockSize);
}

/** Half-open variant range [start, end) of block `block`, 0-based. */
export function blockRange(numVariants: number, blockSize: number, block: number): [number, number] {
  const start = block * blockSize;
  return [start, Math.min(numVariants, start + blockSize)];
}

/** Binomial coefficient C(n, k) for small n, k. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/**
 * The width (values per variant) a FORMAT field must have in a record, or a
 * minimum for fixed and unknown numbers. Follows bio2zarr's dimensions:
 * A → alleles − 1, R → alleles, G → C(alleles + ploidy − 1, ploidy) when the
 * sample has GT (any width otherwise), fixed n → at least n (more when the
 * data hold more, as bio2zarr sizes fixed dims to max(observed, declared)),
 * `.` → at least 1.
 */
export function expectedWidth(
  number: VcfNumber,
  alleles: number,
  ploidy: number,
): { exact: number } | { min: number } {
  switch (number) {
    case 'A':
      return { exact: alleles - 1 };
    case 'R':
      return { exact: alleles };
    case 'G':
      return ploidy > 0 ? { exact: binomial(alleles + ploidy - 1, ploidy) } : { min: 1 };
    case '.':
      return { min: 1 };
    default:
      return { min: Math.max(1, number) };
  }
}

/** Map from FORMAT ID to its definition and position in the variant set (cached per set; read only). */
export function formatIndex(vs: VariantSet): ReadonlyMap<string, { def: FormatFieldDef; index: number }> {
  let m = formatIndexCache.get(vs);
  if (!m) {
    m = new Map<string, { def: FormatFieldDef; index: number }>();
    vs.format.forEach((def, index) => m!.set(def.id, { def, index }));
    formatIndexCache.set(vs, m);
  }
  return m;
}

/** A human label for variant `v`: `contig:POS REF>ALT,...`. */
export function variantLabel(vs: VariantSet, v: number): string {
  const contig = vs.contigs[vs.contig[v]!]?.id ?? '?';
  const alleles = vs.alleles[v] ?? [];
  return `${contig}:${vs.position[v]} ${alleles[0] ?? ''}>${alleles.slice(1).join(',') || '.'}`;
}

/**
 * The variant set restricted to the variants `indices` (0-based indices into
 * `vs`, in the order given; each at most once): every column is picked at
 * those indices. INFO columns of Number=A / R keep their VCZ widths consistent
 * with the subset (alleles − 1 / alleles, where alleles = {@link maxAlleles}
 * of the subset); other INFO columns keep their width. Contigs, filters,
 * FORMAT definitions and meta-information are unchanged (a VCF subset keeps
 * its header, as `bcftools view -r` does).
 *
 * @throws RangeError when an index is out of [0, numVariants) or repeated.
 */
export function subsetVariantSet(vs: VariantSet, indices: ArrayLike<number>): VariantSet {
  const n = indices.length;
  const seen = new Uint8Array(vs.numVariants);
  for (let i = 0; i < n; i++) {
    const v = indices[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= vs.numVariants) throw new RangeError(`variant index ${v} is outside [0, ${vs.numVariants})`);
    if (seen[v]) throw new RangeError(`variant index ${v} is selected twice`);
    seen[v] = 1;
  }
  const pick32 = (a: Int32Array): Int32Array => Int32Array.from({ length: n }, (_, i) => a[indices[i]!]!);
  const alleles = Array.from({ length: n }, (_, i) => vs.alleles[indices[i]!]!);
  let subMax = 2;
  for (const a of alleles) if (a.length > subMax) subMax = a.length;
  const nF = vs.filters.length;
  const filter = new Uint8Array(n * nF);
  for (let i = 0; i < n; i++) filter.set(vs.filter.subarray(indices[i]! * nF, indices[i]! * nF + nF), i * nF);
  const quality = new Float32Array(n);
  const q32 = new Uint32Array(quality.buffer);
  const src32 = new Uint32Array(vs.quality.buffer, vs.quality.byteOffset, vs.quality.length);
  for (let i = 0; i < n; i++) q32[i] = src32[indices[i]!]!; // NaN payloads kept bit for bit
  const info = vs.info.map((col): InfoColumn => {
    const w = col.width;
    const nw = col.def.number === 'A' ? Math.max(1, Math.min(w, subMax - 1)) : col.def.number === 'R' ? Math.min(w, subMax) : w;
    if (Array.isArray(col.values)) {
      const src = col.values as readonly string[];
      const out: string[] = new Array<string>(n * nw);
      for (let i = 0; i < n; i++) for (let k = 0; k < nw; k++) out[i * nw + k] = src[indices[i]! * w + k]!;
      return { def: col.def, width: nw, values: out };
    }
    const src = col.values as Exclude<InfoColumn['values'], string[]>;
    // Copy as integers of the same byte width (Float32 through its bits, so NaN payloads survive).
    const bits = src instanceof Float32Array ? new Uint32Array(src.buffer, src.byteOffset, src.length) : src;
    const outBits = new (bits.constructor as Uint32ArrayConstructor)(n * nw);
    for (let i = 0; i < n; i++) for (let k = 0; k < nw; k++) outBits[i * nw + k] = bits[indices[i]! * w + k]!;
    const values = src instanceof Float32Array ? new Float32Array(outBits.buffer) : (outBits as unknown as Exclude<InfoColumn['values'], string[]>);
    return { def: col.def, width: nw, values };
  });
  return {
    contigs: vs.contigs,
    filters: vs.filters,
    numVariants: n,
    contig: pick32(vs.contig),
    position: pick32(vs.position),
    id: Array.from({ length: n }, (_, i) => vs.id[indices[i]!]!),
    alleles,
    quality,
    filter,
    length: pick32(vs.length),
    info,
    format: vs.format,
    hasGenotype: vs.hasGenotype,
    metaInformation: vs.metaInformation,
  };
}
