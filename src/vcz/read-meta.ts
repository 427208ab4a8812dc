/**
 * VCZ import, the metadata layer: every array's metadata (`.zarray` +
 * `.zattrs`, or `zarr.json`) parsed and checked before any chunk is read.
 *
 * - {@link readArrayMeta}: shape (non-negative integers), chunk shape
 *   (positive integers, same rank), dimension names (`_ARRAY_DIMENSIONS` /
 *   `dimension_names`), dtype size, how chunks are compressed, fill value,
 *   chunk key encoding.
 * - {@link checkDimensions}: a dimension name has one size in every array
 *   that uses it (as xarray requires of a dataset).
 * - {@link checkVczShapes}: the ranks and leading sizes docs/vcz-format.md
 *   gives each imported array: `[variants]` from `variant_position`,
 *   `[samples]` from `sample_id`, `[variants, samples, ...]` for `call_*`.
 * - {@link checkMemory}: what reading the imported arrays whole would hold
 *   against the memory budget (VczTooLargeError).
 *
 * So a store edited to declare a huge shape or chunk shape fails here with
 * a typed error naming the array and the sizes, not with V8 running out of
 * memory while the arrays are allocated.
 */
import * as os from 'node:os';
import * as v8 from 'node:v8';
import { type ChunkCheck, type CheckedStore, type FrameKind, getJson, isRecord, product, vlenMaxBytes } from './read-store.ts';
import { VczInvalidError, VczTooLargeError } from './vcz-errors.ts';

/** One array's metadata, as the import needs it. */
export interface ArrayMeta {
  readonly name: string;
  readonly shape: readonly number[];
  readonly chunks: readonly number[];
  /** Dimension names, or undefined when the metadata give none (or not one a dimension). */
  readonly dims: readonly string[] | undefined;
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Declared fill value (v2 `fill_value` / v3 `fill_value`), as in the JSON. */
  readonly fill: unknown;
  /** Bytes an element takes in a decoded chunk; `vlen` for variable-length strings. */
  readonly itemBytes: number | 'vlen' | undefined;
  /** True for strings (vlen or fixed `U`/`S`): held as JS strings once read. */
  readonly isString: boolean;
  readonly frame: FrameKind;
  readonly sharded: boolean;
  /** The store key of a chunk, relative to the array (`0.0.0`, `c/0/0/0`). */
  readonly chunkKey: (coords: readonly number[]) => string;
}

const V3_BYTES: Record<string, number> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8,
};

function v2Item(dtype: unknown): { itemBytes: number | 'vlen' | undefined; isString: boolean } {
  const m = typeof dtype === 'string' ? /^[<>|=]?([biufUSO])(\d*)$/.exec(dtype) : null;
  if (!m) return { itemBytes: undefined, isString: false };
  const n = Number(m[2] || '0');
  switch (m[1]) {
    case 'O': return { itemBytes: 'vlen', isString: true };
    case 'U': return { itemBytes: 4 * n, isString: true };
    case 'S': return { itemBytes: n, isString: true };
    default: return { itemBytes: n, isString: false };
  }
}

function frameOf(compressor: unknown): FrameKind {
  if (compressor === null || compressor === undefined) return 'none';
  const id = isRecord(compressor) ? (compressor.id ?? compressor.name) : undefined;
  return id === 'blosc' ? 'blosc' : id === 'zstd' ? 'zstd' : 'unchecked';
}

