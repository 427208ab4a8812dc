/**
 * gVCF input (docs/gvcf.md): a gVCF (GATK HaplotypeCaller `-ERC GVCF`,
 * DeepVariant, `bcftools call -g` / `mpileup --gvcf`) is split, as it
 * streams, into
 * - its reference blocks: records whose ALT is only the symbolic allele
 *   (`<NON_REF>` for GATK, `<*>` for bcftools and DeepVariant), kept per
 *   sample as {@link ReferenceBlocks} columns and never sites; and
 * - its variant records: every other record, with the symbolic allele
 *   dropped from ALT and its Number=A/R/G INFO and FORMAT values removed
 *   (the values `bcftools view -a` and `bcftools norm -m-` keep for the
 *   other alleles), handed on as plain VCF lines
 *   to the ordinary reader (./builder.ts), so they make a normal VariantSet
 *   and SampleCalls.
 */
import { INT_MISSING } from '../codec/index.ts';
import { VcfBuilder } from './builder.ts';
import { VcfSampleCountError, VcfValueError } from './errors.ts';
import { GvcfBlockEndError, GvcfOverlapError, GvcfRecordEndError, GvcfUnsortedError } from './gvcf-errors.ts';
import { parseHeader, type MetaLine, type VcfHeader } from './header.ts';
import { forEachLine } from './lines.ts';
import { windowBuilder } from './read.ts';
import type { ReferenceBlocks } from './ref-blocks.ts';
import type { LineHandler, VcfData, VcfReadOptions, VcfWindowOptions, VcfWindowResult } from './types.ts';

/** The symbolic "any other allele" ALTs of gVCFs: GATK's and bcftools'/DeepVariant's. */
export const SYMBOLIC_ALLELES: readonly string[] = ['<NON_REF>', '<*>'];

/** What {@link readGvcf} returns. */
export interface GvcfData extends VcfData {
  /**
   * True when the file is a gVCF: its header declares `##ALT=<ID=NON_REF>`
   * or `##ALT=<ID=*>`, or a record uses `<NON_REF>` or `<*>`. A plain VCF
   * reads as it does with readVcf, with no blocks.
   */
  readonly isGvcf: boolean;
  /** Reference-block records read (each counts once, whatever the number of samples). */
  readonly blockRecords: number;
  /**
   * The reference blocks of sample `sampleIndex` (0-based, into
   * `sampleIds`), as fresh arrays the caller owns. Throws RangeError for an
   * index outside [0, sampleIds.length).
   */
  referenceBlocks(sampleIndex: number): ReferenceBlocks;
}

/** Growable int32 column. */
class Col {
  data = new Int32Array(16);
  len = 0;
  push(x: number): void {
    if (this.len === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.len++] = x;
  }
  take(): Int32Array {
    return this.data.slice(0, this.len);
  }
}

/** One sample's blocks as they are read, and what the overlap checks need. */
class SampleBlocks {
  contig = new Col();
  start = new Col();
  end = new Col();
  gq = new Col();
  minDp = new Col();
  ploidy = new Col();
  /** END and line of the sample's last block on the current contig (-1: none). */
  lastEnd = -1;
  lastLine = 0;
}

/** The VCF genotype order of ploidy P over n alleles (VCF 4.3 §1.6.2, Number=G): each genotype as sorted allele indices. */
function genotypeOrder(n: number, ploidy: number): number[][] {
  if (ploidy === 1) return Array.from({ length: n }, (_, i) => [i]);
  const out: number[][] = [];
  const rec = (prefixMax: number, p: number): number[][] => {
    if (p === 1) return Array.from({ length: prefixMax + 1 }, (_, i) => [i]);
    const res: number[][] = [];
    for (let last = 0; last <= prefixMax; last++) for (const g of rec(last, p - 1)) res.push([...g, last]);
    return res;
  };
  for (const g of rec(n - 1, ploidy)) out.push(g);
  return out;
}

