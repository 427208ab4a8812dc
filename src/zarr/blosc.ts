/**
 * Blosc-1 frames with the zstd compressor: what numcodecs'
 * `Blosc(cname='zstd', clevel, shuffle, blocksize=0)` (bundled c-blosc
 * 1.21.x) writes for Zarr chunks, reimplemented over the native zstd codec.
 *
 * Frame layout (c-blosc `README_HEADER.rst`):
 *
 * ```
 * [0]  version    = 2            (BLOSC_VERSION_FORMAT)
 * [1]  versionlz  = 1            (zstd format version)
 * [2]  flags      bit0 byte shuffle, bit1 memcpyed, bit2 bit shuffle,
 *                 bit4 do not split, bits 5-7 compressor (zstd = 4 → 0x80)
 * [3]  typesize   element size in bytes (1..255)
 * [4]  nbytes     u32le uncompressed size
 * [8]  blocksize  u32le
 * [12] cbytes     u32le size of the whole frame
 * [16] bstarts    u32le offset of each block (absent when memcpyed)
 *      per block: i32le stream size + zstd frame (or the raw, shuffled block
 *      when the stream size equals the block size)
 * ```
 *
 * What this encoder does, matching c-blosc 1.21 (checked byte for byte
 * against numcodecs 0.16.6 in `test/zarr/zarr.test.ts`):
 *
 * * blocksize: c-blosc's `compute_blocksize` for zstd — the whole buffer
 *   below 32 KiB, else 64 KiB × {clevel 0: ¼, 1: ½, 2: 1, 3: 2, 4–5: 4,
 *   6–8: 8, 9: 16}, capped at nbytes, rounded down to a multiple of typesize
 *   (clevel 7 → 512 KiB blocks).
 * * zstd never splits a block into per-byte streams (flag 0x10 always set).
 * * zstd level: c-blosc maps clevel c to `c * 2 - 1` (c < 9) or the maximum
 *   level 22 (c = 9); clevel 7 → zstd 13. `ZSTD_compressCCtx` semantics
 *   (content size in the frame, no checksum).
 * * a block whose zstd stream would not be smaller than the block is stored
 *   raw (stream size = block size); if the frame would exceed nbytes + 16,
 *   or nbytes < 128, or clevel = 0, the whole buffer is stored after the
 *   header unshuffled (flag 0x02, cbytes = nbytes + 16).
 * * byte shuffle (flag 0x01, applied only when typesize > 1) transposes the
 *   bytes of each block's elements; bit shuffle (flag 0x04, also for
 *   typesize 1) is bitshuffle's `bshuf_trans_bit_elem` over each block
 *   whose element count is a multiple of 8; other blocks are copied as they
 *   are (c-blosc 1.21 `bitshuffle()`).
 *
 * The encoder is synchronous (it blocks the event loop: use worker threads
 * for parallelism) and reuses its scratch buffers and zstd context.
 */

import { createRequire } from 'node:module';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { BloscFrameError, CodecUnavailableError } from './errors.ts';
import { bitShuffle, bitUnshuffle, byteShuffle, byteUnshuffle } from './shuffle.ts';

/** Blosc shuffle modes (numcodecs `Blosc.NOSHUFFLE`, `SHUFFLE`, `BITSHUFFLE`). */
export const BLOSC_NOSHUFFLE = 0;
export const BLOSC_SHUFFLE = 1;
export const BLOSC_BITSHUFFLE = 2;
export type BloscShuffle = typeof BLOSC_NOSHUFFLE | typeof BLOSC_SHUFFLE | typeof BLOSC_BITSHUFFLE;

/** Size of the Blosc-1 header (BLOSC_MAX_OVERHEAD). */
export const BLOSC_HEADER_SIZE = 16;
/** Largest input c-blosc 1.x accepts: 2^31 − 1 − 16 bytes. */
export const BLOSC_MAX_BUFFERSIZE = 0x7fffffff - BLOSC_HEADER_SIZE;

