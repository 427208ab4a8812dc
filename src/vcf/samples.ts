/**
 * The FORMAT and sample columns of a data line (VCF 4.3 §1.6.2, columns 9
 * on): the `:`-separated keys of the FORMAT column, then one column per
 * sample whose sub-fields follow those keys. GT calls are parsed here into
 * the [variants, samples, ploidy] genotype column and the phase bits; the
 * other sub-fields by ./format-values.ts.
 *
 * GT (VCF 4.3 §1.6.2): allele indices separated by `/` (unphased) or `|` (phased),
 * `.` missing, a leading phase marker allowed (VCF 4.4); an index ≥ the
 * variant's allele count is a VcfGenotypeError. A call of lower ploidy than
 * the column's is padded with fill (-2).
 */
import { FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, INT_FILL, INT_MISSING } from '../codec/index.ts';
import { ByteVec, CellValues, NumColumn, type FieldAcc } from './columns.ts';
import { VcfGenotypeError, VcfSampleCountError, VcfSyntaxError, VcfUndeclaredError } from './errors.ts';
import { FormatValueReader } from './format-values.ts';
import type { VcfHeader } from './header.ts';
import { bytesEqual } from './text.ts';

// ASCII bytes, declared here rather than imported from ./text.ts: V8 loads an
// imported binding from its module cell at every use, and in these byte loops
// that costs ~5% of a whole read (measured under tsx).
const TAB = 9, DOT = 46, SLASH = 47, ZERO = 48, NINE = 57, COLON = 58, PIPE = 124;

/** How one FORMAT column's keys map to the header's fields (one per distinct FORMAT text). */
interface FormatLayout {
  readonly hasGt: boolean;
  /** formatAccs indices not in this layout (absent for the record). */
  readonly absent: readonly number[];
  /** formatAccs indices of the Float fields in this layout. */
  readonly floats: readonly number[];
  /** Per key position: KEY_GT, KEY_INT (an Integer field) or KEY_OTHER. */
  readonly kinds: Uint8Array;
  /** Per key position: the field's accumulator (undefined for GT). */
  readonly accs: readonly (FieldAcc | undefined)[];
}

const KEY_GT = 0;
const KEY_INT = 1;
const KEY_OTHER = 2;

/**
 * Reads the sample columns of a file's data lines into the FORMAT fields'
 * columns and the GT column. Rows are variant rows of the columns (in a
 * windowed read, counted from the window's first variant).
 */
export class SampleReader {
  readonly nSamples: number;
  readonly formatAccs: readonly FieldAcc[];
  readonly hasGenotype: boolean;
  /** [rows, samples, ploidy so far] allele indices; undefined without FORMAT/GT. */
  readonly gt: NumColumn | undefined;
  /** Per row: 1 when the record has no GT (→ all missing). */
  readonly gtAbsent = new ByteVec();
  /** Per row: the largest ploidy of the record's calls (capped at 255). */
  readonly recordPloidy = new ByteVec();
  /** Largest GT ploidy of any call so far (the file-wide maximum once the file is read). */
  maxPloidySeen = 0;
  /** [rows, samples] cyvcf2's phase flag of each call. */
  phaseBits = new Uint8Array(0);

  private readonly file: string;
  private readonly sampleIds: readonly string[];
  private readonly formatIndex: ReadonlyMap<string, number>;
  private readonly layouts = new Map<string, FormatLayout>();
  /** The last FORMAT column's bytes and layout (records share one FORMAT in runs). */
  private lastFormat: Buffer | undefined;
  private lastLayout: FormatLayout | undefined;
  private readonly cell = new CellValues();
  private readonly values: FormatValueReader;
  /** Ploidy of the GT parsed by the last {@link genotypeAt} call. */
  private lastPloidy = 0;

  constructor(file: string, header: VcfHeader) {
    this.file = file;
    this.sampleIds = header.sampleIds;
    this.nSamples = header.sampleIds.length;
    this.formatAccs = header.formatAccs;
    this.formatIndex = header.formatIndex;
    this.hasGenotype = header.hasGenotype;
    this.gt = header.hasGenotype ? new NumColumn(false, this.nSamples, 1) : undefined;
    this.values = new FormatValueReader(file, header.sampleIds, this.cell);
  }

  /** Marks row `v` as having no FORMAT field and no GT (a record without sample columns). */
  absentRow(v: number): void {
    for (const acc of this.formatAccs) acc.absent.set(v, 1);
    if (this.hasGenotype) this.gtAbsent.set(v, 1);
  }

  /** Empties the per-row marks for the next window (the columns are overwritten row by row). */
  clearRows(): void {
    for (const acc of this.formatAccs) acc.absent.clear();
    this.gtAbsent.clear();
    this.recordPloidy.clear();
  }

