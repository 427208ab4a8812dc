/**
 * The growable columns the VCF reader accumulates values in, C order:
 * [variants, samples, width] for FORMAT fields and GT, [variants, 1, width]
 * for INFO. They grow by doubling the variants, and widen the width or the
 * Integer dtype (int8 → int16 → int32) when a value needs it; a later
 * gather (./calls.ts) copies them out at the file-wide (or window-wide)
 * width.
 */
import { FLOAT32_FILL_BITS, type InfoType, INT_FILL, STRING_FILL, type VcfNumber } from '../codec/index.ts';

/** The store of an Integer column, in its narrowest dtype so far. */
export type IntStore = Int8Array | Int16Array | Int32Array;

const INT8_MIN = -128;
const INT8_MAX = 127;
const INT16_MIN = -32768;
const INT16_MAX = 32767;

/** A zeroed IntStore of `n` values of `kind` bytes each. */
export function intStore(kind: 1 | 2 | 4, n: number): IntStore {
  return kind === 1 ? new Int8Array(n) : kind === 2 ? new Int16Array(n) : new Int32Array(n);
}

/** Bytes per value of the narrowest int dtype holding [min, max]. */
function bytesFor(min: number, max: number): 1 | 2 | 4 {
  if (min >= INT8_MIN && max <= INT8_MAX) return 1;
  if (min >= INT16_MIN && max <= INT16_MAX) return 2;
  return 4;
}

/** A column of numbers: ints (narrowest dtype seen so far) or float32 bit patterns. */
export class NumColumn {
  data: IntStore | Uint32Array;
  width: number;
  cap = 0;
  /** Largest value count seen in one cell, and the line where it was first seen. */
  maxCount = 0;
  maxCountLine = 0;
  constructor(
    readonly float: boolean,
    readonly samples: number,
    initialWidth: number,
  ) {
    this.width = Math.max(1, initialWidth);
    this.data = float ? new Uint32Array(0) : new Int8Array(0);
  }
  get fill(): number {
    return this.float ? FLOAT32_FILL_BITS : INT_FILL;
  }
  /** Bytes per value of the int store (kept in step with `data`; 1 for float columns). */
  intBytes: 1 | 2 | 4 = 1;
  /**
   * Makes room for variant `v` with `count` values per cell and (ints) values
   * in [min, max]; returns the offset of cell (v, s).
   */
  prepare(v: number, s: number, count: number, min: number, max: number, line: number): number {
    if (count > this.maxCount) {
      this.maxCount = count;
      this.maxCountLine = line;
    }
    if (v >= this.cap || count > this.width) this.grow(v, count);
    if (!this.float && count > 0) {
      // Common case first: the values fit the current dtype (no call).
      const ib = this.intBytes;
      if (ib !== 4 && !(ib === 1 ? min >= INT8_MIN && max <= INT8_MAX : min >= INT16_MIN && max <= INT16_MAX)) {
        const need = bytesFor(min, max);
        const wider = intStore(need, this.data.length);
        wider.set(this.data as IntStore);
        this.data = wider;
        this.intBytes = need;
      }
    }
    return (v * this.samples + s) * this.width;
  }
  /**
   * Stores cell (v, s): the `n` values vals[0, n) (ints in [min, max], or
   * float32 bit patterns), then fill up to the column's width. The
   * per-sample parsers (./format-values.ts, ./samples.ts) repeat these loops
   * inline: each of their call sites then stores into one kind of typed
   * array (monomorphic), which keeps a read ~5% faster than one shared site.
   */
  put(v: number, s: number, vals: Float64Array, n: number, min: number, max: number, line: number): void {
    const o = this.prepare(v, s, n, min, max, line);
    const d = this.data;
    for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
    const fill = this.fill;
    const w = this.width;
    for (let j = n; j < w; j++) d[o + j] = fill;
  }
  private grow(v: number, count: number): void {
    const newCap = v >= this.cap ? Math.max(v + 1, this.cap * 2, 16) : this.cap;
    const newWidth = Math.max(this.width, count);
    const n = newCap * this.samples * newWidth;
    const next: IntStore | Uint32Array = this.float ? new Uint32Array(n) : intStore(this.intBytes, n);
    if (newWidth === this.width) {
      next.set(this.data as never);
    } else {
      next.fill(this.fill);
      const cells = this.cap * this.samples;
      const w = this.width;
      const old = this.data;
      for (let c = 0; c < cells; c++) {
        const from = c * w;
        next.set(old.subarray(from, from + w) as never, c * newWidth);
      }
    }
    this.data = next;
    this.cap = newCap;
    this.width = newWidth;
  }
}

