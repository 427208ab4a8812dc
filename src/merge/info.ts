/**
 * The INFO columns of a merged variant set, by vcfmerge.c 1.16 `merge_info`
 * with bcftools' default rules (`info_rules_init` without `-i`):
 *
 * - `AC`, `AN`: not carried (left missing); bcftools recomputes them from the
 *   merged genotypes (`update_AN_AC`) when the header declares them.
 * - `DP`, `DP4` (when declared): summed element-wise over the joined records
 *   that carry them, a missing value counting 0 (`info_rules_merge_sum`).
 * - Number=A/R/G: re-indexed to the merged alleles (`merge_AGR_info_tag`):
 *   numbers by overwriting in record order (a later file wins an allele both
 *   carry; a missing value of Number=A/R does not advance the source, as in
 *   bcftools), strings by the first non-missing value per allele.
 * - anything else (fixed Number, `.`, Flag, String): the first record
 *   carrying the key, whole.
 *
 * A record "carries" a key when its value is not all missing (the VCZ model
 * cannot tell `KEY=.` from an absent key).
 */
import {
  FLOAT32_FILL_BITS,
  FLOAT32_MISSING_BITS,
  INT_FILL,
  INT_MISSING,
  STRING_FILL,
  STRING_MISSING,
  type InfoColumn,
  type InfoFieldDef,
  type VariantSet,
} from '../codec/index.ts';

/** A decoded value: number or string, null missing, undefined fill / past the end. */
type Cell = number | string | null | undefined;

// Local copies: imported bindings are getters under some loaders, and these sit in hot loops.
const F_FILL = FLOAT32_FILL_BITS;
const F_MISS = FLOAT32_MISSING_BITS;
const I_FILL = INT_FILL;
const I_MISS = INT_MISSING;

/** One input column with its values viewed for direct reads. */
interface Access {
  readonly width: number;
  readonly kind: 0 | 1 | 2 | 3; // Integer, Float, String/Character, Flag
  readonly ints?: ArrayLike<number>;
  readonly bits?: Uint32Array;
  readonly floats?: Float32Array;
  readonly strs?: readonly string[];
}

function access(col: InfoColumn): Access {
  const v = col.values;
  if (col.def.type === 'Flag') return { width: col.width, kind: 3, ints: v as Uint8Array };
  if (Array.isArray(v)) return { width: col.width, kind: 2, strs: v as string[] };
  if (v instanceof Float32Array) return { width: col.width, kind: 1, floats: v, bits: new Uint32Array(v.buffer, v.byteOffset, v.length) };
  return { width: col.width, kind: 0, ints: v as ArrayLike<number> };
}

function readCell(a: Access, v: number, k: number): Cell {
  if (k >= a.width) return undefined;
  const i = v * a.width + k;
  switch (a.kind) {
    case 0: {
      const x = a.ints![i]!;
      return x === I_FILL ? undefined : x === I_MISS ? null : x;
    }
    case 1: {
      const b = a.bits![i]!;
      return b === F_FILL ? undefined : b === F_MISS ? null : a.floats![i]!;
    }
    case 2: {
      const s = a.strs![i]!;
      return s === STRING_FILL ? undefined : s === STRING_MISSING ? null : s;
    }
    default:
      return a.ints![i] ? 1 : null;
  }
}

/**
 * The state of cell `k` of record `v`, read without decoding the value (no
 * float boxing in the hot loops): 1 a value, 0 missing, -1 fill or past the
 * column's width.
 */
function cellState(a: Access, v: number, k: number): number {
  if (k >= a.width) return -1;
  const i = v * a.width + k;
  switch (a.kind) {
    case 0: {
      const x = a.ints![i]!;
      return x === I_FILL ? -1 : x === I_MISS ? 0 : 1;
    }
    case 1: {
      const b = a.bits![i]!;
      return b === F_FILL ? -1 : b === F_MISS ? 0 : 1;
    }
    case 2: {
      const s = a.strs![i]!;
      return s === STRING_FILL ? -1 : s === STRING_MISSING ? 0 : 1;
    }
    default:
      return a.ints![i] ? 1 : 0;
  }
}

/**
 * The row length of record `v` (the cells before the first fill: what a VCF
 * row holds) when it carries a value (a cell not missing before the first
 * fill), else -1. One pass over its cells, the column's kind tested once.
 */