const FLAG_SHUFFLE = 0x01;
const FLAG_MEMCPYED = 0x02;
const FLAG_BITSHUFFLE = 0x04;
const FLAG_DONT_SPLIT = 0x10;
const ZSTD_FORMAT = 4;
const BLOSC_VERSION_FORMAT = 2;
const ZSTD_VERSION_FORMAT = 1;
const MIN_BUFFERSIZE = 128;
const L1 = 32 * 1024;
const MAX_SPLITS = 16;
const MAX_BLOCKSIZE = 0x7fffffff - BLOSC_HEADER_SIZE; // c-blosc's check on forced blocksizes

/** Options of one Blosc encode call. */
export interface BloscEncodeOptions {
  /** Element size in bytes, 1..255 (1 for bool/int8 and vlen-utf8 bytes, 2 for int16, 4 for int32/float32 …). */
  readonly typesize: number;
  /** Blosc compression level 0..9 (0 stores the buffer uncompressed). */
  readonly clevel: number;
  /** 0 none, 1 byte shuffle, 2 bit shuffle. */
  readonly shuffle: BloscShuffle;
  /** Forced block size in bytes; 0 or absent = c-blosc's automatic choice (what numcodecs' `blocksize=0` asks for). */
  readonly blocksize?: number;
  /**
   * zstd level to use instead of c-blosc's mapping from clevel (clevel 7 →
   * 13). Any level gives a valid frame; only the size and speed change.
   */
  readonly zstdLevel?: number;
}

/** zstd level c-blosc 1.x uses for a Blosc clevel: `clevel * 2 - 1` below 9, the maximum (22) at 9. */
export function bloscZstdLevel(clevel: number): number {
  return clevel < 9 ? clevel * 2 - 1 : 22;
}

/**
 * The block size c-blosc 1.21 (`compute_blocksize`) picks for zstd.
 *
 * @param nbytes uncompressed size in bytes
 * @param typesize element size in bytes
 * @param clevel Blosc level 0..9
 * @param forced a forced block size, 0 for automatic
 * @returns block size in bytes (≥ 1)
 */
export function bloscBlocksize(nbytes: number, typesize: number, clevel: number, forced = 0): number {
  if (nbytes < typesize) return 1;
  let blocksize = nbytes;
  if (forced) {
    blocksize = Math.min(Math.max(forced, MIN_BUFFERSIZE), MAX_BLOCKSIZE);
  } else if (nbytes >= L1) {
    blocksize = L1 * 2; // zstd (an HCR codec) doubles the base
    switch (clevel) {
      case 0:
        blocksize /= 4;
        break;
      case 1:
        blocksize /= 2;
        break;
      case 2:
        break;
      case 3:
        blocksize *= 2;
        break;
      case 4:
      case 5:
        blocksize *= 4;
        break;
      case 6:
      case 7:
      case 8:
        blocksize *= 8;
        break;
      default:
        blocksize *= 16;
    }
  }
  // zstd never splits (split_block is false for it), so no split enlargement.
  if (blocksize > nbytes) blocksize = nbytes;
  if (blocksize > typesize) blocksize = Math.floor(blocksize / typesize) * typesize;
  return blocksize;
}

// --------------------------------------------------------------- zstd codec

const require = createRequire(import.meta.url);
let bindingCache: typeof ZstdBinding | null | undefined;
let bindingError: unknown;

/** The zstd-napi native binding, or null when it cannot be loaded. */
function zstdBinding(): typeof ZstdBinding | null {
  if (bindingCache === undefined) {
    try {
      bindingCache = require('zstd-napi/binding') as typeof ZstdBinding;
    } catch (err) {
      bindingCache = null;
      bindingError = err;
    }
  }
  return bindingCache;
}

/** @throws CodecUnavailableError when zstd-napi cannot be loaded */
function requireBinding(): typeof ZstdBinding {
  const b = zstdBinding();
  if (!b) throw new CodecUnavailableError({ cause: bindingError });
  return b;
}

function grow(buf: Uint8Array<ArrayBuffer>, need: number): Uint8Array<ArrayBuffer> {
  return buf.length >= need ? buf : new Uint8Array(Math.max(need, Math.min(buf.length * 2, need * 2)));
}

