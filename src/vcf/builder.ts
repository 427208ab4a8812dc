/**
 * The record loop of the VCF reader: takes the file's lines one by one
 * (./lines.ts), reads the header (./header.ts), then each data line's fixed
 * columns here (CHROM, POS, ID, REF, ALT, QUAL, FILTER), its INFO column
 * (./info.ts) and its sample columns (./samples.ts) into growable columns
 * (./columns.ts); `finish()` makes the variant set and the calls
 * (./calls.ts) as `vcf2zarr convert` stores them (docs/vcz-format.md,
 * "Arrays" and "Types and sentinels"). In a windowed read the sample
 * columns hold one window of variants at a time.
 */
import { binomial, type Contig, FLOAT32_MISSING_BITS, type FormatFieldDef, type InfoColumn, type InfoFieldDef, type SampleCalls, STRING_MISSING, type VariantSet, type VcfType } from '../codec/index.ts';
import { gatherSamples, makeCalls } from './calls.ts';
import { IntVec, type FieldAcc } from './columns.ts';
import { VcfFieldCountError, VcfHeaderError, VcfSampleCountError, VcfShapeChangedError, VcfSyntaxError, VcfValueError } from './errors.ts';
import { parseHeader, type MetaLine, type VcfHeader } from './header.ts';
import { InfoReader } from './info.ts';
import { MAX_IN_FLIGHT, ParsePool } from './parse-pool.ts';
import { SampleReader } from './samples.ts';
import { allDigits, bytesEqual, bytesText, DOT, f32, floatBits, INT32_HIGH, parseIntBytes, TAB, u32 } from './text.ts';
import type { FieldNameCheck, VcfCallShape, VcfData, VcfWarning, VcfWindow, VcfWindowResult } from './types.ts';
import { fieldWidth, parseWindow, sameShape, unpackWindow, type ParsedWindow, type WindowBatch } from './window-parse.ts';

/** What the builder does with sample columns. */
export type BuilderMode =
  | { readonly kind: 'full' }
  | { readonly kind: 'variants' }
  | WindowMode;

interface WindowMode {
  readonly kind: 'window';
  /** Variants per window. */
  readonly windowSize: number;
  /** The alleles dimension (max(max alleles, 2)) the windows' Number=A/R/G widths use. */
  readonly maxAlleles: number;
  /** Known final shape (a second read); otherwise the shape grows as the file is read. */
  readonly shape?: VcfCallShape;
  readonly onWindow: (w: VcfWindow) => void;
  /** Threads that parse sample columns (this one and threads − 1 workers, ./parse-pool.ts); default 1. */
  readonly threads?: number;
}

/** A window of a threaded read, from its dispatch to its hand-out (in file order). */
interface PendingWindow {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly variants: VcfWindow['variants'];
  readonly batch: WindowBatch;
  /** Its parse: calls, an error thrown parsing it here, 'failed' (a worker's parse threw), or undefined (at a worker, or waiting). */
  result: ParsedWindow | { error: unknown } | 'failed' | undefined;
  /** Not yet given to a worker (every worker had {@link MAX_IN_FLIGHT} when it was read): see VcfBuilder.submitWaiting. */
  waiting: boolean;
}

/** The state of a threaded windowed read (./parse-pool.ts): see VcfBuilder.dispatchWindow. */
interface Threaded {
  readonly pool: ParsePool;
  /** Windows dispatched and not yet handed out, in file order. */
  readonly queue: PendingWindow[];
  readonly byIndex: Map<number, PendingWindow>;
  /** The window being read: its lines' FORMAT and sample columns. */
  batch: WindowBatch;
  used: number;
  /** Windows dispatched so far (the next one's index). */
  dispatched: number;
  /** Largest ploidy and FORMAT counts (count, line) of the windows handed out so far: what a one-thread read's columns hold. */
  ploidy: number;
  readonly counts: Int32Array;
  readonly formatK: Map<FieldAcc, number>;
  /** An error thrown handing a window out (final: nothing after it counts). */
  failure?: unknown;
}

