/**
 * Reference blocks of one sample (docs/gvcf.md): the intervals a gVCF says
 * the sample is homozygous reference over, as columns, with a compact
 * binary encoding (for the depot to zstd-compress next to the sample's
 * records) and the coverage test that densifying uses: is a site's whole
 * REF span inside the sample's blocks?
 */
import { INT_MISSING } from '../codec/index.ts';
import { ReferenceBlocksFormatError } from './gvcf-errors.ts';

/**
 * One sample's reference blocks, as columns of equal length n (block i is
 * row i). Rows are sorted by (`contig`, `start`) and do not overlap: on one
 * contig each block starts after the previous one's `end` (blocks may be
 * adjacent, `start` = previous `end` + 1). {@link validateReferenceBlocks}
 * checks this; the gVCF reader (./gvcf.ts) and {@link decodeReferenceBlocks}
 * only hand out blocks that pass it.
 */
export interface ReferenceBlocks {
  /**
   * Contig IDs (the VCF CHROM) that `contig` indexes, 0-based. The gVCF
   * reader lists the contigs of the file's reference-block records in the
   * order they first appear (the same list for every sample of a file, so
   * some may have no block of a given sample). Match contigs by ID, not by
   * index into a variant set's contigs.
   */
  readonly contigs: readonly string[];
  /** [n] index into `contigs`; non-decreasing. */
  readonly contig: Int32Array;
  /** [n] first position, 1-based (the block record's POS). */
  readonly start: Int32Array;
  /** [n] last position, 1-based inclusive (INFO/END; POS when the record has no END); ≥ start. */
  readonly end: Int32Array;
  /** [n] FORMAT/GQ of the block (first value; a Float GQ is rounded), INT_MISSING (-1) when absent or `.`. */
  readonly gq: Int32Array;
  /** [n] FORMAT/MIN_DP, else FORMAT/DP, of the block (first value); INT_MISSING (-1) when neither is given. */
  readonly minDp: Int32Array;
  /** [n] number of alleles in the block's GT (2 for `0/0`); 0 when the record has no GT. */
  readonly ploidy: Uint8Array;
}

/** Number of blocks. */
export function blockCount(b: ReferenceBlocks): number {
  return b.start.length;
}

/**
 * Throws a RangeError naming the first row that breaks the invariants of
 * {@link ReferenceBlocks} (columns of one length, contig index in range and
 * non-decreasing, 0 ≤ start ≤ end, no overlap on a contig, ploidy ≤ 255).
 */
export function validateReferenceBlocks(b: ReferenceBlocks): void {
  const n = b.start.length;
  for (const [name, col] of [['contig', b.contig], ['end', b.end], ['gq', b.gq], ['minDp', b.minDp], ['ploidy', b.ploidy]] as const) {
    if (col.length !== n) throw new RangeError(`reference blocks: column ${name} has ${col.length} rows, start has ${n}`);
  }
  for (let i = 0; i < n; i++) {
    const c = b.contig[i]!;
    if (c < 0 || c >= b.contigs.length) throw new RangeError(`reference block ${i}: contig index ${c} is not in [0, ${b.contigs.length})`);
    if (b.start[i]! < 0 || b.end[i]! < b.start[i]!) throw new RangeError(`reference block ${i}: span ${b.start[i]}..${b.end[i]} is not 0 <= start <= end`);
    if (i > 0) {
      const pc = b.contig[i - 1]!;
      if (c < pc) throw new RangeError(`reference block ${i}: contig index ${c} after ${pc} (rows must be sorted by contig)`);
      if (c === pc && b.start[i]! <= b.end[i - 1]!) {
        throw new RangeError(`reference block ${i}: starts at ${b.start[i]}, not after the previous block's end ${b.end[i - 1]}`);
      }
    }
  }
}

// ---- encoding ----------------------------------------------------------------

