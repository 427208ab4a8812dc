/**
 * VCF import: reads a VCF (plain or gzip/BGZF) or a BCF (BGZF or
 * uncompressed; decoded to VCF lines by ./bcf.ts) into a `VariantSet` and
 * per-sample `SampleCalls`, reproducing what bio2zarr's `vcf2zarr convert`
 * writes (docs/vcz-format.md, "Arrays" and "Types and sentinels"): the same values bit for bit, the same
 * widths (trailing dimensions) and the same Integer dtypes.
 *
 * The file is read once, as a stream: lines are split by hand from the
 * decompressed bytes (node:zlib's gunzip handles BGZF's many members), the
 * header is parsed with @gmod/vcf, and sample columns are parsed from the
 * bytes straight into columnar typed arrays shaped [variants, samples, width]
 * that grow (by doubling, and by widening the dtype or the width) as needed.
 * `calls(i)` then gathers sample i's strided values into fresh arrays.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type {
  Contig,
  FieldValues,
  Filter,
  FormatFieldDef,
  InfoColumn,
  InfoFieldDef,
  InfoType,
  IntArray,
  SampleCalls,
  VariantSet,
  VcfNumber,
  VcfType,
} from '../codec/types.ts';
import {
  FLOAT32_FILL_BITS,
  FLOAT32_MISSING_BITS,
  INT_FILL,
  INT_MISSING,
  STRING_FILL,
  STRING_MISSING,
} from '../codec/sentinels.ts';
import {
  VcfFieldCountError,
  VcfShapeChangedError,
  VcfGenotypeError,
  VcfHeaderError,
  VcfSampleCountError,
  VcfSyntaxError,
  VcfTruncatedError,
  VcfUndeclaredError,
  VcfValueError,
  VcfFieldNameError,
} from './errors.ts';
import { fieldArrayName } from './zarr/names.ts';
import { BcfDecoder, looksLikeBcf } from './bcf.ts';

// @gmod/vcf ships an ES module build (its "import" condition) and a CommonJS
// one ("require") whose default export sits on `.default`. Loading it through
// require gives the same class under tsx, vitest and the CommonJS CLI bundle
// (dist/vczdepot.cjs), where a default import would resolve differently.
const { default: VCFParser } = createRequire(import.meta.url)('@gmod/vcf') as typeof import('@gmod/vcf');
type VCFParser = InstanceType<typeof VCFParser>;

/**
 * A problem bcftools reads past with a warning, and so do we (the import
 * goes on). `message` is the whole text: file, 1-based line, what was done.
 */
export interface VcfWarning {
  readonly file: string;
  /** 1-based line (header lines included) where it was first seen. */
  readonly line: number;
  /**
   * `undeclared-filter`: a FILTER key the header does not declare; as htslib
   * 1.16 (vcf_parse_filter) does, it is added to the filters as
   * `##FILTER=<ID=key,Description="Dummy">` after the declared ones, in
   * first-seen order, and warned about once per key.
   */
  readonly kind: 'undeclared-filter';
  readonly key: string;
  readonly message: string;
}

/** Options every VCF reader takes. */
export interface VcfReadOptions {
  /** Called with each warning, in file order (by default warnings are dropped). */
  readonly onWarning?: (warning: VcfWarning) => void;
}

/** What `readVcf` returns. */
export interface VcfData {
  /** The variants, contigs, filters, INFO columns and header metadata of the file. */
  readonly variantSet: VariantSet;
  /** Sample names from the `#CHROM` line, in column order (possibly empty). */
  readonly sampleIds: string[];
  /**
   * The calls of sample `sampleIndex` (0-based, into `sampleIds`), as fresh
   * arrays the caller owns:
   * - `ploidy` P: the file-wide maximum GT ploidy (vcf2zarr's `ploidy`
   *   dimension, at least 1) when the header declares FORMAT/GT, else 0 and no
   *   `genotype`/`phased`;
   * - `genotype`: [variants, P] allele indices (0 = REF), -1 missing (`.`),
   *   -2 fill (a call of lower ploidy); all -1 where the record has no GT.
   *   Int8Array unless an allele index exceeds 127 (then Int16Array, or
   *   Int32Array beyond 32767);
   * - `phased`: [variants] 0/1 as cyvcf2 reports it: in a record whose
   *   largest call has ploidy ≥ 2, 1 when the separator before the second
   *   allele is `|` or the call is haploid; 0 in records whose calls are all
   *   haploid and where the record has no GT; all 1 when P = 1;
   * - `fields`: every FORMAT field the header declares (except GT), in header
   *   order, [variants, width] with the file-wide width (§ widths below) and
   *   dtype (Integer: narrowest of Int8/16/32Array holding every value of the
   *   field in the file; Float: Float32Array; String/Character: string[]).
   *   Explicit `.` (or a sub-field the sample omits) → missing (-1, NaN
   *   0x7F800001, `.`); positions past the sample's value count → fill (-2,
   *   NaN 0x7F800002, `""`) — except Float, where positions below the
   *   record's largest count over all samples are missing and only those
   *   beyond it are fill (vcf2zarr re-stamps every NaN of the record's block
   *   as missing); a field not in the record's FORMAT column → every
   *   position missing.
   * Throws RangeError for an index outside [0, sampleIds.length).
   */
  calls(sampleIndex: number): SampleCalls;
  /** The value of the first `##source=` header line, `''` when there is none. */
  readonly source: string;
}

/**
 * The shape of the calls a reader hands out: the ploidy P (0 without GT) and
 * each FORMAT field's width, in header order (`variantSet.format` order).
 */
export interface VcfCallShape {
  readonly ploidy: number;
  readonly widths: readonly number[];
}

/** One window of a windowed read: every sample's calls over the variants [start, end) (0-based, half-open). */
export interface VcfWindow {
  /** 0-based window number (the depot block when windows are blocks). */
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** Sample ids of the file (the `#CHROM` line's), in column order. */
  readonly sampleIds: readonly string[];
  /** The window's variants: contig id, POS (1-based) and alleles (REF first) of each. */
  readonly variants: { readonly contig: readonly string[]; readonly position: Int32Array; readonly alleles: readonly (readonly string[])[] };
  /**
   * Sample `i`'s calls over the window's variants, as {@link VcfData.calls}
   * gives them over the whole file: `genotype` [end - start, ploidy],
   * fields [end - start, width], with the window's {@link VcfCallShape}.
   * Fresh arrays; valid until the next window is read.
   */
  calls(sampleIndex: number): SampleCalls;
}

/** How a windowed read ended. */
export interface VcfWindowResult {
  /** Windows read (including any not handed out). */
  readonly windows: number;
  /**
   * True when the shape grew after the first window was handed out (a later
   * call of higher ploidy, or more values of a Number=. or fixed-Number
   * field than any before): the windows handed out are not valid, and the
   * file must be read again with `shape` given.
   */
  readonly restartNeeded: boolean;
  /** The file's final shape (what `shape` must be for a second read). */
  readonly shape: VcfCallShape;
}

/** What the builder does with sample columns. */
type BuilderMode =
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
}

function sameShape(a: VcfCallShape, b: VcfCallShape): boolean {
  return a.ploidy === b.ploidy && a.widths.length === b.widths.length && a.widths.every((w, k) => w === b.widths[k]);
}

