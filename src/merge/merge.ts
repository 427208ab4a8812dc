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
import { mergeInfoColumns } from './info.ts';
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
   * allele index (0 → 0). Maps are shared instances (one per length for the
   * identity, one per content for the others): read only.
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

/**
 * One shared instance per allele map content (read only), so that the maps
 * of the records that go through the rounds are not kept once per input
 * record: maps of up to 7 entries below 32 (the usual case), others as given.
 */
function internMap(cache: Map<number, Int32Array>, m: Int32Array): Int32Array {
  if (m.length > 7) return m;
  let key = m.length;
  for (let k = 0; k < m.length; k++) {
    const x = m[k]!;
    if (x < 0 || x >= 32) return m;
    key = key * 32 + x;
  }
  const hit = cache.get(key);
  if (hit) return hit;
  cache.set(key, m);
  return m;
}

function isIdentity(m: Int32Array): boolean {
  for (let k = 0; k < m.length; k++) if (m[k] !== k) return false;
  return true;
}

/**
 * Writes the sorted distinct values of sorted `a` and `b` (duplicates within
 * either allowed) into `out` (length >= a.length + b.length); returns their count.
 */
function mergeUnique(a: Int32Array, b: Int32Array, out: Int32Array): number {
  const na = a.length;
  const nb = b.length;
  let i = 0;
  let j = 0;
  let n = 0;
  let last = 0;
  while (i < na && j < nb) {
    const x = a[i]!;
    const y = b[j]!;
    const v = x <= y ? x : y;
    if (x <= y) i++;
    if (y <= x) j++;
    if (n === 0 || v !== last) out[n++] = last = v;
  }
  for (; i < na; i++) if (n === 0 || a[i] !== last) out[n++] = last = a[i]!;
  for (; j < nb; j++) if (n === 0 || b[j] !== last) out[n++] = last = b[j]!;
  return n;
}

/**
 * The sorted distinct values of sorted arrays. Folded one list at a time into
 * the running union (two scratch buffers, no allocation per list: cheap when
 * the lists share most values, as a cohort's sites do); when the union keeps
 * growing (the fold's work passes 8× the input), the rest is merged pairwise
 * in rounds, so the worst case stays O(total × log(lists)).
 */
export function unionSorted(lists: readonly Int32Array[]): Int32Array {
  let total = 0;
  for (const l of lists) total += l.length;
  let cap = 1024;
  let acc = new Int32Array(cap);
  let tmp = new Int32Array(cap);
  let nu = 0;
  let work = 0;
  let k = 0;
  for (; k < lists.length && work <= 8 * total; k++) {
    const l = lists[k]!;
    if (nu + l.length > cap) {
      cap = Math.max(2 * cap, nu + l.length);
      const grown = new Int32Array(cap);
      grown.set(acc.subarray(0, nu));
      acc = grown;
      tmp = new Int32Array(cap);
    }
    nu = mergeUnique(acc.subarray(0, nu), l, tmp);
    work += nu + l.length;
    [acc, tmp] = [tmp, acc];
  }
  if (k === lists.length) return acc.slice(0, nu);
  let cur: Int32Array[] = [acc.slice(0, nu), ...lists.slice(k)];
  const empty = new Int32Array(0);
  while (cur.length > 1) {
    const next: Int32Array[] = [];
    for (let i = 0; i < cur.length; i += 2) {
      const a = cur[i]!;
      const b = cur[i + 1] ?? empty;
      const out = new Int32Array(a.length + b.length);
      next.push(out.slice(0, mergeUnique(a, b, out)));
    }
    cur = next;
  }
  return cur[0]!;
}