/** First bytes of an encoding: `VZRB` and the format version. */
const MAGIC = [0x56, 0x5a, 0x52, 0x42];
const VERSION = 1;

class Writer {
  buf = new Uint8Array(64);
  len = 0;
  private room(k: number): void {
    if (this.len + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + k) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(x: number): void {
    this.room(1);
    this.buf[this.len++] = x;
  }
  /** Unsigned LEB128 of 0 ≤ x < 2^53. */
  uvar(x: number): void {
    this.room(8);
    while (x >= 0x80) {
      this.buf[this.len++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.len++] = x;
  }
  /** Zigzag LEB128 of an int32. */
  svar(x: number): void {
    this.uvar(x >= 0 ? x * 2 : -x * 2 - 1);
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly source: string) {}
  fail(reason: string): never {
    throw new ReferenceBlocksFormatError(this.source, `${reason} (at byte ${this.pos} of ${this.buf.length})`);
  }
  byte(): number {
    if (this.pos >= this.buf.length) this.fail('the encoding is cut short');
    return this.buf[this.pos++]!;
  }
  uvar(): number {
    let x = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      const b = this.byte();
      x += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
      if (i >= 6) this.fail('a varint is longer than 7 bytes');
    }
    return x;
  }
  svar(): number {
    const u = this.uvar();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  /** An unsigned varint that must be ≤ max (an int32 column, a count). */
  count(what: string, max: number): number {
    const x = this.uvar();
    if (x > max) this.fail(`${what} ${x} exceeds ${max}`);
    return x;
  }
}

const INT32_MAX = 2147483647;

/**
 * Encodes `blocks` (valid, see {@link validateReferenceBlocks}) as bytes:
 * `VZRB`, version 1, then LEB128 varints: the contig IDs (count, then each
 * as its UTF-8 byte length and bytes), the block count n, the contig column
 * as runs (count, then per run the index step from the previous run's
 * contig — the first from −1 — and the run length), then per block the
 * gap `start − (previous end + 1)` on its contig (from end = −1 at a new
 * contig), `end − start`, zigzag GQ and zigzag MIN_DP; then ploidy as runs
 * (count, then per run the value byte and the run length). Columns are
 * interleaved per block (gap, length, GQ, DP), so the bytes compress well
 * with zstd; typical gVCF blocks take 4–6 bytes each before compression
 * (measured in test/vcf/ref-blocks.test.ts and docs/gvcf.md).
 *
 * @throws RangeError when `blocks` are not valid.
 */
export function encodeReferenceBlocks(blocks: ReferenceBlocks): Uint8Array {
  validateReferenceBlocks(blocks);
  const w = new Writer();
  for (const m of MAGIC) w.byte(m);
  w.byte(VERSION);
  const enc = new TextEncoder();
  w.uvar(blocks.contigs.length);
  for (const id of blocks.contigs) {
    const b = enc.encode(id);
    w.uvar(b.length);
    w.bytes(b);
  }
  const n = blocks.start.length;
  w.uvar(n);
  // contig runs
  const runs: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const c = blocks.contig[i]!;
    const last = runs[runs.length - 1];
    if (last && last[0] === c) last[1]++;
    else runs.push([c, 1]);
  }
  w.uvar(runs.length);
  let prevContig = -1;
  for (const [c, len] of runs) {
    w.uvar(c - prevContig);
    w.uvar(len);
    prevContig = c;
  }
  let prevEnd = -1;
  for (let i = 0; i < n; i++) {
    if (i > 0 && blocks.contig[i] !== blocks.contig[i - 1]) prevEnd = -1;
    w.uvar(blocks.start[i]! - (prevEnd + 1));
    w.uvar(blocks.end[i]! - blocks.start[i]!);
    w.svar(blocks.gq[i]!);
    w.svar(blocks.minDp[i]!);
    prevEnd = blocks.end[i]!;
  }
  const pRuns: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const p = blocks.ploidy[i]!;
    const last = pRuns[pRuns.length - 1];
    if (last && last[0] === p) last[1]++;
    else pRuns.push([p, 1]);
  }
  w.uvar(pRuns.length);
  for (const [p, len] of pRuns) {
    w.byte(p);
    w.uvar(len);
  }
  return w.buf.slice(0, w.len);
}