const isCount = (x: unknown, min: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;

/**
 * Reads array `name`'s metadata and checks its shape, chunk shape and
 * dimension names against each other.
 *
 * @throws VczInvalidError naming the array: unreadable JSON, a shape entry
 *   that is not a non-negative integer, a chunk shape that is not positive
 *   integers of the shape's rank, dimension names of another rank.
 */
export async function readArrayMeta(path: string, store: CheckedStore, format: 2 | 3, name: string): Promise<ArrayMeta> {
  let meta: unknown;
  let attrs: unknown;
  try {
    meta = await getJson(store, `${name}/${format === 2 ? '.zarray' : 'zarr.json'}`);
    attrs = format === 2 ? ((await getJson(store, `${name}/.zattrs`)) ?? {}) : isRecord(meta) ? (meta.attributes ?? {}) : {};
  } catch (err) {
    if (err instanceof VczInvalidError) throw err;
    throw new VczInvalidError(path, name, `unreadable metadata (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  const bad = (reason: string): never => {
    throw new VczInvalidError(path, name, reason);
  };
  if (!isRecord(meta)) bad(`${format === 2 ? '.zarray' : 'zarr.json'} is not a JSON object`);
  const m = meta as Record<string, unknown>;
  if (!isRecord(attrs)) bad('the attributes are not a JSON object');
  const at = attrs as Record<string, unknown>;
  const shape = m.shape;
  if (!Array.isArray(shape) || !shape.every((s) => isCount(s, 0))) bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  const sh = shape as number[];
  let chunks: unknown;
  let item: { itemBytes: number | 'vlen' | undefined; isString: boolean };
  let frame: FrameKind;
  let sharded = false;
  let chunkKey: (c: readonly number[]) => string;
  let dims: unknown = at._ARRAY_DIMENSIONS;
  if (format === 2) {
    chunks = m.chunks;
    item = v2Item(m.dtype);
    const filters = Array.isArray(m.filters) ? m.filters : [];
    const onlyVlen = filters.every((f) => isRecord(f) && f.id === 'vlen-utf8');
    frame = onlyVlen ? frameOf(m.compressor) : 'unchecked';
    const sep = typeof m.dimension_separator === 'string' ? m.dimension_separator : '.';
    chunkKey = (c) => (c.length === 0 ? '0' : c.join(sep));
  } else {
    const grid = isRecord(m.chunk_grid) && isRecord(m.chunk_grid.configuration) ? m.chunk_grid.configuration : {};
    chunks = grid.chunk_shape;
    const dt = m.data_type;
    item = dt === 'string' ? { itemBytes: 'vlen', isString: true } : { itemBytes: typeof dt === 'string' ? V3_BYTES[dt] : undefined, isString: false };
    const codecs = (Array.isArray(m.codecs) ? m.codecs : []).filter((c) => !(isRecord(c) && c.name === 'transpose'));
    sharded = codecs.some((c) => isRecord(c) && c.name === 'sharding_indexed');
    const first = codecs[0];
    const rest = codecs.slice(1);
    const toBytes = isRecord(first) && (first.name === 'bytes' || first.name === 'vlen-utf8');
    frame = !toBytes || rest.length > 1 ? 'unchecked' : rest.length === 0 ? 'none' : frameOf(rest[0]);
    if (Array.isArray(m.dimension_names)) dims = m.dimension_names;
    const enc = isRecord(m.chunk_key_encoding) ? m.chunk_key_encoding : { name: 'default' };
    const conf = isRecord(enc.configuration) ? enc.configuration : {};
    if (enc.name === 'v2') {
      const sep = typeof conf.separator === 'string' ? conf.separator : '.';
      chunkKey = (c) => (c.length === 0 ? '0' : c.join(sep));
    } else {
      const sep = typeof conf.separator === 'string' ? conf.separator : '/';
      chunkKey = (c) => ['c', ...c].join(sep);
    }
  }
  if (!Array.isArray(chunks) || chunks.length !== sh.length || !chunks.every((c) => isCount(c, 1))) {
    bad(`chunk shape [${Array.isArray(chunks) ? chunks.join(', ') : String(chunks)}] does not fit shape [${sh.join(', ')}]`);
  }
  const dimList = Array.isArray(dims) && dims.length === sh.length && dims.every((d) => typeof d === 'string') ? (dims as string[]) : undefined;
  if (dims !== undefined && dimList === undefined) bad(`dimension names ${JSON.stringify(dims)} do not match shape [${sh.join(', ')}]`);
  return {
    name, shape: sh, chunks: chunks as number[], dims: dimList, attrs: at, fill: m.fill_value, chunkKey, sharded, frame, ...item,
  };
}

/** What a chunk of `a` may hold (see read-store.ts). */
export function chunkCheckOf(a: ArrayMeta): ChunkCheck {
  const n = product(a.chunks);
  if (typeof a.itemBytes === 'number') return { frame: a.sharded ? 'unchecked' : a.frame, bytes: n * a.itemBytes, maxBytes: n * a.itemBytes };
  return { frame: a.sharded || a.itemBytes === undefined ? 'unchecked' : a.frame, bytes: undefined, maxBytes: vlenMaxBytes(n) };
}

/**
 * A dimension name has the same size in every array that uses it. When the
 * arrays disagree, the size most of them give is taken as right and the
 * first array giving another is named.
 *
 * @throws VczInvalidError naming that array, the dimension and both sizes.
 */
export function checkDimensions(path: string, metas: readonly ArrayMeta[]): void {
  const byDim = new Map<string, { array: string; size: number }[]>();
  for (const a of metas) {
    a.dims?.forEach((d, i) => {
      let list = byDim.get(d);
      if (!list) byDim.set(d, (list = []));
      list.push({ array: a.name, size: a.shape[i]! });
    });
  }
  for (const [dim, uses] of byDim) {
    const counts = new Map<number, number>();
    for (const u of uses) counts.set(u.size, (counts.get(u.size) ?? 0) + 1);
    if (counts.size < 2) continue;
    const [size, n] = [...counts].sort((x, y) => y[1] - x[1])[0]!;
    const odd = uses.find((u) => u.size !== size)!;
    const agree = uses.filter((u) => u.size === size).map((u) => u.array);
    throw new VczInvalidError(
      path,
      odd.array,
      `dimension '${dim}' has size ${odd.size} here, but ${size} in ${n} other array(s) (${agree.slice(0, 3).join(', ')}${n > 3 ? ', ...' : ''})`,
    );
  }
}

/**
 * The ranks and leading sizes of the arrays readVcz imports
 * (docs/vcz-format.md, "Reading a VCZ (import)"): V from `variant_position`,
 * S from `sample_id`, C from `contig_id`, F from `filter_id`.
 *
 * @returns V and S.
 * @throws VczInvalidError naming the first array that does not fit.
 */
export function checkVczShapes(
  path: string,
  get: (name: string) => ArrayMeta | undefined,
  infoNames: readonly string[],
  formatNames: readonly string[],
): { numVariants: number; numSamples: number } {
  const expect = (name: string, rank: number, lead: readonly number[]): void => {
    const a = get(name);
    if (a === undefined) return;
    if (a.shape.length !== rank || lead.some((n, d) => a.shape[d] !== n)) {
      throw new VczInvalidError(path, name, `shape [${a.shape.join(', ')}] does not fit: expected rank ${rank} starting [${lead.join(', ')}]`);
    }
  };
  expect('contig_id', 1, []);
  expect('contig_length', 1, [get('contig_id')!.shape[0]!]);
  expect('filter_id', 1, []);
  const numFilters = get('filter_id')?.shape[0] ?? 0;
  expect('filter_description', 1, [numFilters]);
  expect('variant_position', 1, []);
  const V = get('variant_position')!.shape[0]!;
  expect('variant_contig', 1, [V]);
  expect('variant_allele', 2, [V]);
  for (const n of ['variant_length', 'variant_id', 'variant_quality']) expect(n, 1, [V]);
  if (get('variant_filter') !== undefined && get('filter_id') === undefined) throw new VczInvalidError(path, 'variant_filter', 'present without filter_id');
  expect('variant_filter', 2, [V, numFilters]);
  for (const name of infoNames) {
    const a = get(name)!;
    if (a.shape.length < 1 || a.shape.length > 2 || a.shape[0] !== V) {
      throw new VczInvalidError(path, name, `shape [${a.shape.join(', ')}] is not [variants] or [variants, n] with ${V} variants`);
    }
  }
  expect('sample_id', 1, []);
  const S = get('sample_id')!.shape[0]!;
  for (const name of formatNames) {
    const a = get(name)!;
    if (a.shape.length < 2 || a.shape.length > 3 || a.shape[0] !== V || a.shape[1] !== S) {
      throw new VczInvalidError(path, name, `shape [${a.shape.join(', ')}] is not [variants, samples(, n)] with ${V} variants and ${S} samples`);
    }
  }
  expect('call_genotype', 3, [V, S]);
  if (get('call_genotype') !== undefined) expect('call_genotype_phased', 2, [V, S]);
  return { numVariants: V, numSamples: S };
}

/** Bytes a JS string element is counted as (an array slot and a small string). */
const STRING_ELEMENT_BYTES = 16;

/** The default budgets: half the machine's memory, and half of V8's heap limit for strings. */
export function defaultBudgets(memoryBudget?: number): { memory: number; heap: number } {
  const memory = memoryBudget ?? os.totalmem() / 2;
  return { memory, heap: Math.min(memory, v8.getHeapStatistics().heap_size_limit / 2) };
}

/**
 * What reading `arrays` whole holds: numbers elements × dtype size, strings
 * {@link STRING_ELEMENT_BYTES} an element (against the heap budget too); and
 * no chunk may decode to more than the memory budget.
 *
 * @throws VczTooLargeError naming the largest array; VczInvalidError for a
 *   chunk shape whose chunks alone exceed the budget.
 */
export function checkMemory(path: string, arrays: readonly ArrayMeta[], budget: { memory: number; heap: number }): void {
  let total = 0;
  let strings = 0;
  let largest: { a: ArrayMeta; bytes: number } | undefined;
  let largestString: { a: ArrayMeta; bytes: number } | undefined;
  for (const a of arrays) {
    const elements = product(a.shape);
    const bytes = elements * (a.isString || typeof a.itemBytes !== 'number' ? STRING_ELEMENT_BYTES : a.itemBytes);
    total += bytes;
    if (!largest || bytes > largest.bytes) largest = { a, bytes };
    if (a.isString) {
      strings += bytes;
      if (!largestString || bytes > largestString.bytes) largestString = { a, bytes };
    }
    const chunk = chunkCheckOf(a).bytes ?? 0;
    if (chunk > budget.memory) {
      throw new VczInvalidError(path, a.name, `chunk shape [${a.chunks.join(', ')}] makes each chunk ${chunk} bytes, more than the memory budget of ${Math.floor(budget.memory)} bytes`);
    }
  }
  if (largestString && strings > budget.heap) throw new VczTooLargeError(path, largestString.a.name, largestString.a.shape, strings, budget.heap, 'heap');
  if (largest && total > budget.memory) throw new VczTooLargeError(path, largest.a.name, largest.a.shape, total, budget.memory, 'memory');
}
