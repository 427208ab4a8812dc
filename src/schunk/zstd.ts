/**
 * The zstd codec behind chunk payloads.
 *
 * Compression needs the native codec (zstd-napi). Decompression uses it when
 * it loads and falls back to fzstd (pure JS) when it does not, so a depot
 * stays readable on a platform without a native build. Both are loaded
 * lazily, on first use.
 *
 * Decompression never trusts sizes found in the data: the output buffer is
 * exactly the raw length from the (checksummed) chunk header, which is itself
 * bounded by {@link MAX_RAW_LENGTH}, and the frame's declared content size
 * must equal it.
 */

import { createRequire } from 'node:module';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { ChunkCorruptionError, type ChunkLocation, ZstdUnavailableError } from './errors.ts';
import { MAX_RAW_LENGTH } from './format.ts';

/** Which decoder is in use: the native zstd-napi binding or the pure-JS fzstd fallback. */
export type ZstdBackend = 'native' | 'fzstd';

type Fzstd = typeof import('fzstd');

interface Native {
  readonly binding: typeof ZstdBinding;
  readonly cctx: ZstdBinding.CCtx;
  readonly dctx: ZstdBinding.DCtx;
  /** Compression level currently set on `cctx`. */
  level: number | undefined;
  /** Reused output buffer for compression (at most SCRATCH_KEEP bytes are kept). */
  scratch: Uint8Array<ArrayBuffer>;
}

/** Default zstd compression level for chunks. */
export const DEFAULT_ZSTD_LEVEL = 3;
const SCRATCH_KEEP = 64 << 20;
const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const IN_MEMORY: ChunkLocation = { file: '(in memory)', offset: 0 };

const require = createRequire(import.meta.url);
let native: Native | null | undefined; // undefined: not tried yet; null: failed to load
let nativeLoadError: unknown;
let fzstd: Fzstd | undefined;
let forced: ZstdBackend | undefined;

function loadNative(): Native | null {
  if (native !== undefined) return native;
  try {
    const binding = require('zstd-napi/binding') as typeof ZstdBinding;
    const cctx = new binding.CCtx();
    cctx.setParameter(binding.CParameter.contentSizeFlag, 1);
    cctx.setParameter(binding.CParameter.checksumFlag, 0); // the chunk header carries a CRC-32
    native = { binding, cctx, dctx: new binding.DCtx(), level: undefined, scratch: new Uint8Array(0) };
  } catch (err) {
    native = null;
    nativeLoadError = err;
  }
  return native;
}

function activeNative(): Native | null {
  return forced === 'fzstd' ? null : loadNative();
}

/** Reports the decoder in use: 'native' when zstd-napi loaded (and is not overridden), else 'fzstd'. */
export function zstdBackend(): ZstdBackend {
  return activeNative() ? 'native' : 'fzstd';
}

/**
 * Test hook: force the decoder. 'fzstd' also makes {@link compress} throw
 * as if the native codec were missing; `undefined` restores auto-selection.
 *
 * @throws Error when 'native' is asked for and zstd-napi cannot load
 */
export function _setZstdBackend(backend: ZstdBackend | undefined): void {
  if (backend === 'native' && !loadNative()) {
    throw new Error('the native zstd codec (zstd-napi) cannot be loaded', { cause: nativeLoadError });
  }
  forced = backend;
}

/**
 * Compresses `raw` into one zstd frame that records its content size, and
 * returns a fresh buffer holding `headroom` zero bytes followed by the frame
 * (so a caller can fill in a header without another copy).
 *
 * @param raw - bytes to compress; at most {@link MAX_RAW_LENGTH} bytes
 * @param level - zstd level (integer; out-of-range values are clamped by zstd)
 * @param headroom - bytes to leave before the frame
 * @throws {@link ZstdUnavailableError} when the native codec is not loaded
 * @throws RangeError for a non-integer level or an oversized input
 */
export function _compressWithHeadroom(raw: Uint8Array, level: number, headroom: number): Uint8Array<ArrayBuffer> {
  const n = activeNative();
  if (!n) {
    throw new ZstdUnavailableError('compress', {
      cause: forced === 'fzstd' ? new Error('fzstd backend forced by _setZstdBackend') : nativeLoadError,
    });
  }
  if (!Number.isInteger(level)) throw new RangeError(`zstd level must be an integer, got ${level}`);
  if (raw.length > MAX_RAW_LENGTH) {
    throw new RangeError(`chunk of ${raw.length} bytes exceeds the ${MAX_RAW_LENGTH}-byte limit; pack smaller chunks`);
  }
  if (n.level !== level) {
    n.cctx.setParameter(n.binding.CParameter.compressionLevel, level);
    n.level = level;
  }
  const need = headroom + n.binding.compressBound(raw.length);
  let dst = n.scratch;
  if (dst.length < need) {
    dst = new Uint8Array(need);
    if (need <= SCRATCH_KEEP) n.scratch = dst;
  }
  const written = n.cctx.compress2(dst.subarray(headroom, need), raw);
  if (headroom > 0) dst.fill(0, 0, headroom);
  return dst.slice(0, headroom + written);
}