/** Windows a threaded read holds dispatched and not handed out, beyond {@link MAX_IN_FLIGHT} per worker. */
const QUEUE_SLACK = 2;

/** Shared FILTER rows (read only): `.` and PASS. */
const NO_FILTERS: number[] = [];
const PASS_ONLY: number[] = [0];

/** Builds a file's {@link VcfData} from its lines, given in order to {@link line}. */
export class VcfBuilder {
  private metaLines: MetaLine[] = [];
  private inHeader = true;
  // Set when the #CHROM line is read.
  private h!: VcfHeader;
  private info!: InfoReader;
  private samples!: SampleReader;

  private numVariants = 0;
  private contigCol = new IntVec();
  private positionCol = new IntVec();
  private lengthCol = new IntVec();
  private qualityCol = new IntVec(); // float32 bits stored as int32
  private ids: string[] = [];
  private alleles: string[][] = [];
  private filterRows: number[][] = [];
  private maxAllelesSeen = 0;

  // Windowed reading (streaming imports): sample columns hold only the
  // variants [windowStart, numVariants), indexed from 0.
  private windowStart = 0;
  private windowsEmitted = 0;
  /** Ploidy and FORMAT widths the emitted windows used (the first window's). */
  private emittedShape: VcfCallShape | undefined;
  private restartNeeded = false;
  /** A threaded windowed read's state (mode.threads > 1, a file with samples, the worker's code found). */
  private threaded: Threaded | undefined;

  // scratch: column boundaries of the current line; the last CHROM seen
  private colStart = new Int32Array(9);
  private colEnd = new Int32Array(9);
  private lastChrom: Buffer = Buffer.alloc(0);
  private lastChromIndex = -1;

  constructor(
    private readonly file: string,
    private readonly mode: BuilderMode = { kind: 'full' },
    private readonly onWarning?: (warning: VcfWarning) => void,
    private readonly fieldName?: FieldNameCheck,
  ) {}

  /** Takes line `lineNo` (1-based), the bytes buf[start, end) without its line break. */
  line(buf: Buffer, start: number, end: number, lineNo: number): void {
    if (this.inHeader) {
      if (start < end && buf[start] === 35 /* # */) {
        const text = buf.toString('utf8', start, end);
        if (text.startsWith('##')) {
          this.metaLines.push({ text, line: lineNo });
        } else {
          this.h = parseHeader(this.file, this.metaLines, text, lineNo, this.fieldName);
          this.info = new InfoReader(this.file, this.h.infoAccs, this.h.infoIndex, this.h.endInfo);
          this.samples = new SampleReader(this.file, this.h);
          this.inHeader = false;
          this.startThreads(text, lineNo);
        }
        return;
      }
      if (start === end) return;
      throw new VcfHeaderError(this.file, lineNo, 'a data line comes before the #CHROM header line');
    }
    if (start === end) return;
    this.record(buf, start, end, lineNo);
  }

  /**
   * An undeclared FILTER key, read as htslib 1.16's vcf_parse_filter does:
   * a warning, and `##FILTER=<ID=key,Description="Dummy">` added to the
   * header (after the declared filters). Returns the key's filter index.
   */
  private addUndeclaredFilter(key: string, lineNo: number): number {
    const index = this.h.filters.length;
    this.h.filters.push({ id: key, description: 'Dummy' });
    this.h.filterIndex.set(key, index);
    this.onWarning?.({
      file: this.file,
      line: lineNo,
      kind: 'undeclared-filter',
      key,
      message: `${this.file}:${lineNo}: FILTER '${key}' is not declared in the header; read as bcftools does, as if the header had ##FILTER=<ID=${key},Description="Dummy">`,
    });
    return index;
  }