/**
 * Reads the VCF at `path` (plain text or gzip/BGZF-compressed, detected by the
 * gzip magic bytes) or BCF 2.1/2.2 (BGZF or uncompressed, detected by the
 * `BCF` magic of the decompressed bytes, whatever the file's name; its
 * records are read as the VCF lines `bcftools view` prints for them, so a
 * BCF gives exactly what its VCF gives; line numbers in errors count the
 * header text's lines, then one per record) and returns its variant set and
 * per-sample calls exactly as `vcf2zarr convert` would store them.
 *
 * Variant set (all columns [variants], 0-based variant order = file order):
 * - `contigs`: `##contig` lines in header order (with `length` when given),
 *   then contigs used by records but not declared, in first-seen order;
 * - `filters`: `##FILTER` lines in header order with PASS first, always
 *   described "All filters passed" (htslib ignores a header's own PASS line),
 *   then FILTER keys records use but the header does not declare, in
 *   first-seen order, described "Dummy" (htslib 1.16 vcf_parse_filter);
 * - `contig` index into `contigs`; `position` POS (1-based); `id` the whole ID
 *   column (`.` when missing); `alleles` REF then ALTs (ALT `.` → REF only);
 *   `quality` float32 (missing: NaN 0x7F800001); `filter` [variants, filters]
 *   0/1 (FILTER `.` → all 0); `length` INFO/END − POS + 1 when END is present
 *   (and ≥ POS), else len(REF);
 * - `info`: every header INFO field, in header order, [variants, width]:
 *   Flag → Uint8Array 0/1 (width 1); Integer → narrowest Int8/16/32Array
 *   (all-missing → Int8Array); Float → Float32Array; String/Character →
 *   string[] (Character keeps the first character of each value, as numpy's
 *   `<U1`). A field absent from a record → all missing; present with k values
 *   → those (`.` → missing) then fill; a single `.` for a numeric field → all
 *   missing (cyvcf2 reports it as absent);
 * - widths (INFO and FORMAT): Number=A → alleles − 1, R → alleles, G →
 *   C(alleles + P − 1, P) with GT (else the largest observed count), where
 *   alleles = max(largest REF+ALT count in the file, 2); a fixed n →
 *   max(largest observed count, n); `.` → max(largest observed count, 1);
 *   String values count their comma-separated parts;
 * - `format`: FORMAT header fields except GT, header order; `hasGenotype`:
 *   the header declares FORMAT/GT; `metaInformation`: `##key=value` lines
 *   other than contig/FILTER/INFO/FORMAT, file order, value = text after the
 *   first `=`.
 *
 * Errors (all `VcfError`s from ./errors.ts, with `file` and 1-based `line`):
 * VcfTruncatedError (gzip stream cut short / corrupt, BGZF without EOF block),
 * BcfFormatError (a BCF's binary layout is broken: bad version, a record cut
 * short, a dictionary index the header lacks),
 * VcfHeaderError (no `#CHROM` line, bad columns, unknown Type or Number,
 * duplicate sample names), VcfSyntaxError (fewer than 8 columns, non-numeric
 * POS, more sample sub-fields than FORMAT keys, a FORMAT key given twice),
 * VcfUndeclaredError (INFO or FORMAT key not in the header; an undeclared
 * FILTER key is a {@link VcfWarning} to `options.onWarning` and a filter
 * described "Dummy", as bcftools reads it), VcfFieldNameError (an INFO or
 * FORMAT ID whose Zarr array name the exporter cannot write),
 * VcfValueError (non-numeric or out-of-int32-range Integer, non-numeric Float
 * or QUAL), VcfGenotypeError (GT allele index ≥ number of alleles, or an
 * unparseable GT), VcfSampleCountError (a line with more or fewer sample
 * columns than the header, or no FORMAT column), VcfFieldCountError (a Number=A/R/G field with
 * more values than its dimension, which vcf2zarr also rejects). A missing
 * file rejects with Node's ENOENT error.
 *
 * Memory: every call of the file is held, columnar, in the narrowest dtype
 * (about one byte per GT allele and per small Integer value; 1,000 samples ×
 * 50,000 variants with GT:AD:DP:GQ:PL take ~0.9 GB, read in ~25 s).
 */
export async function readVcf(path: string, options: VcfReadOptions = {}): Promise<VcfData> {
  const builder = new VcfBuilder(path, { kind: 'full' }, options.onWarning);
  await forEachLine(path, (buf, start, end, line) => builder.line(buf, start, end, line));
  return builder.finish();
}

/**
 * Reads only the variant set of the VCF at `path` (and its sample ids): the
 * sample columns are not parsed, so this is a fraction of {@link readVcf}'s
 * time and memory, and errors in sample columns are not found.
 * `variantSet` equals readVcf's, except for INFO fields with Number=G, whose
 * width depends on the calls' ploidy: `infoNeedsCalls` is then true and
 * their width here assumes ploidy 1 (G = alleles).
 *
 * @throws the header and variant-column errors of {@link readVcf}; the
 *   reason of `signal` once it is aborted (checked as the file is read).
 */
export async function readVcfVariants(
  path: string,
  options: VcfReadOptions & { readonly signal?: AbortSignal } = {},
): Promise<{ variantSet: VariantSet; sampleIds: string[]; source: string; infoNeedsCalls: boolean }> {
  const builder = new VcfBuilder(path, { kind: 'variants' }, options.onWarning);
  await forEachLine(path, (buf, start, end, line) => builder.line(buf, start, end, line), undefined, options.signal);
  const { variantSet, sampleIds, source } = builder.finish();
  return { variantSet, sampleIds, source, infoNeedsCalls: variantSet.info.some((c) => c.def.number === 'G') };
}

