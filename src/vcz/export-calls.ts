/**
 * The call arrays (`call_<FORMAT>`, `call_genotype`, `call_genotype_phased`,
 * `call_genotype_mask`; docs/vcz-format.md, "Arrays"; with local alleles
 * `call_LA`, `call_LAD`, `call_LPL`, ./local-alleles.ts), built one tile (one
 * samples-chunk column × one variant chunk) at a time from the records of
 * that column; each record block is read once per column and kept only
 * while variant chunks overlap it.
 */
import { type FieldView, FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, INT_FILL, INT_MISSING, type IntArray, type RecordView, STRING_FILL, STRING_MISSING, type VariantSet } from '../codec/index.ts';
import { BLOSC_BITSHUFFLE, BLOSC_SHUFFLE, ExportSourceError, type ZarrArrayHandle, type ZarrDtype } from '../zarr/index.ts';
import { allocNumeric, type Dims, type ExportStore, fieldDim, INT_LIMITS, minIntDtype, type NumArray } from './export-arrays.ts';
import type { ExportSource } from './export-types.ts';
import { fillLocalAlleles, fillLocalField, LA_DESCRIPTION, LOCAL_ALLELES, LOCALISED_FIELDS } from './local-alleles.ts';

/** How one call_* array is filled from the records. */
export interface CallPlan {
  readonly kind: 'format' | 'gt' | 'phased' | 'mask' | 'local';
  readonly handle: ZarrArrayHandle;
  /** FORMAT id (format kind). */
  readonly id: string;
  readonly type: 'Integer' | 'Float' | 'String' | 'Character' | 'GT';
  /** Values per (variant, sample) in the array. */
  readonly width: number;
  readonly dtype: ZarrDtype;
  /** Reused tile buffer (numeric kinds). */
  tile: NumArray | string[] | null;
  /**
   * Kind 'local' (./local-alleles.ts): the dense plan it is computed from
   * (`call_genotype`'s for call_LA; for call_LAD/LPL the unwritten dense
   * AD/PL plan, filled first) and, for call_LAD/LPL, call_LA's plan.
   */
  readonly from?: CallPlan;
  readonly la?: CallPlan;
}

/**
 * Creates the call arrays of `vs` for `nS` samples: `call_<ID>` for each
 * FORMAT field [variants, samples(, dim)] (Integer: the narrowest dtype
 * holding `source.fieldStats`' min/max, missing and fill, int32 at most;
 * Float → float32; Character → char; String → str), then, when the variant
 * set has GT, `call_genotype_phased`, `call_genotype` [variants, samples,
 * ploidy] (int8 or int16 from the `GT` field stats, else from the largest
 * allele index) and `call_genotype_mask`.
 *
 * With `localAlleles` (bio2zarr `--local-alleles`, ./local-alleles.ts):
 * `call_AD` and `call_PL` are not written but still gathered, as the
 * source of `call_LAD` [variants, samples, local_alleles_AD = 2] and
 * `call_LPL` [variants, samples, local_genotypes = 3] (their dtypes,
 * descriptions + " (local-alleles)"), and `call_LA` int8 [variants,
 * samples, local_alleles = 2] comes last, computed from `call_genotype`.
 *
 * @throws ExportSourceError when a field's width exceeds its dimension or an
 *   allele index does not fit int16; with `localAlleles`, when the variant
 *   set has no GT, the ploidy is not 2, or AD/PL is not Integer
 */