  /** The contig index of CHROM buf[a, b) (an undeclared contig is added, in first-seen order). */
  private contigOf(buf: Buffer, a: number, b: number): number {
    // Records of one contig come in runs: compare with the last one's bytes first.
    if (this.lastChromIndex >= 0 && bytesEqual(buf, a, b, this.lastChrom)) return this.lastChromIndex;
    const chrom = bytesText(buf, a, b);
    const { contigs, contigIndex } = this.h;
    let found = contigIndex.get(chrom);
    if (found === undefined) {
      found = contigs.length;
      contigIndex.set(chrom, found);
      contigs.push({ id: chrom });
    }
    this.lastChrom = Buffer.from(buf.subarray(a, b));
    this.lastChromIndex = found;
    return found;
  }

  /** QUAL buf[a, b) as float32 bits (`.` → missing). */
  private qualityOf(buf: Buffer, a: number, b: number, lineNo: number): number {
    if (b === a + 1 && buf[a] === DOT) return FLOAT32_MISSING_BITS;
    if (b > a && b - a <= 9 && allDigits(buf, a, b)) {
      // Fast path, same bits as floatBits(): a plain integer is exact in a double.
      f32[0] = parseIntBytes(buf, a, b);
      return u32[0]!;
    }
    const q = bytesText(buf, a, b);
    const bits = floatBits(q);
    if (bits === undefined) throw new VcfValueError(this.file, lineNo, 'QUAL', q, 'a number or .');
    // An explicit NaN QUAL reaches vcf2zarr as a plain NaN (not the missing pattern).
    return /nan$/i.test(q) ? 0x7fc00000 : bits;
  }

  /** FILTER buf[a, b) as filter indices (rows are only read later, so PASS and `.` share one array each). */
  private filtersOf(buf: Buffer, a: number, b: number, lineNo: number): number[] {
    if (b === a || (b === a + 1 && buf[a] === DOT)) return NO_FILTERS;
    if (b === a + 4 && buf[a] === 80 && buf[a + 1] === 65 && buf[a + 2] === 83 && buf[a + 3] === 83) return PASS_ONLY;
    const row: number[] = [];
    for (const f of bytesText(buf, a, b).split(';')) {
      const fi = this.h.filterIndex.get(f) ?? this.addUndeclaredFilter(f, lineNo);
      if (!row.includes(fi)) row.push(fi);
    }
    return row;
  }

  private record(buf: Buffer, start: number, end: number, lineNo: number): void {
    const file = this.file;
    // Column boundaries of the first 9 columns (reused arrays: no allocation per line).
    const colStart = this.colStart;
    const colEnd = this.colEnd;
    let nCols = 0;
    let p = start;
    for (let c = 0; c < 9 && p <= end; c++) {
      let t = buf.indexOf(TAB, p);
      if (t < 0 || t > end) t = end;
      colStart[c] = p;
      colEnd[c] = t;
      nCols++;
      p = t + 1;
    }
    if (nCols < 8) {
      throw new VcfSyntaxError(file, lineNo, `${nCols} tab-separated column(s); a data line needs at least 8 (CHROM POS ID REF ALT QUAL FILTER INFO)`);
    }
    const v = this.numVariants;
    const ci = this.contigOf(buf, colStart[0]!, colEnd[0]!);
    const pos = parseIntBytes(buf, colStart[1]!, colEnd[1]!);
    if (!Number.isFinite(pos) || pos < 0 || pos > INT32_HIGH) {
      throw new VcfSyntaxError(file, lineNo, `POS '${bytesText(buf, colStart[1]!, colEnd[1]!)}' is not a non-negative integer`);
    }
    const id = colEnd[2]! > colStart[2]! ? bytesText(buf, colStart[2]!, colEnd[2]!) : STRING_MISSING;
    // REF, ALT
    const ref = bytesText(buf, colStart[3]!, colEnd[3]!);
    let alleles: string[];
    const altStart = colStart[4]!;
    const altEnd = colEnd[4]!;
    if (altEnd === altStart || (altEnd === altStart + 1 && buf[altStart] === DOT)) alleles = [ref];
    else if (altEnd === altStart + 1) alleles = [ref, bytesText(buf, altStart, altEnd)];
    else alleles = [ref, ...bytesText(buf, altStart, altEnd).split(',')];
    if (alleles.length > this.maxAllelesSeen) this.maxAllelesSeen = alleles.length;
    const qualBits = this.qualityOf(buf, colStart[5]!, colEnd[5]!, lineNo);
    const filterRow = this.filtersOf(buf, colStart[6]!, colEnd[6]!, lineNo);
    const length = this.info.read(buf, colStart[7]!, colEnd[7]!, v, pos, ref.length, lineNo);