/** Options of {@link readVcfWindows}. */
export interface VcfWindowOptions extends VcfReadOptions {
  /** Variants per window (the depot's block size). */
  readonly windowSize: number;
  /** The alleles dimension of Number=A/R/G widths: max(max alleles of the variants, 2), known beforehand (the depot's). */
  readonly maxAlleles: number;
  /** The final shape from a first read that ended with `restartNeeded`. */
  readonly shape?: VcfCallShape;
  /** Called with each window, in order, as soon as its last line is read. May throw to stop the read. */
  readonly onWindow: (w: VcfWindow) => void;
  /** Called as the file is read: bytes of the file (compressed, as on disk) read so far, and its size. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Reads the VCF at `path` as {@link readVcf} does, but hands its calls out
 * window by window of `windowSize` variants and never holds more than one
 * window of them: memory is about one window of calls (variants × samples ×
 * values) plus the variant columns. The calls of a window are those readVcf
 * gives for its variants (same values and widths) when the shape of the
 * calls (ploidy, Number=. and fixed-Number widths) is the same in the first
 * window as in the whole file. When a later window is wider, the remaining
 * windows are not handed out, the file is read to its end, and the result
 * says `restartNeeded` with the final shape: read it again with that
 * `shape` (the windows handed out so far must be dropped).
 *
 * @returns the variant set and sample ids (as readVcf; `calls` throws) and
 *   the windowed read's {@link VcfWindowResult}.
 * @throws the errors of {@link readVcf}; VcfShapeChangedError when a second
 *   read finds calls wider than `shape`; whatever `onWindow` throws.
 */
export async function readVcfWindows(path: string, options: VcfWindowOptions): Promise<VcfData & { window: VcfWindowResult }> {
  if (!Number.isSafeInteger(options.windowSize) || options.windowSize < 1) throw new RangeError(`windowSize ${options.windowSize} must be an integer >= 1`);
  const builder = new VcfBuilder(path, {
    kind: 'window',
    windowSize: options.windowSize,
    maxAlleles: options.maxAlleles,
    onWindow: options.onWindow,
    ...(options.shape ? { shape: options.shape } : {}),
  }, options.onWarning);
  await forEachLine(path, (buf, start, end, line) => builder.line(buf, start, end, line), options.onProgress);
  return builder.finish() as VcfData & { window: VcfWindowResult };
}

// ---------------------------------------------------------------------------
// Line reading

const BGZF_EOF = Buffer.from('1f8b08040000000000ff0600424302001b0003000000000000000000', 'hex');

type LineHandler = (buf: Buffer, start: number, end: number, line: number) => void;

/**
 * Streams the lines of `path` (decompressing gzip) to `onLine` as byte ranges
 * (without the `\n` or a trailing `\r`), with 1-based line numbers.
 */
async function forEachLine(
  path: string,
  onLine: LineHandler,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const handle = await fsp.open(path, 'r');
  let gzip = false;
  let bgzfMissingEof = false;
  let totalBytes = 0;
  try {
    const { size } = await handle.stat();
    totalBytes = size;
    const head = Buffer.alloc(18);
    const { bytesRead } = await handle.read(head, 0, 18, 0);
    gzip = bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    const bgzf =
      gzip && bytesRead >= 16 && (head[3]! & 4) !== 0 && head[12] === 0x42 && head[13] === 0x43;
    if (bgzf) {
      const tail = Buffer.alloc(BGZF_EOF.length);
      if (size >= tail.length) await handle.read(tail, 0, tail.length, size - tail.length);
      bgzfMissingEof = size < tail.length || !tail.equals(BGZF_EOF);
    }
  } finally {
    await handle.close();
  }

  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const input: NodeJS.ReadableStream = gzip ? pipeline(src, createGunzip({ chunkSize: 1 << 18 }), () => {}) : src;
  let line = 0;
  let carry: Buffer[] = [];
  const emit = (buf: Buffer, start: number, end: number): void => {
    line++;
    if (end > start && buf[end - 1] === 13) end--;
    onLine(buf, start, end, line);
  };
  // The first decompressed bytes tell BCF (`BCF\2\2`, plain or BGZF) from VCF text.
  let head: Buffer | undefined = Buffer.alloc(0);
  let bcf: BcfDecoder | undefined;
  try {
    for await (let chunk of input as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      onProgress?.(src.bytesRead, totalBytes);
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 3) continue;
        chunk = head;
        head = undefined;
        if (looksLikeBcf(chunk)) bcf = new BcfDecoder(path, onLine);
      }
      if (bcf) {
        bcf.push(chunk);
        continue;
      }
      let pos = 0;
      for (;;) {
        const nl = chunk.indexOf(10, pos);
        if (nl < 0) {
          if (pos < chunk.length) carry.push(chunk.subarray(pos));
          break;
        }
        if (carry.length > 0) {
          carry.push(chunk.subarray(pos, nl));
          const joined = Buffer.concat(carry);
          carry = [];
          emit(joined, 0, joined.length);
        } else {
          emit(chunk, pos, nl);
        }
        pos = nl + 1;
      }
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new VcfTruncatedError(path, bcf ? bcf.line : line, (err as Error).message, { cause: err });
    }
    throw err;
  }
  if (bcf) {
    bcf.end();
    if (bgzfMissingEof) throw new VcfTruncatedError(path, bcf.line, 'the BGZF end-of-file block is missing');
    return;
  }
  if (head !== undefined && head.length > 0) {
    // A file of fewer than 3 bytes: split it here.
    let pos = 0;
    for (let nl = head.indexOf(10); nl >= 0; nl = head.indexOf(10, pos)) {
      emit(head, pos, nl);
      pos = nl + 1;
    }
    if (pos < head.length) carry.push(head.subarray(pos));
  }
  if (carry.length > 0) {
    const joined = Buffer.concat(carry);
    emit(joined, 0, joined.length);
  }
  if (bgzfMissingEof) {
    throw new VcfTruncatedError(path, line, 'the BGZF end-of-file block is missing');
  }
}

// ---------------------------------------------------------------------------
// Growable columns [variants, samples, width], C order

type IntStore = Int8Array | Int16Array | Int32Array;

const INT8_MIN = -128;
const INT8_MAX = 127;
const INT16_MIN = -32768;
const INT16_MAX = 32767;

function intStore(kind: 1 | 2 | 4, n: number): IntStore {
  return kind === 1 ? new Int8Array(n) : kind === 2 ? new Int16Array(n) : new Int32Array(n);
}

function bytesFor(min: number, max: number): 1 | 2 | 4 {
  if (min >= INT8_MIN && max <= INT8_MAX) return 1;
  if (min >= INT16_MIN && max <= INT16_MAX) return 2;
  return 4;
}

