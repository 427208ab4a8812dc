/**
 * `mergeVariantSets`: the variant set `bcftools merge` 1.16 writes for a list
 * of input files, with the map of every input site and allele into it.
 * Header union (htslib `bcf_hdr_merge`), record order (the synced reader's
 * contig order, then POS, then vcfmerge.c's rounds at one POS: position.ts),
 * and the site columns (vcfmerge.c `merge_chrom2qual`, `merge_filter`,
 * `merge_info`: info.ts).
 */
import { FLOAT32_MISSING_BITS, type Contig, type Filter, type FormatFieldDef, type InfoFieldDef, type VariantSet, variantLabel } from '../codec/index.ts';
import { MergeRefMismatchError, MergeUnsortedError } from './errors.ts';
import { InfoBuilder } from './info.ts';
import { normalizeAlleles } from './alleles.ts';
import { type MergeMode, type PositionLine, type PositionRecord, RefPrefixMismatch, mergePosition } from './position.ts';

export type { MergeMode } from './position.ts';

/** What {@link mergeVariantSets} returns. */
export interface MergedVariantSet {
  /** The merged sites, in `bcftools merge` output order, with the union header. */
  readonly variantSet: VariantSet;
  /** The mode the sets were merged with. */
  readonly mode: MergeMode;
  /** The input sets, in merge order (`sets` as given). */
  readonly inputs: readonly VariantSet[];
  /** `siteMap[i]`: [input i's variants] the 0-based merged site each of its sites went to. */
  readonly siteMap: readonly Int32Array[];
  /**
   * `alleleMap[i][site]`: [alleles of that site] its allele index → merged
   * allele index (0 → 0). Identity maps are shared instances: read only.
   */
  readonly alleleMap: readonly (readonly Int32Array[])[];
}

/** Options of {@link mergeVariantSets}. */
export interface MergeOptions {
  /** `both` (bcftools' default `-m both`) or `none` (`-m none`). */
  readonly mode: MergeMode;
}

const identities: Int32Array[] = [];
/** A shared identity allele map of length `n` (read only). */
export function identityMap(n: number): Int32Array {
  let m = identities[n];
  if (!m) {
    m = Int32Array.from({ length: n }, (_, k) => k);
    identities[n] = m;
  }
  return m;
}

function isIdentity(m: Int32Array): boolean {
  for (let k = 0; k < m.length; k++) if (m[k] !== k) return false;
  return true;
}

/** Cursor indices take the low 20 bits of a heap key (POS × 2^20 + cursor, exact in a float64). */
const CURSOR_SPAN = 1 << 20;

/** A binary min-heap of float64 keys. */
class KeyHeap {
  private readonly keys: Float64Array;
  size = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(Math.max(1, capacity));
  }
  top(): number {
    return this.keys[0]!;
  }
  push(key: number): void {
    const k = this.keys;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! <= key) break;
      k[i] = k[p]!;
      i = p;
    }
    k[i] = key;
  }
  pop(): number {
    const k = this.keys;
    const top = k[0]!;
    const last = k[--this.size]!;
    const n = this.size;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && k[c + 1]! < k[c]!) c++;
      if (k[c]! >= last) break;
      k[i] = k[c]!;
      i = c;
    }
    k[i] = last;
    return top;
  }
}

/** True when the cursors `taken` at `pos` hold one record each, all with the same alleles. */
function sameAlleles(sets: readonly VariantSet[], cur: readonly { set: number; start: number; end: number }[], taken: readonly number[], pos: number): boolean {
  const c0 = cur[taken[0]!]!;
  const a0 = sets[c0.set]!.alleles[c0.start]!;
  for (const h of taken) {
    const c = cur[h]!;
    const vs = sets[c.set]!;
    if (c.start + 1 < c.end && vs.position[c.start + 1] === pos) return false;
    const a = vs.alleles[c.start]!;
    if (a === a0) continue;
    if (a.length !== a0.length) return false;
    for (let k = 0; k < a.length; k++) if (a[k] !== a0[k]) return false;
  }
  return true;
}

/** Runs of one contig in a sorted set: [contig index, start, end). */
function contigRuns(vs: VariantSet, setIndex: number): [number, number, number][] {
  const runs: [number, number, number][] = [];
  const seen = new Set<number>();
  const n = vs.numVariants;
  let start = 0;
  for (let v = 0; v < n; v++) {
    const c = vs.contig[v]!;
    if (v > start && c !== vs.contig[v - 1]) {
      runs.push([vs.contig[start]!, start, v]);
      start = v;
    }
    if (v === start) {
      if (seen.has(c)) throw new MergeUnsortedError(setIndex, v, variantLabel(vs, v), `starts a second run of contig ${vs.contigs[c]?.id}`);
      seen.add(c);
    } else if (vs.position[v]! < vs.position[v - 1]!) {
      throw new MergeUnsortedError(setIndex, v, variantLabel(vs, v), `comes after POS ${vs.position[v - 1]} on the same contig`);
    }
  }
  if (n > start) runs.push([vs.contig[start]!, start, n]);
  return runs;
}