/**
 * Decodes bytes written by {@link encodeReferenceBlocks}. `source` names
 * where the bytes came from, for the error message.
 *
 * @throws ReferenceBlocksFormatError (code `reference-blocks-format`) for a
 *   wrong magic or version, bytes cut short or left over, a count or
 *   position beyond int32, contig runs that do not add up to the block
 *   count, or columns that break {@link validateReferenceBlocks}.
 */
export function decodeReferenceBlocks(bytes: Uint8Array, source = 'reference blocks'): ReferenceBlocks {
  const r = new Reader(bytes, source);
  for (const m of MAGIC) if (r.byte() !== m) r.fail('not a reference-block encoding (bad magic)');
  const version = r.byte();
  if (version !== VERSION) r.fail(`unknown version ${version} (this build reads ${VERSION})`);
  const nContigs = r.count('contig count', bytes.length);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const contigs: string[] = [];
  for (let k = 0; k < nContigs; k++) {
    const len = r.count('contig ID length', bytes.length - r.pos);
    try {
      contigs.push(dec.decode(bytes.subarray(r.pos, r.pos + len)));
    } catch {
      r.fail('a contig ID is not UTF-8');
    }
    r.pos += len;
  }
  const n = r.count('block count', Math.min(INT32_MAX, bytes.length));
  const contig = new Int32Array(n);
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  const gq = new Int32Array(n);
  const minDp = new Int32Array(n);
  const ploidy = new Uint8Array(n);
  const nRuns = r.count('contig run count', n);
  let at = 0;
  let c = -1;
  for (let k = 0; k < nRuns; k++) {
    const step = r.uvar();
    if (step < 1) r.fail('contig runs are not in increasing contig order');
    c += step;
    if (c >= nContigs) r.fail(`contig index ${c} is not below the contig count ${nContigs}`);
    const len = r.count('contig run length', n - at);
    contig.fill(c, at, at + len);
    at += len;
  }
  if (at !== n) r.fail(`contig runs cover ${at} of ${n} blocks`);
  let prevEnd = -1;
  for (let i = 0; i < n; i++) {
    if (i > 0 && contig[i] !== contig[i - 1]) prevEnd = -1;
    const s = prevEnd + 1 + r.uvar();
    const e = s + r.uvar();
    if (e > INT32_MAX) r.fail(`block ${i} ends past the int32 range`);
    start[i] = s;
    end[i] = e;
    const g = r.svar();
    const d = r.svar();
    if (g < -INT32_MAX - 1 || g > INT32_MAX || d < -INT32_MAX - 1 || d > INT32_MAX) r.fail(`block ${i}: GQ or DP beyond int32`);
    gq[i] = g;
    minDp[i] = d;
    prevEnd = e;
  }
  const nPRuns = r.count('ploidy run count', n);
  at = 0;
  for (let k = 0; k < nPRuns; k++) {
    const p = r.byte();
    const len = r.count('ploidy run length', n - at);
    ploidy.fill(p, at, at + len);
    at += len;
  }
  if (at !== n) r.fail(`ploidy runs cover ${at} of ${n} blocks`);
  if (r.pos !== bytes.length) r.fail(`${bytes.length - r.pos} byte(s) left over after the last column`);
  return { contigs, contig, start, end, gq, minDp, ploidy };
}

// ---- coverage ----------------------------------------------------------------