/** A column of numbers: ints (narrowest dtype seen so far) or float32 bit patterns. */
class NumColumn {
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
class StrColumn {
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
}

/** A growable byte array indexed by variant (flags, small counts). */
class ByteVec {
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

class IntVec {
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
class Interner {
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

interface FieldAcc {
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

function makeAcc(
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

// ---------------------------------------------------------------------------
// Parsing helpers (bytes)

const TAB = 9;
const COMMA = 44;
const COLON = 58;
const DOT = 46;
const SLASH = 47;
const PIPE = 124;
const MINUS = 45;
const PLUS = 43;
const ZERO = 48;
const NINE = 57;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const FLOAT_RE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)$/i;
const INT32_LOW = -2147483640; // htslib reserves INT32_MIN .. INT32_MIN + 7
const INT32_HIGH = 2147483647;

/** Parses a decimal integer in buf[a, b); returns NaN when it is not one. */
function parseIntBytes(buf: Buffer, a: number, b: number): number {
  let i = a;
  let neg = false;
  if (i < b && (buf[i] === MINUS || buf[i] === PLUS)) {
    neg = buf[i] === MINUS;
    i++;
  }
  if (i >= b) return NaN;
  let x = 0;
  for (; i < b; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return NaN;
    x = x * 10 + (c - ZERO);
  }
  return neg ? -x : x;
}

/** True when buf[a, b) are all ASCII digits (and a < b). */
function allDigits(buf: Buffer, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return false;
  }
  return a < b;
}

/** True when buf[a, b) holds exactly the bytes of `x`. */
function bytesEqual(buf: Buffer, a: number, b: number, x: Uint8Array): boolean {
  if (b - a !== x.length) return false;
  for (let i = 0; i < x.length; i++) if (buf[a + i] !== x[i]) return false;
  return true;
}

/** One-character strings of the ASCII bytes (REF/ALT bases, `.`), made once. */
const ASCII_CHARS: readonly string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/** buf[a, b) as UTF-8 text; single ASCII bytes without a call into the Buffer code. */
function bytesText(buf: Buffer, a: number, b: number): string {
  if (b - a === 1) {
    const c = buf[a]!;
    if (c < 128) return ASCII_CHARS[c]!;
  }
  return buf.toString('utf8', a, b);
}

/** Shared FILTER rows (read only): `.` and PASS. */
const NO_FILTERS: number[] = [];
const PASS_ONLY: number[] = [0];

/** Float32 bit pattern of the decimal in `s`; NaN input → the missing pattern; undefined if not a number. */
function floatBits(s: string): number | undefined {
  if (!FLOAT_RE.test(s)) return undefined;
  const lower = s.toLowerCase();
  let x: number;
  if (lower.endsWith('nan')) return FLOAT32_MISSING_BITS;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) x = s.startsWith('-') ? -Infinity : Infinity;
  else x = Number(s);
  f32[0] = x;
  return u32[0]!;
}

const VCF_TYPES: readonly string[] = ['Integer', 'Float', 'String', 'Character', 'Flag'];

/** The ID of a structured header value `<ID=...,...>` (quote aware), or undefined. */
function structuredId(line: string): string | undefined {
  const open = line.indexOf('<');
  if (open < 0) return undefined;
  let i = open + 1;
  while (i < line.length) {
    const eq = line.indexOf('=', i);
    if (eq < 0) return undefined;
    const key = line.slice(i, eq).trim();
    let j = eq + 1;
    let value: string;
    if (line[j] === '"') {
      let k = j + 1;
      while (k < line.length && line[k] !== '"') k += line[k] === '\\' ? 2 : 1;
      value = line.slice(j + 1, k);
      j = k + 1;
      while (j < line.length && line[j] !== ',' && line[j] !== '>') j++;
    } else {
      let k = j;
      while (k < line.length && line[k] !== ',' && line[k] !== '>') k++;
      value = line.slice(j, k);
      j = k;
    }
    if (key === 'ID') return value;
    i = j + 1;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// The builder

interface FormatLayout {
  /** Per FORMAT key position: index into formatAccs, or -1 for GT. */
  readonly slots: Int32Array;
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

class VcfBuilder {
  private headerLines: { text: string; line: number }[] = [];
  private inHeader = true;
  private sampleIds: string[] = [];
  private nSamples = 0;
  private source = '';

  private contigs: { id: string; length?: number }[] = [];
  private contigIndex = new Map<string, number>();
  private filters: Filter[] = [];
  private filterIndex = new Map<string, number>();
  private infoAccs: FieldAcc[] = [];
  private infoIndex = new Map<string, number>();
  private formatAccs: FieldAcc[] = [];
  private formatIndex = new Map<string, number>();
  private hasGenotype = false;
  private metaInformation: [string, string][] = [];
  private endInfo = -1;

  private numVariants = 0;
  private contigCol = new IntVec();
  private positionCol = new IntVec();
  private lengthCol = new IntVec();
  private qualityCol = new IntVec(); // float32 bits stored as int32
  private ids: string[] = [];
  private alleles: string[][] = [];
  private filterRows: number[][] = [];
  private maxAllelesSeen = 0;

  // genotypes
  private gt: NumColumn | undefined;
  private gtAbsent = new ByteVec();
  private recordPloidy = new ByteVec();
  /** Largest GT ploidy of any call so far (the file-wide maximum once the file is read). */
  private maxPloidySeen = 0;
  private phaseBits = new Uint8Array(0);
  // Windowed reading (streaming imports): sample columns hold only the
  // variants [windowStart, numVariants), indexed from 0.
  private windowStart = 0;
  private windowsEmitted = 0;
  /** Ploidy and FORMAT widths the emitted windows used (the first window's). */
  private emittedShape: VcfCallShape | undefined;
  private restartNeeded = false;

  private layouts = new Map<string, FormatLayout>();
  private infoSeen: Int32Array = new Int32Array(0);

  // scratch: column boundaries of the current line; the last CHROM and FORMAT seen
  private colStart = new Int32Array(9);
  private colEnd = new Int32Array(9);
  private lastChrom: Buffer = Buffer.alloc(0);
  private lastChromIndex = -1;
  private lastFormat: Buffer | undefined;
  private lastLayout: FormatLayout | undefined;

  // scratch: the values of one cell (ints, or float32 bit patterns)
  private vals = new Float64Array(64);
  private nVals = 0;
  private strs: string[] = [];

  constructor(
    private readonly file: string,
    private readonly mode: BuilderMode = { kind: 'full' },
    private readonly onWarning?: (warning: VcfWarning) => void,
  ) {}

  /**
   * An undeclared FILTER key, read as htslib 1.16's vcf_parse_filter does:
   * a warning, and `##FILTER=<ID=key,Description="Dummy">` added to the
   * header (after the declared filters). Returns the key's filter index.
   */
  private addUndeclaredFilter(key: string, lineNo: number): number {
    const index = this.filters.length;
    this.filters.push({ id: key, description: 'Dummy' });
    this.filterIndex.set(key, index);
    this.onWarning?.({
      file: this.file,
      line: lineNo,
      kind: 'undeclared-filter',
      key,
      message: `${this.file}:${lineNo}: FILTER '${key}' is not declared in the header; read as bcftools does, as if the header had ##FILTER=<ID=${key},Description="Dummy">`,
    });
    return index;
  }

  line(buf: Buffer, start: number, end: number, lineNo: number): void {
    if (this.inHeader) {
      if (start < end && buf[start] === 35 /* # */) {
        const text = buf.toString('utf8', start, end);
        if (text.startsWith('##')) {
          this.headerLines.push({ text, line: lineNo });
        } else {
          this.parseHeader(text, lineNo);
          this.inHeader = false;
        }
        return;
      }
      if (start === end) return;
      throw new VcfHeaderError(this.file, lineNo, 'a data line comes before the #CHROM header line');
    }
    if (start === end) return;
    this.record(buf, start, end, lineNo);
  }

  // ---- header ------------------------------------------------------------

  private parseHeader(chromLine: string, chromLineNo: number): void {
    const cols = chromLine.split('\t');
    const expected = ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'];
    if (cols.length < 8 || expected.some((c, i) => cols[i] !== c)) {
      throw new VcfHeaderError(
        this.file,
        chromLineNo,
        `the #CHROM line must start with ${expected.join('\\t')} (tab-separated)`,
      );
    }
    if (cols.length > 8 && cols[8] !== 'FORMAT') {
      throw new VcfHeaderError(this.file, chromLineNo, `the 9th column of the #CHROM line must be FORMAT, not '${cols[8]}'`);
    }
    const usable = this.headerLines.filter((h) => /^##[^=]+=/.test(h.text));
    let parser: VCFParser;
    try {
      parser = new VCFParser({ header: [...usable.map((h) => h.text), chromLine].join('\n'), strict: false });
    } catch (err) {
      throw new VcfHeaderError(this.file, chromLineNo, (err as Error).message);
    }
    this.sampleIds = cols.slice(9);
    this.nSamples = this.sampleIds.length;
    const seenSamples = new Set<string>();
    for (const s of this.sampleIds) {
      if (seenSamples.has(s)) throw new VcfHeaderError(this.file, chromLineNo, `sample name '${s}' appears twice`);
      seenSamples.add(s);
    }

    const metaOf = (section: string, id: string): Record<string, unknown> => {
      const m = parser.getMetadata(section, id);
      return m !== null && typeof m === 'object' ? (m as Record<string, unknown>) : {};
    };
    for (const { text, line } of this.headerLines) {
      const m = /^##([^=]+)=(.*)$/s.exec(text);
      if (!m) continue;
      const key = m[1]!;
      const value = m[2]!;
      if (key !== 'contig' && key !== 'FILTER' && key !== 'INFO' && key !== 'FORMAT') {
        this.metaInformation.push([key, value]);
        if (key === 'source' && this.source === '') this.source = value;
        continue;
      }
      if (!value.startsWith('<')) continue;
      const id = structuredId(value);
      if (id === undefined || id === '') {
        throw new VcfHeaderError(this.file, line, `a ##${key} line has no ID`);
      }
      const meta = metaOf(key, id);
      if (key === 'contig') {
        if (this.contigIndex.has(id)) continue;
        const len = meta['length'];
        const length = typeof len === 'string' && /^\d+$/.test(len) ? Number(len) : typeof len === 'number' ? len : undefined;
        this.contigIndex.set(id, this.contigs.length);
        this.contigs.push(length === undefined ? { id } : { id, length });
      } else if (key === 'FILTER') {
        const description = typeof meta['Description'] === 'string' ? (meta['Description'] as string) : '';
        // htslib (hence vcf2zarr) always describes PASS as "All filters passed",
        // whatever a ##FILTER=<ID=PASS> line says.
        if (id === 'PASS') continue;
        if (this.filterIndex.has(id)) continue;
        this.filterIndex.set(id, this.filters.length);
        this.filters.push({ id, description });
      } else {
        const isInfo = key === 'INFO';
        const index = isInfo ? this.infoIndex : this.formatIndex;
        if (index.has(id) || (!isInfo && id === 'GT' && this.hasGenotype)) continue;
        const type = meta['Type'];
        if (typeof type !== 'string' || !VCF_TYPES.includes(type) || (!isInfo && type === 'Flag')) {
          throw new VcfHeaderError(
            this.file,
            line,
            `${key}/${id} has Type '${String(type)}'; expected Integer, Float, String, Character${isInfo ? ' or Flag' : ''}`,
          );
        }
        const rawNumber = meta['Number'];
        let number: VcfNumber;
        if (typeof rawNumber === 'number' && Number.isInteger(rawNumber) && rawNumber >= 0) number = rawNumber;
        else if (rawNumber === 'A' || rawNumber === 'R' || rawNumber === 'G' || rawNumber === '.') number = rawNumber;
        else {
          throw new VcfHeaderError(this.file, line, `${key}/${id} has Number '${String(rawNumber)}'; expected an integer, A, R, G or .`);
        }
        const description = typeof meta['Description'] === 'string' ? (meta['Description'] as string) : '';
        if (!isInfo && id === 'GT') {
          this.hasGenotype = true;
          continue;
        }
        // What the exporter cannot write is refused here, not at export.
        const array = fieldArrayName(key, id);
        if (array.problem !== undefined) throw new VcfFieldNameError(this.file, line, key, id, array.name, array.problem);
        index.set(id, (isInfo ? this.infoAccs : this.formatAccs).length);
        const acc = makeAcc(key, id, type as InfoType, number, description, isInfo ? 1 : this.nSamples);
        (isInfo ? this.infoAccs : this.formatAccs).push(acc);
        if (isInfo && id === 'END' && type === 'Integer') this.endInfo = this.infoAccs.length - 1;
      }
    }
    this.filters.unshift({ id: 'PASS', description: 'All filters passed' });
    this.filterIndex = new Map(this.filters.map((f, i) => [f.id, i]));
    this.infoSeen = new Int32Array(this.infoAccs.length).fill(-1);
    if (this.hasGenotype) this.gt = new NumColumn(false, this.nSamples, 1);
  }

  // ---- records -------------------------------------------------------------

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

    // CHROM (records of one contig come in runs: compare with the last one's bytes first)
    let ci: number;
    if (this.lastChromIndex >= 0 && bytesEqual(buf, colStart[0]!, colEnd[0]!, this.lastChrom)) ci = this.lastChromIndex;
    else {
      const chrom = bytesText(buf, colStart[0]!, colEnd[0]!);
      let found = this.contigIndex.get(chrom);
      if (found === undefined) {
        found = this.contigs.length;
        this.contigIndex.set(chrom, found);
        this.contigs.push({ id: chrom });
      }
      ci = found;
      this.lastChrom = Buffer.from(buf.subarray(colStart[0]!, colEnd[0]!));
      this.lastChromIndex = ci;
    }
    // POS
    const pos = parseIntBytes(buf, colStart[1]!, colEnd[1]!);
    if (!Number.isFinite(pos) || pos < 0 || pos > INT32_HIGH) {
      throw new VcfSyntaxError(file, lineNo, `POS '${bytesText(buf, colStart[1]!, colEnd[1]!)}' is not a non-negative integer`);
    }
    // ID, REF, ALT
    const id = colEnd[2]! > colStart[2]! ? bytesText(buf, colStart[2]!, colEnd[2]!) : STRING_MISSING;
    const ref = bytesText(buf, colStart[3]!, colEnd[3]!);
    let alleles: string[];
    const altStart = colStart[4]!;
    const altEnd = colEnd[4]!;
    if (altEnd === altStart || (altEnd === altStart + 1 && buf[altStart] === DOT)) alleles = [ref];
    else if (altEnd === altStart + 1) alleles = [ref, bytesText(buf, altStart, altEnd)];
    else alleles = [ref, ...bytesText(buf, altStart, altEnd).split(',')];
    if (alleles.length > this.maxAllelesSeen) this.maxAllelesSeen = alleles.length;
    // QUAL
    let qualBits: number;
    const qStart = colStart[5]!;
    const qEnd = colEnd[5]!;
    if (qEnd === qStart + 1 && buf[qStart] === DOT) qualBits = FLOAT32_MISSING_BITS;
    else if (qEnd > qStart && qEnd - qStart <= 9 && allDigits(buf, qStart, qEnd)) {
      // Fast path, same bits as floatBits(): a plain integer is exact in a double.
      f32[0] = parseIntBytes(buf, qStart, qEnd);
      qualBits = u32[0]!;
    } else {
      const q = bytesText(buf, qStart, qEnd);
      const bits = floatBits(q);
      if (bits === undefined) throw new VcfValueError(file, lineNo, 'QUAL', q, 'a number or .');
      // An explicit NaN QUAL reaches vcf2zarr as a plain NaN (not the missing pattern).
      qualBits = /nan$/i.test(q) ? 0x7fc00000 : bits;
    }
    // FILTER (rows are only read later, so PASS and `.` share one array each)
    let filterRow: number[];
    const fStart = colStart[6]!;
    const fEnd = colEnd[6]!;
    if (fEnd === fStart || (fEnd === fStart + 1 && buf[fStart] === DOT)) filterRow = NO_FILTERS;
    else if (fEnd === fStart + 4 && buf[fStart] === 80 && buf[fStart + 1] === 65 && buf[fStart + 2] === 83 && buf[fStart + 3] === 83) filterRow = PASS_ONLY;
    else {
      filterRow = [];
      for (const f of bytesText(buf, fStart, fEnd).split(';')) {
        const fi = this.filterIndex.get(f) ?? this.addUndeclaredFilter(f, lineNo);
        if (!filterRow.includes(fi)) filterRow.push(fi);
      }
    }
    // INFO
    let length = ref.length;
    const iStart = colStart[7]!;
    const iEnd = colEnd[7]!;
    if (iEnd > iStart && !(iEnd === iStart + 1 && buf[iStart] === DOT)) {
      const infoText = bytesText(buf, iStart, iEnd);
      for (const item of infoText.split(';')) {
        if (item === '') continue;
        const eq = item.indexOf('=');
        const key = eq < 0 ? item : item.slice(0, eq);
        const fi = this.infoIndex.get(key);
        if (fi === undefined) throw new VcfUndeclaredError(file, lineNo, 'INFO', key);
        if (this.infoSeen[fi] === v) continue; // a repeated key: the first wins
        this.infoSeen[fi] = v;
        const acc = this.infoAccs[fi]!;
        const present = this.infoValue(acc, v, eq < 0 ? undefined : item.slice(eq + 1), lineNo);
        if (!present) acc.absent.set(v, 1);
        else if (fi === this.endInfo) {
          const end0 = this.vals[0]!;
          if (this.nVals > 0 && end0 !== INT_MISSING && end0 >= pos) length = end0 - pos + 1;
        }
      }
    }
    for (let fi = 0; fi < this.infoAccs.length; fi++) {
      if (this.infoSeen[fi] !== v) this.infoAccs[fi]!.absent.set(v, 1);
    }

    // FORMAT and samples (rows of the sample columns count from the window's start)
    const sv = v - this.windowStart;
    if (this.mode.kind === 'variants') {
      // the variant set only: sample columns are not read
    } else if (this.nSamples > 0) {
      if (nCols < 9) {
        throw new VcfSampleCountError(file, lineNo, this.nSamples, 0);
      }
      this.samples(buf, colStart[8]!, colEnd[8]!, colEnd[8]! + 1, end, sv, alleles.length, lineNo);
    } else if (nCols === 9 && colEnd[8]! < end) {
      let extra = 0;
      for (let i = colEnd[8]!; i < end; i++) if (buf[i] === TAB) extra++;
      throw new VcfSampleCountError(file, lineNo, 0, extra);
    } else if (this.formatAccs.length > 0 || this.hasGenotype) {
      for (const acc of this.formatAccs) acc.absent.set(sv, 1);
      if (this.hasGenotype) this.gtAbsent.set(sv, 1);
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

  /**
   * Stores one INFO value; returns false when it counts as absent (a single
   * `.` for a numeric field, as cyvcf2 reports it).
   */
  private infoValue(acc: FieldAcc, v: number, value: string | undefined, lineNo: number): boolean {
    const type = acc.type;
    if (type === 'Flag') {
      const col = acc.num!;
      const o = col.prepare(v, 0, 1, 1, 1, lineNo);
      col.data[o] = 1;
      return true;
    }
    if (value === undefined || value === '') return false; // a bare key of a non-Flag field
    const items = value.split(',');
    if (type === 'Integer' || type === 'Float') {
      if (items.length === 1 && items[0] === '.') return false;
      this.nVals = 0;
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
        this.push(x);
      }
      const n = this.nVals;
      const vals = this.vals;
      const col = acc.num!;
      const o = col.prepare(v, 0, n, min, max, lineNo);
      const d = col.data;
      for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
      const fill = col.fill;
      for (let j = n; j < col.width; j++) d[o + j] = fill;
      return true;
    }
    const col = acc.str!;
    const o = col.prepare(v, 0, items.length, lineNo);
    for (let j = 0; j < items.length; j++) {
      const it = items[j]!;
      col.data[o + j] = acc.interner.get(type === 'Character' ? firstChar(it) : it);
    }
    for (let j = items.length; j < col.width; j++) col.data[o + j] = STRING_FILL;
    return true;
  }

  private layout(formatText: string, lineNo: number): FormatLayout {
    let layout = this.layouts.get(formatText);
    if (layout) return layout;
    const keys = formatText === '.' || formatText === '' ? [] : formatText.split(':');
    const slots = new Int32Array(keys.length);
    const used = new Set<number>();
    let hasGt = false;
    keys.forEach((k, i) => {
      if (k === 'GT' && this.hasGenotype) {
        slots[i] = -1;
        hasGt = true;
        return;
      }
      const fi = this.formatIndex.get(k);
      if (fi === undefined) throw new VcfUndeclaredError(this.file, lineNo, 'FORMAT', k);
      if (used.has(fi)) throw new VcfSyntaxError(this.file, lineNo, `FORMAT key '${k}' appears twice`);
      used.add(fi);
      slots[i] = fi;
    });
    const absent: number[] = [];
    for (let fi = 0; fi < this.formatAccs.length; fi++) if (!used.has(fi)) absent.push(fi);
    const floats = [...used].filter((fi) => this.formatAccs[fi]!.type === 'Float');
    const kinds = new Uint8Array(keys.length);
    const accs: (FieldAcc | undefined)[] = [];
    for (let i = 0; i < keys.length; i++) {
      const slot = slots[i]!;
      const acc = slot < 0 ? undefined : this.formatAccs[slot]!;
      accs.push(acc);
      kinds[i] = !acc ? KEY_GT : acc.type === 'Integer' ? KEY_INT : KEY_OTHER;
    }
    layout = { slots, hasGt, absent, floats, kinds, accs };
    this.layouts.set(formatText, layout);
    return layout;
  }

  private samples(
    buf: Buffer,
    fmtStart: number,
    fmtEnd: number,
    p: number,
    end: number,
    v: number,
    numAlleles: number,
    lineNo: number,
  ): void {
    let layout: FormatLayout;
    if (this.lastFormat !== undefined && bytesEqual(buf, fmtStart, fmtEnd, this.lastFormat)) layout = this.lastLayout!;
    else {
      layout = this.layout(buf.toString('latin1', fmtStart, fmtEnd), lineNo);
      this.lastFormat = Buffer.from(buf.subarray(fmtStart, fmtEnd));
      this.lastLayout = layout;
    }
    const S = this.nSamples;
    const slots = layout.slots;
    const nKeys = slots.length;
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
    const kinds = layout.kinds;
    const accs = layout.accs;
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
          throw new VcfSyntaxError(
            this.file,
            lineNo,
            `sample '${this.sampleIds[s]}' has more sub-fields than the FORMAT column's ${nKeys} key(s)`,
          );
        }
        const kind = kinds[j]!;
        if (kind === KEY_GT) {
          fe = this.genotypeAt(buf, q, end, v, s, numAlleles, lineNo);
          if (this.lastPloidy > recPloidy) recPloidy = this.lastPloidy;
        } else if (kind === KEY_INT) {
          fe = this.integerAt(accs[j]!, buf, q, end, v, s, lineNo);
        } else {
          fe = q;
          while (fe < end) {
            const c = buf[fe]!;
            if (c === COLON || c === TAB) break;
            fe++;
          }
          this.formatValue(accs[j]!, buf, q, fe, v, s, lineNo);
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
          this.formatValue(accs[j]!, buf, 0, 0, v, s, lineNo, true);
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

  /** Ploidy of the GT parsed by the last {@link genotypeAt} call. */
  private lastPloidy = 0;

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

  /**
   * Parses the Integer sub-field starting at `a` (it ends at the first `:`,
   * tab or `end`) for sample s; returns where it ended. Non-negative values
   * of up to 9 digits (`30`, `12,0`) take a fast path with the same result
   * as {@link formatInteger}; anything else (signs, `.`, empty) goes there.
   */
  private integerAt(acc: FieldAcc, buf: Buffer, a: number, end: number, v: number, s: number, lineNo: number): number {
    // Fast path: comma-separated non-negative values of 1 to 9 digits each.
    const vals = this.vals;
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
      const col = acc.num!;
      const o = col.prepare(v, s, n, 0, max, lineNo);
      const d = col.data;
      for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
      for (let j = n; j < col.width; j++) d[o + j] = INT_FILL;
      this.nVals = n;
      return i;
    }
    let b = i;
    while (b < end) {
      const c = buf[b]!;
      if (c === COLON || c === TAB) break;
      b++;
    }
    if (b > a) this.formatInteger(acc, buf, a, b, v, s, lineNo);
    else this.formatValue(acc, buf, a, b, v, s, lineNo);
    return b;
  }

  /** Parses GT in buf[a, b) for sample s; returns its ploidy. */
  private genotype(buf: Buffer, a: number, b: number, v: number, s: number, numAlleles: number, lineNo: number): number {
    this.nVals = 0;
    let i = a;
    // VCF 4.4 allows a leading phase marker: `|0`.
    if (i < b && (buf[i] === PIPE || buf[i] === SLASH)) i++;
    let secondSep = 0;
    let max = 0;
    if (i >= b) {
      this.push(INT_MISSING);
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
        this.push(x);
        if (i >= b) break;
        const sep = buf[i]!;
        if (sep !== SLASH && sep !== PIPE) throw this.gtError(buf, a, b, s, numAlleles, lineNo);
        if (this.nVals === 1) secondSep = sep;
        i++;
        if (i >= b) throw this.gtError(buf, a, b, s, numAlleles, lineNo);
      }
    }
    const col = this.gt!;
    const n = this.nVals;
    const vals = this.vals;
    const o = col.prepare(v, s, n, INT_FILL, max, lineNo);
    const d = col.data;
    for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
    for (let j = n; j < col.width; j++) d[o + j] = INT_FILL;
    // cyvcf2's phase flag: the phase bit of the second allele slot; a haploid
    // call's second slot is htslib's vector end, whose low bit is 1.
    this.phaseBits[v * this.nSamples + s] = n === 1 || secondSep === PIPE ? 1 : 0;
    return n;
  }

  /** Appends a value to the scratch cell. */
  private push(x: number): void {
    if (this.nVals === this.vals.length) {
      const next = new Float64Array(this.vals.length * 2);
      next.set(this.vals);
      this.vals = next;
    }
    this.vals[this.nVals++] = x;
  }

  private gtError(buf: Buffer, a: number, b: number, s: number, numAlleles: number, lineNo: number): VcfGenotypeError {
    return new VcfGenotypeError(this.file, lineNo, this.sampleIds[s]!, buf.toString('utf8', a, b), numAlleles);
  }

  /** Stores FORMAT values buf[a, b) of sample s (dropped = a sub-field the sample omits). */
  private formatValue(
    acc: FieldAcc,
    buf: Buffer,
    a: number,
    b: number,
    v: number,
    s: number,
    lineNo: number,
    dropped = false,
  ): void {
    const type = acc.type;
    if (type === 'Integer' && !dropped && a < b) {
      this.formatInteger(acc, buf, a, b, v, s, lineNo);
      return;
    }
    if (type === 'Integer' || type === 'Float') {
      const col = acc.num!;
      this.nVals = 0;
      let min = 0;
      let max = 0;
      if (dropped || a === b) {
        this.push(type === 'Integer' ? INT_MISSING : FLOAT32_MISSING_BITS);
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
            if (!(x >= INT32_LOW && x <= INT32_HIGH)) {
              throw new VcfValueError(this.file, lineNo, `FORMAT/${acc.id}`, buf.toString('utf8', q, e), 'an Integer (int32)', this.sampleIds[s]);
            }
            if (x < min) min = x;
            if (x > max) max = x;
          } else {
            const str = buf.toString('latin1', q, e);
            const bits = floatBits(str);
            if (bits === undefined) {
              throw new VcfValueError(this.file, lineNo, `FORMAT/${acc.id}`, buf.toString('utf8', q, e), 'a Float', this.sampleIds[s]);
            }
            x = bits;
          }
          this.push(x);
          if (e >= b) break;
          q = e + 1;
        }
      }
      const n = this.nVals;
      const vals = this.vals;
      if (n > acc.recMax) acc.recMax = n;
      const o = col.prepare(v, s, n, min, max, lineNo);
      const d = col.data;
      for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
      const fill = col.fill;
      for (let j = n; j < col.width; j++) d[o + j] = fill;
      return;
    }
    const col = acc.str!;
    const strs = this.strs;
    strs.length = 0;
    if (dropped) strs.push(STRING_MISSING);
    else {
      const text = buf.toString('utf8', a, b);
      for (const it of text.split(',')) strs.push(type === 'Character' ? firstChar(it) : it);
    }
    const n = strs.length;
    const o = col.prepare(v, s, n, lineNo);
    const d = col.data;
    for (let j = 0; j < n; j++) d[o + j] = acc.interner.get(strs[j]!);
    for (let j = n; j < col.width; j++) d[o + j] = STRING_FILL;
  }

  /**
   * formatValue for a present Integer value buf[a, b) (a < b), in one pass
   * over the bytes: the same values, dtypes and errors as the general path.
   */
  private formatInteger(acc: FieldAcc, buf: Buffer, a: number, b: number, v: number, s: number, lineNo: number): void {
    let vals = this.vals;
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
          throw new VcfValueError(this.file, lineNo, `FORMAT/${acc.id}`, buf.toString('utf8', q, e), 'an Integer (int32)', this.sampleIds[s]);
        }
      } else if (i === d0) {
        // An empty item is missing; a lone sign is an error.
        if (i !== q) throw new VcfValueError(this.file, lineNo, `FORMAT/${acc.id}`, buf.toString('utf8', q, i), 'an Integer (int32)', this.sampleIds[s]);
        x = INT_MISSING;
      } else {
        if (neg) x = -x;
        if (!(x >= INT32_LOW && x <= INT32_HIGH)) {
          throw new VcfValueError(this.file, lineNo, `FORMAT/${acc.id}`, buf.toString('utf8', q, i), 'an Integer (int32)', this.sampleIds[s]);
        }
        if (x < min) min = x;
        if (x > max) max = x;
      }
      if (n === vals.length) {
        const next = new Float64Array(vals.length * 2);
        next.set(vals);
        this.vals = vals = next;
      }
      vals[n++] = x;
      if (i >= b) break;
      q = i + 1;
    }
    this.nVals = n;
    if (n > acc.recMax) acc.recMax = n;
    const col = acc.num!;
    const o = col.prepare(v, s, n, min, max, lineNo);
    const d = col.data;
    for (let j = 0; j < n; j++) d[o + j] = vals[j]!;
    const w = col.width;
    for (let j = n; j < w; j++) d[o + j] = INT_FILL;
  }