function carriedLength(a: Access, v: number): number {
  const w = a.width;
  const b = v * w;
  let car = false;
  switch (a.kind) {
    case 0: {
      const r = a.ints!;
      for (let k = 0; k < w; k++) {
        const x = r[b + k]!;
        if (x === I_FILL) return car ? k : -1;
        if (x !== I_MISS) car = true;
      }
      break;
    }
    case 1: {
      const r = a.bits!;
      for (let k = 0; k < w; k++) {
        const x = r[b + k]!;
        if (x === F_FILL) return car ? k : -1;
        if (x !== F_MISS) car = true;
      }
      break;
    }
    case 2: {
      const r = a.strs!;
      for (let k = 0; k < w; k++) {
        const x = r[b + k]!;
        if (x === STRING_FILL) return car ? k : -1;
        if (x !== STRING_MISSING) car = true;
      }
      break;
    }
    default:
      for (let k = 0; k < w; k++) if (a.ints![b + k]) car = true;
  }
  return car ? w : -1;
}

/** An output column being written: typed per the merged definition. */
interface Out {
  readonly kind: 0 | 1 | 2 | 3; // Integer, Float, String/Character, Flag
  readonly ints?: Int32Array;
  readonly floats?: Float32Array;
  readonly bits?: Uint32Array;
  readonly strs?: string[];
}

function outColumn(def: InfoFieldDef, size: number): Out {
  if (def.type === 'Flag') return { kind: 3, ints: new Int32Array(0) };
  if (def.type === 'String' || def.type === 'Character') return { kind: 2, strs: new Array<string>(size).fill(STRING_FILL) };
  if (def.type === 'Float') {
    const floats = new Float32Array(size);
    const bits = new Uint32Array(floats.buffer);
    bits.fill(F_FILL);
    return { kind: 1, floats, bits };
  }
  return { kind: 0, ints: new Int32Array(size).fill(I_FILL) };
}

/** Writes a missing value at `i`. */
function putMissing(o: Out, i: number): void {
  if (o.kind === 0) o.ints![i] = I_MISS;
  else if (o.kind === 1) o.bits![i] = F_MISS;
  else o.strs![i] = STRING_MISSING;
}

/** Writes decoded value `c` (not undefined) at `i`, converted to the output type as a VCF writer would read it back. */
function putCell(o: Out, i: number, c: number | string | null): void {
  if (c === null) putMissing(o, i);
  else if (o.kind === 2) o.strs![i] = String(c);
  else if (typeof c !== 'number') putMissing(o, i);
  else if (o.kind === 0) o.ints![i] = c;
  else o.floats![i] = c;
}

/**
 * Copies input cell `k` of record `v` (not fill) to output cell `i`: a float
 * into a Float column or an integer into an Integer column as is (bit
 * pattern, no boxing), anything else decoded and converted by {@link putCell}.
 */
function copyCell(o: Out, i: number, a: Access, v: number, k: number): void {
  if (o.kind === 1 && a.kind === 1) o.bits![i] = a.bits![v * a.width + k]!;
  else if (o.kind === 0 && a.kind === 0) o.ints![i] = a.ints![v * a.width + k]!;
  else putCell(o, i, readCell(a, v, k)!);
}

/** The width of a column whose row lengths were collected: at least 1 and a fixed Number. */
function fixedWidth(def: InfoFieldDef, maxLen: number): number {
  let width = 1;
  if (typeof def.number === 'number') width = Math.max(1, def.number);
  return Math.max(width, maxLen);
}

function finishColumn(def: InfoFieldDef, width: number, o: Out): InfoColumn {
  if (o.kind === 0) return { def, width, values: o.ints! };
  if (o.kind === 1) return { def, width, values: o.floats! };
  return { def, width, values: o.strs! };
}

/**
 * The merged INFO columns in definition order (Integer Int32Array, Float
 * Float32Array, Flag Uint8Array, strings string[]; `[merged records, width]`),
 * merged one column at a time by the rules above. Each column is read set by
 * set, site by site (sequential reads), into the merged records through
 * `siteMap`; a merged record joins at most one site of a set, so its input
 * records arrive in set order, the order bcftools joins them in. A record none
 * of whose input records carries the key gets missing in its first cell and
 * fill after.
 *
 * @param defs the merged INFO definitions (first-seen union).
 * @param sets the input sets, in merge order.
 * @param siteMap `siteMap[set][site]`: the 0-based merged record of each input site.
 * @param alleleMap `alleleMap[set][site]`: input allele index → merged allele index.
 * @param nAlleles [merged records] number of merged alleles (REF included).
 */