    // FORMAT and samples (rows of the sample columns count from the window's start)
    const sv = v - this.windowStart;
    const S = this.samples.nSamples;
    if (this.mode.kind === 'variants') {
      // the variant set only: sample columns are not read
    } else if (S > 0) {
      if (nCols < 9) throw new VcfSampleCountError(file, lineNo, S, 0);
      if (this.threaded) this.addToBatch(buf, colStart[8]!, colEnd[8]!, end, alleles.length, lineNo);
      else this.samples.read(buf, colStart[8]!, colEnd[8]!, colEnd[8]! + 1, end, sv, alleles.length, lineNo);
    } else if (nCols === 9 && colEnd[8]! < end) {
      let extra = 0;
      for (let i = colEnd[8]!; i < end; i++) if (buf[i] === TAB) extra++;
      throw new VcfSampleCountError(file, lineNo, 0, extra);
    } else {
      this.samples.absentRow(sv);
    }

    this.contigCol.push(ci);
    this.positionCol.push(pos);
    this.lengthCol.push(length);
    this.qualityCol.push(qualBits | 0);
    this.ids.push(id);
    this.alleles.push(alleles);
    this.filterRows.push(filterRow);
    this.numVariants++;
    if (this.mode.kind === 'window' && this.numVariants - this.windowStart === this.mode.windowSize) this.emitWindow();
  }

  // ---- shape and windows -----------------------------------------------------

  /**
   * Ploidy and a width function for FORMAT and INFO fields, given the
   * alleles dimension and the ploidy seen so far (docs of readVcf, "widths").
   * The width function throws VcfFieldCountError for a Number=A/R/G count
   * beyond its dimension.
   */
  private shape(maxAlleles: number): { ploidy: number; widthOf: (acc: FieldAcc) => number } {
    const file = this.file;
    const { hasGenotype, formatAccs } = this.h;
    const t = this.threaded;
    const ploidy = hasGenotype ? Math.max(1, t ? t.ploidy : this.samples.maxPloidySeen) : 0;
    // Largest value count of a cell and its line: a threaded read's FORMAT counts are the windows' handed out.
    const observed = (acc: FieldAcc): [number, number] => {
      const k = t?.formatK.get(acc);
      if (k !== undefined) return [t!.counts[2 * k]!, t!.counts[2 * k + 1]!];
      const col = (acc.num ?? acc.str)!;
      return [col.maxCount, col.maxCountLine];
    };
    let genotypes = 0;
    if (hasGenotype) genotypes = binomial(maxAlleles + ploidy - 1, ploidy);
    else {
      for (const acc of formatAccs) {
        if (acc.number === 'G') genotypes = Math.max(genotypes, observed(acc)[0]);
      }
    }
    const widthOf = (acc: FieldAcc): number => {
      const [count, line] = observed(acc);
      const { width, limit } = fieldWidth(acc.number, acc.type, count, maxAlleles, genotypes);
      if (limit !== undefined && count > limit) {
        throw new VcfFieldCountError(file, line, `${acc.category}/${acc.id}`, count, limit);
      }
      return width;
    };
    return { ploidy, widthOf };
  }