export function callArrays(store: ExportStore, vs: VariantSet, source: ExportSource, dims: Dims, nS: number, localAlleles = false): CallPlan[] {
  const nV = vs.numVariants;
  const { alleles, ploidy } = dims;
  const plans: CallPlan[] = [];
  const localised: { dense: CallPlan; handle: ZarrArrayHandle; width: number }[] = [];
  if (localAlleles) {
    const what = 'export it without --local-alleles (bio2zarr writes local alleles for diploid calls with GT only)';
    if (!vs.hasGenotype) throw new ExportSourceError(`local alleles are chosen from the genotypes but the variant set has no FORMAT/GT; ${what}`, 'call_LA');
    if (ploidy !== LOCAL_ALLELES) throw new ExportSourceError(`local alleles need ploidy 2 but the exported samples' maximum ploidy is ${ploidy}; ${what}`, 'call_LA');
  }
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
    const local = localAlleles ? LOCALISED_FIELDS[def.id] : undefined;
    if (local) {
      if (def.type !== 'Integer') throw new ExportSourceError(`FORMAT/${def.id} is ${def.type}; local alleles localise an Integer ${def.id} only; export without --local-alleles`, local.name);
      const handle = store.schema(local.name, dtype, ['variants', 'samples', local.dim(dimNames[dimNames.length - 1]!)], [nV, nS, local.width], BLOSC_SHUFFLE, `${def.description} (local-alleles)`);
      // The dense field, gathered but not written (errors name the local array).
      localised.push({ dense: { kind: 'format', handle, id: def.id, type: def.type, width, dtype, tile: null }, handle, width: local.width });
      continue;
    }
    const handle = store.schema(`call_${def.id}`, dtype, dimNames, shape, BLOSC_SHUFFLE, def.description);
    plans.push({ kind: 'format', handle, id: def.id, type: def.type, width, dtype, tile: null });
  }
  if (vs.hasGenotype) {
    const gtStats = source.fieldStats.get('GT');
    const gtMax = gtStats?.max ?? alleles - 1;
    const gtDtype = minIntDtype(Math.min(gtStats?.min ?? INT_FILL, INT_FILL), Math.max(gtMax, 0));
    if (gtDtype !== 'int8' && gtDtype !== 'int16') throw new ExportSourceError(`allele index ${gtMax} does not fit int16`, 'call_genotype');
    const phasedH = store.schema('call_genotype_phased', 'bool', ['variants', 'samples'], [nV, nS], BLOSC_BITSHUFFLE, '');
    const gtH = store.schema('call_genotype', gtDtype, ['variants', 'samples', 'ploidy'], [nV, nS, ploidy], BLOSC_BITSHUFFLE, '');
    const maskH = store.schema('call_genotype_mask', 'bool', ['variants', 'samples', 'ploidy'], [nV, nS, ploidy], BLOSC_BITSHUFFLE, '');
    plans.push({ kind: 'phased', handle: phasedH, id: 'GT', type: 'GT', width: 1, dtype: 'bool', tile: null });
    plans.push({ kind: 'gt', handle: gtH, id: 'GT', type: 'GT', width: ploidy, dtype: gtDtype, tile: null });
    plans.push({ kind: 'mask', handle: maskH, id: 'GT', type: 'GT', width: ploidy, dtype: 'bool', tile: null });
  }
  if (localAlleles) {
    // After call_genotype (computed from its tile), then call_LAD/LPL (from call_LA's).
    const laH = store.schema('call_LA', 'int8', ['variants', 'samples', 'local_alleles'], [nV, nS, LOCAL_ALLELES], BLOSC_SHUFFLE, LA_DESCRIPTION);
    const la: CallPlan = { kind: 'local', handle: laH, id: 'LA', type: 'Integer', width: LOCAL_ALLELES, dtype: 'int8', tile: null, from: plans.find((p) => p.kind === 'gt')! };
    plans.push(la);
    for (const l of localised) plans.push({ kind: 'local', handle: l.handle, id: l.dense.id, type: 'Integer', width: l.width, dtype: l.dense.dtype, tile: null, from: l.dense, la });
  }
  return plans;
}

/**
 * Writes the tiles of the call arrays `plans`, one (samples-chunk column,
 * variant chunk) item at a time, each from the record blocks holding its
 * variants (output row v holds variant `sel[v]` of the whole set, or v when
 * `sel` is null). The records of the current column's blocks are kept while
 * the next items (of the same column, in ascending variant chunks: the order
 * of a one-thread export) still need them, so each block is read once per
 * column when the selection is sorted and items come in that order.
 *
 * @throws ExportSourceError (`readRecords`, `fillTile`)
 */
export class CallTiles {
  private column = -1;
  private ids: readonly string[] = [];
  private cache = new Map<number, RecordView[]>();
  private readonly gtPlan: CallPlan | undefined;
  /** Samples-chunk columns: ceil(samples / samplesChunkSize). */
  readonly columns: number;

  constructor(
    private readonly store: ExportStore,
    private readonly source: ExportSource,
    private readonly plans: readonly CallPlan[],
    private readonly nV: number,
    private readonly ploidy: number,
    private readonly sel: Int32Array | null,
  ) {
    this.gtPlan = plans.find((p) => p.kind === 'gt');
    this.columns = Math.ceil(source.sampleIds.length / store.sChunk);
  }

