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

function readCell(col: InfoColumn, v: number, k: number): Cell {
  if (k >= col.width) return undefined;
  const i = v * col.width + k;
  const vals = col.values;
  if (Array.isArray(vals)) {
    const s = (vals as string[])[i]!;
    return s === STRING_FILL ? undefined : s === STRING_MISSING ? null : s;
  }
  if (vals instanceof Float32Array) {
    const bits = new Uint32Array(vals.buffer, vals.byteOffset + i * 4, 1)[0]!;
    return bits === FLOAT32_FILL_BITS ? undefined : bits === FLOAT32_MISSING_BITS ? null : vals[i]!;
  }
  const x = (vals as ArrayLike<number>)[i]!;
  if (col.def.type === 'Flag') return x ? 1 : null;
  return x === INT_FILL ? undefined : x === INT_MISSING ? null : x;
}

function readRow(col: InfoColumn, v: number): Cell[] {
  const out: Cell[] = [];
  for (let k = 0; k < col.width; k++) {
    const c = readCell(col, v, k);
    if (c === undefined) break;
    out.push(c);
  }
  return out;
}

const carries = (row: readonly Cell[]): boolean => row.some((c) => c !== null && c !== undefined);

/** Collects the merged INFO values record by record; {@link build} makes the columns. */
export class InfoBuilder {
  private readonly rows: Cell[][][];
  /** Per set: merged def index → that set's column (or undefined). */
  private readonly colOf: (InfoColumn | undefined)[][];
  private maxAlleles = 2;

  constructor(
    private readonly defs: readonly InfoFieldDef[],
    sets: readonly VariantSet[],
  ) {
    this.rows = defs.map(() => []);
    this.colOf = sets.map((s) => {
      const byId = new Map(s.info.map((c) => [c.def.id, c]));
      return defs.map((d) => byId.get(d.id));
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
        const row = readRow(col, line.site);
        if (!carries(row)) continue;
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
        const row = readRow(col, line.site);
        if (!carries(row)) continue;
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
      const row = readRow(col, line.site);
      if (carries(row)) return row;
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