  /**
   * Windowed reading: hands the window's calls to `onWindow` (unless a
   * restart is already needed), then empties the sample columns for the
   * next window.
   */
  private emitWindow(): void {
    const mode = this.mode as WindowMode;
    const V = this.numVariants - this.windowStart;
    if (V === 0) return;
    if (this.threaded) {
      this.dispatchWindow();
      return;
    }
    if (!this.restartNeeded) {
      const { ploidy, widthOf } = this.shape(mode.maxAlleles);
      let shape: VcfCallShape = { ploidy, widths: this.h.formatAccs.map(widthOf) };
      if (mode.shape) {
        // A second pass knows the file's final shape; the data cannot exceed it.
        if (shape.ploidy > mode.shape.ploidy || shape.widths.some((w: number, k: number) => w > mode.shape!.widths[k]!)) {
          throw new VcfShapeChangedError(this.file, this.numVariants);
        }
        shape = mode.shape;
      }
      if (this.emittedShape && !sameShape(this.emittedShape, shape)) this.restartNeeded = true;
      else {
        this.emittedShape ??= shape;
        const a = this.windowStart;
        const b = this.numVariants;
        const contigIds: string[] = new Array(V);
        for (let v = a; v < b; v++) contigIds[v - a] = this.h.contigs[this.contigCol.data[v]!]!.id;
        mode.onWindow({
          index: this.windowsEmitted,
          start: a,
          end: b,
          sampleIds: this.h.sampleIds,
          variants: { contig: contigIds, position: this.positionCol.data.slice(a, b), alleles: this.alleles.slice(a, b) },
          calls: makeCalls(this.samples, V, shape.ploidy, shape.widths),
        });
      }
    }
    this.windowsEmitted++;
    this.samples.clearRows();
    this.windowStart = this.numVariants;
  }

  // ---- threaded windows ------------------------------------------------------
  //
  // With mode.threads > 1 this thread reads the lines, their fixed columns and
  // INFO, and copies each line's FORMAT and sample columns into the window's
  // batch; a full window goes to a worker (./parse-pool.ts), or waits for
  // one while every worker is busy, and is parsed here only when this
  // thread would otherwise wait (submitWaiting). Windows are handed out in file order
  // (handOut), with the shape checks and errors of a one-thread read, from
  // the counts of the windows before them: the calls, the restart decision
  // and the first error (file, line) are a one-thread read's.

  /** Starts the worker pool when the read is windowed, threaded and the file has samples. */
  private startThreads(chromLine: string, chromLineNo: number): void {
    const mode = this.mode;
    if (mode.kind !== 'window' || (mode.threads ?? 1) <= 1 || this.samples.nSamples === 0) return;
    const pool = ParsePool.create(mode.threads!, { file: this.file, metaLines: this.metaLines, chromLine, chromLineNo, maxAlleles: mode.maxAlleles }, (id, packed, text) => {
      const w = this.threaded!.byIndex.get(id);
      if (!w) return;
      w.batch.text = text;
      w.result = packed ? unpackWindow(packed) : 'failed';
    });
    if (!pool) return;
    const F = this.h.formatAccs.length;
    this.threaded = {
      pool,
      queue: [],
      byIndex: new Map(),
      batch: this.newBatch(pool, 1 << 20),
      used: 0,
      dispatched: 0,
      ploidy: 0,
      counts: new Int32Array(2 * F),
      formatK: new Map(this.h.formatAccs.map((acc, k) => [acc, k])),
    };
  }

  private newBatch(pool: ParsePool, bytes: number): WindowBatch {
    const n = (this.mode as WindowMode).windowSize;
    return { text: pool.buffer(bytes), starts: new Int32Array(n), fmtEnds: new Int32Array(n), ends: new Int32Array(n), alleles: new Int32Array(n), lines: new Int32Array(n), n: 0 };
  }