  /**
   * Writes the tiles of column `sc` of variant chunk `c` of every plan;
   * `onGenotypes` sees its `call_genotype` tile (the recomputed AC/AN/AF
   * count its alleles).
   */
  write(sc: number, c: number, onGenotypes?: (tile: Int8Array | Int16Array, ctx: TileContext) => void): void {
    if (this.plans.length === 0 || sc >= this.columns) return;
    const { vChunk, sChunk } = this.store;
    const source = this.source;
    if (sc !== this.column) {
      const nS = source.sampleIds.length;
      this.column = sc;
      this.ids = source.sampleIds.slice(sc * sChunk, Math.min(nS, (sc + 1) * sChunk));
      for (const recs of this.cache.values()) source.releaseBlock?.(recs);
      this.cache = new Map();
    }
    const { ids, cache, sel } = this;
    const v0 = c * vChunk;
    const v1 = Math.min(this.nV, v0 + vChunk);
    // The record blocks holding this chunk's variants (in ascending order).
    const needed = new Set<number>();
    for (let v = v0; v < v1; v++) needed.add(Math.floor((sel ? sel[v]! : v) / source.blockSize));
    for (const [b, recs] of [...cache]) {
      if (needed.has(b)) continue;
      cache.delete(b);
      source.releaseBlock?.(recs);
    }
    for (const b of [...needed].sort((x, y) => x - y)) if (!cache.has(b)) cache.set(b, readRecords(source, ids, b));
    const ctx: TileContext = { cache, blockSize: source.blockSize, nIds: ids.length, v0, v1, vChunk, sChunk, ploidy: this.ploidy, sel };
    for (const plan of this.plans) {
      const tile = fillTile(plan, ctx, this.gtPlan);
      if (plan.kind === 'gt' && onGenotypes) onGenotypes(tile as Int8Array | Int16Array, ctx);
      const coords = plan.handle.spec.shape.map((_, i) => (i === 0 ? c : i === 1 ? sc : 0));
      this.store.write(plan.handle, coords, tile);
    }
  }
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
export interface TileContext {
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
  if (plan.kind === 'local') {
    // call_LA from the gt tile just filled; call_LAD/LPL from the dense AD/PL tile (filled here) and call_LA's.
    const rows = v1 - v0;
    if (plan.la === undefined) {
      const bad = fillLocalAlleles(plan.from!.tile as Int8Array | Int16Array, tile as Int8Array, rows, nIds, sChunk);
      if (bad >= 0) {
        const row = v0 + Math.floor(bad / sChunk);
        const v = sel ? sel[row]! : row;
        const sample = cache.get(Math.floor(v / blockSize))![bad % sChunk]!.sampleId;
        throw new ExportSourceError(`sample '${sample}' calls an allele above 127 at variant ${v} (0-based), which call_LA (int8, as bio2zarr) cannot hold; export without --local-alleles`, name);
      }
    } else {
      const dense = fillTile(plan.from!, ctx, gtPlan) as Int8Array | Int16Array | Int32Array;
      fillLocalField(plan.id as 'AD' | 'PL', dense, plan.from!.width, plan.la.tile as Int8Array, tile as Int8Array | Int16Array | Int32Array, rows, nIds, sChunk);
    }
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
    // One small function per kind (each stays monomorphic, and V8 optimises it once per isolate).
    const run: Run = { recs, nIds, s0, n, base: (v - v0) * rowStride, rowStride, W };
    if (plan.kind === 'phased') fillPhased(tile as Uint8Array, run, ploidy);
    else if (plan.kind === 'gt') fillGenotypes(tile as Int8Array | Int16Array, run, plan.dtype, name);
    else fillFormat(plan, tile, run, name, isStr);
    v += n;
  }
  return tile;
}

/** A run of tile rows [base / rowStride, + n) holding the consecutive variants s0 … s0 + n − 1 of the records `recs` (one block, the column's samples). */
interface Run {
  readonly recs: readonly RecordView[];
  readonly nIds: number;
  readonly s0: number;
  readonly n: number;
  /** The run's first element in the tile. */
  readonly base: number;
  readonly rowStride: number;
  /** Elements per cell. */
  readonly W: number;
}

function fillPhased(t: Uint8Array, run: Run, ploidy: number): void {
  const { recs, nIds, s0, n, rowStride, W } = run;
  for (let i = 0; i < nIds; i++) {
    const r = recs[i]!;
    const base = run.base + i * W;
    if (ploidy === 1) for (let k = 0; k < n; k++) t[base + k * rowStride] = 1;
    else if (r.ploidy > 0) {
      const ph = r.phased;
      if (!ph) continue;
      const lv0 = s0 - r.variantStart;
      for (let k = 0; k < n; k++) t[base + k * rowStride] = ph[lv0 + k]!;
    }
  }
}

function fillGenotypes(t: Int8Array | Int16Array, run: Run, dtype: ZarrDtype, name: string): void {
  const { recs, nIds, s0, n, rowStride, W } = run;
  for (let i = 0; i < nIds; i++) {
    const r = recs[i]!;
    const base = run.base + i * W;
    const gt = r.genotype;
    const p = r.ploidy;
    if (p === 0 || !gt) {
      for (let k = 0; k < n; k++) t.fill(INT_MISSING, base + k * rowStride, base + k * rowStride + W);
      continue;
    }
    if (p > W) throw new ExportSourceError(`sample '${r.sampleId}' has ploidy ${p} but the array's ploidy is ${W} (maxPloidy too small)`, name);
    const lv0 = s0 - r.variantStart;
    if (gt.BYTES_PER_ELEMENT > t.BYTES_PER_ELEMENT) checkRange(gt, lv0 * p, (lv0 + n) * p, dtype, name, r.sampleId);
    for (let k = 0; k < n; k++) {
      const o = base + k * rowStride;
      const so = (lv0 + k) * p;
      let j = 0;
      for (; j < p; j++) t[o + j] = gt[so + j]!;
      for (; j < W; j++) t[o + j] = INT_FILL;
    }
  }
}

function fillFormat(plan: CallPlan, tile: NumArray | string[], run: Run, name: string, isStr: boolean): void {
  const { recs, nIds, s0, n, rowStride, W } = run;
  for (let i = 0; i < nIds; i++) {
    const r = recs[i]!;
    const base = run.base + i * W;
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
      continue;
    }
    if (f.type !== plan.type) throw new ExportSourceError(`sample '${r.sampleId}' has FORMAT/${plan.id} of type ${f.type}, the variant set says ${plan.type}`, name);
    const w = f.width;
    if (w > W) throw new ExportSourceError(`sample '${r.sampleId}' has ${w} values per variant but the array holds ${W} (fieldStats width too small)`, name);
    const lv0 = s0 - r.variantStart;
    if (isStr) copyStrings(tile as string[], stringsOf(f), base, lv0, n, rowStride, w);
    else if (plan.type === 'Float') {
      const fv = f.values as Float32Array;
      copyFloatBits(new Uint32Array((tile as Float32Array).buffer), new Uint32Array(fv.buffer, fv.byteOffset, fv.length), base, lv0, n, rowStride, w, W);
    } else {
      const t = tile as Int8Array | Int16Array | Int32Array;
      const fv = f.values as IntArray;
      if (fv.BYTES_PER_ELEMENT > t.BYTES_PER_ELEMENT) checkRange(fv, lv0 * w, (lv0 + n) * w, plan.dtype, name, r.sampleId);
      copyInts(t, fv, base, lv0, n, rowStride, w, W);
    }
  }
}

