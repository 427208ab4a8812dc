/**
 * The values of one FORMAT sub-field of one sample (VCF 4.3 §1.6.2): an
 * Integer, Float, String or Character field's comma-separated values, parsed
 * from the bytes into the field's [variants, samples, width] column. GT is
 * parsed by ./samples.ts.
 *
 * Integer: `.` or empty → missing (-1); a value outside htslib's int32
 * range [-2147483640, 2147483647] or not an integer is a VcfValueError.
 * Float: float32 bit patterns; `.`/empty → missing (0x7F800001). String:
 * the text; Character: its first character (numpy `<U1`). Positions past
 * the sample's value count → fill (-2, 0x7F800002, `""`).
 */
import { FLOAT32_MISSING_BITS, INT_FILL, INT_MISSING, STRING_MISSING } from '../codec/index.ts';
import type { CellValues, FieldAcc } from './columns.ts';
import { VcfValueError } from './errors.ts';
import { firstChar, floatBits, INT32_HIGH, INT32_LOW, parseIntBytes } from './text.ts';

// ASCII bytes, declared here rather than imported from ./text.ts: V8 loads an
// imported binding from its module cell at every use, and in these byte loops
// that costs ~5% of a whole read (measured under tsx).
const TAB = 9, PLUS = 43, COMMA = 44, MINUS = 45, DOT = 46, ZERO = 48, NINE = 57, COLON = 58;

/** Parses FORMAT sub-field values into their fields' columns. */
export class FormatValueReader {
  /** Scratch: the strings of one String/Character cell. */
  private readonly strs: string[] = [];

  /**
   * @param cell scratch for one cell's numbers (shared with the GT parser)
   * @param sampleIds the sample names, for errors
   */
  constructor(
    private readonly file: string,
    private readonly sampleIds: readonly string[],
    private readonly cell: CellValues,
  ) {}

  /**
   * Parses the Integer sub-field starting at `a` (it ends at the first `:`,
   * tab or `end`) of variant row v, sample s; returns where it ended.
   * Non-negative values of up to 9 digits (`30`, `12,0`) take a fast path
   * with the same result as {@link integer}; anything else (signs, `.`,
   * empty) goes there.
   */
  integerAt(acc: FieldAcc, buf: Buffer, a: number, end: number, v: number, s: number, lineNo: number): number {
    // Fast path: comma-separated non-negative values of 1 to 9 digits each.
    const vals = this.cell.vals;
    let n = 0;
    let max = 0;
    let i = a;
    let ok = false;
    for (;;) {
      const d0 = i;
      let x = 0;
      while (i < end) {
        const c = buf[i]!;
        if (c < ZERO || c > NINE) break;
        x = x * 10 + (c - ZERO);
        i++;
      }
      if (i === d0 || i - d0 > 9 || n === vals.length) break;
      vals[n++] = x;
      if (x > max) max = x;
      if (i >= end) {
        ok = true;
        break;
      }
      const c = buf[i]!;
      if (c === COLON || c === TAB) {
        ok = true;
        break;
      }
      if (c !== COMMA) break;
      i++;
    }
    if (ok) {
      if (n > acc.recMax) acc.recMax = n;
      // NumColumn.put's loops, inline: this call site sees only int stores.
      const col = acc.num!;
      const o = col.prepare(v, s, n, 0, max, lineNo);
      const d = col.data;
      for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
      for (let j = n; j < col.width; j++) d[o + j] = INT_FILL;
      this.cell.n = n;
      return i;
    }
    let b = i;
    while (b < end) {
      const c = buf[b]!;
      if (c === COLON || c === TAB) break;
      b++;
    }
    if (b > a) this.integer(acc, buf, a, b, v, s, lineNo);
    else this.value(acc, buf, a, b, v, s, lineNo);
    return b;
  }