  // ---- finish ----------------------------------------------------------------

  /**
   * Ploidy, `genotypes` (Number=G width) and a width function for FORMAT and
   * INFO fields, given the alleles dimension and the ploidy seen so far.
   * The width function throws VcfFieldCountError for a Number=A/R/G count
   * beyond its dimension.
   */
  private shape(maxAlleles: number): { ploidy: number; widthOf: (acc: FieldAcc) => number } {
    const file = this.file;
    const ploidy = this.hasGenotype ? Math.max(1, this.maxPloidySeen) : 0;
    let genotypes = 0;
    if (this.hasGenotype) genotypes = binomial(maxAlleles + ploidy - 1, ploidy);
    else {
      for (const acc of this.formatAccs) {
        if (acc.number === 'G') genotypes = Math.max(genotypes, (acc.num ?? acc.str)!.maxCount);
      }
    }
    const widthOf = (acc: FieldAcc): number => {
      const col = (acc.num ?? acc.str)!;
      const observed = col.maxCount;
      let limit: number | undefined;
      let width: number;
      switch (acc.number) {
        case 'A':
          width = limit = maxAlleles - 1;
          break;
        case 'R':
          width = limit = maxAlleles;
          break;
        case 'G':
          if (genotypes > 0) width = limit = genotypes;
          else width = Math.max(observed, 1);
          break;
        case '.':
          width = Math.max(observed, 1);
          break;
        default:
          width = acc.type === 'Flag' ? 1 : Math.max(observed, acc.number, 1);
      }
      if (limit !== undefined && observed > limit) {
        throw new VcfFieldCountError(file, col.maxCountLine, `${acc.category}/${acc.id}`, observed, limit);
      }
      return width;
    };
    return { ploidy, widthOf };
  }