/** Rows k < n: t[base + k·rowStride + j] = vals[(lv0 + k)·w + j] for j < w; the rest stays "" (fill). */
function copyStrings(t: string[], vals: string[], base: number, lv0: number, n: number, rowStride: number, w: number): void {
  for (let k = 0; k < n; k++) {
    const o = base + k * rowStride;
    const so = (lv0 + k) * w;
    for (let j = 0; j < w; j++) t[o + j] = vals[so + j]!;
  }
}

/** As {@link copyStrings}, float32 bits, the rest of each cell's W elements the fill NaN. */
function copyFloatBits(t32: Uint32Array, s32: Uint32Array, base: number, lv0: number, n: number, rowStride: number, w: number, W: number): void {
  for (let k = 0; k < n; k++) {
    const o = base + k * rowStride;
    const so = (lv0 + k) * w;
    let j = 0;
    for (; j < w; j++) t32[o + j] = s32[so + j]!;
    for (; j < W; j++) t32[o + j] = FLOAT32_FILL_BITS;
  }
}

/** As {@link copyStrings}, integers (range-checked by the caller), the rest of each cell's W elements the fill -2. */
function copyInts(t: Int8Array | Int16Array | Int32Array, fv: IntArray, base: number, lv0: number, n: number, rowStride: number, w: number, W: number): void {
  for (let k = 0; k < n; k++) {
    const o = base + k * rowStride;
    const so = (lv0 + k) * w;
    let j = 0;
    for (; j < w; j++) t[o + j] = fv[so + j]!;
    for (; j < W; j++) t[o + j] = INT_FILL;
  }
}

/** @throws ExportSourceError when a value in a[from, to) does not fit `dtype`. */
function checkRange(a: IntArray, from: number, to: number, dtype: ZarrDtype, name: string, sampleId: string): void {
  const [lo, hi] = INT_LIMITS[dtype]!;
  for (let i = from; i < to; i++) {
    const x = a[i]!;
    if (x < lo || x > hi) throw new ExportSourceError(`sample '${sampleId}' has value ${x}, outside ${dtype} chosen from fieldStats (min/max too narrow)`, name);
  }
}