/** First-seen union by `id` of definitions (bcf_hdr_merge keeps the first of clashing ones). */
function unionById<T extends { readonly id: string }>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const l of lists)
    for (const d of l)
      if (!seen.has(d.id)) {
        seen.add(d.id);
        out.push(d);
      }
  return out;
}

/**
 * Merges variant sets as `bcftools merge` 1.16 merges the files they were
 * read from, in the order given (`bcftools merge --no-version f0 f1 ...`):
 *
 * - header: contigs, FILTERs, INFO and FORMAT definitions are the union in
 *   first-seen order (htslib `bcf_hdr_merge`; on a clash the first
 *   definition is kept); `PASS` first; `##key=value` lines deduplicated.
 * - record order: contigs in the first-seen order of the sets' *sites*
 *   (the synced reader walks the union of the files' index sequence names,
 *   file by file), then POS; records at one POS as vcfmerge.c's
 *   `can_merge`/`stage_line` rounds emit them (position.ts).
 * - per record: alleles joined with REF extension (`merge_alleles`), ALTs in
 *   first-appearance order, common suffix trimmed (`normalize_alleles`); ID
 *   the `;`-join of the distinct non-`.` IDs; QUAL the maximum; FILTER the
 *   union without `PASS` when another filter is present; INFO per info.ts
 *   (DP/DP4 summed, Number=A/R/G re-indexed, others from the first record
 *   carrying them, AC/AN left missing: bcftools recomputes them from the
 *   merged genotypes, and so must the writer); `variant_length` END−POS+1
 *   when INFO/END is set, else the merged REF length.
 *
 * Time and memory O(total sites) (a k-way merge per contig, a heap of sets).
 *
 * @param sets each sorted by contig runs then POS (as a tabix-indexed VCF);
 *   a contig order that differs between sets is not an error (bcftools
 *   reads indexed files by region).
 * @throws MergeUnsortedError when a set is not sorted.
 * @throws MergeRefMismatchError when REFs at one POS are incompatible.
 */