export function mergeInfoColumns(
  defs: readonly InfoFieldDef[],
  sets: readonly VariantSet[],
  siteMap: readonly Int32Array[],
  alleleMap: readonly (readonly Int32Array[])[],
  nAlleles: Int32Array,
): InfoColumn[] {
  const n = nAlleles.length;
  let maxA = 2;
  for (let v = 0; v < n; v++) if (nAlleles[v]! > maxA) maxA = nAlleles[v]!;
  return defs.map((def) => {
    // Per set: that set's column of this key (or undefined).
    const colOf = sets.map((s) => {
      const c = s.info.find((x) => x.def.id === def.id);
      return c ? access(c) : undefined;
    });
    const numeric = def.type === 'Integer' || def.type === 'Float';
    const agr = def.number === 'A' || def.number === 'R' || def.number === 'G';

    if (def.type === 'Flag') {
      const values = new Uint8Array(n);
      if (def.id !== 'AC' && def.id !== 'AN') {
        const decided = new Uint8Array(n);
        for (let set = 0; set < sets.length; set++) {
          const col = colOf[set];
          if (!col) continue;
          const sm = siteMap[set]!;
          const nv = sets[set]!.numVariants;
          for (let site = 0; site < nv; site++) {
            const m = sm[site]!;
            if (decided[m] || carriedLength(col, site) < 0) continue;
            // The first carrying record's first cell.
            decided[m] = 1;
            values[m] = cellState(col, site, 0) > 0 ? 1 : 0;
          }
        }
      }
      return { def, width: 1, values };
    }

    if (def.id === 'AC' || def.id === 'AN') {
      const width = agr ? agrWidth(def, maxA) : fixedWidth(def, 0);
      const o = outColumn(def, n * width);
      for (let v = 0; v < n; v++) putMissing(o, v * width);
      return finishColumn(def, width, o);
    }

    if ((def.id === 'DP' || def.id === 'DP4') && numeric && !agr) {
      // Element-wise sum over the carrying records; a missing value counts 0.
      const len = new Int32Array(n).fill(-1);
      let maxLen = 0;
      for (let set = 0; set < sets.length; set++) {
        const col = colOf[set];
        if (!col) continue;
        const sm = siteMap[set]!;
        const nv = sets[set]!.numVariants;
        for (let site = 0; site < nv; site++) {
          const m = sm[site]!;
          const l = carriedLength(col, site);
          if (l < 0) continue;
          if (l > len[m]!) len[m] = l;
          if (l > maxLen) maxLen = l;
        }
      }
      const width = fixedWidth(def, maxLen);
      const o = outColumn(def, n * width);
      const float = def.type === 'Float';
      // Float: summed in the float32 output (rounded at every step, as
      // bcftools' float accumulator); Integer: in float64, stored at the end.
      const sum = float ? o.floats! : new Float64Array(n * width);
      for (let v = 0; v < n; v++) {
        if (len[v]! < 0) putMissing(o, v * width);
        else sum.fill(0, v * width, v * width + len[v]!);
      }
      for (let set = 0; set < sets.length; set++) {
        const col = colOf[set];
        if (!col) continue;
        const sm = siteMap[set]!;
        const nv = sets[set]!.numVariants;
        for (let site = 0; site < nv; site++) {
          const m = sm[site]!;
          const l = carriedLength(col, site);
          for (let k = 0; k < l; k++) {
            const c = readCell(col, site, k);
            if (typeof c === 'number') sum[m * width + k] += c;
          }
        }
      }
      if (!float) for (let v = 0; v < n; v++) for (let k = 0; k < len[v]!; k++) o.ints![v * width + k] = sum[v * width + k]!;
      return finishColumn(def, width, o);
    }

    if (agr) {
      const width = agrWidth(def, maxA);
      const o = outColumn(def, n * width);
      const isG = def.number === 'G';
      const from = def.number === 'A' ? 1 : 0;
      const nvalsOf = (m: number): number => {
        const nOut = nAlleles[m]!;
        return def.number === 'A' ? nOut - 1 : def.number === 'R' ? nOut : (nOut * (nOut + 1)) / 2;
      };
      const any = new Uint8Array(n);
      for (let set = 0; set < sets.length; set++) {
        const col = colOf[set];
        if (!col) continue;
        const sm = siteMap[set]!;
        const nv = sets[set]!.numVariants;
        // Raw cells of a numeric column read into an output of its kind: no decoding.
        const raw = numeric && col.kind === o.kind ? (col.kind === 0 ? col.ints! : col.bits!) : undefined;
        const rawOut = o.kind === 0 ? o.ints! : o.bits!;
        const miss = col.kind === 0 ? I_MISS : F_MISS;
        const am = alleleMap[set]!;
        const w = col.width;
        for (let site = 0; site < nv; site++) {
          const m = sm[site]!;
          const l = carriedLength(col, site);
          if (l < 0) continue;
          const base = m * width;
          if (!any[m]) {
            any[m] = 1;
            const nvals = nvalsOf(m);
            for (let k = 0; k < nvals; k++) putMissing(o, base + k);
          }
          const map = am[site]!;
          const nIn = map.length;
          if (raw && !isG) {
            // Numbers by overwriting; a missing value does not advance the source (as below).
            let p = 0;
            const b0 = site * w;
            for (let i = from; i < nIn && p < l; i++) {
              const x = raw[b0 + p]!;
              if (x === miss) continue;
              rawOut[base + map[i]! - from] = x;
              p++;
            }
          } else if (isG) {
            outer: for (let i = 0; i < nIn; i++)
              for (let jj = 0; jj <= i; jj++) {
                const p = (i * (i + 1)) / 2 + jj;
                if (p >= l) break outer;
                if (cellState(col, site, p) === 0) continue;
                const a = map[i]!;
                const b = map[jj]!;
                const k = a > b ? (a * (a + 1)) / 2 + b : (b * (b + 1)) / 2 + a;
                if (numeric || isMissingAt(o, base + k)) copyCell(o, base + k, col, site, p);
              }
          } else {
            let p = 0;
            for (let i = from; i < nIn; i++) {
              if (numeric) {
                if (p >= l) break;
                if (cellState(col, site, p) === 0) continue; // bcftools does not advance the source here
                copyCell(o, base + map[i]! - from, col, site, p);
                p++;
              } else {
                if (i - from >= l) break;
                if (cellState(col, site, i - from) !== 0 && isMissingAt(o, base + map[i]! - from)) copyCell(o, base + map[i]! - from, col, site, i - from);
              }
            }
          }
        }
      }
      // No record carries it, or a REF-only record's Number=A row: missing (then fill).
      for (let v = 0; v < n; v++) if (!any[v] || nvalsOf(v) === 0) putMissing(o, v * width);
      return finishColumn(def, width, o);
    }

    // Anything else: the first record carrying the key, whole.
    const chosenSet = new Int32Array(n).fill(-1);
    const chosenSite = new Int32Array(n);
    const len = new Int32Array(n);
    let maxLen = 0;
    for (let set = 0; set < sets.length; set++) {
      const col = colOf[set];
      if (!col) continue;
      const sm = siteMap[set]!;
      const nv = sets[set]!.numVariants;
      for (let site = 0; site < nv; site++) {
        const m = sm[site]!;
        if (chosenSet[m]! >= 0) continue;
        const l = carriedLength(col, site);
        if (l < 0) continue;
        chosenSet[m] = set;
        chosenSite[m] = site;
        len[m] = l;
        if (len[m]! > maxLen) maxLen = len[m]!;
      }
    }
    const width = fixedWidth(def, maxLen);
    const o = outColumn(def, n * width);
    for (let v = 0; v < n; v++) {
      const set = chosenSet[v]!;
      if (set < 0) {
        putMissing(o, v * width);
        continue;
      }
      const col = colOf[set]!;
      const site = chosenSite[v]!;
      for (let k = 0; k < len[v]!; k++) copyCell(o, v * width + k, col, site, k);
    }
    return finishColumn(def, width, o);
  });
}

/** The width of a Number=A/R/G column for records of at most `maxA` alleles. */
function agrWidth(def: InfoFieldDef, maxA: number): number {
  if (def.number === 'A') return maxA - 1;
  if (def.number === 'R') return maxA;
  return (maxA * (maxA + 1)) / 2;
}

/** True when cell `i` of a string output still holds missing (strings: the first non-missing value wins). */
function isMissingAt(o: Out, i: number): boolean {
  if (o.kind === 2) return o.strs![i] === STRING_MISSING;
  if (o.kind === 0) return o.ints![i] === I_MISS;
  return o.bits![i] === F_MISS;
}