/** The index of `x` in sorted `u`, searching forward from `j` (galloping); `x` must be present. */
function gallop(u: Int32Array, j: number, x: number): number {
  if (u[j] === x) return j;
  let lo = j;
  let step = 1;
  while (j + step < u.length && u[j + step]! < x) {
    lo = j + step;
    step *= 2;
  }
  let hi = Math.min(j + step, u.length - 1);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when two allele lists are equal (same strings in the same order). */
function sameAlleles(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
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

/**
 * Checks that `vs` is sorted as `mergeVariantSets` needs (and `bcftools
 * merge` of indexed files): POS non-decreasing within a contig, each
 * contig's sites in one run.
 *
 * @throws MergeUnsortedError (set index 0) naming the first offending site.
 */
export function checkSorted(vs: VariantSet): void {
  contigRuns(vs, 0);
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
 * How: every pass reads the sets one after the other, each set's columns
 * front to back, and writes into per-position and per-record arrays (small
 * when the sets share their sites): (1) the distinct (contig, POS) "slots"
 * ({@link unionSorted}); (2) each site's slot, and whether a slot is simple
 * (one record per set, the same alleles in all: one merged record, identity
 * allele maps, the outcome of the rounds for it); (3) the records of the
 * other slots, in set order, through the rounds (position.ts); (4) siteMap,
 * alleleMap, ID, QUAL, FILTER; (5) INFO, one column at a time (info.ts). A
 * merged record takes at most one site of a set, so reading set after set
 * joins its records in set order, the order bcftools joins them in.
 * Time O(total sites) when the sets share most sites, O(total × log(sets))
 * at worst (the union); memory O(total sites) (siteMap, alleleMap) plus
 * O(merged records × columns).
 *
 * @param sets each sorted by contig runs then POS (as a tabix-indexed VCF);
 *   a contig order that differs between sets is not an error (bcftools
 *   reads indexed files by region).
 * @throws MergeUnsortedError when a set is not sorted.
 * @throws MergeRefMismatchError when REFs at one POS are incompatible.
 */
export function mergeVariantSets(sets: readonly VariantSet[], options: MergeOptions): MergedVariantSet {
  const mode = options.mode;
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

  // The merge runs set by set over each set's own arrays (sequential reads),
  // writing into per-slot and per-record arrays that stay small; members of a
  // merged record thus arrive in set order, as bcftools joins them.
  //
  // 1. Slots: the distinct (contig, POS) of all sets, in walk order.
  const slotBase = new Map<number, number>();
  const unions = new Map<number, Int32Array>();
  let nSlots = 0;
  for (const g of order) {
    const u = unionSorted(runsByContig.get(g)!.map((r) => sets[r.set]!.position.subarray(r.start, r.end)));
    unions.set(g, u);
    slotBase.set(g, nSlots);
    nSlots += u.length;
  }
  // 2. Per set: each site's slot (kept in siteMap for now), and whether the
  //    slot is "simple": one record per set there, all with the same alleles
  //    (then the rounds give one record with identity maps: no per-line work).
  const siteMap = sets.map((s) => new Int32Array(s.numVariants).fill(-1));
  const alleleMap: Int32Array[][] = sets.map((s) => new Array<Int32Array>(s.numVariants));
  const rep: (readonly string[] | undefined)[] = new Array(nSlots);
  const complex = new Uint8Array(nSlots);
  sets.forEach((vs, i) => {
    const sm = siteMap[i]!;
    const p = vs.position;
    for (const [c, start, end] of runs[i]!) {
      const g = setContig[i]![c]!;
      const u = unions.get(g)!;
      const base = slotBase.get(g)!;
      let j = 0;
      for (let v = start; v < end; v++) {
        const pos = p[v]!;
        j = gallop(u, j, pos);
        const slot = base + j;
        sm[v] = slot;
        if ((v + 1 < end && p[v + 1] === pos) || (v > start && p[v - 1] === pos)) complex[slot] = 1;
        else if (!complex[slot]) {
          const r = rep[slot];
          if (r === undefined) rep[slot] = vs.alleles[v]!;
          else if (!sameAlleles(r, vs.alleles[v]!)) complex[slot] = 1;
        }
      }
    }
  });
  // 3. The lines of the other slots, in set order then file order.
  const lines: PositionLine[][] = [];
  sets.forEach((vs, i) => {
    const sm = siteMap[i]!;
    for (let v = 0; v < vs.numVariants; v++) {
      const slot = sm[v]!;
      if (complex[slot]) (lines[slot] ??= []).push({ set: i, site: v, alleles: vs.alleles[v]! });
    }
  });
  // 4. The merged records, slot by slot in walk order: a simple slot gives one
  //    record; another goes through vcfmerge.c's rounds (position.ts), whose
  //    members are mapped here.
  const outContig: number[] = [];
  const outPos: number[] = [];
  const outAlleles: string[][] = [];
  const recordOfSlot = new Int32Array(nSlots).fill(-1);
  const mapCache = new Map<number, Int32Array>();
  for (const g of order) {
    const u = unions.get(g)!;
    const base = slotBase.get(g)!;
    for (let j = 0; j < u.length; j++) {
      const slot = base + j;
      const pos = u[j]!;
      if (!complex[slot]) {
        const als = rep[slot]!.slice();
        normalizeAlleles(als);
        recordOfSlot[slot] = outPos.length;
        outContig.push(g);
        outPos.push(pos);
        outAlleles.push(als);
        continue;
      }
      let records: PositionRecord[];
      try {
        records = mergePosition(lines[slot]!, mode);
      } catch (e) {
        if (e instanceof RefPrefixMismatch) {
          const vs = sets[e.line.set]!;
          throw new MergeRefMismatchError(e.line.set, e.line.site, variantLabel(vs, e.line.site), e.merged[0]!);
        }
        throw e;
      }
      for (const rec of records) {
        const m = outPos.length;
        outContig.push(g);
        outPos.push(pos);
        outAlleles.push(rec.alleles);
        for (const { line, map } of rec.members) {
          siteMap[line.set]![line.site] = ~m; // negative: mapped here, not through recordOfSlot
          alleleMap[line.set]![line.site] = isIdentity(map) ? identityMap(map.length) : internMap(mapCache, map);
        }
      }
    }
  }
  const n = outPos.length;
  // 5. Per set: the simple slots' sites mapped (identity allele maps), and
  //    ID, QUAL, FILTER joined into their records in set order.
  const nF = filters.length;
  const filter = new Uint8Array(n * nF);
  const idFirst: (string | undefined)[] = new Array(n);
  const idMore: (string[] | undefined)[] = new Array(n);
  const qualBits = new Uint32Array(n).fill(FLOAT32_MISSING_BITS);
  const quality = new Float32Array(qualBits.buffer);
  const F_MISS = FLOAT32_MISSING_BITS;
  const identityOf = outAlleles.map((a) => identityMap(a.length));
  sets.forEach((vs, i) => {
    const sm = siteMap[i]!;
    const am = alleleMap[i]!;
    const ids = vs.id;
    const q = vs.quality;
    const qb = new Uint32Array(q.buffer, q.byteOffset, q.length);
    const nFs = vs.filters.length;
    const sf = setFilter[i]!;
    const flt = vs.filter;
    for (let v = 0; v < vs.numVariants; v++) {
      const x = sm[v]!;
      let m: number;
      if (x >= 0) {
        // A simple slot: its record's alleles are this site's (trimmed), the map the identity.
        m = recordOfSlot[x]!;
        am[v] = identityOf[m]!;
      } else m = ~x;
      sm[v] = m;
      const id = ids[v]!;
      if (id !== '.') {
        const first = idFirst[m];
        if (first === undefined) idFirst[m] = id;
        else if (first !== id) {
          const more = idMore[m];
          if (!more) idMore[m] = [id];
          else if (!more.includes(id)) more.push(id);
        }
      }
      const b = qb[v]!;
      if (b !== F_MISS && (qualBits[m] === F_MISS || quality[m]! < q[v]!)) qualBits[m] = b;
      for (let k = 0; k < nFs; k++) if (flt[v * nFs + k]) filter[m * nF + sf[k]!] = 1;
    }
  });
  const outId = new Array<string>(n);
  for (let m = 0; m < n; m++) {
    const first = idFirst[m];
    const more = idMore[m];
    outId[m] = first === undefined ? '.' : more ? [first, ...more].join(';') : first;
    // FILTER: PASS dropped when another filter is set.
    for (let k = 1; k < nF; k++)
      if (filter[m * nF + k]) {
        filter[m * nF] = 0;
        break;
      }
  }

  const nAlleles = new Int32Array(n);
  for (let v = 0; v < n; v++) nAlleles[v] = outAlleles[v]!.length;
  const infoColumns = mergeInfoColumns(infoDefs, sets, siteMap, alleleMap, nAlleles);
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
