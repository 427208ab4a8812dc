/**
 * The VCZ arrays along the variants axis (docs/vcz-format.md, "Arrays"),
 * written one variant chunk at a time from the in-memory variant set:
 * `sample_id`, `contig_*` and `filter_*` (created from data, as bio2zarr
 * does), the fixed `variant_*` arrays, `variant_<INFO>` and `region_index`.
 */
import { FLOAT32_FILL_BITS, type InfoColumn, INT_FILL, type IntArray, STRING_FILL, STRING_MISSING, type VariantSet } from '../codec/index.ts';
import { BLOSC_BITSHUFFLE, BLOSC_NOSHUFFLE, BLOSC_SHUFFLE, ExportSourceError, type ZarrArrayHandle, type ZarrDtype } from '../zarr/index.ts';
import { allocNumeric, type Dims, type ExportStore, FIXED_DESCRIPTIONS, fieldDim, type IntDtype, minIntDtype, rangeOf, zarrGuessChunks } from './export-arrays.ts';

/** Writes variant chunk `c` (output rows [v0, v1)) of one variant-axis array. */
export type VarWriter = (v0: number, v1: number, c: number) => void;

/**
 * Creates the arrays bio2zarr creates from data: `sample_id` [samples]
 * (chunked by the samples chunk), `contig_id`, `contig_length` (only when
 * every contig has a length) [contigs], `filter_id`, `filter_description`
 * [filters] (chunked as zarr-python guesses, {@link zarrGuessChunks}).
 *
 * @returns the function that writes their chunks (run it before the
 *   variant chunks, as the export always has).
 */
export function dataArrays(store: ExportStore, vs: VariantSet, sampleIds: readonly string[]): () => void {
  const pending: (() => void)[] = [];
  const dataArray = (name: string, dtype: ZarrDtype, values: string[] | BigInt64Array, dim: string, chunk: number): void => {
    const n = values.length;
    const h = store.create({ name, dtype, shape: [n], chunks: [chunk], dimensionNames: [dim], fillValue: 'default', compressor: store.comp(BLOSC_SHUFFLE) });
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
        store.write(h, [c], data);
      }
    });
  };
  dataArray('sample_id', 'str', [...sampleIds], 'samples', store.sChunk);
  const contigIds = vs.contigs.map((c) => c.id);
  dataArray('contig_id', 'str', contigIds, 'contigs', zarrGuessChunks([contigIds.length], 1)[0]!);
  if (vs.contigs.every((c) => c.length !== undefined)) {
    const lengths = BigInt64Array.from(vs.contigs.map((c) => BigInt(c.length!)));
    dataArray('contig_length', 'int64', lengths, 'contigs', zarrGuessChunks([lengths.length], 8)[0]!);
  }
  const filterIds = vs.filters.map((f) => f.id);
  dataArray('filter_id', 'str', filterIds, 'filters', zarrGuessChunks([filterIds.length], 1)[0]!);
  dataArray('filter_description', 'str', vs.filters.map((f) => f.description), 'filters', zarrGuessChunks([filterIds.length], 1)[0]!);
  return () => {
    for (const w of pending) w();
  };
}

/** The narrowest Integer dtype of `a`'s values (int8 when empty). */
function intDtypeOf(a: Int32Array): IntDtype {
  const r = rangeOf(a);
  return r ? minIntDtype(r[0], r[1]) : 'int8';
}

/**
 * Creates the fixed variant arrays, in bio2zarr's order: `variant_contig`,
 * `variant_filter` [variants, filters], `variant_allele` [variants,
 * alleles] (`dims.alleles` wide, padded with ""), `variant_length`,
 * `variant_id`, `variant_id_mask`, `variant_quality` (float32 bits copied),
 * `variant_position` (Integer dtypes the narrowest for the values).
 *
 * @returns their chunk writers and the dtype of `variant_position` (also
 *   `region_index`'s).
 */
export function fixedVariantArrays(store: ExportStore, vs: VariantSet, dims: Dims): { writers: VarWriter[]; posDtype: IntDtype } {
  const nV = vs.numVariants;
  const nFilters = vs.filters.length;
  const posDtype = intDtypeOf(vs.position);
  const writers: VarWriter[] = [];
  const contigH = store.schema('variant_contig', minIntDtype(0, vs.contigs.length), ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_contig!);
  writers.push(numericColumn(store, contigH, vs.contig, 1, 1, 0));
  const filterH = store.schema('variant_filter', 'bool', ['variants', 'filters'], [nV, nFilters], BLOSC_BITSHUFFLE, FIXED_DESCRIPTIONS.variant_filter!);
  writers.push(numericColumn(store, filterH, vs.filter, nFilters, nFilters, 0));
  const alleleH = store.schema('variant_allele', 'str', ['variants', 'alleles'], [nV, dims.alleles], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_allele!);
  writers.push(stringColumn(store, alleleH, (v, k) => vs.alleles[v]![k] ?? STRING_FILL, dims.alleles));
  const lengthH = store.schema('variant_length', intDtypeOf(vs.length), ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_length!);
  writers.push(numericColumn(store, lengthH, vs.length, 1, 1, 0));
  const idH = store.schema('variant_id', 'str', ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_id!);
  writers.push(stringColumn(store, idH, (v) => vs.id[v]!, 1));
  const idMaskH = store.schema('variant_id_mask', 'bool', ['variants'], [nV], BLOSC_BITSHUFFLE, '');
  const idMask = Uint8Array.from(vs.id, (s) => (s === STRING_MISSING ? 1 : 0));
  writers.push(numericColumn(store, idMaskH, idMask, 1, 1, 0));
  const qualH = store.schema('variant_quality', 'float32', ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_quality!);
  writers.push(numericColumn(store, qualH, vs.quality, 1, 1, 0));
  const posH = store.schema('variant_position', posDtype, ['variants'], [nV], BLOSC_SHUFFLE, FIXED_DESCRIPTIONS.variant_position!);
  writers.push(numericColumn(store, posH, vs.position, 1, 1, 0));
  return { writers, posDtype };
}

