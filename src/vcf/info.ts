/**
 * The INFO column of a data line (VCF 4.3 §1.6.1, column 8): `;`-separated
 * `key=value[,value...]` items and bare Flag keys, each stored into its
 * header field's column (one "sample" wide) as vcf2zarr stores it.
 */
import { FLOAT32_MISSING_BITS, INT_MISSING } from '../codec/index.ts';
import { CellValues, type FieldAcc } from './columns.ts';
import { VcfUndeclaredError, VcfValueError } from './errors.ts';
import { bytesText, DOT, firstChar, floatBits, INT32_HIGH, INT32_LOW } from './text.ts';

/** Reads the INFO columns of a file's data lines into the header's INFO fields. */
export class InfoReader {
  /** Per field: the last variant that gave it (a repeated key: the first wins). */
  private readonly seen: Int32Array;
  /** Scratch: the values of one item. */
  private readonly cell = new CellValues();

  /**
   * @param accs the header's INFO fields, header order
   * @param index INFO ID → index into `accs`
   * @param endInfo index of INFO/END (Integer) in `accs`, -1 when not declared so
   */
  constructor(
    private readonly file: string,
    private readonly accs: readonly FieldAcc[],
    private readonly index: ReadonlyMap<string, number>,
    private readonly endInfo: number,
  ) {
    this.seen = new Int32Array(accs.length).fill(-1);
  }

  /**
   * Stores the INFO column buf[a, b) of variant `v` (0-based; `.` or empty:
   * every field absent); a field the line lacks is absent (all missing).
   * Returns the variant's length (`rlen`): INFO/END − POS + 1 when END is
   * given and ≥ POS (1-based `pos`), else `refLength`.
   *
   * @throws VcfUndeclaredError (a key the header does not declare),
   *   VcfValueError (a non-numeric or out-of-int32-range Integer, a
   *   non-numeric Float) with `file` and 1-based `lineNo`.
   */
  read(buf: Buffer, a: number, b: number, v: number, pos: number, refLength: number, lineNo: number): number {
    let length = refLength;
    const accs = this.accs;
    const seen = this.seen;
    if (b > a && !(b === a + 1 && buf[a] === DOT)) {
      for (const item of bytesText(buf, a, b).split(';')) {
        if (item === '') continue;
        const eq = item.indexOf('=');
        const key = eq < 0 ? item : item.slice(0, eq);
        const fi = this.index.get(key);
        if (fi === undefined) throw new VcfUndeclaredError(this.file, lineNo, 'INFO', key);
        if (seen[fi] === v) continue; // a repeated key: the first wins
        seen[fi] = v;
        const acc = accs[fi]!;
        const present = this.value(acc, v, eq < 0 ? undefined : item.slice(eq + 1), lineNo);
        if (!present) acc.absent.set(v, 1);
        else if (fi === this.endInfo) {
          const end0 = this.cell.vals[0]!;
          if (this.cell.n > 0 && end0 !== INT_MISSING && end0 >= pos) length = end0 - pos + 1;
        }
      }
    }
    for (let fi = 0; fi < accs.length; fi++) {
      if (seen[fi] !== v) accs[fi]!.absent.set(v, 1);
    }
    return length;
  }

  /**
   * Stores one INFO value; returns false when it counts as absent (a single
   * `.` for a numeric field, as cyvcf2 reports it, or a bare key of a
   * non-Flag field).
   */
  private value(acc: FieldAcc, v: number, value: string | undefined, lineNo: number): boolean {
    const type = acc.type;
    if (type === 'Flag') {
      const col = acc.num!;
      const o = col.prepare(v, 0, 1, 1, 1, lineNo);
      col.data[o] = 1;
      return true;
    }
    if (value === undefined || value === '') return false;
    const items = value.split(',');
    if (type === 'Integer' || type === 'Float') {
      if (items.length === 1 && items[0] === '.') return false;
      const cell = this.cell;
      cell.n = 0;
      let min = 0;
      let max = 0;
      for (const it of items) {
        let x: number;
        if (it === '.' || it === '') x = type === 'Integer' ? INT_MISSING : FLOAT32_MISSING_BITS;
        else if (type === 'Integer') {
          x = Number(it);
          if (!/^[+-]?\d+$/.test(it) || x < INT32_LOW || x > INT32_HIGH) {
            throw new VcfValueError(this.file, lineNo, `INFO/${acc.id}`, it, 'an Integer (int32)');
          }
        } else {
          const bits = floatBits(it);
          if (bits === undefined) throw new VcfValueError(this.file, lineNo, `INFO/${acc.id}`, it, 'a Float');
          x = bits;
        }
        if (x < min) min = x;
        if (x > max) max = x;
        cell.push(x);
      }
      acc.num!.put(v, 0, cell.vals, cell.n, min, max, lineNo);
      return true;
    }
    if (type === 'Character') for (let j = 0; j < items.length; j++) items[j] = firstChar(items[j]!);
    acc.str!.put(v, 0, items, items.length, acc.interner, lineNo);
    return true;
  }
}
