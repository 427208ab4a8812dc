/**
 * One variant window's sample columns, parsed apart from the rest of the
 * file: what a threaded streaming import (./parse-pool.ts, `readVcfWindows`
 * with `threads` > 1) hands to a worker thread, or parses on the main thread
 * when every worker is busy. The main thread reads the lines and their fixed
 * columns (CHROM … INFO) and copies each line's FORMAT and sample columns
 * into a {@link WindowBatch}; {@link parseWindow} parses them with the same
 * {@link SampleReader} code a one-thread read uses, and gathers each
 * sample's calls (./calls.ts) at a shape the main thread checks in file
 * order (./builder.ts), so the calls are exactly a one-thread read's.
 */
import { binomial, type IntArray, type SampleCalls, type VcfNumber } from '../codec/index.ts';
import { makeCalls } from './calls.ts';
import type { FieldAcc } from './columns.ts';
import type { SampleReader } from './samples.ts';
import type { VcfCallShape } from './types.ts';

/**
 * The FORMAT and sample columns of a window's lines, copied out of the
 * file's text: line k's are `text[starts[k], ends[k])`, its FORMAT column
 * ending at `fmtEnds[k]` (all offsets into `text`); `alleles[k]` is its
 * REF + ALT count and `lines[k]` its 1-based line number. Row k of the
 * window is line k.
 */
export interface WindowBatch {
  text: Uint8Array;
  readonly starts: Int32Array;
  readonly fmtEnds: Int32Array;
  readonly ends: Int32Array;
  readonly alleles: Int32Array;
  readonly lines: Int32Array;
  /** Lines (rows) in the window. */
  readonly n: number;
}

/**
 * The parts of the shape of the calls a window's lines determine: the
 * largest GT ploidy of its calls (capped at 255), and per FORMAT field
 * (header order) the largest value count of one cell and the line where it
 * was first seen (`counts[2k]`, `counts[2k + 1]`).
 */
export interface WindowStats {
  readonly ploidy: number;
  readonly counts: Int32Array;
}

/** A parsed window: its stats, and each sample's calls gathered at `shape`. */
export interface ParsedWindow {
  readonly stats: WindowStats;
  /** The shape the calls were gathered at. */
  readonly shape: VcfCallShape;
  /** Sample i's calls (fresh arrays; each index asked for once, in order, as imports do). */
  readonly calls: (i: number) => SampleCalls;
}

/**
 * Width of a FORMAT or INFO field's column (readVcf's "widths", ./read.ts):
 * Number=A → alleles − 1, R → alleles, G → `genotypes` (or the largest
 * count without GT), `.` → max(observed, 1), a fixed n → max(observed, n,
 * 1), Flag → 1. `limit` is set for A/R/G, whose counts cannot exceed it
 * (VcfFieldCountError, thrown by the caller).
 */
export function fieldWidth(number: VcfNumber, type: string, observed: number, maxAlleles: number, genotypes: number): { width: number; limit?: number } {
  switch (number) {
    case 'A':
      return { width: maxAlleles - 1, limit: maxAlleles - 1 };
    case 'R':
      return { width: maxAlleles, limit: maxAlleles };
    case 'G':
      return genotypes > 0 ? { width: genotypes, limit: genotypes } : { width: Math.max(observed, 1) };
    case '.':
      return { width: Math.max(observed, 1) };
    default:
      return { width: type === 'Flag' ? 1 : Math.max(observed, number, 1) };
  }
}

/**
 * The shape of calls given the ploidy and FORMAT counts seen (`stats`),
 * without the count checks (a window's own shape; the main thread checks
 * the file's counts in order).
 */