  /** Copies the FORMAT column buf[a, fmtEnd) and the sample columns after it, to `end`, into the window's batch. */
  private addToBatch(buf: Buffer, a: number, fmtEnd: number, end: number, numAlleles: number, lineNo: number): void {
    const t = this.threaded!;
    const b = t.batch;
    const len = end - a;
    if (t.used + len > b.text.length) {
      const bigger = new Uint8Array(Math.max(2 * b.text.length, t.used + len));
      bigger.set(b.text.subarray(0, t.used));
      b.text = bigger;
    }
    buf.copy(b.text, t.used, a, end);
    const k = b.n;
    b.starts[k] = t.used;
    b.fmtEnds[k] = t.used + (fmtEnd - a);
    b.ends[k] = t.used + len;
    b.alleles[k] = numAlleles;
    b.lines[k] = lineNo;
    (b as { n: number }).n = k + 1;
    t.used += len;
  }

  /** Parses `batch` on this thread (its error kept for the window's turn). */
  private parseHere(batch: WindowBatch, floor: VcfCallShape | undefined): ParsedWindow | { error: unknown } {
    try {
      return parseWindow(this.samples, batch, (this.mode as WindowMode).maxAlleles, floor);
    } catch (error) {
      return { error };
    }
  }

  /** The shape the windows handed out have, when known: the calls of the next ones are gathered at least this wide. */
  private floor(): VcfCallShape | undefined {
    return (this.mode as WindowMode).shape ?? this.emittedShape;
  }

  /** Queues the window just read (for a worker: handOutReady submits it) and hands out the ready ones. */
  private dispatchWindow(): void {
    const t = this.threaded!;
    const a = this.windowStart;
    const b = this.numVariants;
    const contig: string[] = new Array(b - a);
    for (let v = a; v < b; v++) contig[v - a] = this.h.contigs[this.contigCol.data[v]!]!.id;
    const batch = t.batch;
    const w: PendingWindow = { index: t.dispatched++, start: a, end: b, variants: { contig, position: this.positionCol.data.slice(a, b), alleles: this.alleles.slice(a, b) }, batch, result: undefined, waiting: true };
    t.batch = this.newBatch(t.pool, Math.ceil(t.used * 1.1));
    t.used = 0;
    this.windowStart = b;
    t.queue.push(w);
    t.byIndex.set(w.index, w);
    this.handOutReady();
  }

  /**
   * Gives the waiting windows to workers, oldest first, while one has room.
   * A window every worker is too busy for waits (its text held, counted in
   * the queue's bound) rather than being parsed here at once: this thread
   * also stages what the workers parse, and when it is the slower side,
   * each window it parses itself lengthens the read (docs/scale.md, "Import
   * on every core"). It parses one only when it would otherwise wait
   * ({@link parseWaitingHere}).
   */
  private submitWaiting(): void {
    const t = this.threaded!;
    for (const w of t.queue) {
      if (!w.waiting) continue;
      // A worker hands the text back with its answer (for a second parse here: a worker's failure, a wider shape).
      if (!t.pool.submit(w.index, w.batch, this.floor())) return;
      w.waiting = false;
    }
  }

  /** Parses the oldest waiting window on this thread; false when none waits. */
  private parseWaitingHere(): boolean {
    const t = this.threaded!;
    const w = t.queue.find((x) => x.waiting);
    if (!w) return false;
    w.waiting = false;
    const r = this.parseHere(w.batch, this.floor());
    // Gathered now: this thread's columns hold only the window parsed last.
    if ('error' in r) w.result = r;
    else {
      const S = this.samples.nSamples;
      const all = Array.from({ length: S }, (_, i) => r.calls(i));
      w.result = {
        ...r,
        calls: (i) => {
          if (!Number.isInteger(i) || i < 0 || i >= S) throw new RangeError(`sample index ${i} is outside [0, ${S})`);
          return all[i]!;
        },
      };
    }
    return true;
  }

