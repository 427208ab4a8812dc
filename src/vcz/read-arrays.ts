/**
 * VCZ import, the array layer: reading one Zarr array whole, chunk by chunk,
 * into a typed array (numbers, bools; bit for bit) or a string array, C
 * order. Chunks are fetched through the CheckedStore (read-store.ts), which
 * checks each chunk frame's declared size before zarrita decodes it.
 *
 * Work-arounds of zarrita kept here:
 * - zarrita's vlen-utf8 decoder ignores the input's `byteOffset`; a correct
 *   decoder is registered for `vlen-utf8` / `numcodecs.vlen-utf8`.
 * - zarrita fills an absent chunk with the v2 `fill_value` as given; `null`
 *   (bio2zarr's schema arrays) turns strings into `null` and makes `<U1`
 *   arrays throw. Absent chunks are detected here (by chunk key) and read as
 *   the fill value, `null` meaning 0 / false / "".
 * - Chunks are assembled here by copying same-width integer views, never
 *   through JS numbers, so float NaN payloads (0x7F800001 missing,
 *   0x7F800002 fill) survive bit for bit.
 */
import type * as Zarr from 'zarrita';
import { type ArrayMeta, chunkCheckOf } from './read-meta.ts';
import { type CheckedStore, errorText, product, utf8 } from './read-store.ts';
import { VczInvalidError, isVczReadError } from './vcz-errors.ts';

let zarr: typeof Zarr;
/** Loads zarrita (on first use, so that commands that read no VCZ start faster) and registers our vlen-utf8 decoder. */
export async function loadZarrita(): Promise<typeof Zarr> {
  if (zarr === undefined) {
    zarr = await import('zarrita');
    // zarrita's registry entries are structurally typed loaders of codec classes.
    const entry = (() => Promise.resolve(VlenUtf8Decoder)) as unknown as Parameters<typeof Zarr.registry.set>[1];
    zarr.registry.set('vlen-utf8', entry);
    zarr.registry.set('numcodecs.vlen-utf8', entry);
  }
  return zarr;
}

// ---------------------------------------------------------------------------
// vlen-utf8 decoder (zarrita's ignores byteOffset)

/**
 * numcodecs vlen-utf8 (same bytes as the v3 codec): u32le count, then per item
 * u32le byte length + UTF-8 bytes, C order over the full chunk shape. Exported
 * for tests; `readVcz` registers it with zarrita for `vlen-utf8` and
 * `numcodecs.vlen-utf8`. `decode` honours the input's byteOffset and throws on
 * a truncated chunk or an item count other than the chunk size.
 */