  /**
   * Reads the FORMAT column buf[fmtStart, fmtEnd) and the sample columns
   * buf[p, end) of row `v`, whose variant has `numAlleles` alleles.
   *
   * @throws VcfUndeclaredError (a FORMAT key the header lacks),
   *   VcfSyntaxError (a key given twice, more sub-fields than keys),
   *   VcfSampleCountError, VcfGenotypeError, VcfValueError.
   */
  read(buf: Buffer, fmtStart: number, fmtEnd: number, p: number, end: number, v: number, numAlleles: number, lineNo: number): void {
    let layout: FormatLayout;
    if (this.lastFormat !== undefined && bytesEqual(buf, fmtStart, fmtEnd, this.lastFormat)) layout = this.lastLayout!;
    else {
      layout = this.layout(buf.toString('latin1', fmtStart, fmtEnd), lineNo);
      this.lastFormat = Buffer.from(buf.subarray(fmtStart, fmtEnd));
      this.lastLayout = layout;
    }
    const S = this.nSamples;
    const kinds = layout.kinds;
    const accs = layout.accs;
    const nKeys = kinds.length;
    for (const fi of layout.absent) this.formatAccs[fi]!.absent.set(v, 1);
    for (const fi of layout.floats) this.formatAccs[fi]!.recMax = 0;
    if (this.hasGenotype) {
      if (layout.hasGt) {
        if (this.phaseBits.length < (v + 1) * S) {
          const next = new Uint8Array(Math.max((v + 1) * S, this.phaseBits.length * 2, 16 * S));
          next.set(this.phaseBits);
          this.phaseBits = next;
        }
      } else {
        this.gtAbsent.set(v, 1);
      }
    }
    const values = this.values;
    let recPloidy = 0;
    let s = 0;
    // One pass over the sample columns: each sub-field parser consumes its
    // bytes and returns where it stopped, at a `:` (next sub-field), a tab
    // (next sample) or the end of the line.
    while (p <= end) {
      if (s >= S) {
        let actual = S + 1;
        for (let i = p; i < end; i++) if (buf[i] === TAB) actual++;
        throw new VcfSampleCountError(this.file, lineNo, S, actual);
      }
      let q = p;
      let j = 0;
      let fe: number;
      for (;;) {
        if (j >= nKeys) {
          fe = q;
          while (fe < end && buf[fe] !== TAB) fe++;
          if (nKeys === 0) break; // FORMAT `.`: the sample column carries nothing
          throw new VcfSyntaxError(this.file, lineNo, `sample '${this.sampleIds[s]}' has more sub-fields than the FORMAT column's ${nKeys} key(s)`);
        }
        const kind = kinds[j]!;
        if (kind === KEY_GT) {
          fe = this.genotypeAt(buf, q, end, v, s, numAlleles, lineNo);
          if (this.lastPloidy > recPloidy) recPloidy = this.lastPloidy;
        } else if (kind === KEY_INT) {
          fe = values.integerAt(accs[j]!, buf, q, end, v, s, lineNo);
        } else {
          fe = q;
          while (fe < end) {
            const c = buf[fe]!;
            if (c === COLON || c === TAB) break;
            fe++;
          }
          values.value(accs[j]!, buf, q, fe, v, s, lineNo);
        }
        j++;
        if (fe >= end || buf[fe] === TAB) break;
        q = fe + 1;
      }
      // Trailing sub-fields dropped: htslib stores them as one missing value.
      for (; j < nKeys; j++) {
        if (kinds[j] === KEY_GT) {
          const ploidy = this.genotype(buf, 0, 0, v, s, numAlleles, lineNo);
          if (ploidy > recPloidy) recPloidy = ploidy;
        } else {
          values.value(accs[j]!, buf, 0, 0, v, s, lineNo, true);
        }
      }
      s++;
      p = fe + 1;
    }
    if (s < S) throw new VcfSampleCountError(this.file, lineNo, S, s);
    if (layout.hasGt) {
      this.recordPloidy.set(v, Math.min(recPloidy, 255));
      if (recPloidy > this.maxPloidySeen) this.maxPloidySeen = Math.min(recPloidy, 255);
    }
    // vcf2zarr quirk (bio2zarr sanitise_value_float_2d re-stamps every NaN of
    // the record's [samples, max count] block as missing): a Float FORMAT
    // sample with fewer values than the record's largest count gets missing,
    // not fill, up to that count; fill only beyond it.
    for (const fi of layout.floats) {
      const acc = this.formatAccs[fi]!;
      const col = acc.num!;
      const W = col.width;
      const d = col.data;
      const upto = acc.recMax;
      for (let t = 0; t < S; t++) {
        const o = (v * S + t) * W;
        for (let j = 0; j < upto; j++) if (d[o + j] === FLOAT32_FILL_BITS) d[o + j] = FLOAT32_MISSING_BITS;
      }
    }
  }