const genotypeCache = new Map<string, number[][]>();
function genotypesOf(n: number, ploidy: number): number[][] {
  const key = `${n},${ploidy}`;
  let g = genotypeCache.get(key);
  if (!g) {
    g = genotypeOrder(n, ploidy);
    genotypeCache.set(key, g);
  }
  return g;
}

/** C(n + p − 1, p): genotypes of ploidy p over n alleles. */
function genotypeCount(n: number, p: number): number {
  let r = 1;
  for (let i = 1; i <= p; i++) r = (r * (n + i - 1)) / i;
  return Math.round(r);
}

/**
 * Drops the values of alleles not kept from a Number=A/R/G value list
 * (`values` = the comma-separated parts): A has one value per ALT, R one per
 * allele, G one per genotype in VCF order (the ploidy is the one whose
 * genotype count equals the number of values). A list whose length fits
 * none of these (e.g. a single `.`) is left as it is.
 */
function reindex(number: 'A' | 'R' | 'G', values: string[], keep: readonly boolean[]): string[] {
  const n = keep.length;
  if (number === 'A') return values.length === n - 1 ? values.filter((_, i) => keep[i + 1]) : values;
  if (number === 'R') return values.length === n ? values.filter((_, i) => keep[i]) : values;
  for (let p = 1; p <= 8; p++) {
    const count = genotypeCount(n, p);
    if (count === values.length) {
      const order = genotypesOf(n, p);
      return values.filter((_, i) => order[i]!.every((a) => keep[a]));
    }
    if (count > values.length) break;
  }
  return values;
}

const GT_SPLIT = /([/|])/;

/**
 * Splits a gVCF's lines into reference blocks (kept here, per sample) and
 * variant records (handed to `next`, rewritten without the symbolic
 * allele). Give it every line of the file in order ({@link line}), then
 * call {@link finish}. Header lines go to `next` unchanged; so does every
 * data line this splitter leaves alone, so `next` (a VcfBuilder) reports
 * the syntax errors it would for a plain VCF, with the same line numbers.
 *
 * Records must be sorted (POS non-decreasing within a contig, each contig
 * in one run), as callers write them.
 *
 * @throws (from {@link line}) GvcfBlockEndError, GvcfRecordEndError,
 *   GvcfOverlapError, GvcfUnsortedError (./gvcf-errors.ts), VcfValueError
 *   (a block's END, GQ, MIN_DP or DP not a number), VcfSampleCountError (a
 *   block record with the wrong number of sample columns); whatever `next`
 *   throws.
 */
export class GvcfSplitter {
  private metaLines: MetaLine[] = [];
  private h: VcfHeader | undefined;
  private samples: SampleBlocks[] = [];
  private declaresSymbolic = false;
  private usesSymbolic = false;
  private blockRecords = 0;
  /** Contigs of block records, first-seen order (the blocks' `contigs`). */
  private blockContigs: string[] = [];
  private blockContigIndex = new Map<string, number>();
  /** Sort order: contigs already left, the current contig, last POS. */
  private doneContigs = new Set<string>();
  private contig: string | undefined;
  private lastPos = -1;
  /** POS and line of the last variant record on the current contig (-1: none). */
  private lastVariantPos = -1;
  private lastVariantLine = 0;

  constructor(private readonly file: string, private readonly next: LineHandler) {}