/** A column of strings (String / Character), interned. */
export class StrColumn {
  data: string[] = [];
  width: number;
  cap = 0;
  maxCount = 0;
  maxCountLine = 0;
  constructor(
    readonly samples: number,
    initialWidth: number,
  ) {
    this.width = Math.max(1, initialWidth);
  }
  prepare(v: number, s: number, count: number, line: number): number {
    if (count > this.maxCount) {
      this.maxCount = count;
      this.maxCountLine = line;
    }
    if (v >= this.cap || count > this.width) {
      const newCap = v >= this.cap ? Math.max(v + 1, this.cap * 2, 16) : this.cap;
      const newWidth = Math.max(this.width, count);
      if (newWidth === this.width) {
        const n = newCap * this.samples * newWidth;
        for (let k = this.data.length; k < n; k++) this.data.push(STRING_FILL);
      } else {
        const next = new Array<string>(newCap * this.samples * newWidth).fill(STRING_FILL);
        const cells = this.cap * this.samples;
        for (let c = 0; c < cells; c++) {
          for (let j = 0; j < this.width; j++) next[c * newWidth + j] = this.data[c * this.width + j]!;
        }
        this.data = next;
      }
      this.cap = newCap;
      this.width = newWidth;
    }
    return (v * this.samples + s) * this.width;
  }
  /** Stores cell (v, s): values[0, n) (each through `interner`), then fill up to the column's width. */
  put(v: number, s: number, values: readonly string[], n: number, interner: Interner, line: number): void {
    const o = this.prepare(v, s, n, line);
    const d = this.data;
    for (let j = 0; j < n; j++) d[o + j] = interner.get(values[j]!);
    const w = this.width;
    for (let j = n; j < w; j++) d[o + j] = STRING_FILL;
  }
}

/** A growable byte array indexed by variant (flags, small counts). */
export class ByteVec {
  data = new Uint8Array(16);
  set(v: number, value: number): void {
    if (v >= this.data.length) {
      const next = new Uint8Array(Math.max(v + 1, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[v] = value;
  }
  get(v: number): number {
    return v < this.data.length ? this.data[v]! : 0;
  }
  /** All zeros again (keeps the allocation). */
  clear(): void {
    this.data.fill(0);
  }
}

export class IntVec {
  data = new Int32Array(16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  take(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

const MAX_INTERNED = 1 << 16;

/** A string cache so equal values share one string (bounded). */
export class Interner {
  private map = new Map<string, string>();
  get(s: string): string {
    const hit = this.map.get(s);
    if (hit !== undefined) return hit;
    if (this.map.size < MAX_INTERNED) this.map.set(s, s);
    return s;
  }
}

// ---------------------------------------------------------------------------
// Field accumulators

/** One INFO or FORMAT field of the header and the column of its values. */
export interface FieldAcc {
  readonly category: 'INFO' | 'FORMAT';
  readonly id: string;
  readonly type: InfoType;
  readonly number: VcfNumber;
  readonly description: string;
  readonly num?: NumColumn;
  readonly str?: StrColumn;
  /** Per variant: 1 when the record lacks the field (→ all missing). */
  readonly absent: ByteVec;
  readonly interner: Interner;
  /** Largest value count of any sample in the current record (FORMAT Float only). */
  recMax: number;
}

/** The accumulator of a header field, its column `samples` wide (1 for INFO). */
export function makeAcc(
  category: 'INFO' | 'FORMAT',
  id: string,
  type: InfoType,
  number: VcfNumber,
  description: string,
  samples: number,
): FieldAcc {
  const initialWidth = typeof number === 'number' ? Math.max(1, number) : 1;
  const base = { category, id, type, number, description, absent: new ByteVec(), interner: new Interner(), recMax: 0 };
  if (type === 'Integer' || type === 'Flag') return { ...base, num: new NumColumn(false, samples, type === 'Flag' ? 1 : initialWidth) };
  if (type === 'Float') return { ...base, num: new NumColumn(true, samples, initialWidth) };
  return { ...base, str: new StrColumn(samples, initialWidth) };
}

/** Scratch for the values of one cell as they are parsed: ints, or float32 bit patterns. */
export class CellValues {
  vals: Float64Array = new Float64Array(64);
  n = 0;
  /** Appends a value. */
  push(x: number): void {
    if (this.n === this.vals.length) this.grow();
    this.vals[this.n++] = x;
  }
  /** Doubles the room (keeping the values); returns the new array. */
  grow(): Float64Array {
    const next = new Float64Array(this.vals.length * 2);
    next.set(this.vals);
    return (this.vals = next);
  }
}