/**
 * Whether `blocks` cover a site's whole REF span: `pos` .. `pos + refLength
 * − 1` (1-based, inclusive) on contig `contigId`. Adjacent blocks (`start`
 * = previous `end` + 1) together cover their union, so a deletion whose
 * REF runs across a block boundary is covered when no position of it is
 * left out; a single position outside every block leaves the site
 * uncovered (docs/gvcf.md, "Coverage: when is a site covered?"). Returns
 * the index of the block that holds `pos`, or -1 when the span is not
 * wholly covered.
 *
 * Time: O(log n) plus the blocks the span crosses.
 */
export function coveringBlock(blocks: ReferenceBlocks, contigId: string, pos: number, refLength: number): number {
  const ci = blocks.contigs.indexOf(contigId);
  if (ci < 0) return -1;
  return coverIn(blocks, ci, pos, refLength);
}

/** {@link coveringBlock} ≥ 0: the site's whole REF span lies inside the sample's blocks. */
export function coversSite(blocks: ReferenceBlocks, contigId: string, pos: number, refLength: number): boolean {
  return coveringBlock(blocks, contigId, pos, refLength) >= 0;
}

/** First row with contig ≥ ci (rows sorted by contig). */
function lowerContig(contig: Int32Array, ci: number): number {
  let lo = 0;
  let hi = contig.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (contig[mid]! < ci) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function coverIn(b: ReferenceBlocks, ci: number, pos: number, refLength: number): number {
  // Last block of contig ci with start <= pos.
  let lo = lowerContig(b.contig, ci);
  let hi = lowerContig(b.contig, ci + 1);
  const contigEnd = hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (b.start[mid]! <= pos) lo = mid + 1;
    else hi = mid;
  }
  const first = lo - 1;
  if (first < 0 || b.contig[first] !== ci || b.end[first]! < pos) return -1;
  const last = pos + Math.max(refLength, 1) - 1;
  let i = first;
  while (b.end[i]! < last) {
    const next = i + 1;
    if (next >= contigEnd || b.start[next] !== b.end[i]! + 1) return -1;
    i = next;
  }
  return first;
}

/** Per decoded blocks: the last `siteContigs` mapped onto their contig indices (an export maps the same ones tile after tile). */
const contigMappings = new WeakMap<ReferenceBlocks, { siteContigs: readonly string[]; map: Int32Array }>();

/** For each of `siteContigs`, its index in `blocks.contigs` (-1: none). */
function contigMapping(blocks: ReferenceBlocks, siteContigs: readonly string[]): Int32Array {
  const hit = contigMappings.get(blocks);
  if (hit && hit.siteContigs === siteContigs) return hit.map;
  const byId = new Map(blocks.contigs.map((id, i) => [id, i] as const));
  const map = Int32Array.from(siteContigs, (id) => byId.get(id) ?? -1);
  contigMappings.set(blocks, { siteContigs, map });
  return map;
}

/** Reusable output arrays of {@link coverSites} (all of one length). */
export interface CoverScratch {
  readonly block: Int32Array;
  readonly gq: Int32Array;
  readonly minDp: Int32Array;
  readonly ploidy: Uint8Array;
}

/** {@link CoverScratch} for up to `n` sites. */
export function coverScratch(n: number): CoverScratch {
  return { block: new Int32Array(n), gq: new Int32Array(n), minDp: new Int32Array(n), ploidy: new Uint8Array(n) };
}

/**
 * The sites of a variant set (or any list of sites) that `blocks` cover,
 * for densifying: for site k (contig `siteContigs[contig[k]]`, POS
 * `position[k]`, REF length `length[k]`), `block[k]` is the index of the
 * block holding POS when the blocks cover the whole span POS..POS+length−1
 * ({@link coveringBlock}), else -1; `gq[k]` and `minDp[k]` are the minimum
 * GQ and MIN_DP over the blocks the span crosses (INT_MISSING when any of
 * them lacks it, or the site is not covered), `ploidy[k]` that of
 * `block[k]` (0 when not covered). Sites may come in any order.
 *
 * Time: O(log n) a contig run of the sites (the first site's block is
 * found by binary search), then one forward step a block passed, plus a
 * binary search whenever a site's POS goes back.
 *
 * @param siteContigs contig IDs the sites' `contig` indexes (e.g. a
 *   VariantSet's `contigs.map(c => c.id)`); its mapping onto the blocks'
 *   contigs is kept for the next call with the same array (do not change
 *   the array's content between calls).
 * @param scratch arrays to reuse (an export calls this once a tile and
 *   sample): when they hold at least n entries the result is their first n
 *   (overwritten by the next call that passes them), else new arrays.
 */