  /** Takes line `lineNo` (1-based), the bytes buf[start, end) without its line break. */
  line(buf: Buffer, start: number, end: number, lineNo: number): void {
    if (this.h === undefined) {
      if (start < end && buf[start] === 35 /* # */) {
        const text = buf.toString('utf8', start, end);
        if (text.startsWith('##')) {
          this.metaLines.push({ text, line: lineNo });
          if (/^##ALT=<ID=(NON_REF|\*)[,>]/.test(text)) this.declaresSymbolic = true;
        } else {
          // The builder parses the header too (and reports its errors first).
          this.next(buf, start, end, lineNo);
          this.h = parseHeader(this.file, this.metaLines, text, lineNo);
          this.samples = this.h.sampleIds.map(() => new SampleBlocks());
          return;
        }
      }
      this.next(buf, start, end, lineNo);
      return;
    }
    if (start === end) return;
    const text = buf.toString('utf8', start, end);
    const cols = text.split('\t');
    if (cols.length < 8) {
      this.next(buf, start, end, lineNo);
      return;
    }
    const chrom = cols[0]!;
    const posText = cols[1]!;
    const pos = /^\d+$/.test(posText) ? Number(posText) : NaN;
    if (!Number.isSafeInteger(pos)) {
      this.next(buf, start, end, lineNo); // the builder's VcfSyntaxError
      return;
    }
    this.checkOrder(chrom, pos, lineNo);
    const ref = cols[3]!;
    const altText = cols[4]!;
    const alts = altText === '.' || altText === '' ? [] : altText.split(',');
    let symbolic = 0;
    for (const a of alts) if (SYMBOLIC_ALLELES.includes(a)) symbolic++;
    if (symbolic > 0) this.usesSymbolic = true;
    const endInfo = this.infoEnd(cols[7]!, lineNo);

    if (symbolic > 0 && symbolic === alts.length) {
      this.block(cols, chrom, pos, endInfo?.value ?? pos, lineNo);
      return;
    }

    // A variant record: it must not lie inside a block of its samples.
    for (let s = 0; s < this.samples.length; s++) {
      const sb = this.samples[s]!;
      if (sb.lastEnd >= pos) throw new GvcfOverlapError(this.file, lineNo, this.h.sampleIds[s]!, 'variant-in-block', chrom, pos, sb.lastLine);
    }
    this.lastVariantPos = pos;
    this.lastVariantLine = lineNo;

    let changed = false;
    if (endInfo !== undefined) {
      if (endInfo.value !== pos + ref.length - 1) throw new GvcfRecordEndError(this.file, lineNo, chrom, pos, endInfo.value, ref.length);
      const kept = cols[7]!.split(';').filter((_, i) => i !== endInfo.index);
      cols[7] = kept.length > 0 ? kept.join(';') : '.';
      changed = true;
    }
    if (symbolic > 0) {
      this.dropSymbolic(cols, alts);
      changed = true;
    }
    if (!changed) {
      this.next(buf, start, end, lineNo);
      return;
    }
    const out = Buffer.from(cols.join('\t'), 'utf8');
    this.next(out, 0, out.length, lineNo);
  }

  /** Sort order (GvcfUnsortedError); resets the per-contig overlap state at a new contig. */
  private checkOrder(chrom: string, pos: number, lineNo: number): void {
    if (chrom !== this.contig) {
      if (this.doneContigs.has(chrom)) {
        throw new GvcfUnsortedError(this.file, lineNo, chrom, pos, `contig '${chrom}' comes back after other contigs`);
      }
      if (this.contig !== undefined) this.doneContigs.add(this.contig);
      this.contig = chrom;
      this.lastPos = -1;
      this.lastVariantPos = -1;
      for (const sb of this.samples) sb.lastEnd = -1;
    } else if (pos < this.lastPos) {
      throw new GvcfUnsortedError(this.file, lineNo, chrom, pos, `POS ${pos} comes after POS ${this.lastPos}`);
    }
    this.lastPos = pos;
  }

  /** INFO/END of a record: its value and its index among the `;`-separated entries; undefined when absent. */
  private infoEnd(info: string, lineNo: number): { value: number; index: number } | undefined {
    if (info === '.' || !info.includes('END=')) return undefined;
    const parts = info.split(';');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (!p.startsWith('END=')) continue;
      const v = p.slice(4);
      if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new VcfValueError(this.file, lineNo, 'INFO/END', v, 'an integer (the 1-based last position)');
      return { value: Number(v), index: i };
    }
    return undefined;
  }