/**
 * A reusable Blosc encoder: one native zstd context and scratch buffers that
 * grow to the largest chunk seen. Not thread safe (one per worker).
 */
export class BloscEncoder {
  private readonly binding: typeof ZstdBinding;
  private readonly cctx: ZstdBinding.CCtx;
  private shuf = new Uint8Array(0);
  private tmp = new Uint8Array(0);
  private out = new Uint8Array(0);

  /** @throws CodecUnavailableError when the native zstd codec cannot be loaded */
  constructor() {
    this.binding = requireBinding();
    this.cctx = new this.binding.CCtx();
  }

  /**
   * Compresses `src` into one Blosc-1 frame.
   *
   * @param src the chunk's bytes (C order, little-endian elements); at most
   *   {@link BLOSC_MAX_BUFFERSIZE} bytes
   * @returns the frame, a view into this encoder's scratch buffer: valid
   *   until the next `encode` call (copy it with `.slice()` to keep it)
   * @throws RangeError for a bad typesize, clevel, shuffle or an oversized input
   */
  encode(src: Uint8Array, opts: BloscEncodeOptions): Uint8Array {
    const { typesize, clevel, shuffle } = opts;
    const nbytes = src.length;
    if (!Number.isInteger(typesize) || typesize < 1 || typesize > 255) throw new RangeError(`blosc typesize must be 1..255, got ${typesize}`);
    if (!Number.isInteger(clevel) || clevel < 0 || clevel > 9) throw new RangeError(`blosc clevel must be 0..9, got ${clevel}`);
    if (shuffle !== 0 && shuffle !== 1 && shuffle !== 2) throw new RangeError(`blosc shuffle must be 0, 1 or 2, got ${String(shuffle)}`);
    if (nbytes > BLOSC_MAX_BUFFERSIZE) throw new RangeError(`blosc input of ${nbytes} bytes exceeds ${BLOSC_MAX_BUFFERSIZE}`);
    const blocksize = bloscBlocksize(nbytes, typesize, clevel, opts.blocksize ?? 0);
    let flags = (ZSTD_FORMAT << 5) | FLAG_DONT_SPLIT;
    if (shuffle === BLOSC_SHUFFLE) flags |= FLAG_SHUFFLE;
    if (shuffle === BLOSC_BITSHUFFLE) flags |= FLAG_BITSHUFFLE;
    const maxbytes = nbytes + BLOSC_HEADER_SIZE;
    const nblocks = nbytes === 0 ? 0 : Math.ceil(nbytes / blocksize);
    const zlevel = opts.zstdLevel ?? bloscZstdLevel(clevel);
    const bound = this.binding.compressBound(Math.max(blocksize, 1));
    this.out = grow(this.out, maxbytes + bound + 8 + 4 * nblocks);
    const out = this.out;
    let cbytes = 0;
    if (nbytes >= MIN_BUFFERSIZE && clevel > 0) cbytes = this.compressBlocks(src, blocksize, nblocks, maxbytes, typesize, shuffle, zlevel);
    if (cbytes === 0) {
      flags |= FLAG_MEMCPYED;
      out.set(src, BLOSC_HEADER_SIZE);
      cbytes = maxbytes;
    }
    out[0] = BLOSC_VERSION_FORMAT;
    out[1] = ZSTD_VERSION_FORMAT;
    out[2] = flags;
    out[3] = typesize;
    writeU32(out, 4, nbytes);
    writeU32(out, 8, blocksize);
    writeU32(out, 12, cbytes);
    return out.subarray(0, cbytes);
  }

