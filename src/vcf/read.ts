/**
 * VCF import: reads a VCF (plain or gzip/BGZF) or a BCF (BGZF or
 * uncompressed; decoded to VCF lines by ./bcf.ts) into a `VariantSet` and
 * per-sample `SampleCalls`, reproducing what bio2zarr's `vcf2zarr convert`
 * writes (docs/vcz-format.md, "Arrays" and "Types and sentinels"): the same values bit for bit, the same
 * widths (trailing dimensions) and the same Integer dtypes.
 *
 * The file is read once, as a stream: lines are split by hand from the
 * decompressed bytes (./lines.ts), the header is parsed with @gmod/vcf
 * (./header.ts), and sample columns are parsed from the bytes
 * (./samples.ts) straight into columnar typed arrays shaped [variants,
 * samples, width] (./columns.ts) that grow (by doubling, and by widening
 * the dtype or the width) as needed. `calls(i)` then gathers sample i's
 * strided values into fresh arrays (./calls.ts).
 */
import type { VariantSet } from '../codec/index.ts';
import { VcfBuilder } from './builder.ts';
import { forEachLine } from './lines.ts';
import type { VcfData, VcfReadOptions, VcfWindowOptions, VcfWindowResult } from './types.ts';

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
 * FORMAT ID that `options.fieldName` refuses: the readers src/vcz exports
 * refuse the IDs whose Zarr array name the VCZ writer cannot write),
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
  const builder = new VcfBuilder(path, { kind: 'full' }, options.onWarning, options.fieldName);
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
  const builder = new VcfBuilder(path, { kind: 'variants' }, options.onWarning, options.fieldName);
  await forEachLine(path, (buf, start, end, line) => builder.line(buf, start, end, line), undefined, options.signal);
  const { variantSet, sampleIds, source } = builder.finish();
  return { variantSet, sampleIds, source, infoNeedsCalls: variantSet.info.some((c) => c.def.number === 'G') };
}

/**
 * The builder of a windowed read of `path` (readVcfWindows, and the gVCF
 * reader's readGvcfWindows): `options`' windows, shape and callbacks, on
 * `threads` threads (one when undefined).
 *
 * @throws RangeError when `options.windowSize` or `threads` is not an integer >= 1.
 */
export function windowBuilder(path: string, options: VcfWindowOptions, threads?: number): VcfBuilder {
  if (!Number.isSafeInteger(options.windowSize) || options.windowSize < 1) throw new RangeError(`windowSize ${options.windowSize} must be an integer >= 1`);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new RangeError(`threads ${threads} must be an integer >= 1`);
  return new VcfBuilder(path, {
    kind: 'window',
    windowSize: options.windowSize,
    maxAlleles: options.maxAlleles,
    onWindow: options.onWindow,
    ...(options.shape ? { shape: options.shape } : {}),
    ...(threads !== undefined ? { threads } : {}),
  }, options.onWarning, options.fieldName);
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
 * With `threads` N > 1 (a file with samples), the sample columns of each
 * window are parsed by N − 1 worker threads (./parse-pool.ts), or by this
 * thread when every worker has 3 windows and it would otherwise wait,
 * while this thread reads the file (gunzip, BCF decoding), the fixed
 * columns and INFO, and hands the windows
 * out in file order: the windows, the result and the first error (file,
 * line) are exactly those of a one-thread read (docs/scale.md, "Import on
 * every core").
 *
 * @returns the variant set and sample ids (as readVcf; `calls` throws) and
 *   the windowed read's {@link VcfWindowResult}.
 * @throws the errors of {@link readVcf}; VcfShapeChangedError when a second
 *   read finds calls wider than `shape`; whatever `onWindow` throws.
 */
export async function readVcfWindows(path: string, options: VcfWindowOptions): Promise<VcfData & { window: VcfWindowResult }> {
  const builder = windowBuilder(path, options, options.threads);
  try {
    try {
      await forEachLine(path, (buf, start, end, line) => builder.line(buf, start, end, line), options.onProgress, undefined, () => builder.pace());
    } catch (err) {
      await builder.failAfter(err);
    }
    await builder.drain();
    const r = builder.finish() as VcfData & { window: VcfWindowResult };
    return { ...r, window: { ...r.window, workerWindows: builder.workerWindows } };
  } finally {
    builder.close();
  }
}