  /** The shape of the calls of the variants read so far (windowed reading). */
  private currentShape(maxAlleles: number): VcfCallShape {
    const { ploidy, widthOf } = this.shape(maxAlleles);
    return { ploidy, widths: this.formatAccs.map(widthOf) };
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
    if (!this.restartNeeded) {
      const now = this.currentShape(mode.maxAlleles);
      let shape = now;
      if (mode.shape) {
        // A second pass knows the file's final shape; the data cannot exceed it.
        if (now.ploidy > mode.shape.ploidy || now.widths.some((w: number, k: number) => w > mode.shape!.widths[k]!)) {
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
        for (let v = a; v < b; v++) contigIds[v - a] = this.contigs[this.contigCol.data[v]!]!.id;
        mode.onWindow({
          index: this.windowsEmitted,
          start: a,
          end: b,
          sampleIds: this.sampleIds,
          variants: { contig: contigIds, position: this.positionCol.data.slice(a, b), alleles: this.alleles.slice(a, b) },
          calls: this.makeCalls(V, shape.ploidy, shape.widths),
        });
      }
    }
    this.windowsEmitted++;
    for (const acc of this.formatAccs) acc.absent.clear();
    this.gtAbsent.clear();
    this.recordPloidy.clear();
    this.windowStart = this.numVariants;
  }

  finish(): VcfData & { readonly window?: VcfWindowResult } {
    if (this.inHeader) {
      throw new VcfHeaderError(this.file, 0, 'no #CHROM header line (is this a VCF file?)');
    }
    if (this.mode.kind === 'window') this.emitWindow();
    const V = this.numVariants;
    const maxAlleles = Math.max(this.maxAllelesSeen, 2);
    const { ploidy, widthOf } = this.shape(maxAlleles);

    // Variant columns
    const quality = new Float32Array(V);
    new Uint32Array(quality.buffer).set(new Uint32Array(this.qualityCol.take().buffer, 0, V));
    const F = this.filters.length;
    const filter = new Uint8Array(V * F);
    for (let v = 0; v < V; v++) for (const fi of this.filterRows[v]!) filter[v * F + fi] = 1;

    const info: InfoColumn[] = this.infoAccs.map((acc) => {
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
    const format: FormatFieldDef[] = this.formatAccs.map((acc) => ({
      id: acc.id,
      type: acc.type as VcfType,
      number: acc.number,
      description: acc.description,
    }));
    const formatWidths = this.formatAccs.map(widthOf);

    const contigs: Contig[] = this.contigs.map((c) => (c.length === undefined ? { id: c.id } : { id: c.id, length: c.length }));
    const variantSet: VariantSet = {
      contigs,
      filters: this.filters,
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
      hasGenotype: this.hasGenotype,
      metaInformation: this.metaInformation,
    };

    const mode = this.mode;
    if (mode.kind !== 'full') {
      const calls = (): SampleCalls => {
        throw new Error(`readVcf in ${mode.kind} mode hands out no whole-sample calls`);
      };
      const window: VcfWindowResult | undefined =
        mode.kind === 'window'
          ? { windows: this.windowsEmitted, restartNeeded: this.restartNeeded, shape: mode.shape ?? { ploidy, widths: formatWidths } }
          : undefined;
      return { variantSet, sampleIds: this.sampleIds, calls, source: this.source, ...(window ? { window } : {}) };
    }
    const calls = this.makeCalls(V, ploidy, formatWidths);
    return { variantSet, sampleIds: this.sampleIds, calls, source: this.source };
  }

  /**
   * `calls(i)` over the V variants held in the sample columns, with ploidy
   * P and the given FORMAT widths (formatAccs order).
   */
  private makeCalls(V: number, ploidy: number, formatWidths: readonly number[]): (i: number) => SampleCalls {
    const S = this.nSamples;
    const gtCol = this.gt;
    const gtAbsent = this.gtAbsent;
    const recordPloidy = this.recordPloidy;
    const phaseBits = this.phaseBits;
    const formatAccs = this.formatAccs;
    // Samples are gathered out of the [variants, samples, width] columns in
    // batches of consecutive samples: one pass over the rows serves the whole
    // batch (each row's cells for the batch are adjacent), instead of one
    // cache-missing pass per sample. A batch is built when samples are asked
    // for in order (what imports do); any other index is gathered alone.
    const bytesPerSample = Math.max(1, V * ((gtCol ? ploidy + 1 : 0) + formatWidths.reduce((t, w) => t + w, 0)));
    const batchSize = Math.max(1, Math.min(64, Math.floor((64 * 2 ** 20) / bytesPerSample)));
    let pending = new Map<number, SampleCalls>();
    let last = -1;
    const build = (i0: number, i1: number): Map<number, SampleCalls> => {
      const B = i1 - i0;
      const perField = formatAccs.map((acc, k) => gatherSamples(acc, i0, i1, V, formatWidths[k]!));
      const out = new Map<number, SampleCalls>();
      for (let b = 0; b < B; b++) {
        const fields: FieldValues[] = formatAccs.map((acc, k) => {
          const width = formatWidths[k]!;
          const values = perField[k]![b]!;
          return Array.isArray(values)
            ? { id: acc.id, width, values }
            : { id: acc.id, width, values: values as IntArray | Float32Array };
        });
        if (!gtCol) out.set(i0 + b, { ploidy: 0, fields });
        else out.set(i0 + b, { ploidy, genotype: intStore(gtCol.intBytes, V * ploidy), phased: new Uint8Array(V), fields });
      }
      if (!gtCol) return out;
      const P = ploidy;
      const stored = gtCol.width;
      const d = gtCol.data;
      // ByteVec contents read directly (ByteVec.get: 0 past the end).
      const absent = gtAbsent.data;
      const nAbsent = absent.length;
      const plo = recordPloidy.data;
      const nPlo = plo.length;
      const cap = gtCol.cap;
      const n = Math.min(stored, P);
      const gts = [...out.values()].map((c) => c.genotype as IntStore);
      const phs = [...out.values()].map((c) => c.phased!);
      for (let v = 0; v < V; v++) {
        const o = v * P;
        if ((v < nAbsent && absent[v] !== 0) || v >= cap) {
          for (let b = 0; b < B; b++) {
            gts[b]!.fill(INT_MISSING, o, o + P);
            phs[b]![v] = P === 1 ? 1 : 0;
          }
          continue;
        }
        const row = v * S;
        const phasedRow = P !== 1 && v < nPlo && plo[v]! >= 2;
        for (let b = 0; b < B; b++) {
          const genotype = gts[b]!;
          const src = (row + i0 + b) * stored;
          for (let j = 0; j < n; j++) genotype[o + j] = d[src + j]!;
          for (let j = n; j < P; j++) genotype[o + j] = INT_FILL;
          phs[b]![v] = P === 1 ? 1 : phasedRow ? phaseBits[row + i0 + b]! : 0;
        }
      }
      return out;
    };
    const calls = (i: number): SampleCalls => {
      if (!Number.isInteger(i) || i < 0 || i >= S) {
        throw new RangeError(`sample index ${i} is outside [0, ${S})`);
      }
      let c = pending.get(i);
      if (!c) {
        pending = i === last + 1 ? build(i, Math.min(S, i + batchSize)) : build(i, i + 1);
        c = pending.get(i)!;
      }
      // Handed out once: the caller owns the arrays; asking again gathers afresh.
      pending.delete(i);
      last = i;
      return c;
    };

    return calls;
  }
}

/** The first character (code point) of `s`, as numpy's `<U1` keeps it; `''` stays `''`. */
function firstChar(s: string): string {
  if (s.length <= 1) return s;
  const c = s.codePointAt(0)!;
  return String.fromCodePoint(c);
}

/** Binomial coefficient C(n, k). */
function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/**
 * Sample `s`'s values of one field as a fresh [V, width] array: stored values
 * (padded with fill past the stored width), all missing where the record
 * lacks the field.
 */
/**
 * Copies the cells of the consecutive samples [s0, s1) out of a [variants,
 * samples, width] column, in one pass over the rows: element b is sample
 * s0 + b's [variants, width] values at `width` (narrower cells padded with
 * fill; a variant without the field, or past the column, all missing).
 * INFO columns are one "sample" wide.
 */
function gatherSamples(acc: FieldAcc, s0: number, s1: number, V: number, width: number): (IntArray | Float32Array | string[])[] {
  const B = s1 - s0;
  if (acc.str) {
    const col = acc.str;
    const outs = Array.from({ length: B }, () => new Array<string>(V * width));
    const W = col.width;
    const n = Math.min(W, width);
    const S = col.samples;
    for (let v = 0; v < V; v++) {
      const o = v * width;
      if (acc.absent.get(v) || v >= col.cap) {
        for (const out of outs) out.fill(STRING_MISSING, o, o + width);
        continue;
      }
      for (let b = 0; b < B; b++) {
        const out = outs[b]!;
        const src = (v * S + s0 + b) * W;
        for (let j = 0; j < n; j++) out[o + j] = col.data[src + j]!;
        for (let j = n; j < width; j++) out[o + j] = STRING_FILL;
      }
    }
    return outs;
  }
  const col = acc.num!;
  const W = col.width;
  const n = Math.min(W, width);
  const missing = col.float ? FLOAT32_MISSING_BITS : INT_MISSING;
  const fill = col.fill;
  const results: (IntArray | Float32Array)[] = [];
  const outs: (IntStore | Uint32Array)[] = [];
  for (let b = 0; b < B; b++) {
    if (col.float) {
      const f = new Float32Array(V * width);
      results.push(f);
      outs.push(new Uint32Array(f.buffer));
    } else {
      const x = intStore(col.intBytes, V * width);
      results.push(x);
      outs.push(x);
    }
  }
  const d = col.data;
  const absent = acc.absent.data;
  const nAbsent = absent.length;
  const cap = col.cap;
  const S = col.samples;
  for (let v = 0; v < V; v++) {
    const o = v * width;
    if ((v < nAbsent && absent[v] !== 0) || v >= cap) {
      for (const out of outs) out.fill(missing, o, o + width);
      continue;
    }
    const row = (v * S + s0) * W;
    for (let b = 0; b < B; b++) {
      const out = outs[b]!;
      const src = row + b * W;
      for (let j = 0; j < n; j++) out[o + j] = d[src + j]!;
      for (let j = n; j < width; j++) out[o + j] = fill;
    }
  }
  return results;
}