  /** Hands out the windows at the head of the queue that are parsed, in order. */
  private handOutReady(): void {
    const t = this.threaded!;
    if (t.failure !== undefined) throw t.failure;
    t.pool.poll();
    this.submitWaiting();
    while (t.queue.length > 0 && t.queue[0]!.result !== undefined) {
      const w = t.queue.shift()!;
      t.byIndex.delete(w.index);
      try {
        this.handOut(w);
      } catch (err) {
        t.failure = err;
        throw err;
      }
    }
  }

  /** Window `w`'s turn: what emitWindow does in a one-thread read, from the counts of the windows up to it. */
  private handOut(w: PendingWindow): void {
    const t = this.threaded!;
    const mode = this.mode as WindowMode;
    let r = w.result!;
    if (r === 'failed') r = this.parseHere(w.batch, this.floor());
    if ('error' in r) throw r.error;
    t.ploidy = Math.max(t.ploidy, r.stats.ploidy);
    for (let k = 0; 2 * k < t.counts.length; k++) {
      if (r.stats.counts[2 * k]! > t.counts[2 * k]!) {
        t.counts[2 * k] = r.stats.counts[2 * k]!;
        t.counts[2 * k + 1] = r.stats.counts[2 * k + 1]!;
      }
    }
    if (!this.restartNeeded) {
      const { ploidy, widthOf } = this.shape(mode.maxAlleles);
      let shape: VcfCallShape = { ploidy, widths: this.h.formatAccs.map(widthOf) };
      if (mode.shape) {
        if (shape.ploidy > mode.shape.ploidy || shape.widths.some((x: number, k: number) => x > mode.shape!.widths[k]!)) {
          throw new VcfShapeChangedError(this.file, w.end);
        }
        shape = mode.shape;
      }
      if (this.emittedShape && !sameShape(this.emittedShape, shape)) this.restartNeeded = true;
      else {
        this.emittedShape ??= shape;
        if (!sameShape(r.shape, shape)) {
          // Gathered narrower than the windows before it (dispatched before their shape was known): gather again at theirs.
          r = this.parseHere(w.batch, shape);
          if ('error' in r) throw r.error;
        }
        mode.onWindow({ index: w.index, start: w.start, end: w.end, sampleIds: this.h.sampleIds, variants: w.variants, calls: r.calls });
      }
    }
    this.windowsEmitted++;
    t.pool.recycle(w.batch.text);
  }

  /**
   * Between chunks of the file: hands out ready windows, and waits for the
   * workers while more than {@link MAX_IN_FLIGHT} windows per worker (+ {@link QUEUE_SLACK}) are
   * dispatched and not handed out (the memory bound, ./parse-pool.ts).
   */
  async pace(): Promise<void> {
    const t = this.threaded;
    if (!t) return;
    this.handOutReady();
    while (t.queue.length > MAX_IN_FLIGHT * t.pool.maxWorkers + QUEUE_SLACK) {
      if (!this.parseWaitingHere()) await t.pool.wait();
      this.handOutReady();
    }
  }

  /** After the last line: dispatches the last window and hands out every window. */
  async drain(): Promise<void> {
    const t = this.threaded;
    if (!t) return;
    if (this.numVariants > this.windowStart) this.dispatchWindow();
    while (t.queue.length > 0) {
      if (!this.parseWaitingHere()) await t.pool.wait();
      this.handOutReady();
    }
  }

  /**
   * Reading stopped with `err` (a line's fixed columns, a truncated file, a
   * BCF record): a one-thread read would have parsed every line before it,
   * so the windows before are handed out first and the current window's
   * lines parsed, and their error, if any, is thrown instead of `err`.
   */
  async failAfter(err: unknown): Promise<never> {
    const t = this.threaded;
    if (!t || err === t.failure) throw err;
    while (t.queue.length > 0) {
      if (!this.parseWaitingHere()) await t.pool.wait();
      this.handOutReady();
    }
    if (t.batch.n > 0) {
      const r = this.parseHere(t.batch, this.floor());
      if ('error' in r) throw r.error;
    }
    throw err;
  }