export function looseShape(hasGenotype: boolean, formatAccs: readonly FieldAcc[], maxAlleles: number, stats: WindowStats): VcfCallShape {
  const ploidy = hasGenotype ? Math.max(1, stats.ploidy) : 0;
  let genotypes = 0;
  if (hasGenotype) genotypes = binomial(maxAlleles + ploidy - 1, ploidy);
  else formatAccs.forEach((acc, k) => {
    if (acc.number === 'G') genotypes = Math.max(genotypes, stats.counts[2 * k]!);
  });
  return { ploidy, widths: formatAccs.map((acc, k) => fieldWidth(acc.number, acc.type, stats.counts[2 * k]!, maxAlleles, genotypes).width) };
}

/** The element-wise larger of two shapes. */
export function maxShape(a: VcfCallShape, b: VcfCallShape | undefined): VcfCallShape {
  if (!b) return a;
  return { ploidy: Math.max(a.ploidy, b.ploidy), widths: a.widths.map((w, k) => Math.max(w, b.widths[k] ?? 0)) };
}

export function sameShape(a: VcfCallShape, b: VcfCallShape): boolean {
  return a.ploidy === b.ploidy && a.widths.length === b.widths.length && a.widths.every((w, k) => w === b.widths[k]);
}

/**
 * Parses the window `batch` with `reader` (its rows 0 .. n − 1; the
 * reader's per-window stats are reset first) and gathers the calls at
 * max(the window's own shape, `floor`): `floor` is the shape the main
 * thread expects (a second read's known shape, or the shape of the windows
 * already handed out), so that the calls need no second gather in the
 * usual case.
 *
 * @throws the sample-column errors of SampleReader.read (the first line in
 *   the window's order), exactly as a one-thread read throws them.
 */
export function parseWindow(reader: SampleReader, batch: WindowBatch, maxAlleles: number, floor: VcfCallShape | undefined): ParsedWindow {
  reader.maxPloidySeen = 0;
  for (const acc of reader.formatAccs) {
    const col = (acc.num ?? acc.str)!;
    col.maxCount = 0;
    col.maxCountLine = 0;
  }
  reader.clearRows();
  const t = batch.text;
  const buf = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  for (let k = 0; k < batch.n; k++) {
    const fmtEnd = batch.fmtEnds[k]!;
    reader.read(buf, batch.starts[k]!, fmtEnd, fmtEnd + 1, batch.ends[k]!, k, batch.alleles[k]!, batch.lines[k]!);
  }
  const F = reader.formatAccs.length;
  const counts = new Int32Array(2 * F);
  reader.formatAccs.forEach((acc, k) => {
    const col = (acc.num ?? acc.str)!;
    counts[2 * k] = col.maxCount;
    counts[2 * k + 1] = col.maxCountLine;
  });
  const stats: WindowStats = { ploidy: reader.maxPloidySeen, counts };
  const shape = maxShape(looseShape(reader.hasGenotype, reader.formatAccs, maxAlleles, stats), floor);
  return { stats, shape, calls: makeCalls(reader, batch.n, shape.ploidy, shape.widths) };
}

// ---- a parsed window as one transferable buffer ------------------------------

/** Element kinds of {@link PackedWindow.desc}. */
const K_I8 = 1, K_I16 = 2, K_I32 = 4, K_F32 = 5, K_STR = 6, K_NONE = 0;

/**
 * A parsed window's calls in one ArrayBuffer (what a worker posts back: one
 * transfer instead of one per array). `desc` holds, per sample, the GT
 * array (kind, byte offset, length), the phased array (offset, length) and
 * each FORMAT field's values (kind, offset or index into `strings`, length).
 */
export interface PackedWindow {
  readonly stats: WindowStats;
  readonly shape: VcfCallShape;
  readonly buffer: ArrayBuffer;
  readonly desc: Float64Array;
  readonly strings: string[][];
  readonly samples: number;
  readonly fieldIds: string[];
}

function kindOf(a: IntArray | Float32Array): number {
  return a instanceof Int8Array ? K_I8 : a instanceof Int16Array ? K_I16 : a instanceof Int32Array ? K_I32 : K_F32;
}