/**
 * Compresses `raw` into one zstd frame carrying its content size.
 *
 * @param raw - bytes to compress; at most {@link MAX_RAW_LENGTH} bytes
 * @param level - zstd compression level (default 3)
 * @returns a fresh buffer with exactly the frame's bytes
 * @throws {@link ZstdUnavailableError} when the native codec is not loaded (there is no pure-JS encoder)
 */
export function compress(raw: Uint8Array, level: number = DEFAULT_ZSTD_LEVEL): Uint8Array<ArrayBuffer> {
  return _compressWithHeadroom(raw, level, 0);
}

/**
 * Reads the content size declared in a zstd frame header.
 * Returns the size in bytes, -1 when the frame omits it, -2 when `frame` does
 * not start with a zstd frame header.
 */
function declaredContentSize(frame: Uint8Array): number {
  if (frame.length < 6) return -2;
  const magic = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
  if (magic !== ZSTD_FRAME_MAGIC) return -2;
  const fhd = frame[4]!;
  if (fhd & 0x08) return -2; // reserved bit
  const fcsFlag = fhd >>> 6;
  const singleSegment = (fhd >>> 5) & 1;
  const dictIdFlag = fhd & 3;
  const pos = 5 + (singleSegment ? 0 : 1) + (dictIdFlag === 3 ? 4 : dictIdFlag);
  const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  if (fcsBytes === 0) return -1;
  if (frame.length < pos + fcsBytes) return -2;
  const dv = new DataView(frame.buffer, frame.byteOffset + pos, fcsBytes);
  switch (fcsBytes) {
    case 1:
      return dv.getUint8(0);
    case 2:
      return dv.getUint16(0, true) + 256;
    case 4:
      return dv.getUint32(0, true);
    default:
      return dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
  }
}

/**
 * Decompresses one zstd frame into a fresh buffer of exactly `rawLength`
 * bytes, never allocating more than that.
 *
 * @param frame - one complete zstd frame (the chunk payload)
 * @param rawLength - expected decompressed length in bytes, from the chunk header
 * @param where - file, offset and chunk for error messages
 * @param into - where to decompress to (exactly `rawLength` bytes, e.g. a
 *   slice of a larger arena); default a fresh buffer
 * @returns `into`, or a fresh ArrayBuffer-backed Uint8Array, byteOffset 0, length `rawLength`
 * @throws {@link ChunkCorruptionError} with reason 'raw length too large' (over {@link MAX_RAW_LENGTH}),
 *   'bad zstd frame', 'frame content size mismatch' (the frame declares another size, or none)
 *   or 'raw length mismatch' (the frame decodes to another size)
 */
export function decompress(
  frame: Uint8Array,
  rawLength: number,
  where: ChunkLocation = IN_MEMORY,
  into?: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  if (into !== undefined && into.length !== rawLength) {
    throw new RangeError(`output buffer of ${into.length} bytes given for a ${rawLength}-byte chunk`);
  }
  if (!Number.isInteger(rawLength) || rawLength < 0 || rawLength > MAX_RAW_LENGTH) {
    throw new ChunkCorruptionError(where, 'raw length too large', `${rawLength} bytes, limit ${MAX_RAW_LENGTH}`);
  }
  const declared = declaredContentSize(frame);
  if (declared === -2) {
    throw new ChunkCorruptionError(where, 'bad zstd frame', `payload of ${frame.length} bytes has no zstd frame header`);
  }
  if (declared !== rawLength) {
    throw new ChunkCorruptionError(
      where,
      'frame content size mismatch',
      `frame declares ${declared === -1 ? 'no content size' : `${declared} bytes`}, chunk header says ${rawLength}`,
    );
  }
  const n = activeNative();
  if (n) {
    // Every byte is overwritten (checked below), so skip zero-filling.
    const out = into ?? (new Uint8Array(Buffer.allocUnsafeSlow(rawLength).buffer, 0, rawLength) as Uint8Array<ArrayBuffer>);
    let got: number;
    try {
      got = n.dctx.decompress(out, frame);
    } catch (err) {
      throw new ChunkCorruptionError(where, 'bad zstd frame', (err as Error).message, { cause: err });
    }
    if (got !== rawLength) {
      throw new ChunkCorruptionError(where, 'raw length mismatch', `decoded ${got} bytes, expected ${rawLength}`);
    }
    return out;
  }
  fzstd ??= require('fzstd') as Fzstd;
  const out = into ?? new Uint8Array(rawLength);
  let res: Uint8Array;
  try {
    res = fzstd.decompress(frame, out);
  } catch (err) {
    throw new ChunkCorruptionError(where, 'bad zstd frame', (err as Error).message, { cause: err });
  }
  if (res !== out) {
    throw new ChunkCorruptionError(where, 'raw length mismatch', `decoded ${res.length} bytes, expected ${rawLength}`);
  }
  return out;
}