export function coverSites(
  blocks: ReferenceBlocks,
  siteContigs: readonly string[],
  sites: { readonly contig: ArrayLike<number>; readonly position: ArrayLike<number>; readonly length: ArrayLike<number> },
  scratch?: CoverScratch,
): { block: Int32Array; gq: Int32Array; minDp: Int32Array; ploidy: Uint8Array } {
  const n = sites.position.length;
  const reuse = scratch !== undefined && scratch.block.length >= n;
  const block = reuse ? scratch.block.subarray(0, n).fill(-1) : new Int32Array(n).fill(-1);
  const gq = reuse ? scratch.gq.subarray(0, n).fill(INT_MISSING) : new Int32Array(n).fill(INT_MISSING);
  const minDp = reuse ? scratch.minDp.subarray(0, n).fill(INT_MISSING) : new Int32Array(n).fill(INT_MISSING);
  const ploidy = reuse ? scratch.ploidy.subarray(0, n).fill(0) : new Uint8Array(n);
  const toBlockContig = contigMapping(blocks, siteContigs);
  // Sites come sorted within a contig (a tile of a variant set): walk the
  // blocks forward with a cursor, searching again only when a site goes back.
  let curContig = -1;
  let cLo = 0;
  let cHi = 0;
  let cur = -1; // last block of the contig with start <= the previous site's POS
  let prevPos = -1;
  for (let k = 0; k < n; k++) {
    const ci = toBlockContig[sites.contig[k]!] ?? -1;
    if (ci < 0) continue;
    const pos = sites.position[k]!;
    const len = Math.max(sites.length[k]!, 1);
    if (ci !== curContig) {
      curContig = ci;
      cLo = lowerContig(blocks.contig, ci);
      cHi = lowerContig(blocks.contig, ci + 1);
      cur = cLo - 1;
      prevPos = Infinity; // search for the first site of the run (a tile starts anywhere in the contig)
    }
    if (pos < prevPos) {
      // Back: search the contig again.
      let lo = cLo;
      let hi = cHi;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (blocks.start[mid]! <= pos) lo = mid + 1;
        else hi = mid;
      }
      cur = lo - 1;
    } else {
      while (cur + 1 < cHi && blocks.start[cur + 1]! <= pos) cur++;
    }
    prevPos = pos;
    if (cur < cLo || blocks.end[cur]! < pos) continue;
    const last = pos + len - 1;
    let j = cur;
    let covered = true;
    while (blocks.end[j]! < last) {
      if (j + 1 >= cHi || blocks.start[j + 1] !== blocks.end[j]! + 1) {
        covered = false;
        break;
      }
      j++;
    }
    if (!covered) continue;
    const first = cur;
    block[k] = first;
    ploidy[k] = blocks.ploidy[first]!;
    let g = blocks.gq[first]!;
    let d = blocks.minDp[first]!;
    for (let i = first + 1; i < cHi && blocks.start[i]! <= last; i++) {
      const gi = blocks.gq[i]!;
      const di = blocks.minDp[i]!;
      g = g === INT_MISSING || gi === INT_MISSING ? INT_MISSING : Math.min(g, gi);
      d = d === INT_MISSING || di === INT_MISSING ? INT_MISSING : Math.min(d, di);
    }
    gq[k] = g;
    minDp[k] = d;
  }
  return { block, gq, minDp, ploidy };
}
