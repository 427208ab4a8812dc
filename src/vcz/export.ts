/**
 * VCZ export: writes a variant set and its samples' records as the VCF Zarr
 * store bio2zarr 0.2.1 `vcf2zarr convert` writes for the same data
 * (`docs/vcz-format.md`, "Arrays" to "region_index"): same arrays, dtypes, dimension names, chunk
 * shapes, compressors, fill values, attributes and sentinels.
 *
 * Memory: variant-axis arrays come from the (in-memory) variant set, one
 * variant chunk at a time. Call arrays are built one tile (one samples-chunk
 * column × one variant chunk) at a time from the records of that column;
 * each record block is read once per column and kept only while variant
 * chunks overlap it.
 *
 * Known differences from bio2zarr (checked in `test/vcz/export.test.ts`,
 * which converts VCFs with vcf2zarr and compares every array):
 * * chunk bytes: Blosc frames use zstd level 7 by default (numcodecs uses
 *   13 for clevel 7); `bloscZstdLevel: 'c-blosc'` gives numcodecs' frames.
 *   Decoded chunks are identical either way. All chunks are written (bio2zarr
 *   skips chunks equal to the fill value; readers treat both alike).
 * * `call_genotype`'s dtype comes from `fieldStats.get('GT')` when given,
 *   else from the largest possible allele index (bio2zarr: observed max);
 *   both give int8 below 128 alleles.
 * * per-sample records carry exact widths for Number=G (by the sample's
 *   ploidy): where bio2zarr pads a haploid sample's Float G values to the
 *   record's maximum with the missing NaN (cyvcf2), the export pads with fill.
 */

import type { FieldView, RecordView } from '../codec/record.ts';
import { FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, INT_FILL, INT_MISSING, STRING_FILL, STRING_MISSING } from '../codec/sentinels.ts';
import type { InfoColumn, IntArray, VariantSet, VcfNumber } from '../codec/types.ts';
import { binomial, maxAlleles, subsetVariantSet } from '../codec/variant-set.ts';
import { BLOSC_BITSHUFFLE, BLOSC_NOSHUFFLE, BLOSC_SHUFFLE, type BloscShuffle } from './zarr/blosc.ts';
import { ExportSourceError } from './zarr/errors.ts';
import { type ZarrArrayHandle, type ZarrArraySpec, type ZarrCompressor, type ZarrDtype, ZarrStoreWriter } from './zarr/store.ts';
import { VCZDEPOT_VERSION } from '../version.ts';

/** What the exporter reads: the variant set, the samples to export and their records. */
export interface ExportSource {
  variantSet: VariantSet;
  /** The samples to export, in output order. */
  sampleIds: readonly string[];
  /** Variants per record block. */
  blockSize: number;
  /** Max ploidy over the samples (0 = no GT in any record). */
  maxPloidy: number;
  /**
   * Per FORMAT id over the exported samples: max width (values per variant)
   * and, for Integer fields, min/max of the values (sentinels may be
   * included). Sizes the `FORMAT_<ID>_dim` dimensions and picks Integer
   * dtypes. An optional `GT` entry (min/max allele index) picks
   * `call_genotype`'s dtype; without it the largest possible allele index
   * decides.
   */
  fieldStats: ReadonlyMap<string, { width: number; min?: number; max?: number }>;
  /**
   * The variants to export: 0-based indices into `variantSet`, in output
   * order, each at most once (e.g. the records `bcftools view -r` selects).
   * Default: every variant, in order. Records are still read by block of the
   * whole variant set.
   */
  variants?: ArrayLike<number>;
  /** One RecordView per sample of `sampleIds` (same order) for block `block`. */
  readBlock(sampleIds: readonly string[], block: number): RecordView[];
  /** Root attribute `source`, e.g. `vczdepot-0.1.0`; default `vczdepot-<package version>`. */
  source?: string;
}

