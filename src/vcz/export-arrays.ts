/**
 * The VCZ arrays' specs and dtypes (bio2zarr 0.2.1 `vcf2zarr convert`,
 * docs/vcz-format.md "Arrays"): the narrowest Integer dtype of a range,
 * zarr-python's automatic chunk shapes, the trailing dimension of an
 * INFO/FORMAT field, the fixed arrays' descriptions, and {@link ExportStore},
 * the store being written with its progress count.
 */
import type { VcfNumber } from '../codec/index.ts';
import type { BloscShuffle, ChunkData, ZarrArrayHandle, ZarrArraySpec, ZarrCompressor, ZarrDtype, ZarrStoreWriter } from '../zarr/index.ts';

/** bio2zarr's descriptions of the fixed variant arrays (`vcz.py _fixed_field_descriptions`). */
export const FIXED_DESCRIPTIONS: Record<string, string> = {
  variant_contig: 'An identifier from the reference genome or an angle-bracketed ID string pointing to a contig in the assembly file',
  variant_position: 'The reference position',
  variant_length: 'The length of the variant measured in bases',
  variant_id: 'List of unique identifiers where applicable',
  variant_allele: 'List of the reference and alternate alleles',
  variant_quality: 'Phred-scaled quality score',
  variant_filter: 'Filter status of the variant',
};

export type IntDtype = 'int8' | 'int16' | 'int32' | 'int64';

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

export function rangeOf(a: ArrayLike<number>): [number, number] | undefined {
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

export type NumArray = Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Uint8Array;

export function allocNumeric(dtype: ZarrDtype, n: number): NumArray {
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

export const INT_LIMITS: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** The VCZ dimension sizes shared by every array. */
export interface Dims {
  alleles: number;
  altAlleles: number;
  genotypes: number;
  ploidy: number;
}

/** Trailing dimension of an INFO/FORMAT field: [name, size], or null for none. */
export function fieldDim(category: 'INFO' | 'FORMAT', id: string, number: VcfNumber, observed: number, dims: Dims): [string, number] | null {
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

/**
 * The store being written, with the export's chunk shapes and compressor,
 * counting chunks for `onProgress`: every array is created (and its chunks
 * counted in `total`) before the first chunk is written, so the total
 * reported is final.
 */
export class ExportStore {
  /** Chunks of every array created so far (plus those counted ahead with {@link countAhead}). */
  total = 0;
  /** Chunks written so far (here, or by other threads: {@link advance}). */
  done = 0;
  constructor(
    readonly writer: ZarrStoreWriter,
    /** Variants per chunk. */
    readonly vChunk: number,
    /** Samples per chunk. */
    readonly sChunk: number,
    /** The compressor of an array with this Blosc shuffle (and clevel, default 7). */
    readonly comp: (shuffle: BloscShuffle, clevel?: number) => ZarrCompressor,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {}

  /** Creates an array and counts its chunks. */
  create(spec: ZarrArraySpec): ZarrArrayHandle {
    const h = this.writer.createArray(spec);
    this.total += h.chunkGrid.reduce((a, b) => a * b, 1);
    return h;
  }

  /** Counts `chunks` chunks of arrays created later (after some chunks are written). */
  countAhead(chunks: number): void {
    this.total += chunks;
  }

  /**
   * Creates a VCZ array of `shape` with dimensions `dimNames`, chunked along
   * variants (and samples), whole along trailing dimensions; fill value
   * null and the `description` attribute, as bio2zarr writes them.
   * `counted` false: its chunks were counted ahead.
   */
  schema(name: string, dtype: ZarrDtype, dimNames: string[], shape: number[], shuffle: BloscShuffle, description: string, counted = true): ZarrArrayHandle {
    const spec: ZarrArraySpec = {
      name,
      dtype,
      shape,
      // variants (and samples) are chunked; trailing dims are not.
      chunks: shape.map((s, i) => (i === 0 ? this.vChunk : dimNames[i] === 'samples' ? this.sChunk : Math.max(s, 1))),
      dimensionNames: dimNames,
      attributes: { description },
      fillValue: 'null',
      compressor: this.comp(shuffle),
    };
    return counted ? this.create(spec) : this.writer.createArray(spec);
  }

  /** Counts `chunks` chunks written by other threads and reports progress. */
  advance(chunks: number): void {
    this.done += chunks;
    this.onProgress?.(this.done, this.total);
  }

  /** Writes one chunk and reports progress. */
  write(h: ZarrArrayHandle, coords: number[], data: ChunkData): void {
    this.writer.writeChunk(h, coords, data);
    this.done++;
    this.onProgress?.(this.done, this.total);
  }
}

/** Lets other work (progress output, Ctrl-C) run between chunks. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