  /** A reference-block record: one block for each sample whose GT is all 0 (or that has no GT). */
  private block(cols: string[], chrom: string, pos: number, end: number, lineNo: number): void {
    const h = this.h!;
    if (end < pos) throw new GvcfBlockEndError(this.file, lineNo, chrom, pos, end);
    this.blockRecords++;
    const S = h.sampleIds.length;
    if (S === 0) return;
    if (cols.length !== 9 + S) throw new VcfSampleCountError(this.file, lineNo, S, Math.max(cols.length - 9, 0));
    let ci = this.blockContigIndex.get(chrom);
    if (ci === undefined) {
      ci = this.blockContigs.length;
      this.blockContigs.push(chrom);
      this.blockContigIndex.set(chrom, ci);
    }
    const keys = cols[8]!.split(':');
    const gtAt = keys.indexOf('GT');
    const gqAt = keys.indexOf('GQ');
    const minDpAt = keys.indexOf('MIN_DP');
    const dpAt = keys.indexOf('DP');
    for (let s = 0; s < S; s++) {
      const sample = h.sampleIds[s]!;
      const values = cols[9 + s]!.split(':');
      let ploidy = 0;
      if (gtAt >= 0) {
        const gt = values[gtAt] ?? '.';
        const alleles = gt.split(/[/|]/);
        // Only a call of REF at every allele is a block; `./.` (no call) and
        // a call of the symbolic allele leave the sample uncovered here.
        if (!alleles.every((a) => a === '0')) continue;
        ploidy = alleles.length;
      }
      const sb = this.samples[s]!;
      if (sb.lastEnd >= pos) throw new GvcfOverlapError(this.file, lineNo, sample, 'block-block', chrom, pos, sb.lastLine);
      if (this.lastVariantPos >= pos) throw new GvcfOverlapError(this.file, lineNo, sample, 'block-at-variant', chrom, pos, this.lastVariantLine);
      const num = (at: number, field: string): number => {
        if (at < 0) return INT_MISSING;
        const v = (values[at] ?? '.').split(',')[0]!;
        if (v === '.' || v === '') return INT_MISSING;
        const x = Number(v);
        if (!Number.isFinite(x) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
          throw new VcfValueError(this.file, lineNo, `FORMAT/${field}`, v, 'a number', sample);
        }
        return Math.round(x);
      };
      const gq = num(gqAt, 'GQ');
      let minDp = num(minDpAt, 'MIN_DP');
      if (minDp === INT_MISSING) minDp = num(dpAt, 'DP');
      sb.contig.push(ci);
      sb.start.push(pos);
      sb.end.push(end);
      sb.gq.push(gq);
      sb.minDp.push(minDp);
      sb.ploidy.push(Math.min(ploidy, 255));
      sb.lastEnd = end;
      sb.lastLine = lineNo;
    }
  }