  /** Writes bstarts and blocks after the header; returns the frame size, or 0 when it would not fit in nbytes + 16. */
  private compressBlocks(src: Uint8Array, blocksize: number, nblocks: number, maxbytes: number, typesize: number, shuffle: BloscShuffle, zlevel: number): number {
    const out = this.out;
    const nbytes = src.length;
    const leftover = nbytes % blocksize;
    let ntbytes = BLOSC_HEADER_SIZE + 4 * nblocks;
    if (ntbytes > maxbytes) return 0;
    const doShuffle = (shuffle === BLOSC_SHUFFLE && typesize > 1) || shuffle === BLOSC_BITSHUFFLE;
    if (doShuffle) {
      this.shuf = grow(this.shuf, blocksize);
      if (shuffle === BLOSC_BITSHUFFLE && typesize > 1) this.tmp = grow(this.tmp, blocksize);
    }
    for (let j = 0; j < nblocks; j++) {
      writeU32(out, BLOSC_HEADER_SIZE + 4 * j, ntbytes);
      const start = j * blocksize;
      const bsize = j === nblocks - 1 && leftover > 0 ? leftover : blocksize;
      let block: Uint8Array = src.subarray(start, start + bsize);
      if (doShuffle) {
        const s = this.shuf.subarray(0, bsize);
        if (shuffle === BLOSC_SHUFFLE) byteShuffle(block, s, typesize);
        else bitShuffle(block, s, typesize, this.tmp);
        block = s;
      }
      ntbytes += 4;
      let maxout = bsize;
      if (ntbytes + maxout > maxbytes) {
        maxout = maxbytes - ntbytes;
        if (maxout <= 0) return 0;
      }
      let cb = this.cctx.compress(out.subarray(ntbytes), block, zlevel);
      if (cb > maxout) cb = 0; // c-blosc's zstd call would fail for lack of room
      if (cb === 0 || cb === bsize) {
        if (ntbytes + bsize > maxbytes) return 0;
        out.set(block, ntbytes);
        cb = bsize;
      }
      writeU32(out, ntbytes - 4, cb);
      ntbytes += cb;
    }
    return ntbytes;
  }
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

let sharedEncoder: BloscEncoder | undefined;

/**
 * Compresses `src` into a fresh Blosc-1 frame (see {@link BloscEncoder.encode})
 * with a module-wide encoder.
 *
 * @throws CodecUnavailableError when the native zstd codec cannot be loaded
 * @throws RangeError for bad options or an oversized input
 */
export function bloscEncode(src: Uint8Array, opts: BloscEncodeOptions): Uint8Array {
  sharedEncoder ??= new BloscEncoder();
  return sharedEncoder.encode(src, opts).slice();
}

/** Fields of a Blosc-1 header. */
export interface BloscHeader {
  readonly version: number;
  readonly versionlz: number;
  readonly flags: number;
  readonly typesize: number;
  /** Uncompressed size in bytes. */
  readonly nbytes: number;
  readonly blocksize: number;
  /** Frame size in bytes. */
  readonly cbytes: number;
}

/**
 * Parses the 16-byte header of a Blosc-1 frame.
 *
 * @throws BloscFrameError when the frame is shorter than 16 bytes
 */
export function bloscHeader(frame: Uint8Array): BloscHeader {
  if (frame.length < BLOSC_HEADER_SIZE) throw new BloscFrameError(`frame of ${frame.length} bytes is shorter than the 16-byte header`);
  return {
    version: frame[0]!,
    versionlz: frame[1]!,
    flags: frame[2]!,
    typesize: frame[3]!,
    nbytes: readU32(frame, 4),
    blocksize: readU32(frame, 8),
    cbytes: readU32(frame, 12),
  };
}

let sharedDctx: ZstdBinding.DCtx | undefined;
type Fzstd = typeof import('fzstd');
let fzstd: Fzstd | undefined;

function zstdDecompressInto(dst: Uint8Array, frame: Uint8Array): number {
  const b = zstdBinding();
  if (b) {
    sharedDctx ??= new b.DCtx();
    return sharedDctx.decompress(dst, frame);
  }
  fzstd ??= require('fzstd') as Fzstd;
  const res = fzstd.decompress(frame, dst);
  return res.length;
}

/**
 * Decodes a Blosc-1 frame written with the zstd compressor (any split mode,
 * shuffle or memcpyed), as numcodecs would. Used by our tests and to read our
 * own output back; uses zstd-napi when it loads, else the pure-JS fzstd.
 *
 * @returns a fresh buffer of `nbytes` bytes
 * @throws BloscFrameError for a truncated or inconsistent frame, another
 *   compressor than zstd, or a stream that does not decode to its block size
 */
export function bloscDecode(frame: Uint8Array): Uint8Array {
  const h = bloscHeader(frame);
  if (h.version < 1 || h.version > 2) throw new BloscFrameError(`unsupported Blosc format version ${h.version}`);
  if (h.cbytes > frame.length) throw new BloscFrameError(`header says cbytes ${h.cbytes} but the frame has ${frame.length} bytes`);
  const out = new Uint8Array(h.nbytes);
  if (h.flags & FLAG_MEMCPYED) {
    if (h.cbytes < h.nbytes + BLOSC_HEADER_SIZE) throw new BloscFrameError(`memcpyed frame of ${h.cbytes} bytes cannot hold ${h.nbytes} bytes`);
    out.set(frame.subarray(BLOSC_HEADER_SIZE, BLOSC_HEADER_SIZE + h.nbytes));
    return out;
  }
  const compressor = h.flags >>> 5;
  if (compressor !== ZSTD_FORMAT) throw new BloscFrameError(`compressor code ${compressor} is not zstd (4); only zstd frames are supported`);
  if (h.nbytes === 0) return out;
  if (h.blocksize === 0 || h.typesize === 0) throw new BloscFrameError(`blocksize ${h.blocksize} / typesize ${h.typesize} must be > 0`);
  const nblocks = Math.ceil(h.nbytes / h.blocksize);
  const leftover = h.nbytes % h.blocksize;
  if (BLOSC_HEADER_SIZE + 4 * nblocks > h.cbytes) throw new BloscFrameError(`${nblocks} block offsets do not fit in ${h.cbytes} bytes`);
  const byteShuffled = (h.flags & FLAG_SHUFFLE) !== 0 && h.typesize > 1;
  const bitShuffled = (h.flags & FLAG_BITSHUFFLE) !== 0;
  const dontSplit = (h.flags & FLAG_DONT_SPLIT) !== 0;
  const scratch = byteShuffled || bitShuffled ? new Uint8Array(h.blocksize) : null;
  const tmp = bitShuffled && h.typesize > 1 ? new Uint8Array(h.blocksize) : undefined;
  for (let j = 0; j < nblocks; j++) {
    const isLeftover = j === nblocks - 1 && leftover > 0;
    const bsize = isLeftover ? leftover : h.blocksize;
    const dst = out.subarray(j * h.blocksize, j * h.blocksize + bsize);
    const target = scratch ? scratch.subarray(0, bsize) : dst;
    const nsplits = !dontSplit && h.typesize <= MAX_SPLITS && h.blocksize / h.typesize >= MIN_BUFFERSIZE && !isLeftover ? h.typesize : 1;
    const neblock = bsize / nsplits;
    if (!Number.isInteger(neblock)) throw new BloscFrameError(`block ${j} of ${bsize} bytes does not split into ${nsplits} streams`);
    let pos = readU32(frame, BLOSC_HEADER_SIZE + 4 * j);
    for (let s = 0; s < nsplits; s++) {
      if (pos + 4 > h.cbytes) throw new BloscFrameError(`block ${j} stream ${s} starts past the frame end`);
      const cb = readU32(frame, pos) | 0;
      pos += 4;
      if (cb < 0 || pos + cb > h.cbytes) throw new BloscFrameError(`block ${j} stream ${s} of ${cb} bytes runs past the frame end`);
      const part = target.subarray(s * neblock, (s + 1) * neblock);
      if (cb === neblock) {
        part.set(frame.subarray(pos, pos + cb));
      } else {
        let got: number;
        try {
          got = zstdDecompressInto(part, frame.subarray(pos, pos + cb));
        } catch (err) {
          throw new BloscFrameError(`block ${j} stream ${s}: zstd: ${(err as Error).message}`, { cause: err });
        }
        if (got !== neblock) throw new BloscFrameError(`block ${j} stream ${s} decoded to ${got} bytes, expected ${neblock}`);
      }
      pos += cb;
    }
    if (scratch) {
      if (byteShuffled) byteUnshuffle(target, dst, h.typesize);
      else bitUnshuffle(target, dst, h.typesize, tmp);
    }
  }
  return out;
}