export class VlenUtf8Decoder {
  readonly kind = 'array_to_bytes';
  readonly #shape: number[];
  readonly #stride: number[];
  constructor(shape: number[]) {
    this.#shape = shape;
    this.#stride = cStrides(shape);
  }
  static fromConfig(_config: unknown, meta: { shape: number[] }): VlenUtf8Decoder {
    return new VlenUtf8Decoder(meta.shape);
  }
  encode(): never {
    throw new Error('vlen-utf8 encoding is not supported by the VCZ reader');
  }
  decode(bytes: Uint8Array): { data: string[]; shape: number[]; stride: number[] } {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 4) throw new Error(`vlen-utf8 chunk of ${bytes.byteLength} bytes has no item count`);
    const count = view.getUint32(0, true);
    const expected = product(this.#shape);
    if (count !== expected) throw new Error(`vlen-utf8 chunk holds ${count} items, the chunk shape needs ${expected}`);
    const data: string[] = new Array<string>(count);
    let pos = 4;
    for (let i = 0; i < count; i++) {
      if (pos + 4 > bytes.byteLength) throw new Error('vlen-utf8 chunk is truncated');
      const len = view.getUint32(pos, true);
      pos += 4;
      if (pos + len > bytes.byteLength) throw new Error('vlen-utf8 chunk is truncated');
      data[i] = len === 0 ? '' : utf8.decode(bytes.subarray(pos, pos + len));
      pos += len;
    }
    return { data, shape: this.#shape, stride: this.#stride };
  }
}


// ---------------------------------------------------------------------------
// Reading whole arrays

function cStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/** Element kind of an array after reading. */
export type DenseKind = 'int' | 'float' | 'bool' | 'str' | 'char';

export type IntData = Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
export type FloatData = Float32Array | Float64Array;

/** One array read whole, C order. Bools are 0/1 bytes; strings never null. */
export type Dense = DenseMeta &
  (
    | { readonly kind: 'int'; readonly data: IntData }
    | { readonly kind: 'float'; readonly data: FloatData }
    | { readonly kind: 'bool'; readonly data: Uint8Array }
    | { readonly kind: 'str' | 'char'; readonly data: string[] }
  );

export interface DenseMeta {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly dims: readonly string[];
  readonly attrs: Readonly<Record<string, unknown>>;
}

export type BitArray = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** A same-width unsigned view (copying through it keeps every bit, NaN payloads included). */
export function bitView(a: ArrayBufferView & { length: number; BYTES_PER_ELEMENT: number }): BitArray {
  const n = a.byteLength / a.BYTES_PER_ELEMENT;
  switch (a.BYTES_PER_ELEMENT) {
    case 1:
      return new Uint8Array(a.buffer, a.byteOffset, n);
    case 2:
      return new Uint16Array(a.buffer, a.byteOffset, n);
    case 4:
      return new Uint32Array(a.buffer, a.byteOffset, n);
    case 8:
      return new BigUint64Array(a.buffer, a.byteOffset, n);
    default:
      throw new Error(`unsupported element size ${a.BYTES_PER_ELEMENT}`);
  }
}

function kindOf(dtype: string): DenseKind | undefined {
  if (dtype === 'bool') return 'bool';
  if (/^u?int(8|16|32|64)$/.test(dtype)) return 'int';
  if (dtype === 'float32' || dtype === 'float64') return 'float';
  if (dtype === 'string' || dtype === 'v2:object') return 'str';
  const m = /^v2:[US](\d+)$/.exec(dtype);
  if (m) return m[1] === '1' ? 'char' : 'str';
  return undefined;
}

const ELEMENT_BYTES: Record<string, number> = {
  int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8,
};

function makeTyped(dtype: string, buffer: ArrayBuffer): IntData | FloatData {
  switch (dtype) {
    case 'int8': return new Int8Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'uint8': return new Uint8Array(buffer);
    case 'uint16': return new Uint16Array(buffer);
    case 'uint32': return new Uint32Array(buffer);
    case 'uint64': return new BigUint64Array(buffer);
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    default: throw new Error(`no typed array for ${dtype}`);
  }
}

/** The value an absent chunk reads as: the declared fill, `null` → 0 / false / "". */
function fillOf(kind: DenseKind, dtype: string, fill: unknown): number | bigint | string {
  if (kind === 'str' || kind === 'char') return typeof fill === 'string' ? fill : '';
  if (kind === 'bool') return fill === true ? 1 : 0;
  let v: number;
  if (typeof fill === 'number') v = fill;
  else if (fill === 'NaN') v = NaN;
  else if (fill === 'Infinity') v = Infinity;
  else if (fill === '-Infinity') v = -Infinity;
  else v = 0;
  if (dtype === 'int64' || dtype === 'uint64') return BigInt(Number.isInteger(v) ? v : 0);
  return v;
}


/** Runs `task` on each item of `items` with at most `limit` in flight (items are drawn lazily). */
async function pool<T>(items: Iterator<T>, task: (item: T) => Promise<void>, limit: number): Promise<void> {
  const worker = async (): Promise<void> => {
    for (let r = items.next(); !r.done; r = items.next()) await task(r.value);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/**
 * Copies one decoded chunk's in-bounds region into `out` (C order, `shape`).
 * `put(dst, src, len, srcStep)` copies a run along the last dimension.
 */
function copyRegion(
  shape: readonly number[],
  chunkShape: readonly number[],
  chunkStride: readonly number[],
  coords: readonly number[],
  put: (dst: number, src: number, len: number, srcStep: number) => void,
): void {
  const rank = shape.length;
  if (rank === 0) {
    put(0, 0, 1, 1);
    return;
  }
  const outStride = cStrides(shape);
  const origin = coords.map((c, d) => c * chunkShape[d]!);
  const ext = origin.map((o, d) => Math.min(chunkShape[d]!, shape[d]! - o));
  if (ext.some((e) => e <= 0)) return;
  const last = rank - 1;
  const idx = new Array<number>(rank).fill(0);
  for (;;) {
    let src = 0;
    let dst = 0;
    for (let d = 0; d < last; d++) {
      src += idx[d]! * chunkStride[d]!;
      dst += (origin[d]! + idx[d]!) * outStride[d]!;
    }
    dst += origin[last]!;
    put(dst, src, ext[last]!, chunkStride[last]!);
    let d = last - 1;
    while (d >= 0) {
      idx[d]!++;
      if (idx[d]! < ext[d]!) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

/**
 * Reads array `meta.name` whole (its metadata already checked by
 * read-meta.ts). Chunk frames are checked by the store before they are
 * decoded. Errors become VczInvalidError naming the array.
 */
export async function readDense(path: string, store: CheckedStore, format: 2 | 3, meta: ArrayMeta): Promise<Dense> {
  try {
    return await readDenseUnchecked(path, store, format, meta);
  } catch (err) {
    if (isVczReadError(err)) throw err;
    throw new VczInvalidError(path, meta.name, `cannot read the array (${errorText(err)})`, { cause: err });
  }
}

/** Chunk coordinates of a chunk grid, C order, one at a time. */
function* gridCoords(grid: readonly number[]): Generator<number[]> {
  if (grid.some((g) => g === 0)) return;
  const idx = new Array<number>(grid.length).fill(0);
  for (;;) {
    yield [...idx];
    let d = grid.length - 1;
    while (d >= 0 && ++idx[d]! === grid[d]!) idx[d--] = 0;
    if (d < 0) return;
  }
}

async function readDenseUnchecked(path: string, store: CheckedStore, format: 2 | 3, raw: ArrayMeta): Promise<Dense> {
  const name = raw.name;
  store.expect(name, chunkCheckOf(raw));
  const loc = zarr.root(store).resolve(name);
  const arr = format === 2 ? await zarr.open.v2(loc, { kind: 'array' }) : await zarr.open.v3(loc, { kind: 'array' });
  const dtype: string = arr.dtype;
  const kind = kindOf(dtype);
  if (kind === undefined) throw new VczInvalidError(path, name, `unsupported dtype ${dtype}`);
  const { shape, chunks, attrs } = raw;
  const dims = raw.dims;
  if (dims === undefined) throw new VczInvalidError(path, name, `dimension names undefined do not match shape [${shape.join(', ')}]`);
  const size = product(shape);
  const fill = fillOf(kind, dtype, raw.fill);

  let str: string[] | undefined;
  let typed: IntData | FloatData | Uint8Array;
  let bits: BitArray | undefined;
  if (kind === 'str' || kind === 'char') {
    str = new Array<string>(size).fill(fill as string);
    typed = new Uint8Array(0);
  } else {
    const bytes = ELEMENT_BYTES[dtype]!;
    const buffer = new ArrayBuffer(size * bytes);
    typed = kind === 'bool' ? new Uint8Array(buffer) : makeTyped(dtype, buffer);
    if (fill !== 0 && fill !== 0n) (typed as { fill(v: unknown): unknown }).fill(fill);
    bits = bitView(typed);
  }

  const grid = shape.map((s, d) => Math.ceil(s / chunks[d]!));
  const readChunk = async (coords: number[]): Promise<void> => {
    if (!raw.sharded) {
      const key = `${loc.path.replace(/\/$/, '')}/${raw.chunkKey(coords)}` as Zarr.AbsolutePath;
      if (!(await store.has(key))) return; // absent chunk: already filled
    }
    const chunk = await arr.getChunk(coords);
    const cshape = chunk.shape;
    if (cshape.length !== shape.length || cshape.some((c, d) => c !== chunks[d])) {
      throw new VczInvalidError(path, name, `chunk ${coords.join('.')} decodes to shape [${cshape.join(', ')}], expected [${chunks.join(', ')}]`);
    }
    const n = product(cshape);
    const data = chunk.data as unknown;
    if (str !== undefined) {
      const src = chunkStrings(data, n);
      copyRegion(shape, cshape, chunk.stride, coords, (dst, s, len, step) => {
        for (let i = 0; i < len; i++) str[dst + i] = src[s + i * step]!;
      });
    } else {
      const src = chunkBits(data, n, bits!.BYTES_PER_ELEMENT);
      const out = bits!;
      copyRegion(shape, cshape, chunk.stride, coords, (dst, s, len, step) => {
        if (step === 1) (out as Uint8Array).set((src as Uint8Array).subarray(s, s + len), dst);
        else for (let i = 0; i < len; i++) (out as Uint8Array)[dst + i] = (src as Uint8Array)[s + i * step]!;
      });
    }
  };
  await pool(gridCoords(grid), readChunk, 8);

  const meta: DenseMeta = { name, dtype, shape, dims, attrs };
  if (str !== undefined) return { ...meta, kind: kind as 'str' | 'char', data: str };
  if (kind === 'bool') {
    const b = typed as Uint8Array;
    for (let i = 0; i < b.length; i++) if (b[i]! > 1) b[i] = 1;
    return { ...meta, kind, data: b };
  }
  if (kind === 'float') return { ...meta, kind, data: typed as FloatData };
  return { ...meta, kind: 'int', data: typed as IntData };
}

/** A decoded string chunk as a string array (null / non-strings → ""). */
function chunkStrings(data: unknown, n: number): string[] {
  const out = new Array<string>(n);
  if (Array.isArray(data)) {
    if (data.length !== n) throw new Error(`string chunk has ${data.length} items, expected ${n}`);
    for (let i = 0; i < n; i++) {
      const v: unknown = data[i];
      out[i] = typeof v === 'string' ? v : '';
    }
    return out;
  }
  if (data instanceof zarr.UnicodeStringArray || data instanceof zarr.ByteStringArray) {
    if (data.length !== n) throw new Error(`string chunk has ${data.length} items, expected ${n}`);
    for (let i = 0; i < n; i++) out[i] = data.get(i);
    return out;
  }
  throw new Error('unexpected string chunk type');
}

/** A decoded typed chunk (or BoolArray) as a same-width unsigned view. */
function chunkBits(data: unknown, n: number, width: number): BitArray {
  let view: BitArray;
  if (data instanceof zarr.BoolArray) view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else if (ArrayBuffer.isView(data) && !(data instanceof DataView)) view = bitView(data as unknown as Uint8Array);
  else throw new Error('unexpected chunk type');
  if (view.BYTES_PER_ELEMENT !== width) throw new Error(`chunk element size ${view.BYTES_PER_ELEMENT}, expected ${width}`);
  if (view.length !== n) throw new Error(`chunk has ${view.length} elements, expected ${n}`);
  return view;
}

// ---------------------------------------------------------------------------
// Conversions to the data model