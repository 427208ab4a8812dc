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
import type { PositionLine } from './position.ts';

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

function readRow(a: Access, v: number): Cell[] {
  const out: Cell[] = [];
  for (let k = 0; k < a.width; k++) {
    const c = readCell(a, v, k);
    if (c === undefined) break;
    out.push(c);
  }
  return out;
}

/** True when the record carries a value (not all missing). */
function carries(a: Access, v: number): boolean {
  for (let k = 0; k < a.width; k++) {
    const c = readCell(a, v, k);
    if (c === undefined) return false;
    if (c !== null) return true;
  }
  return false;
}

/** Collects the merged INFO values record by record; {@link build} makes the columns. */
export class InfoBuilder {
  private readonly rows: Cell[][][];
  /** Per set: merged def index → that set's column (or undefined). */
  private readonly colOf: (Access | undefined)[][];
  private maxAlleles = 2;

  constructor(
    private readonly defs: readonly InfoFieldDef[],
    sets: readonly VariantSet[],
  ) {
    this.rows = defs.map(() => []);
    this.colOf = sets.map((s) => {
      const byId = new Map(s.info.map((c) => [c.def.id, c]));
      return defs.map((d) => {
        const c = byId.get(d.id);
        return c ? access(c) : undefined;
      });
    });
  }

  /** Adds the INFO of one merged record with `nAlleles` alleles from its `members`. */
  add(nAlleles: number, members: readonly { readonly line: PositionLine; readonly map: Int32Array }[]): void {
    if (nAlleles > this.maxAlleles) this.maxAlleles = nAlleles;
    this.defs.forEach((def, d) => {
      const row = this.mergeOne(def, d, nAlleles, members);
      this.rows[d]!.push(row);
    });
  }

  private mergeOne(def: InfoFieldDef, d: number, nOut: number, members: readonly { readonly line: PositionLine; readonly map: Int32Array }[]): Cell[] {
    if (def.id === 'AC' || def.id === 'AN') return [];
    const numeric = def.type === 'Integer' || def.type === 'Float';
    const agr = def.number === 'A' || def.number === 'R' || def.number === 'G';
    if ((def.id === 'DP' || def.id === 'DP4') && numeric && !agr) {
      let sum: number[] | undefined;
      for (const { line } of members) {
        const col = this.colOf[line.set]![d];
        if (!col) continue;
        if (!carries(col, line.site)) continue;
        const row = readRow(col, line.site);
        sum ??= [];
        row.forEach((c, k) => {
          const x = typeof c === 'number' ? c : 0;
          sum![k] = def.type === 'Float' ? Math.fround((sum![k] ?? 0) + x) : (sum![k] ?? 0) + x;
        });
      }
      return sum ?? [];
    }
    if (agr && def.type !== 'Flag') {
      const nvals = def.number === 'A' ? nOut - 1 : def.number === 'R' ? nOut : (nOut * (nOut + 1)) / 2;
      let buf: Cell[] | undefined;
      for (const { line, map } of members) {
        const col = this.colOf[line.set]![d];
        if (!col) continue;
        if (!carries(col, line.site)) continue;
        const row = readRow(col, line.site);
        buf ??= new Array<Cell>(nvals).fill(null);
        const nIn = map.length;
        if (def.number === 'G') {
          outer: for (let i = 0; i < nIn; i++)
            for (let j = 0; j <= i; j++) {
              const c = row[(i * (i + 1)) / 2 + j];
              if (c === undefined) break outer;
              if (c === null) continue;
              const a = map[i]!;
              const b = map[j]!;
              const k = a > b ? (a * (a + 1)) / 2 + b : (b * (b + 1)) / 2 + a;
              if (numeric || buf[k] === null) buf[k] = c;
            }
        } else {
          const from = def.number === 'A' ? 1 : 0;
          let p = 0;
          for (let i = from; i < nIn; i++) {
            if (numeric) {
              const c = row[p];
              if (c === undefined) break;
              if (c === null) continue; // bcftools does not advance the source here
              buf[map[i]! - from] = c;
              p++;
            } else {
              const c = row[i - from];
              if (c === undefined) break;
              if (c !== null && buf[map[i]! - from] === null) buf[map[i]! - from] = c;
            }
          }
        }
      }
      return buf ?? [];
    }
    for (const { line } of members) {
      const col = this.colOf[line.set]![d];
      if (!col) continue;
      if (carries(col, line.site)) return readRow(col, line.site);
    }
    return [];
  }

  /** The merged INFO columns in definition order (Integer Int32Array, Float Float32Array, Flag Uint8Array, strings string[]). */
  build(): InfoColumn[] {
    const maxA = this.maxAlleles;
    return this.defs.map((def, d) => {
      const rows = this.rows[d]!;
      const n = rows.length;
      let width = 1;
      if (def.number === 'A') width = maxA - 1;
      else if (def.number === 'R') width = maxA;
      else if (def.number === 'G') width = (maxA * (maxA + 1)) / 2;
      else if (def.type !== 'Flag') {
        if (typeof def.number === 'number') width = Math.max(1, def.number);
        for (const r of rows) if (r.length > width) width = r.length;
      }
      if (def.type === 'Flag') {
        const values = new Uint8Array(n);
        rows.forEach((r, v) => (values[v] = r.length && r[0] !== null ? 1 : 0));
        return { def, width: 1, values };
      }
      if (def.type === 'String' || def.type === 'Character') {
        const values = new Array<string>(n * width).fill(STRING_FILL);
        rows.forEach((r, v) => {
          if (!r.length) values[v * width] = STRING_MISSING;
          r.forEach((c, k) => (values[v * width + k] = c === null || c === undefined ? STRING_MISSING : String(c)));
        });
        return { def, width, values };
      }
      if (def.type === 'Float') {
        const values = new Float32Array(n * width);
        const bits = new Uint32Array(values.buffer);
        bits.fill(FLOAT32_FILL_BITS);
        rows.forEach((r, v) => {
          if (!r.length) bits[v * width] = FLOAT32_MISSING_BITS;
          r.forEach((c, k) => {
            if (typeof c === 'number') values[v * width + k] = c;
            else bits[v * width + k] = FLOAT32_MISSING_BITS;
          });
        });
        return { def, width, values };
      }
      const values = new Int32Array(n * width).fill(INT_FILL);
      rows.forEach((r, v) => {
        if (!r.length) values[v * width] = INT_MISSING;
        r.forEach((c, k) => (values[v * width + k] = typeof c === 'number' ? c : INT_MISSING));
      });
      return { def, width, values };
    });
  }
}
