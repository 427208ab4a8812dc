/**
 * The byte-level chunk codecs of the Zarr writer, shared by the main thread
 * (./store.ts) and the encoder worker threads (./encode-worker.ts), so that
 * a chunk's bytes are the same whichever thread encodes it: a Blosc-1 frame
 * with zstd inside (./blosc.ts) or a plain zstd frame (numcodecs `Zstd`,
 * the v3 `zstd` codec).
 *
 * Both encoders are deterministic functions of (input bytes, codec
 * parameters): `ZSTD_compressCCtx` resets the context's parameters on every
 * call, and the Blosc encoder's scratch buffers only grow. That is what
 * makes an export byte-identical for any number of threads.
 */
import { createRequire } from 'node:module';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { BloscEncoder, type BloscShuffle } from './blosc.ts';
import { CodecUnavailableError } from './errors.ts';

/**
 * How one chunk's bytes are compressed: a Blosc-1 frame (`typesize` bytes
 * per element, Blosc `clevel` 0..9, `shuffle`, and the zstd level used
 * inside, `zstdLevel`, default c-blosc's mapping from clevel) or one plain
 * zstd frame at `level`.
 */
export type ChunkCodec =
  | { readonly id: 'blosc'; readonly typesize: number; readonly clevel: number; readonly shuffle: BloscShuffle; readonly zstdLevel?: number }
  | { readonly id: 'zstd'; readonly level: number };

const require = createRequire(import.meta.url);

/** Plain zstd frames (numcodecs `Zstd`, v3 `zstd` codec): content size recorded, no checksum. */
export class ZstdFrameEncoder {
  private readonly binding: typeof ZstdBinding;
  private readonly cctx: ZstdBinding.CCtx;
  private out = new Uint8Array(0);
  /** @throws CodecUnavailableError when the native zstd codec cannot be loaded */
  constructor() {
    try {
      this.binding = require('zstd-napi/binding') as typeof ZstdBinding;
    } catch (err) {
      throw new CodecUnavailableError({ cause: err });
    }
    this.cctx = new this.binding.CCtx();
  }
  /** Returns a view valid until the next call. */
  encode(src: Uint8Array, level: number): Uint8Array {
    const need = this.binding.compressBound(src.length);
    if (this.out.length < need) this.out = new Uint8Array(need);
    const n = this.cctx.compress(this.out, src, level);
    return this.out.subarray(0, n);
  }
}

/**
 * One thread's chunk encoder: a Blosc encoder and a zstd frame encoder
 * (each created on first use), scratch buffers reused between chunks. Not
 * thread safe: one per thread.
 */
export class ChunkEncoder {
  private blosc: BloscEncoder | undefined;
  private zstd: ZstdFrameEncoder | undefined;

  /**
   * Compresses one chunk's raw bytes (C order, little-endian elements; the
   * vlen-utf8 bytes of a string chunk).
   *
   * @returns the encoded chunk, a view into this encoder's scratch buffer,
   *   valid until the next call (copy it to keep it)
   * @throws RangeError for bad Blosc parameters or an input over 2 GiB (./blosc.ts)
   * @throws CodecUnavailableError when the native zstd codec cannot be loaded
   */
  encode(raw: Uint8Array, codec: ChunkCodec): Uint8Array {
    if (codec.id === 'blosc') {
      this.blosc ??= new BloscEncoder();
      return this.blosc.encode(raw, { typesize: codec.typesize, clevel: codec.clevel, shuffle: codec.shuffle, ...(codec.zstdLevel !== undefined ? { zstdLevel: codec.zstdLevel } : {}) });
    }
    this.zstd ??= new ZstdFrameEncoder();
    return this.zstd.encode(raw, codec.level);
  }

  /** Creates the encoders `codec` needs now (so a missing native codec is reported before any chunk). */
  prepare(codec: ChunkCodec['id']): void {
    if (codec === 'blosc') this.blosc ??= new BloscEncoder();
    else this.zstd ??= new ZstdFrameEncoder();
  }
}