  /** Drops the symbolic allele(s) from a variant record's ALT, its Number=A/R/G values and GT (in place on `cols`). */
  private dropSymbolic(cols: string[], alts: string[]): void {
    const h = this.h!;
    const keep = [true, ...alts.map((a) => !SYMBOLIC_ALLELES.includes(a))];
    const newIndex: number[] = [];
    let k = 0;
    for (const kept of keep) newIndex.push(kept ? k++ : -1);
    cols[4] = alts.filter((a) => !SYMBOLIC_ALLELES.includes(a)).join(',');
    // INFO
    if (cols[7] !== '.' && cols[7] !== '') {
      cols[7] = cols[7]!
        .split(';')
        .map((entry) => {
          const eq = entry.indexOf('=');
          if (eq < 0) return entry;
          const acc = h.infoAccs[h.infoIndex.get(entry.slice(0, eq)) ?? -1];
          if (!acc || (acc.number !== 'A' && acc.number !== 'R' && acc.number !== 'G')) return entry;
          return `${entry.slice(0, eq + 1)}${reindex(acc.number, entry.slice(eq + 1).split(','), keep).join(',')}`;
        })
        .join(';');
    }
    // FORMAT
    if (cols.length > 9) {
      const keys = cols[8]!.split(':');
      const numbers = keys.map((key) => {
        if (key === 'GT') return 'GT';
        const n = h.formatAccs[h.formatIndex.get(key) ?? -1]?.number;
        return n === 'A' || n === 'R' || n === 'G' ? n : undefined;
      });
      if (numbers.some((n) => n !== undefined)) {
        for (let c = 9; c < cols.length; c++) {
          const values = cols[c]!.split(':');
          for (let f = 0; f < values.length && f < keys.length; f++) {
            const number = numbers[f];
            if (number === undefined) continue;
            if (number === 'GT') {
              values[f] = values[f]!
                .split(GT_SPLIT)
                .map((part, i) => {
                  if (i % 2 === 1 || !/^\d+$/.test(part)) return part; // a separator, `.` or text the builder will refuse
                  const a = Number(part);
                  if (a >= keep.length) return part; // the builder's VcfGenotypeError
                  return newIndex[a]! < 0 ? '.' : String(newIndex[a]);
                })
                .join('');
            } else {
              values[f] = reindex(number, values[f]!.split(','), keep).join(',');
            }
          }
          cols[c] = values.join(':');
        }
      }
    }
  }

  /** The blocks of every sample, once the last line is given. */
  finish(): { isGvcf: boolean; blockRecords: number; blocks: ReferenceBlocks[] } {
    const contigs = [...this.blockContigs];
    const blocks = this.samples.map((sb) => ({
      contigs,
      contig: sb.contig.take(),
      start: sb.start.take(),
      end: sb.end.take(),
      gq: sb.gq.take(),
      minDp: sb.minDp.take(),
      ploidy: Uint8Array.from(sb.ploidy.take()),
    }));
    return { isGvcf: this.declaresSymbolic || this.usesSymbolic, blockRecords: this.blockRecords, blocks };
  }
}

/**
 * Reads the gVCF at `path` (plain, gzip/BGZF, or BCF, as readVcf) and
 * splits it into its variant records and its reference blocks:
 * - a record whose ALT alleles are all symbolic (`<NON_REF>` or `<*>`,
 *   {@link SYMBOLIC_ALLELES}) is a reference block over POS..INFO/END
 *   (1-based, inclusive; POS alone without END) for each sample whose GT
 *   is all `0` (`0/0`, `0`, `0|0`), or for every sample when the record
 *   has no GT; a sample with `./.` (no call) or a call of the symbolic
 *   allele gets no block there. Its GQ is FORMAT/GQ, its depth FORMAT/MIN_DP
 *   or else FORMAT/DP (first value; INT_MISSING when absent);
 * - every other record is a variant record: the symbolic allele is dropped
 *   from ALT, from every Number=A/R/G INFO and FORMAT value list (a list of
 *   another length, e.g. a lone `.`, is kept as it is) and from GT, where a
 *   call of it becomes `.` (missing; bcftools 1.16 has no such rewrite: its
 *   `norm -m-` splits the allele into a record of its own); INFO/END is
 *   dropped when it equals POS + len(REF) − 1. The variant records then
 *   read exactly as readVcf reads a VCF of those lines (same VariantSet,
 *   SampleCalls, widths and dtypes; `length` is len(REF)).
 * A file without symbolic alleles reads as readVcf reads it (no blocks).
 *
 * @throws the errors of readVcf (at the variant records and the header);
 *   GvcfBlockEndError (a block's END before its POS), GvcfRecordEndError
 *   (END on a variant record ≠ POS + len(REF) − 1), GvcfOverlapError (two
 *   blocks of a sample overlap; a variant record's POS inside a block of
 *   the file's samples; a block starting at or before the POS of the last
 *   variant record — a block may start inside a deletion's REF span after
 *   its POS), GvcfUnsortedError, VcfValueError and VcfSampleCountError on
 *   block records (./gvcf-errors.ts, ./errors.ts), each with file and line.
 */