  /** The layout of FORMAT text `formatText` (made once per distinct text). */
  private layout(formatText: string, lineNo: number): FormatLayout {
    let layout = this.layouts.get(formatText);
    if (layout) return layout;
    const keys = formatText === '.' || formatText === '' ? [] : formatText.split(':');
    const used = new Set<number>();
    const kinds = new Uint8Array(keys.length);
    const accs: (FieldAcc | undefined)[] = [];
    let hasGt = false;
    keys.forEach((k, i) => {
      if (k === 'GT' && this.hasGenotype) {
        hasGt = true;
        kinds[i] = KEY_GT;
        accs.push(undefined);
        return;
      }
      const fi = this.formatIndex.get(k);
      if (fi === undefined) throw new VcfUndeclaredError(this.file, lineNo, 'FORMAT', k);
      if (used.has(fi)) throw new VcfSyntaxError(this.file, lineNo, `FORMAT key '${k}' appears twice`);
      used.add(fi);
      const acc = this.formatAccs[fi]!;
      accs.push(acc);
      kinds[i] = acc.type === 'Integer' ? KEY_INT : KEY_OTHER;
    });
    const absent: number[] = [];
    for (let fi = 0; fi < this.formatAccs.length; fi++) if (!used.has(fi)) absent.push(fi);
    const floats = [...used].filter((fi) => this.formatAccs[fi]!.type === 'Float');
    layout = { hasGt, absent, floats, kinds, accs };
    this.layouts.set(formatText, layout);
    return layout;
  }

  /**
   * Parses the GT sub-field starting at `a` (it ends at the first `:`, tab or
   * `end`) for sample s; sets lastPloidy; returns where it ended. A diploid
   * call of single-digit alleles (`0/1`, `1|0`) takes a fast path with the
   * same result as {@link genotype}.
   */
  private genotypeAt(buf: Buffer, a: number, end: number, v: number, s: number, numAlleles: number, lineNo: number): number {
    if (a + 3 <= end) {
      const c0 = buf[a]!;
      const sep = buf[a + 1]!;
      const c2 = buf[a + 2]!;
      const t = a + 3 < end ? buf[a + 3]! : COLON;
      const x0 = c0 - ZERO;
      const x1 = c2 - ZERO;
      if (
        (t === COLON || t === TAB) &&
        (sep === SLASH || sep === PIPE) &&
        x0 >= 0 && x0 <= 9 && x1 >= 0 && x1 <= 9 &&
        x0 < numAlleles && x1 < numAlleles
      ) {
        const col = this.gt!;
        const o = col.prepare(v, s, 2, INT_FILL, x0 > x1 ? x0 : x1, lineNo);
        const d = col.data;
        d[o] = x0;
        d[o + 1] = x1;
        for (let j = 2; j < col.width; j++) d[o + j] = INT_FILL;
        this.phaseBits[v * this.nSamples + s] = sep === PIPE ? 1 : 0;
        this.lastPloidy = 2;
        return a + 3;
      }
    }
    let b = a;
    while (b < end) {
      const c = buf[b]!;
      if (c === COLON || c === TAB) break;
      b++;
    }
    this.lastPloidy = this.genotype(buf, a, b, v, s, numAlleles, lineNo);
    return b;
  }

  /** Parses GT in buf[a, b) for sample s; returns its ploidy. */
  private genotype(buf: Buffer, a: number, b: number, v: number, s: number, numAlleles: number, lineNo: number): number {
    const cell = this.cell;
    cell.n = 0;
    let i = a;
    // VCF 4.4 allows a leading phase marker: `|0`.
    if (i < b && (buf[i] === PIPE || buf[i] === SLASH)) i++;
    let secondSep = 0;
    let max = 0;
    if (i >= b) {
      cell.push(INT_MISSING);
    } else {
      for (;;) {
        let x: number;
        if (buf[i] === DOT) {
          x = INT_MISSING;
          i++;
        } else {
          let k = i;
          x = 0;
          while (k < b && buf[k]! >= ZERO && buf[k]! <= NINE) {
            x = x * 10 + (buf[k]! - ZERO);
            k++;
          }
          if (k === i) throw this.gtError(buf, a, b, s, numAlleles, lineNo);
          i = k;
          if (x >= numAlleles) throw this.gtError(buf, a, b, s, numAlleles, lineNo);
          if (x > max) max = x;
        }
        cell.push(x);
        if (i >= b) break;
        const sep = buf[i]!;
        if (sep !== SLASH && sep !== PIPE) throw this.gtError(buf, a, b, s, numAlleles, lineNo);
        if (cell.n === 1) secondSep = sep;
        i++;
        if (i >= b) throw this.gtError(buf, a, b, s, numAlleles, lineNo);
      }
    }
    const n = cell.n;
    const vals = cell.vals;
    const col = this.gt!;
    const o = col.prepare(v, s, n, INT_FILL, max, lineNo);
    const d = col.data;
    for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
    for (let j = n; j < col.width; j++) d[o + j] = INT_FILL;
    // cyvcf2's phase flag: the phase bit of the second allele slot; a haploid
    // call's second slot is htslib's vector end, whose low bit is 1.
    this.phaseBits[v * this.nSamples + s] = n === 1 || secondSep === PIPE ? 1 : 0;
    return n;
  }

  private gtError(buf: Buffer, a: number, b: number, s: number, numAlleles: number, lineNo: number): VcfGenotypeError {
    return new VcfGenotypeError(this.file, lineNo, this.sampleIds[s]!, buf.toString('utf8', a, b), numAlleles);
  }
}