/**
 * Creates `variant_<ID>` for INFO column `col` of a variant set of `nV`
 * variants: [variants(, dim)] with the dimension of {@link fieldDim}; Integer
 * → the narrowest dtype holding the values and fill, Float → float32, Flag →
 * bool, Character → char, String → str. Narrower values are padded with
 * fill. `counted` false: its chunks were counted ahead.
 *
 * @returns its chunk writer.
 * @throws ExportSourceError when the column is wider than its dimension
 */
export function infoArray(store: ExportStore, col: InfoColumn, nV: number, dims: Dims, counted = true): VarWriter {
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
  const h = store.schema(name, dtype, dimNames, shape, BLOSC_SHUFFLE, def.description, counted);
  if (dtype === 'str' || dtype === 'char') {
    const vals = col.values as string[];
    const w = col.width;
    return stringColumn(store, h, (v, k) => (k < w ? vals[v * w + k]! : STRING_FILL), width);
  }
  return numericColumn(store, h, col.values as IntArray, col.width, width, dtype === 'bool' ? 0 : INT_FILL);
}

/**
 * Creates `region_index` (docs/vcz-format.md, "region_index"): per variant
 * chunk, one row per run of equal contig: [chunk, contig, first POS, last
 * POS, max(POS + length - 1), records], in one chunk of dtype `posDtype`.
 *
 * @returns the function writing its chunk (nothing for no variants).
 */
export function regionIndex(store: ExportStore, vs: VariantSet, posDtype: IntDtype): () => void {
  const nV = vs.numVariants;
  const vChunk = store.vChunk;
  const rows: number[][] = [];
  for (let c = 0; c < Math.ceil(nV / vChunk); c++) {
    const v0 = c * vChunk;
    const v1 = Math.min(nV, v0 + vChunk);
    let start = v0;
    for (let v = v0; v < v1; v++) {
      if (v === v1 - 1 || vs.contig[v + 1] !== vs.contig[v]) {
        let maxEnd = -Infinity;
        for (let u = start; u <= v; u++) maxEnd = Math.max(maxEnd, vs.position[u]! + vs.length[u]! - 1);
        rows.push([c, vs.contig[start]!, vs.position[start]!, vs.position[v]!, maxEnd, v - start + 1]);
        start = v + 1;
      }
    }
  }
  const h = store.create({
    name: 'region_index',
    dtype: posDtype,
    shape: [rows.length, 6],
    chunks: [rows.length, 6], // bio2zarr writes [0, 6] for an empty variant set
    dimensionNames: ['region_index_values', 'region_index_fields'],
    fillValue: 'null',
    compressor: store.comp(BLOSC_NOSHUFFLE, 9),
  });
  return () => {
    if (rows.length === 0) return;
    const data = allocNumeric(posDtype, rows.length * 6) as Int8Array | Int16Array | Int32Array;
    rows.forEach((row, i) => row.forEach((x, k) => (data[i * 6 + k] = x)));
    store.write(h, [0, 0], data);
  };
}

/** A numeric column [variants, srcWidth] of the variant set as chunks [vChunk, width] (float32 bits copied; padded with fill). */
function numericColumn(store: ExportStore, h: ZarrArrayHandle, src: ArrayLike<number> | Float32Array, srcWidth: number, width: number, padInt: number): VarWriter {
  const dtype = h.spec.dtype;
  const isFloat = dtype === 'float32';
  const vChunk = store.vChunk;
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
    store.write(h, chunkCoords(h, c), tile as Int8Array);
  };
}

/** A string column as chunks [vChunk, width]; `get(v, k)` gives value k of variant v. */
function stringColumn(store: ExportStore, h: ZarrArrayHandle, get: (v: number, k: number) => string, width: number): VarWriter {
  const vChunk = store.vChunk;
  return (v0, v1, c) => {
    const tile = new Array<string>(vChunk * width).fill('');
    for (let v = v0; v < v1; v++) for (let k = 0; k < width; k++) tile[(v - v0) * width + k] = get(v, k);
    store.write(h, chunkCoords(h, c), tile);
  };
}

/** Coordinates of variant chunk `c` in an array chunked only along variants. */
function chunkCoords(h: ZarrArrayHandle, c: number): number[] {
  return h.spec.shape.map((_, i) => (i === 0 ? c : 0));
}