export async function readGvcf(path: string, options: VcfReadOptions = {}): Promise<GvcfData> {
  const builder = new VcfBuilder(path, { kind: 'full' }, options.onWarning, options.fieldName);
  const splitter = new GvcfSplitter(path, (buf, start, end, line) => builder.line(buf, start, end, line));
  await forEachLine(path, (buf, start, end, line) => splitter.line(buf, start, end, line));
  const data = builder.finish();
  const { isGvcf, blockRecords, blocks } = splitter.finish();
  return withBlocks(data, isGvcf, blockRecords, blocks);
}

/**
 * {@link readGvcf} for streaming imports: the variant records' calls are
 * handed out window by window exactly as `readVcfWindows` (./read.ts) hands
 * out a VCF's (same windows, shapes, `restartNeeded` rule), while the
 * reference blocks, which are small (about 24 bytes a block in memory), are
 * kept whole and returned at the end. `calls` of the result throws, as
 * readVcfWindows'.
 *
 * @throws the errors of {@link readGvcf} and of readVcfWindows.
 */
export async function readGvcfWindows(path: string, options: VcfWindowOptions): Promise<GvcfData & { window: VcfWindowResult }> {
  const builder = windowBuilder(path, options);
  const splitter = new GvcfSplitter(path, (buf, start, end, line) => builder.line(buf, start, end, line));
  await forEachLine(path, (buf, start, end, line) => splitter.line(buf, start, end, line), options.onProgress);
  const data = builder.finish() as VcfData & { window: VcfWindowResult };
  const { isGvcf, blockRecords, blocks } = splitter.finish();
  return { ...withBlocks(data, isGvcf, blockRecords, blocks), window: data.window };
}

/**
 * {@link readGvcf} for the first pass of a streaming import: the variant
 * records' variant set (as readVcfVariants gives a VCF's; no calls kept),
 * the blocks checked as readGvcf checks them but not returned.
 *
 * @throws the errors of {@link readGvcf}; the reason of `signal` once aborted.
 */
export async function readGvcfVariants(
  path: string,
  options: VcfReadOptions & { readonly signal?: AbortSignal } = {},
): Promise<{ variantSet: VcfData['variantSet']; sampleIds: string[]; source: string; infoNeedsCalls: boolean }> {
  const builder = new VcfBuilder(path, { kind: 'variants' }, options.onWarning, options.fieldName);
  const splitter = new GvcfSplitter(path, (buf, start, end, line) => builder.line(buf, start, end, line));
  await forEachLine(path, (buf, start, end, line) => splitter.line(buf, start, end, line), undefined, options.signal);
  splitter.finish();
  const { variantSet, sampleIds, source } = builder.finish();
  return { variantSet, sampleIds: [...sampleIds], source, infoNeedsCalls: variantSet.info.some((c) => c.def.number === 'G') };
}

/** Records {@link sniffGvcf} reads at most past the header. */
export const SNIFF_RECORDS = 1000;

/**
 * Whether a VCF header's meta lines (`##…`, in any order) may be a gVCF's
 * ({@link sniffGvcf} then reads past its first records for a block): they
 * declare a symbolic allele (`##ALT=<ID=NON_REF` or `##ALT=<ID=*`), INFO/END
 * (a block's span) and a block marker: a `##GVCFBlock` line (GATK
 * HaplotypeCaller `-ERC GVCF`) or MIN_DP (INFO/MIN_DP: `bcftools mpileup
 * --gvcf`; FORMAT/MIN_DP: GATK, DeepVariant). A symbolic allele declared
 * alone does not count: GATK's joint-called VCFs declare `##ALT=<ID=*>` for
 * the spanning deletion `*`, and `bcftools call` keeps mpileup's `<*>`
 * declaration, without holding a block.
 */