  /** Stops the worker threads (after the read, whatever its outcome). */
  close(): void {
    this.threaded?.pool.close();
  }

  /** Windows parsed by worker threads (0 in a one-thread read). */
  get workerWindows(): number {
    return this.threaded?.pool.parsed ?? 0;
  }

  // ---- finish ----------------------------------------------------------------

  /**
   * The file's data, once its last line is given: see readVcf (./read.ts).
   * In `variants` and `window` modes `calls` throws; `window` says how a
   * windowed read ended.
   *
   * @throws VcfHeaderError when no `#CHROM` line was read;
   *   VcfFieldCountError; whatever the last window's `onWindow` throws.
   */
  finish(): VcfData & { readonly window?: VcfWindowResult } {
    if (this.inHeader) {
      throw new VcfHeaderError(this.file, 0, 'no #CHROM header line (is this a VCF file?)');
    }
    if (this.mode.kind === 'window') this.emitWindow();
    const h = this.h;
    const V = this.numVariants;
    const maxAlleles = Math.max(this.maxAllelesSeen, 2);
    const { ploidy, widthOf } = this.shape(maxAlleles);

    // Variant columns
    const quality = new Float32Array(V);
    new Uint32Array(quality.buffer).set(new Uint32Array(this.qualityCol.take().buffer, 0, V));
    const F = h.filters.length;
    const filter = new Uint8Array(V * F);
    for (let v = 0; v < V; v++) for (const fi of this.filterRows[v]!) filter[v * F + fi] = 1;

    const info: InfoColumn[] = h.infoAccs.map((acc) => {
      const width = widthOf(acc);
      const def: InfoFieldDef = { id: acc.id, type: acc.type, number: acc.number, description: acc.description };
      if (acc.type === 'Flag') {
        const values = new Uint8Array(V);
        const col = acc.num!;
        for (let v = 0; v < V; v++) values[v] = acc.absent.get(v) || v >= col.cap ? 0 : col.data[v]! ? 1 : 0;
        return { def, width: 1, values };
      }
      return { def, width, values: gatherSamples(acc, 0, 1, V, width)[0]! };
    });
    const format: FormatFieldDef[] = h.formatAccs.map((acc) => ({
      id: acc.id,
      type: acc.type as VcfType,
      number: acc.number,
      description: acc.description,
    }));
    const formatWidths = h.formatAccs.map(widthOf);

    const contigs: Contig[] = h.contigs.map((c) => (c.length === undefined ? { id: c.id } : { id: c.id, length: c.length }));
    const variantSet: VariantSet = {
      contigs,
      filters: h.filters,
      numVariants: V,
      contig: this.contigCol.take(),
      position: this.positionCol.take(),
      id: this.ids,
      alleles: this.alleles,
      quality,
      filter,
      length: this.lengthCol.take(),
      info,
      format,
      hasGenotype: h.hasGenotype,
      metaInformation: h.metaInformation,
    };

    const mode = this.mode;
    const common = { variantSet, sampleIds: h.sampleIds, source: h.source };
    if (mode.kind === 'full') return { ...common, calls: makeCalls(this.samples, V, ploidy, formatWidths) };
    const calls = (): SampleCalls => {
      throw new Error(`readVcf in ${mode.kind} mode hands out no whole-sample calls`);
    };
    if (mode.kind === 'variants') return { ...common, calls };
    const window: VcfWindowResult = { windows: this.windowsEmitted, restartNeeded: this.restartNeeded, shape: mode.shape ?? { ploidy, widths: formatWidths } };
    return { ...common, calls, window };
  }
}