/** Export options. */
export interface ExportOptions {
  /** Zarr format; default 2 (as bio2zarr). */
  zarrFormat?: 2 | 3;
  /** Variants per chunk; default min(variants, 1000), at least 1. */
  variantsChunkSize?: number;
  /** Samples per chunk; default min(samples, 10000), at least 1. */
  samplesChunkSize?: number;
  /** 'blosc' (default; Blosc zstd as bio2zarr) or plain 'zstd' frames (numcodecs `Zstd`). */
  compressor?: 'blosc' | 'zstd';
  /** Level of the plain 'zstd' compressor; default 7. */
  zstdLevel?: number;
  /**
   * zstd level used inside Blosc frames; default 7. `'c-blosc'` uses
   * c-blosc's own mapping from the Blosc clevel (7 → zstd 13, region_index's
   * 9 → 22), which is what numcodecs writes (byte-identical frames with the
   * same zstd version) but ~2.5× slower for ~0.3% smaller chunks. The
   * metadata says clevel 7 / 9 either way; decoders do not use the level.
   */
  bloscZstdLevel?: number | 'c-blosc';
  /**
   * Recompute the cohort-level INFO fields AC, AN and AF from the exported
   * calls (default true), as `bcftools view -s` does for AC/AN; false keeps
   * the stored values (bcftools `--no-update`). See {@link recomputedInfo}.
   */
  updateInfo?: boolean;
  /** Write a `.vcz.zip` (ZIP_STORED) instead of a directory. Default: true when `out` ends in `.zip`. */
  zip?: boolean;
  /** Called after every chunk written, with chunks done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link exportVcz} reports. */
export interface ExportSummary {
  /** Arrays written. */
  arrays: number;
  /** Chunk files written. */
  chunks: number;
  /** Bytes written (all files; the zip's size when zipped). */
  bytes: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** Absolute path of the store. */
  path: string;
}

/** Default zstd level inside Blosc frames (see {@link ExportOptions.bloscZstdLevel}). */
export const DEFAULT_BLOSC_ZSTD_LEVEL = 7;

/** VCZ version written to the root attribute `vcf_zarr_version` (bio2zarr 0.2.1). */
export const VCF_ZARR_VERSION = '0.5';

function defaultSource(): string {
  return `vczdepot-${VCZDEPOT_VERSION}`;
}

/** bio2zarr's descriptions of the fixed variant arrays (`vcz.py _fixed_field_descriptions`). */
const FIXED_DESCRIPTIONS: Record<string, string> = {
  variant_contig: 'An identifier from the reference genome or an angle-bracketed ID string pointing to a contig in the assembly file',
  variant_position: 'The reference position',
  variant_length: 'The length of the variant measured in bases',
  variant_id: 'List of unique identifiers where applicable',
  variant_allele: 'List of the reference and alternate alleles',
  variant_quality: 'Phred-scaled quality score',
  variant_filter: 'Filter status of the variant',
};

// -------------------------------------------------------------------- helpers

type IntDtype = 'int8' | 'int16' | 'int32' | 'int64';

/**
 * bio2zarr's `core.min_int_dtype`: the narrowest of int8/16/32/64 holding
 * [min, max].
 *
 * @throws RangeError when min > max or the range exceeds int64
 */
export function minIntDtype(min: number, max: number): IntDtype {
  if (min > max) throw new RangeError(`min ${min} > max ${max}`);
  if (min >= -128 && max <= 127) return 'int8';
  if (min >= -32768 && max <= 32767) return 'int16';
  if (min >= -2147483648 && max <= 2147483647) return 'int32';
  if (min >= -(2 ** 63) && max <= 2 ** 63 - 1) return 'int64';
  throw new RangeError(`integer range [${min}, ${max}] cannot be represented`);
}

function rangeOf(a: ArrayLike<number>): [number, number] | undefined {
  if (a.length === 0) return undefined;
  let min = a[0]!;
  let max = min;
  for (let i = 1; i < a.length; i++) {
    const x = a[i]!;
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  return [min, max];
}

/**
 * zarr-python's automatic chunk shape (`_guess_chunks`, from h5py), used by
 * bio2zarr for arrays created from data (contig_*, filter_*).
 *
 * @param typesize bytes per element (zarr-python uses 1 for variable-length strings)
 */
export function zarrGuessChunks(shape: readonly number[], typesize: number): number[] {
  const increment = 256 * 1024;
  const minBytes = 128 * 1024;
  const maxBytes = 64 * 1024 * 1024;
  const chunks = shape.map((s) => Math.max(s, 1));
  const prod = (): number => chunks.reduce((a, b) => a * b, 1);
  let target = increment * 2 ** Math.log10((prod() * typesize) / (1024 * 1024));
  if (target > maxBytes) target = maxBytes;
  else if (target < minBytes) target = minBytes;
  for (let idx = 0; ; idx++) {
    const bytes = prod() * typesize;
    if ((bytes < target || Math.abs(bytes - target) / target < 0.5) && bytes < maxBytes) break;
    if (prod() === 1) break;
    const i = idx % chunks.length;
    chunks[i] = Math.ceil(chunks[i]! / 2);
  }
  return chunks;
}

type NumArray = Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Uint8Array;

function allocNumeric(dtype: ZarrDtype, n: number): NumArray {
  switch (dtype) {
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'float32':
      return new Float32Array(n);
    case 'bool':
      return new Uint8Array(n);
    default:
      throw new Error(`not a numeric dtype: ${dtype}`);
  }
}

const INT_LIMITS: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** The VCZ dimension sizes shared by every array. */
interface Dims {
  alleles: number;
  altAlleles: number;
  genotypes: number;
  ploidy: number;
}

/** Trailing dimension of an INFO/FORMAT field: [name, size], or null for none. */
function fieldDim(category: 'INFO' | 'FORMAT', id: string, number: VcfNumber, observed: number, dims: Dims): [string, number] | null {
  switch (number) {
    case 'R':
      return ['alleles', dims.alleles];
    case 'A':
      return ['alt_alleles', dims.altAlleles];
    case 'G':
      return dims.genotypes > 0 ? ['genotypes', dims.genotypes] : null;
    default: {
      const size = number === '.' ? observed : Math.max(observed, number);
      return size > 1 ? [`${category}_${id}_dim`, size] : null;
    }
  }
}

// --------------------------------------------------------------------- plans

/** How one call_* array is filled from the records. */
interface CallPlan {
  readonly kind: 'format' | 'gt' | 'phased' | 'mask';
  readonly handle: ZarrArrayHandle;
  /** FORMAT id (format kind). */
  readonly id: string;
  readonly type: 'Integer' | 'Float' | 'String' | 'Character' | 'GT';
  /** Values per (variant, sample) in the array. */
  readonly width: number;
  readonly dtype: ZarrDtype;
  /** Reused tile buffer (numeric kinds). */
  tile: NumArray | string[] | null;
}

function checkChunkSize(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
}

/**
 * Exports `source` as a VCF Zarr store at `out`.
 *
 * Arrays (`docs/vcz-format.md`, "Arrays"): `contig_id`, `contig_length` (only when every
 * contig has a length), `filter_id`, `filter_description`, `sample_id`,
 * `variant_contig|position|length` (narrowest int for the values),
 * `variant_id`, `variant_id_mask`, `variant_allele` [variants, alleles],
 * `variant_quality` f4, `variant_filter` [variants, filters],
 * `variant_<INFO>`, `call_<FORMAT>` [variants, samples(, dim)],
 * `call_genotype` [variants, samples, ploidy], `call_genotype_phased`,
 * `call_genotype_mask`, `region_index` [rows, 6]. Records narrower than an
 * array are padded with fill (-2, NaN 0x7F800002, ""); a FORMAT field absent
 * from a record is all missing (-1, NaN 0x7F800001, "."); a record without
 * GT in an array with GT gets -1 (missing) alleles and phased false;
 * ploidy-1 arrays are all phased (bio2zarr). Float bits are copied exactly.
 *
 * With `source.variants`, only those variants are written, in that order
 * (variant arrays and `region_index` of the subset; the alleles and genotypes
 * dimensions stay the whole set's). Unless `options.updateInfo` is false,
 * declared INFO/AC, AN and AF are recomputed from the exported genotypes
 * ({@link recomputedInfo}; bcftools `view -s` for AC/AN, `+fill-tags -t AF`
 * for AF) and written after the call arrays, with the narrowest Integer
 * dtype holding the counts and fill (as vcf2zarr picks).
 *
 * The store is built in `<out>.tmp-<random>` and renamed (or zipped) into
 * `out` at the end; on error the temporary data is deleted.
 *
 * @throws RangeError for invalid options, or a `variants` index out of
 *   range or repeated
 * @throws ZarrStateError when `out` exists or its parent does not
 * @throws ExportSourceError when records do not match the request (count,
 *   sample, block), a record's field or ploidy is wider than the array
 *   (fieldStats / maxPloidy too small), or an Integer value does not fit
 *   the dtype chosen from fieldStats
 * @throws CodecUnavailableError when the native zstd codec cannot be loaded
 */
export async function exportVcz(source: ExportSource, out: string, options: ExportOptions = {}): Promise<ExportSummary> {
  const t0 = performance.now();
  const full = source.variantSet;
  // Output row v holds the variant src(v) of the whole set (the selection, or v itself).
  const sel = source.variants === undefined ? null : Int32Array.from(source.variants);
  const vs = sel ? subsetVariantSet(full, sel) : full;
  const nV = vs.numVariants;
  const sampleIds = source.sampleIds;
  const nS = sampleIds.length;
  checkChunkSize('variantsChunkSize', options.variantsChunkSize);
  checkChunkSize('samplesChunkSize', options.samplesChunkSize);
  if (!Number.isInteger(source.blockSize) || source.blockSize < 1) throw new RangeError(`blockSize must be an integer >= 1, got ${source.blockSize}`);
  const vChunk = options.variantsChunkSize ?? Math.max(1, Math.min(nV, 1000));
  const sChunk = options.samplesChunkSize ?? Math.max(1, Math.min(nS, 10000));
  const format = options.zarrFormat ?? 2;
  if (format !== 2 && format !== 3) throw new RangeError(`zarrFormat must be 2 or 3, got ${String(format)}`);
  const useZstd = options.compressor === 'zstd';
  const bl = options.bloscZstdLevel;
  if (bl !== undefined && bl !== 'c-blosc' && (!Number.isInteger(bl) || bl < -131072 || bl > 22)) throw new RangeError(`bloscZstdLevel must be an integer <= 22 or 'c-blosc', got ${String(bl)}`);
  if (options.compressor !== undefined && options.compressor !== 'blosc' && !useZstd) throw new RangeError(`compressor must be 'blosc' or 'zstd', got ${String(options.compressor)}`);
  const zstdLevel = options.zstdLevel ?? 7;
  const comp = (shuffle: BloscShuffle, clevel = 7): ZarrCompressor => (useZstd ? { id: 'zstd', level: zstdLevel } : { id: 'blosc', cname: 'zstd', clevel, shuffle });

  // Dimensions (bio2zarr vcf.py generate_schema).
  // The whole set's: records hold Number=R/A/G values at its widths (a region
  // export keeps the alleles and genotypes dimensions of the whole set).
  const alleles = maxAlleles(full);
  const hasGT = vs.hasGenotype;
  const ploidy = hasGT ? Math.max(source.maxPloidy, 1) : 0;
  let genotypes = 0;
  if (hasGT) genotypes = binomial(alleles + ploidy - 1, ploidy);
  else {
    for (const def of vs.format) if (def.number === 'G') genotypes = Math.max(genotypes, source.fieldStats.get(def.id)?.width ?? 0);
    if (genotypes === 0) for (const col of vs.info) if (col.def.number === 'G') genotypes = Math.max(genotypes, col.width);
  }
  const dims: Dims = { alleles, altAlleles: alleles - 1, genotypes, ploidy };

  const writer = ZarrStoreWriter.create(out, {
    zarrFormat: format,
    zip: options.zip ?? /\.zip$/i.test(out),
    ...(options.bloscZstdLevel === 'c-blosc' ? {} : { bloscZstdLevel: options.bloscZstdLevel ?? DEFAULT_BLOSC_ZSTD_LEVEL }),
  });
  try {
    writer.setRootAttributes({
      vcf_zarr_version: VCF_ZARR_VERSION,
      source: source.source ?? defaultSource(),
      vcf_meta_information: vs.metaInformation.map(([k, v]) => [k, v]),
    });

    let total = 0;
    let done = 0;
    // Every array is created (and counted) before the first chunk is written, so progress totals are final.
    const create = (spec: ZarrArraySpec): ZarrArrayHandle => {
      const h = writer.createArray(spec);
      total += h.chunkGrid.reduce((a, b) => a * b, 1);
      return h;
    };
    const pending: (() => void)[] = [];
    const write = (h: ZarrArrayHandle, coords: number[], data: Parameters<ZarrStoreWriter['writeChunk']>[2]): void => {
      writer.writeChunk(h, coords, data);
      done++;
      options.onProgress?.(done, total);
    };
    const schema = (name: string, dtype: ZarrDtype, dimNames: string[], shape: number[], shuffle: BloscShuffle, description: string, counted = true): ZarrArrayHandle =>
      (counted ? create : (spec: ZarrArraySpec) => writer.createArray(spec))({
        name,
        dtype,
        shape,
        // variants (and samples) are chunked; trailing dims are not.
        chunks: shape.map((s, i) => (i === 0 ? vChunk : dimNames[i] === 'samples' ? sChunk : Math.max(s, 1))),
        dimensionNames: dimNames,
        attributes: { description },
        fillValue: 'null',
        compressor: comp(shuffle),
      });

    // ---------------------------------------------------- data-created arrays
    const dataArray = (name: string, dtype: ZarrDtype, values: string[] | BigInt64Array, dim: string, chunk: number): void => {
      const n = values.length;
      const h = create({ name, dtype, shape: [n], chunks: [chunk], dimensionNames: [dim], fillValue: 'default', compressor: comp(BLOSC_SHUFFLE) });
      pending.push(() => {
        for (let c = 0; c * chunk < n; c++) {
          const lo = c * chunk;
          const hi = Math.min(n, lo + chunk);
          let data: string[] | BigInt64Array;
          if (Array.isArray(values)) {
            data = values.slice(lo, hi);
            while (data.length < chunk) data.push('');
          } else {
            data = new BigInt64Array(chunk);
            data.set(values.subarray(lo, hi));
          }
          write(h, [c], data);
        }
      });
    };
    dataArray('sample_id', 'str', [...sampleIds], 'samples', sChunk);
    const contigIds = vs.contigs.map((c) => c.id);
    dataArray('contig_id', 'str', contigIds, 'contigs', zarrGuessChunks([contigIds.length], 1)[0]!);
    if (vs.contigs.every((c) => c.length !== undefined)) {
      const lengths = BigInt64Array.from(vs.contigs.map((c) => BigInt(c.length!)));
      dataArray('contig_length', 'int64', lengths, 'contigs', zarrGuessChunks([lengths.length], 8)[0]!);
    }
    const filterIds = vs.filters.map((f) => f.id);
    dataArray('filter_id', 'str', filterIds, 'filters', zarrGuessChunks([filterIds.length], 1)[0]!);
    dataArray('filter_description', 'str', vs.filters.map((f) => f.description), 'filters', zarrGuessChunks([filterIds.length], 1)[0]!);

    // ------------------------------------------------------ variant arrays
    const intDtypeOf = (a: Int32Array): IntDtype => {
      const r = rangeOf(a);
      return r ? minIntDtype(r[0], r[1]) : 'int8';
    };
    const posDtype = intDtypeOf(vs.position);
    const nFilters = vs.filters.length;
    type VarWriter = (v0: number, v1: number, c: number) => void;
    const varWriters: VarWriter[] = [];

    const numericColumn = (h: ZarrArrayHandle, src: ArrayLike<number> | Float32Array, srcWidth: number, width: number, padInt: number): VarWriter => {
      const dtype = h.spec.dtype;
      const isFloat = dtype === 'float32';
      return (v0, v1, c) => {
        const tile = allocNumeric(dtype, vChunk * width);
        if (isFloat) {
          const t32 = new Uint32Array(tile.buffer);
          const s32 = new Uint32Array((src as Float32Array).buffer, (src as Float32Array).byteOffset, src.length);
          for (let v = v0; v < v1; v++) {
            const o = (v - v0) * width;
            const so = v * srcWidth;
            let k = 0;
            for (; k < Math.min(srcWidth, width); k++) t32[o + k] = s32[so + k]!;
            for (; k < width; k++) t32[o + k] = FLOAT32_FILL_BITS;
          }
        } else {
          const t = tile as Int8Array | Int16Array | Int32Array | Uint8Array;
          for (let v = v0; v < v1; v++) {
            const o = (v - v0) * width;
            const so = v * srcWidth;
            let k = 0;
            for (; k < Math.min(srcWidth, width); k++) t[o + k] = src[so + k]!;
            for (; k < width; k++) t[o + k] = padInt;
          }
        }
        write(h, chunkCoords(h, c), tile as Int8Array);
      };
    };
    const stringColumn = (h: ZarrArrayHandle, get: (v: number, k: number) => string, width: number): VarWriter => (v0, v1, c) => {
      const tile = new Array<string>(vChunk * width).fill('');
      for (let v = v0; v < v1; v++) for (let k = 0; k < width; k++) tile[(v - v0) * width + k] = get(v, k);
      write(h, chunkCoords(h, c), tile);
    };

    const contigH = schema('variant_contig', minIntDtype(0, vs.contigs.length), ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_contig!);
    varWriters.push(numericColumn(contigH, vs.contig, 1, 1, 0));
    const filterH = schema('variant_filter', 'bool', ['variants', 'filters'], [nV, nFilters], BLOSC_BITSHUFFLE, FIXED_DESCRIPTIONS.variant_filter!);
    varWriters.push(numericColumn(filterH, vs.filter, nFilters, nFilters, 0));
    const alleleH = schema('variant_allele', 'str', ['variants', 'alleles'], [nV, alleles], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_allele!);
    varWriters.push(stringColumn(alleleH, (v, k) => vs.alleles[v]![k] ?? STRING_FILL, alleles));
    const lengthH = schema('variant_length', intDtypeOf(vs.length), ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_length!);
    varWriters.push(numericColumn(lengthH, vs.length, 1, 1, 0));
    const idH = schema('variant_id', 'str', ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_id!);
    varWriters.push(stringColumn(idH, (v) => vs.id[v]!, 1));
    const idMaskH = schema('variant_id_mask', 'bool', ['variants'], [nV], BLOSC_BITSHUFFLE, '');
    const idMask = Uint8Array.from(vs.id, (s) => (s === STRING_MISSING ? 1 : 0));
    varWriters.push(numericColumn(idMaskH, idMask, 1, 1, 0));
    const qualH = schema('variant_quality', 'float32', ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_quality!);
    varWriters.push(numericColumn(qualH, vs.quality, 1, 1, 0));
    const posH = schema('variant_position', posDtype, ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_position!);
    varWriters.push(numericColumn(posH, vs.position, 1, 1, 0));

    // AC/AN/AF recomputed from the exported calls: written after the call
    // arrays (their dtypes depend on the counts); their chunks are counted now.
    const recompute = options.updateInfo === false ? new Set<string>() : recomputedInfo(vs);
    for (const col of vs.info) if (!recompute.has(col.def.id)) varWriters.push(infoWriter(col));
    total += recompute.size * Math.ceil(nV / vChunk);
    const counts = recompute.size > 0 ? new Int32Array(nV * alleles) : null;

    function infoWriter(col: InfoColumn, counted = true): VarWriter {
      const def = col.def;
      const name = `variant_${def.id}`;
      const dim = def.type === 'Flag' ? null : fieldDim('INFO', def.id, def.number, col.width, dims);
      const width = dim ? dim[1] : 1;
      if (col.width > width) throw new ExportSourceError(`INFO/${def.id} has ${col.width} values per variant but its dimension ${dim?.[0] ?? '(none)'} has size ${width}`, name);
      const dimNames = dim ? ['variants', dim[0]] : ['variants'];
      const shape = dim ? [nV, width] : [nV];
      let dtype: ZarrDtype;
      switch (def.type) {
        case 'Integer': {
          const r = rangeOf(col.values as IntArray);
          dtype = r ? minIntDtype(Math.min(r[0], INT_FILL), r[1]) : 'int8';
          break;
        }
        case 'Float':
          dtype = 'float32';
          break;
        case 'Flag':
          dtype = 'bool';
          break;
        case 'Character':
          dtype = 'char';
          break;
        default:
          dtype = 'str';
      }
      const h = schema(name, dtype, dimNames, shape, BLOSC_SHUFFLE, def.description, counted);
      if (dtype === 'str' || dtype === 'char') {
        const vals = col.values as string[];
        const w = col.width;
        return stringColumn(h, (v, k) => (k < w ? vals[v * w + k]! : STRING_FILL), width);
      }
      return numericColumn(h, col.values as IntArray, col.width, width, dtype === 'bool' ? 0 : INT_FILL);
    }

    const nVChunks = Math.ceil(nV / vChunk);

    // ---------------------------------------------------------- call arrays
    const plans: CallPlan[] = [];
    for (const def of vs.format) {
      const stats = source.fieldStats.get(def.id);
      const dim = fieldDim('FORMAT', def.id, def.number, stats?.width ?? 0, dims);
      const width = dim ? dim[1] : 1;
      if ((stats?.width ?? 0) > width) throw new ExportSourceError(`FORMAT/${def.id} has up to ${stats!.width} values per variant but its dimension ${dim?.[0] ?? '(none)'} has size ${width}`, `call_${def.id}`);
      let dtype: ZarrDtype;
      if (def.type === 'Integer') {
        dtype = stats?.min !== undefined && stats.max !== undefined ? minIntDtype(Math.min(stats.min, INT_FILL), Math.max(stats.max, INT_MISSING)) : 'int8';
        if (dtype === 'int64') dtype = 'int32';
      } else if (def.type === 'Float') dtype = 'float32';
      else if (def.type === 'Character') dtype = 'char';
      else dtype = 'str';
      const dimNames = dim ? ['variants', 'samples', dim[0]] : ['variants', 'samples'];
      const shape = dim ? [nV, nS, width] : [nV, nS];
      const handle = schema(`call_${def.id}`, dtype, dimNames, shape, BLOSC_SHUFFLE, def.description);
      plans.push({ kind: 'format', handle, id: def.id, type: def.type, width, dtype, tile: null });
    }
    if (hasGT) {
      const gtStats = source.fieldStats.get('GT');
      const gtMax = gtStats?.max ?? alleles - 1;
      const gtDtype = minIntDtype(Math.min(gtStats?.min ?? INT_FILL, INT_FILL), Math.max(gtMax, 0));
      if (gtDtype !== 'int8' && gtDtype !== 'int16') throw new ExportSourceError(`allele index ${gtMax} does not fit int16`, 'call_genotype');
      const phasedH = schema('call_genotype_phased', 'bool', ['variants', 'samples'], [nV, nS], BLOSC_BITSHUFFLE, '');
      const gtH = schema('call_genotype', gtDtype, ['variants', 'samples', 'ploidy'], [nV, nS, ploidy], BLOSC_BITSHUFFLE, '');
      const maskH = schema('call_genotype_mask', 'bool', ['variants', 'samples', 'ploidy'], [nV, nS, ploidy], BLOSC_BITSHUFFLE, '');
      plans.push({ kind: 'phased', handle: phasedH, id: 'GT', type: 'GT', width: 1, dtype: 'bool', tile: null });
      plans.push({ kind: 'gt', handle: gtH, id: 'GT', type: 'GT', width: ploidy, dtype: gtDtype, tile: null });
      plans.push({ kind: 'mask', handle: maskH, id: 'GT', type: 'GT', width: ploidy, dtype: 'bool', tile: null });
    }

    // region_index (docs/vcz-format.md, "region_index"): per variant chunk, one row per run of equal contig:
    // [chunk, contig, first POS, last POS, max(POS + length - 1), records]; one chunk.
    const regionRows: number[][] = [];
    for (let c = 0; c < nVChunks; c++) {
      const v0 = c * vChunk;
      const v1 = Math.min(nV, v0 + vChunk);
      let start = v0;
      for (let v = v0; v < v1; v++) {
        if (v === v1 - 1 || vs.contig[v + 1] !== vs.contig[v]) {
          let maxEnd = -Infinity;
          for (let u = start; u <= v; u++) maxEnd = Math.max(maxEnd, vs.position[u]! + vs.length[u]! - 1);
          regionRows.push([c, vs.contig[start]!, vs.position[start]!, vs.position[v]!, maxEnd, v - start + 1]);
          start = v + 1;
        }
      }
    }
    const regionH = create({
      name: 'region_index',
      dtype: posDtype,
      shape: [regionRows.length, 6],
      chunks: [regionRows.length, 6], // bio2zarr writes [0, 6] for an empty variant set
      dimensionNames: ['region_index_values', 'region_index_fields'],
      fillValue: 'null',
      compressor: comp(BLOSC_NOSHUFFLE, 9),
    });

    // ------------------------------------------------------------- writing
    for (const w of pending) w();
    for (let c = 0; c < nVChunks; c++) {
      const v0 = c * vChunk;
      const v1 = Math.min(nV, v0 + vChunk);
      for (const w of varWriters) w(v0, v1, c);
      await yieldToLoop();
    }
    if (regionRows.length > 0) {
      const data = allocNumeric(posDtype, regionRows.length * 6) as Int8Array | Int16Array | Int32Array;
      regionRows.forEach((row, i) => row.forEach((x, k) => (data[i * 6 + k] = x)));
      write(regionH, [0, 0], data);
    }

    // Call arrays: one samples-chunk column at a time.
    const gtPlan = plans.find((p) => p.kind === 'gt');
    const nSChunks = Math.ceil(nS / sChunk);
    if (plans.length > 0) {
      for (let sc = 0; sc < nSChunks; sc++) {
        const ids = sampleIds.slice(sc * sChunk, Math.min(nS, (sc + 1) * sChunk));
        const cache = new Map<number, RecordView[]>();
        for (let c = 0; c < nVChunks; c++) {
          const v0 = c * vChunk;
          const v1 = Math.min(nV, v0 + vChunk);
          // The record blocks holding this chunk's variants (in ascending order: each read once per column when the selection is sorted).
          const needed = new Set<number>();
          for (let v = v0; v < v1; v++) needed.add(Math.floor((sel ? sel[v]! : v) / source.blockSize));
          for (const b of [...cache.keys()]) if (!needed.has(b)) cache.delete(b);
          for (const b of [...needed].sort((x, y) => x - y)) if (!cache.has(b)) cache.set(b, readRecords(source, ids, b));
          const ctx: TileContext = { cache, blockSize: source.blockSize, nIds: ids.length, v0, v1, vChunk, sChunk, ploidy, sel };
          for (const plan of plans) {
            const tile = fillTile(plan, ctx, gtPlan);
            if (plan.kind === 'gt' && counts) countAlleles(tile as Int8Array | Int16Array, ctx, counts, alleles);
            const coords = plan.handle.spec.shape.map((_, i) => (i === 0 ? c : i === 1 ? sc : 0));
            write(plan.handle, coords, tile);
          }
          await yieldToLoop();
        }
      }
    }

    // The recomputed INFO arrays, from the allele counts of every column.
    if (counts) {
      const late = recomputedColumns(vs, recompute, counts, alleles).map((col) => infoWriter(col, false));
      for (let c = 0; c < nVChunks; c++) {
        const v0 = c * vChunk;
        for (const w of late) w(v0, Math.min(nV, v0 + vChunk), c);
      }
    }

    const summary = await writer.finish();
    return { arrays: summary.arrays, chunks: summary.chunks, bytes: summary.bytes, seconds: (performance.now() - t0) / 1000, path: summary.path };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** Coordinates of variant chunk `c` in an array chunked only along variants. */
function chunkCoords(h: ZarrArrayHandle, c: number): number[] {
  return h.spec.shape.map((_, i) => (i === 0 ? c : 0));
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function readRecords(source: ExportSource, ids: readonly string[], block: number): RecordView[] {
  const recs = source.readBlock(ids, block);
  if (recs.length !== ids.length) throw new ExportSourceError(`readBlock(block ${block}) returned ${recs.length} records for ${ids.length} samples`);
  const start = block * source.blockSize;
  const count = Math.min(source.variantSet.numVariants, start + source.blockSize) - start;
  recs.forEach((r, i) => {
    if (r.sampleId !== ids[i]) throw new ExportSourceError(`readBlock(block ${block}) returned sample '${r.sampleId}' at position ${i}, expected '${ids[i]}'`);
    if (r.variantStart !== start || r.variantCount !== count) {
      throw new ExportSourceError(`record of sample '${r.sampleId}' covers variants [${r.variantStart}, ${r.variantStart + r.variantCount}) but block ${block} is [${start}, ${start + count})`);
    }
  });
  return recs;
}

/** The tile being built: variant range [v0, v1) of one samples-chunk column. */
interface TileContext {
  readonly cache: ReadonlyMap<number, RecordView[]>;
  readonly blockSize: number;
  /** Samples in this column (≤ sChunk). */
  readonly nIds: number;
  readonly v0: number;
  readonly v1: number;
  readonly vChunk: number;
  readonly sChunk: number;
  /** Array ploidy. */
  readonly ploidy: number;
  /** Output row → index in the whole variant set (null: the identity). */
  readonly sel: Int32Array | null;
}

const decodedStrings = new WeakMap<FieldView, string[]>();
function stringsOf(f: FieldView): string[] {
  let s = decodedStrings.get(f);
  if (!s) {
    s = f.strings();
    decodedStrings.set(f, s);
  }
  return s;
}

/**
 * Fills one call_* tile [vChunk, sChunk(, width)] for the variants [v0, v1)
 * and the column's samples; cells outside (edge chunks) are 0 / "" / false.
 * Numeric tiles are reused between calls (the returned array is overwritten
 * by the next call for the same plan).
 */
function fillTile(plan: CallPlan, ctx: TileContext, gtPlan: CallPlan | undefined): NumArray | string[] {
  const { cache, blockSize, nIds, v0, v1, vChunk, sChunk, ploidy, sel } = ctx;
  const W = plan.width;
  const len = vChunk * sChunk * W;
  const name = plan.handle.spec.name;
  const isStr = plan.dtype === 'str' || plan.dtype === 'char';
  let tile: NumArray | string[];
  if (isStr) tile = new Array<string>(len).fill(STRING_FILL);
  else {
    tile = (plan.tile as NumArray | null) ?? allocNumeric(plan.dtype, len);
    plan.tile = tile;
    tile.fill(0 as never);
  }
  if (plan.kind === 'mask') {
    // call_genotype_mask = call_genotype < 0; the gt plan's tile was just filled for this tile.
    const gt = gtPlan!.tile as Int8Array | Int16Array;
    const m = tile as Uint8Array;
    for (let i = 0; i < len; i++) m[i] = gt[i]! < 0 ? 1 : 0;
    return tile;
  }
  const rowStride = sChunk * W;
  for (let v = v0; v < v1; ) {
    // A run of rows [v, v + n) holding consecutive variants of one block.
    const s0 = sel ? sel[v]! : v;
    const b = Math.floor(s0 / blockSize);
    const recs = cache.get(b)!;
    const bEnd = (b + 1) * blockSize;
    let n = 1;
    if (sel) while (v + n < v1 && sel[v + n] === s0 + n && s0 + n < bEnd) n++;
    else n = Math.min(v1, bEnd) - v;
    for (let i = 0; i < nIds; i++) {
      const r = recs[i]!;
      const lv0 = s0 - r.variantStart;
      const base = (v - v0) * rowStride + i * W;
      switch (plan.kind) {
        case 'phased': {
          const t = tile as Uint8Array;
          if (ploidy === 1) for (let k = 0; k < n; k++) t[base + k * rowStride] = 1;
          else if (r.ploidy > 0 && r.phased) for (let k = 0; k < n; k++) t[base + k * rowStride] = r.phased[lv0 + k]!;
          break;
        }
        case 'gt': {
          const t = tile as Int8Array | Int16Array;
          const gt = r.genotype;
          const p = r.ploidy;
          if (p === 0 || !gt) {
            for (let k = 0; k < n; k++) t.fill(INT_MISSING, base + k * rowStride, base + k * rowStride + W);
            break;
          }
          if (p > W) throw new ExportSourceError(`sample '${r.sampleId}' has ploidy ${p} but the array's ploidy is ${W} (maxPloidy too small)`, name);
          if (gt.BYTES_PER_ELEMENT > t.BYTES_PER_ELEMENT) checkRange(gt, lv0 * p, (lv0 + n) * p, plan.dtype, name, r.sampleId);
          for (let k = 0; k < n; k++) {
            const o = base + k * rowStride;
            const so = (lv0 + k) * p;
            let j = 0;
            for (; j < p; j++) t[o + j] = gt[so + j]!;
            for (; j < W; j++) t[o + j] = INT_FILL;
          }
          break;
        }
        case 'format': {
          const f = r.field(plan.id);
          if (!f) {
            // Field absent from the record: every element missing.
            if (isStr) {
              const t = tile as string[];
              for (let k = 0; k < n; k++) t.fill(STRING_MISSING, base + k * rowStride, base + k * rowStride + W);
            } else if (plan.type === 'Float') {
              const t32 = new Uint32Array((tile as Float32Array).buffer);
              for (let k = 0; k < n; k++) t32.fill(FLOAT32_MISSING_BITS, base + k * rowStride, base + k * rowStride + W);
            } else {
              const t = tile as Int8Array | Int16Array | Int32Array;
              for (let k = 0; k < n; k++) t.fill(INT_MISSING, base + k * rowStride, base + k * rowStride + W);
            }
            break;
          }
          if (f.type !== plan.type) throw new ExportSourceError(`sample '${r.sampleId}' has FORMAT/${plan.id} of type ${f.type}, the variant set says ${plan.type}`, name);
          const w = f.width;
          if (w > W) throw new ExportSourceError(`sample '${r.sampleId}' has ${w} values per variant but the array holds ${W} (fieldStats width too small)`, name);
          if (isStr) {
            const t = tile as string[];
            const vals = stringsOf(f);
            for (let k = 0; k < n; k++) {
              const o = base + k * rowStride;
              const so = (lv0 + k) * w;
              for (let j = 0; j < w; j++) t[o + j] = vals[so + j]!;
              // the rest stays "" (fill)
            }
          } else if (plan.type === 'Float') {
            const t32 = new Uint32Array((tile as Float32Array).buffer);
            const fv = f.values as Float32Array;
            const s32 = new Uint32Array(fv.buffer, fv.byteOffset, fv.length);
            for (let k = 0; k < n; k++) {
              const o = base + k * rowStride;
              const so = (lv0 + k) * w;
              let j = 0;
              for (; j < w; j++) t32[o + j] = s32[so + j]!;
              for (; j < W; j++) t32[o + j] = FLOAT32_FILL_BITS;
            }
          } else {
            const t = tile as Int8Array | Int16Array | Int32Array;
            const fv = f.values as IntArray;
            if (fv.BYTES_PER_ELEMENT > t.BYTES_PER_ELEMENT) checkRange(fv, lv0 * w, (lv0 + n) * w, plan.dtype, name, r.sampleId);
            for (let k = 0; k < n; k++) {
              const o = base + k * rowStride;
              const so = (lv0 + k) * w;
              let j = 0;
              for (; j < w; j++) t[o + j] = fv[so + j]!;
              for (; j < W; j++) t[o + j] = INT_FILL;
            }
          }
          break;
        }
      }
    }
    v += n;
  }
  return tile;
}

/** @throws ExportSourceError when a value in a[from, to) does not fit `dtype`. */
function checkRange(a: IntArray, from: number, to: number, dtype: ZarrDtype, name: string, sampleId: string): void {
  const [lo, hi] = INT_LIMITS[dtype]!;
  for (let i = from; i < to; i++) {
    const x = a[i]!;
    if (x < lo || x > hi) throw new ExportSourceError(`sample '${sampleId}' has value ${x}, outside ${dtype} chosen from fieldStats (min/max too narrow)`, name);
  }
}

// ------------------------------------------------- recomputed AC / AN / AF

/**
 * The INFO fields an export recomputes from the exported calls: the ids among
 * `AC` (Type=Integer, Number=A or .), `AN` (Integer, Number=1) and `AF`
 * (Float, Number=A or .) that the variant set declares, when it declares
 * FORMAT/GT (none otherwise: without genotypes there is nothing to count,
 * and bcftools leaves such records alone). A field declared with another
 * Type or Number is kept as stored.
 *
 * What is written (docs/vcz-export.md, "Cohort-level INFO"):
 * * AN = number of called alleles (allele index ≥ 0; missing `.` and the fill
 *   of a lower ploidy are not counted) over the exported samples, as
 *   `bcftools view -s` (htslib `bcf_calc_ac`) writes it; 0 when none is called.
 * * AC[k] = number of called alleles equal to ALT k (one value per ALT; a
 *   variant without ALT gets no AC, i.e. missing, as bcftools removes it).
 * * AF[k] = AC[k] / AN rounded to float32, missing when AN = 0 and absent
 *   (missing) without ALT — what `bcftools +fill-tags -- -t AF` writes.
 *   `bcftools view -s` leaves AF as it was; we recompute it on purpose.
 */
export function recomputedInfo(vs: VariantSet): Set<string> {
  const ids = new Set<string>();
  if (!vs.hasGenotype) return ids;
  for (const { def } of vs.info) {
    if (def.id === 'AC' && def.type === 'Integer' && (def.number === 'A' || def.number === '.')) ids.add('AC');
    else if (def.id === 'AN' && def.type === 'Integer' && def.number === 1) ids.add('AN');
    else if (def.id === 'AF' && def.type === 'Float' && (def.number === 'A' || def.number === '.')) ids.add('AF');
  }
  return ids;
}

/** Adds the called alleles of a call_genotype tile (rows [v0, v1) of the column) to counts [variants, alleles]. */
function countAlleles(tile: Int8Array | Int16Array, ctx: TileContext, counts: Int32Array, alleles: number): void {
  const { v0, v1, nIds, sChunk, ploidy } = ctx;
  for (let v = v0; v < v1; v++) {
    const row = (v - v0) * sChunk * ploidy;
    const out = v * alleles;
    for (let k = row, end = row + nIds * ploidy; k < end; k++) {
      const a = tile[k]!;
      if (a >= 0 && a < alleles) counts[out + a]!++;
    }
  }
}

/** The recomputed columns (ids of `ids`, in the variant set's order) from allele counts [variants, alleles]. */
function recomputedColumns(vs: VariantSet, ids: ReadonlySet<string>, counts: Int32Array, alleles: number): InfoColumn[] {
  const nV = vs.numVariants;
  let maxAlt = 1;
  for (let v = 0; v < nV; v++) maxAlt = Math.max(maxAlt, vs.alleles[v]!.length - 1);
  const an = new Int32Array(nV);
  for (let v = 0; v < nV; v++) {
    let sum = 0;
    for (let a = 0; a < alleles; a++) sum += counts[v * alleles + a]!;
    an[v] = sum;
  }
  const cols: InfoColumn[] = [];
  for (const col of vs.info) {
    const def = col.def;
    if (!ids.has(def.id)) continue;
    if (def.id === 'AN') {
      cols.push({ def, width: 1, values: an });
      continue;
    }
    const w = def.number === 'A' ? alleles - 1 : maxAlt;
    if (def.id === 'AC') {
      const ac = new Int32Array(nV * w);
      for (let v = 0; v < nV; v++) {
        const nAlt = vs.alleles[v]!.length - 1;
        for (let k = 0; k < w; k++) ac[v * w + k] = nAlt === 0 ? INT_MISSING : k < nAlt ? counts[v * alleles + 1 + k]! : INT_FILL;
      }
      cols.push({ def, width: w, values: ac });
    } else {
      const af = new Float32Array(nV * w);
      const bits = new Uint32Array(af.buffer);
      for (let v = 0; v < nV; v++) {
        const nAlt = vs.alleles[v]!.length - 1;
        for (let k = 0; k < w; k++) {
          if (nAlt === 0 || (k < nAlt && an[v] === 0)) bits[v * w + k] = FLOAT32_MISSING_BITS;
          else if (k >= nAlt) bits[v * w + k] = FLOAT32_FILL_BITS;
          else af[v * w + k] = counts[v * alleles + 1 + k]! / an[v]!;
        }
      }
      cols.push({ def, width: w, values: af });
    }
  }
  return cols;
}