/** Packs every sample's calls of `w` (S samples) into one buffer; see {@link PackedWindow}. */
export function packWindow(w: ParsedWindow, S: number): PackedWindow {
  const all: SampleCalls[] = new Array(S);
  let bytes = 0;
  const room = (n: number): void => {
    bytes = Math.ceil(bytes / 8) * 8 + n;
  };
  for (let i = 0; i < S; i++) {
    const c = (all[i] = w.calls(i));
    if (c.genotype) room(c.genotype.byteLength);
    if (c.phased) room(c.phased.byteLength);
    for (const f of c.fields) if (!Array.isArray(f.values)) room((f.values as IntArray | Float32Array).byteLength);
  }
  const buffer = new ArrayBuffer(Math.ceil(bytes / 8) * 8);
  const u8 = new Uint8Array(buffer);
  const F = all[0]?.fields.length ?? 0;
  const per = 5 + 3 * F;
  const desc = new Float64Array(S * per);
  const strings: string[][] = [];
  let at = 0;
  const put = (a: ArrayBufferView): number => {
    at = Math.ceil(at / 8) * 8;
    u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    const o = at;
    at += a.byteLength;
    return o;
  };
  for (let i = 0; i < S; i++) {
    const c = all[i]!;
    const d = i * per;
    if (c.genotype) {
      desc[d] = kindOf(c.genotype);
      desc[d + 1] = put(c.genotype);
      desc[d + 2] = c.genotype.length;
    } else desc[d] = K_NONE;
    if (c.phased) {
      desc[d + 3] = put(c.phased);
      desc[d + 4] = c.phased.length;
    } else desc[d + 3] = -1;
    c.fields.forEach((f, k) => {
      const e = d + 5 + 3 * k;
      if (Array.isArray(f.values)) {
        desc[e] = K_STR;
        desc[e + 1] = strings.length;
        strings.push(f.values as string[]);
      } else {
        const v = f.values as IntArray | Float32Array;
        desc[e] = kindOf(v);
        desc[e + 1] = put(v);
        desc[e + 2] = v.length;
      }
    });
  }
  return { stats: w.stats, shape: w.shape, buffer, desc, strings, samples: S, fieldIds: (all[0]?.fields ?? []).map((f) => f.id) };
}

/** `calls(i)` over a {@link PackedWindow}: views into its buffer (no copy). */
export function unpackWindow(p: PackedWindow): ParsedWindow {
  const F = p.fieldIds.length;
  const per = 5 + 3 * F;
  const view = (kind: number, offset: number, length: number): IntArray | Float32Array =>
    kind === K_I8 ? new Int8Array(p.buffer, offset, length) : kind === K_I16 ? new Int16Array(p.buffer, offset, length) : kind === K_I32 ? new Int32Array(p.buffer, offset, length) : new Float32Array(p.buffer, offset, length);
  const calls = (i: number): SampleCalls => {
    if (!Number.isInteger(i) || i < 0 || i >= p.samples) throw new RangeError(`sample index ${i} is outside [0, ${p.samples})`);
    const d = i * per;
    const fields = p.fieldIds.map((id, k) => {
      const e = d + 5 + 3 * k;
      const width = p.shape.widths[k]!;
      if (p.desc[e] === K_STR) return { id, width, values: p.strings[p.desc[e + 1]!]! };
      return { id, width, values: view(p.desc[e]!, p.desc[e + 1]!, p.desc[e + 2]!) };
    });
    if (p.desc[d] === K_NONE) return { ploidy: 0, fields };
    const genotype = view(p.desc[d]!, p.desc[d + 1]!, p.desc[d + 2]!) as Int8Array | Int16Array | Int32Array;
    const phased = new Uint8Array(p.buffer, p.desc[d + 3]!, p.desc[d + 4]!);
    return { ploidy: p.shape.ploidy, genotype, phased, fields };
  };
  return { stats: p.stats, shape: p.shape, calls };
}