export function mergeVariantSets(sets: readonly VariantSet[], options: MergeOptions): MergedVariantSet {
  const mode = options.mode;
  if (sets.length >= CURSOR_SPAN) throw new RangeError(`at most ${CURSOR_SPAN - 1} variant sets can be merged at once`);
  const contigs: Contig[] = unionById(sets.map((s) => s.contigs));
  const contigIndex = new Map(contigs.map((c, i) => [c.id, i]));
  const passFilter = sets.flatMap((s) => s.filters).find((f) => f.id === 'PASS') ?? { id: 'PASS', description: 'All filters passed' };
  const filters: Filter[] = unionById([[passFilter], ...sets.map((s) => s.filters)]);
  const filterIndex = new Map(filters.map((f, i) => [f.id, i]));
  const infoDefs: InfoFieldDef[] = unionById(sets.map((s) => s.info.map((c) => c.def)));
  const format: FormatFieldDef[] = unionById(sets.map((s) => s.format));
  const meta: [string, string][] = [];
  const metaSeen = new Set<string>();
  for (const s of sets)
    for (const [k, v] of s.metaInformation) {
      const key = `${k}\u0000${v}`;
      if (!metaSeen.has(key)) {
        metaSeen.add(key);
        meta.push([k, v]);
      }
    }
  // Per set: its contig index → merged contig index, its filter index → merged filter index.
  const setContig = sets.map((s) => s.contigs.map((c) => contigIndex.get(c.id)!));
  const setFilter = sets.map((s) => s.filters.map((f) => filterIndex.get(f.id)!));

  // Contig walk order: first seen in the sets' sites.
  const runs = sets.map((s, i) => contigRuns(s, i));
  const order: number[] = [];
  const inOrder = new Set<number>();
  const runsByContig = new Map<number, { set: number; start: number; end: number }[]>();
  sets.forEach((_, i) => {
    for (const [c, start, end] of runs[i]!) {
      const g = setContig[i]![c]!;
      if (!inOrder.has(g)) {
        inOrder.add(g);
        order.push(g);
        runsByContig.set(g, []);
      }
      runsByContig.get(g)!.push({ set: i, start, end });
    }
  });

  const siteMap = sets.map((s) => new Int32Array(s.numVariants).fill(-1));
  const alleleMap: Int32Array[][] = sets.map((s) => new Array<Int32Array>(s.numVariants));
  const outContig: number[] = [];
  const outPos: number[] = [];
  const outId: string[] = [];
  const outAlleles: string[][] = [];
  const outQual: number[] = []; // float32 bit patterns
  const outFilter: number[][] = [];
  const info = new InfoBuilder(infoDefs, sets);
  const F_MISS = FLOAT32_MISSING_BITS;
  const qbits = sets.map((s) => new Uint32Array(s.quality.buffer, s.quality.byteOffset, s.quality.length));

  /** Appends one merged record and maps its members onto it. */
  function emit(g: number, pos: number, rec: PositionRecord): void {
        const m = outPos.length;
        outContig.push(g);
        outPos.push(pos);
        outAlleles.push(rec.alleles);
        const ids: string[] = [];
        let qual = F_MISS;
        let qualValue = 0;
        const flt: number[] = [];
        for (const { line, map } of rec.members) {
          const vs = sets[line.set]!;
          siteMap[line.set]![line.site] = m;
          alleleMap[line.set]![line.site] = isIdentity(map) ? identityMap(map.length) : map;
          const id = vs.id[line.site]!;
          if (id !== '.' && !ids.includes(id)) ids.push(id);
          const qb = qbits[line.set]![line.site]!;
          if (qb !== F_MISS && (qual === F_MISS || qualValue < vs.quality[line.site]!)) {
            qual = qb;
            qualValue = vs.quality[line.site]!;
          }
          const nF = vs.filters.length;
          for (let k = 0; k < nF; k++) if (vs.filter[line.site * nF + k]) {
            const gf = setFilter[line.set]![k]!;
            if (!flt.includes(gf)) flt.push(gf);
          }
        }
        outId.push(ids.length ? ids.join(';') : '.');
        outQual.push(qual);
        outFilter.push(flt.length > 1 ? flt.filter((f) => f !== 0) : flt);
        info.add(rec.alleles.length, rec.members);
  }

  for (const g of order) {
    const cur = runsByContig.get(g)!.map((r) => ({ ...r }));
    // Min-heap of cursors keyed by POS × 2^20 + cursor index (cursors are in
    // set order, so records at one POS come out in set order).
    const heap = new KeyHeap(cur.length);
    cur.forEach((c, h) => heap.push(sets[c.set]!.position[c.start]! * CURSOR_SPAN + h));
    const taken: number[] = [];
    while (heap.size) {
      const pos = Math.floor(heap.top() / CURSOR_SPAN);
      taken.length = 0;
      while (heap.size && Math.floor(heap.top() / CURSOR_SPAN) === pos) taken.push(heap.pop() % CURSOR_SPAN);
      // Fast path: one record per set, all with the same alleles → one record,
      // identity maps (what the rounds give for it), no per-line objects.
      if (sameAlleles(sets, cur, taken, pos)) {
        const first = cur[taken[0]!]!;
        const als = sets[first.set]!.alleles[first.start]!.slice();
        normalizeAlleles(als);
        const members = taken.map((h) => {
          const c = cur[h]!;
          const line: PositionLine = { set: c.set, site: c.start, alleles: sets[c.set]!.alleles[c.start]! };
          c.start++;
          if (c.start < c.end) heap.push(sets[c.set]!.position[c.start]! * CURSOR_SPAN + h);
          return { line, map: identityMap(als.length) };
        });
        emit(g, pos, { alleles: als, members });
        continue;
      }
      const lines: PositionLine[] = [];
      for (const h of taken) {
        const c = cur[h]!;
        const vs = sets[c.set]!;
        while (c.start < c.end && vs.position[c.start] === pos) {
          lines.push({ set: c.set, site: c.start, alleles: vs.alleles[c.start]! });
          c.start++;
        }
        if (c.start < c.end) heap.push(vs.position[c.start]! * CURSOR_SPAN + h);
      }
      let records;
      try {
        records = mergePosition(lines, mode);
      } catch (e) {
        if (e instanceof RefPrefixMismatch) {
          const vs = sets[e.line.set]!;
          throw new MergeRefMismatchError(e.line.set, e.line.site, variantLabel(vs, e.line.site), e.merged[0]!);
        }
        throw e;
      }
      for (const rec of records) emit(g, pos, rec);
    }
  }

  const n = outPos.length;
  const nF = filters.length;
  const filter = new Uint8Array(n * nF);
  outFilter.forEach((fs, v) => fs.forEach((f) => (filter[v * nF + f] = 1)));
  const quality = new Float32Array(new Uint32Array(outQual).buffer);
  const infoColumns = info.build();
  const endCol = infoColumns.find((c) => c.def.id === 'END' && c.def.type === 'Integer');
  const length = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const end = endCol ? (endCol.values as Int32Array)[v * endCol.width]! : -1;
    length[v] = end >= 0 ? end - outPos[v]! + 1 : outAlleles[v]![0]!.length;
  }
  const variantSet: VariantSet = {
    contigs,
    filters,
    numVariants: n,
    contig: Int32Array.from(outContig),
    position: Int32Array.from(outPos),
    id: outId,
    alleles: outAlleles,
    quality,
    filter,
    length,
    info: infoColumns,
    format,
    hasGenotype: sets.some((s) => s.hasGenotype),
    metaInformation: meta,
  };
  return { variantSet, mode, inputs: sets, siteMap, alleleMap };
}