  /**
   * Stores the FORMAT values buf[a, b) of variant row v, sample s, of any
   * type (`dropped`: a trailing sub-field the sample omits, which htslib
   * stores as one missing value).
   *
   * @throws VcfValueError for a value that is not of the field's Type.
   */
  value(acc: FieldAcc, buf: Buffer, a: number, b: number, v: number, s: number, lineNo: number, dropped = false): void {
    const type = acc.type;
    if (type === 'Integer' && !dropped && a < b) {
      this.integer(acc, buf, a, b, v, s, lineNo);
      return;
    }
    if (type === 'Integer' || type === 'Float') {
      const cell = this.cell;
      cell.n = 0;
      let min = 0;
      let max = 0;
      if (dropped || a === b) {
        cell.push(type === 'Integer' ? INT_MISSING : FLOAT32_MISSING_BITS);
      } else {
        let q = a;
        for (;;) {
          let e = q;
          while (e < b && buf[e] !== COMMA) e++;
          let x: number;
          if ((e - q === 1 && buf[q] === DOT) || e === q) {
            x = type === 'Integer' ? INT_MISSING : FLOAT32_MISSING_BITS;
          } else if (type === 'Integer') {
            x = parseIntBytes(buf, q, e);
            if (!(x >= INT32_LOW && x <= INT32_HIGH)) throw this.valueError(acc, buf, q, e, s, 'an Integer (int32)', lineNo);
            if (x < min) min = x;
            if (x > max) max = x;
          } else {
            const bits = floatBits(buf.toString('latin1', q, e));
            if (bits === undefined) throw this.valueError(acc, buf, q, e, s, 'a Float', lineNo);
            x = bits;
          }
          cell.push(x);
          if (e >= b) break;
          q = e + 1;
        }
      }
      const n = cell.n;
      const vals = cell.vals;
      if (n > acc.recMax) acc.recMax = n;
      // NumColumn.put's loops, inline (a call site of its own, as in the two Integer paths).
      const col = acc.num!;
      const o = col.prepare(v, s, n, min, max, lineNo);
      const d = col.data;
      for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
      const fill = col.fill;
      for (let j = n; j < col.width; j++) d[o + j] = fill;
      return;
    }
    const strs = this.strs;
    strs.length = 0;
    if (dropped) strs.push(STRING_MISSING);
    else {
      const text = buf.toString('utf8', a, b);
      for (const it of text.split(',')) strs.push(type === 'Character' ? firstChar(it) : it);
    }
    acc.str!.put(v, s, strs, strs.length, acc.interner, lineNo);
  }

  /**
   * {@link value} for a present Integer value buf[a, b) (a < b), in one
   * pass over the bytes: the same values, dtypes and errors as the general
   * path.
   */
  private integer(acc: FieldAcc, buf: Buffer, a: number, b: number, v: number, s: number, lineNo: number): void {
    const cell = this.cell;
    let vals = cell.vals;
    let n = 0;
    let min = 0;
    let max = 0;
    let q = a;
    for (;;) {
      let i = q;
      let c = i < b ? buf[i]! : 0;
      let neg = false;
      if (c === MINUS || c === PLUS) {
        neg = c === MINUS;
        i++;
      }
      const d0 = i;
      let x = 0;
      while (i < b) {
        c = buf[i]!;
        if (c < ZERO || c > NINE) break;
        x = x * 10 + (c - ZERO);
        i++;
      }
      if (i < b && buf[i] !== COMMA) {
        // Not a plain integer: `.` is missing, anything else an error.
        let e = i;
        while (e < b && buf[e] !== COMMA) e++;
        if (e - q === 1 && buf[q] === DOT) {
          x = INT_MISSING;
          i = e;
        } else {
          throw this.valueError(acc, buf, q, e, s, 'an Integer (int32)', lineNo);
        }
      } else if (i === d0) {
        // An empty item is missing; a lone sign is an error.
        if (i !== q) throw this.valueError(acc, buf, q, i, s, 'an Integer (int32)', lineNo);
        x = INT_MISSING;
      } else {
        if (neg) x = -x;
        if (!(x >= INT32_LOW && x <= INT32_HIGH)) throw this.valueError(acc, buf, q, i, s, 'an Integer (int32)', lineNo);
        if (x < min) min = x;
        if (x > max) max = x;
      }
      if (n === vals.length) vals = cell.grow();
      vals[n++] = x;
      if (i >= b) break;
      q = i + 1;
    }
    cell.n = n;
    if (n > acc.recMax) acc.recMax = n;
    // NumColumn.put's loops, inline: this call site sees only int stores.
    const col = acc.num!;
    const o = col.prepare(v, s, n, min, max, lineNo);
    const d = col.data;
    for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
    for (let j = n; j < col.width; j++) d[o + j] = INT_FILL;
  }

  private valueError(acc: FieldAcc, buf: Buffer, a: number, b: number, s: number, expected: string, lineNo: number): VcfValueError {
    return new VcfValueError(this.file, lineNo, `FORMAT/${acc.id}`, buf.toString('utf8', a, b), expected, this.sampleIds[s]);
  }
}