export function headerMarksGvcf(metaLines: readonly string[]): boolean {
  let symbolic = false;
  let end = false;
  let marker = false;
  for (const l of metaLines) {
    if (/^##ALT=<ID=(NON_REF|\*)[,>]/.test(l)) symbolic = true;
    else if (/^##INFO=<ID=END[,>]/.test(l)) end = true;
    else if (l.startsWith('##GVCFBlock') || /^##(INFO|FORMAT)=<ID=MIN_DP[,>]/.test(l)) marker = true;
  }
  return symbolic && end && marker;
}

/** Whether the ALT column (5th) of the record line `buf[start, end)` lists `<NON_REF>` or `<*>` (byte scan, no string made). */
function altHasSymbolic(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  for (let tabs = 0; i < end && tabs < 4; i++) if (buf[i] === 9) tabs++;
  let a = i;
  for (let k = i; k <= end; k++) {
    if (k === end || buf[k] === 9 || buf[k] === 44 /* , */) {
      const len = k - a;
      if (len === 3 && buf[a] === 60 && buf[a + 1] === 42 && buf[a + 2] === 62) return true; // <*>
      if (len === 9 && buf[a] === 60 && buf.toString('latin1', a, k) === '<NON_REF>') return true;
      if (k === end || buf[k] === 9) return false;
      a = k + 1;
    }
  }
  return false;
}

/**
 * Whether the VCF/BCF at `path` is to be imported as a gVCF: one of its
 * records has `<NON_REF>` or `<*>` in ALT (GATK, bcftools and DeepVariant
 * gVCFs have it on every record, blocks and variant records alike). The
 * first `maxRecords` (default {@link SNIFF_RECORDS}) records decide, unless
 * the header marks a gVCF ({@link headerMarksGvcf}): then the records are
 * read on until one has the allele or the file ends, so a gVCF whose first
 * block comes after `maxRecords` variant records written without the
 * allele is found, and a joint-called VCF that kept a gVCF's header lines
 * (1000 Genomes' GATK files do) but holds no symbolic allele stays a plain
 * VCF. Reads only as far as it must (a byte scan of each line's ALT).
 *
 * @throws the line reader's errors (VcfTruncatedError, BcfFormatError) met before deciding.
 */
export async function sniffGvcf(path: string, maxRecords = SNIFF_RECORDS): Promise<boolean> {
  const stop = new AbortController();
  let found = false;
  let records = 0;
  let headerMarks = false;
  const meta: string[] = [];
  const decided = new Error('decided');
  try {
    await forEachLine(
      path,
      (buf, start, end) => {
        if (start >= end) return;
        if (buf[start] !== 35 /* # */) {
          if (altHasSymbolic(buf, start, end)) found = true;
          records++;
        } else if (buf[start + 1] === 35 /* ## */) meta.push(buf.toString('utf8', start, end));
        else headerMarks = headerMarksGvcf(meta); // the #CHROM line: the header is whole
        if (found || (records >= maxRecords && !headerMarks)) {
          stop.abort(decided);
          throw decided;
        }
      },
      undefined,
      stop.signal,
    );
  } catch (err) {
    if (err !== decided) throw err;
  }
  return found;
}

function withBlocks(data: VcfData, isGvcf: boolean, blockRecords: number, blocks: ReferenceBlocks[]): GvcfData {
  return {
    variantSet: data.variantSet,
    sampleIds: data.sampleIds,
    source: data.source,
    calls: (i: number) => data.calls(i),
    isGvcf,
    blockRecords,
    referenceBlocks(sampleIndex: number): ReferenceBlocks {
      const b = blocks[sampleIndex];
      if (!Number.isInteger(sampleIndex) || b === undefined) throw new RangeError(`sample index ${sampleIndex} is not in [0, ${blocks.length})`);
      return { contigs: [...b.contigs], contig: b.contig.slice(), start: b.start.slice(), end: b.end.slice(), gq: b.gq.slice(), minDp: b.minDp.slice(), ploidy: b.ploidy.slice() };
    },
  };
}
