/**
 * The shuffle filters of Blosc-1 frames (./blosc.ts), applied to one block
 * at a time: c-blosc 1.21's byte shuffle (`shuffle_generic`) and bit shuffle
 * (`bitshuffle()` over bitshuffle's `bshuf_trans_bit_elem`), and their
 * inverses. Checked byte for byte against numcodecs in
 * `test/zarr/zarr.test.ts`.
 */
/**
 * Byte shuffle of one block (c-blosc `shuffle_generic`): byte j of element i
 * goes to `dst[j * n + i]` with n = ⌊src.length / typesize⌋ elements; the
 * trailing `src.length % typesize` bytes are copied unchanged. `dst` must be
 * at least `src.length` long and must not overlap `src`.
 */
export function byteShuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  const len = src.length;
  const n = Math.floor(len / typesize);
  if (typesize <= 1 || n === 0) {
    dst.set(src);
    return;
  }
  if (typesize === 2) {
    for (let i = 0, k = 0; i < n; i++, k += 2) {
      dst[i] = src[k]!;
      dst[n + i] = src[k + 1]!;
    }
  } else if (typesize === 4) {
    const n2 = 2 * n;
    const n3 = 3 * n;
    for (let i = 0, k = 0; i < n; i++, k += 4) {
      dst[i] = src[k]!;
      dst[n + i] = src[k + 1]!;
      dst[n2 + i] = src[k + 2]!;
      dst[n3 + i] = src[k + 3]!;
    }
  } else {
    for (let j = 0; j < typesize; j++) {
      const off = j * n;
      for (let i = 0, k = j; i < n; i++, k += typesize) dst[off + i] = src[k]!;
    }
  }
  const rem = len - n * typesize;
  if (rem > 0) dst.set(src.subarray(len - rem), len - rem);
}

/** Inverse of {@link byteShuffle}. */
export function byteUnshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  const len = src.length;
  const n = Math.floor(len / typesize);
  if (typesize <= 1 || n === 0) {
    dst.set(src);
    return;
  }
  if (typesize === 2) {
    for (let i = 0, k = 0; i < n; i++, k += 2) {
      dst[k] = src[i]!;
      dst[k + 1] = src[n + i]!;
    }
  } else if (typesize === 4) {
    const n2 = 2 * n;
    const n3 = 3 * n;
    for (let i = 0, k = 0; i < n; i++, k += 4) {
      dst[k] = src[i]!;
      dst[k + 1] = src[n + i]!;
      dst[k + 2] = src[n2 + i]!;
      dst[k + 3] = src[n3 + i]!;
    }
  } else {
    for (let j = 0; j < typesize; j++) {
      const off = j * n;
      for (let i = 0, k = j; i < n; i++, k += typesize) dst[k] = src[off + i]!;
    }
  }
  const rem = len - n * typesize;
  if (rem > 0) dst.set(src.subarray(len - rem), len - rem);
}

/**
 * Bit shuffle of `len` single bytes (len a multiple of 8): bit k of byte e
 * goes to bit (e & 7) of `dst[dOff + k * len/8 + (e >> 3)]`. This is
 * bitshuffle's `bshuf_trans_bit_elem` for 1-byte elements.
 */
function bitShuffleBytes(src: Uint8Array, sOff: number, dst: Uint8Array, dOff: number, len: number): void {
  const row = len >>> 3;
  const r1 = dOff + row;
  const r2 = r1 + row;
  const r3 = r2 + row;
  const r4 = r3 + row;
  const r5 = r4 + row;
  const r6 = r5 + row;
  const r7 = r6 + row;
  for (let g = 0, s = sOff; g < row; g++, s += 8) {
    let lo = src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24);
    let hi = src[s + 4]! | (src[s + 5]! << 8) | (src[s + 6]! << 16) | (src[s + 7]! << 24);
    if ((lo | hi) === 0) {
      dst[dOff + g] = 0;
      dst[r1 + g] = 0;
      dst[r2 + g] = 0;
      dst[r3 + g] = 0;
      dst[r4 + g] = 0;
      dst[r5 + g] = 0;
      dst[r6 + g] = 0;
      dst[r7 + g] = 0;
      continue;
    }
    // 8×8 bit-matrix transpose (bitshuffle's TRANS_BIT_8X8) on two 32-bit halves.
    // Written out here and in bitUnshuffleBytes on purpose: a shared helper
    // (results through module slots) made bit (un)shuffling 8–50% slower.
    let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
    lo = lo ^ t ^ (t << 7);
    t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
    hi = hi ^ t ^ (t << 7);
    t = (lo ^ (lo >>> 14)) & 0x0000cccc;
    lo = lo ^ t ^ (t << 14);
    t = (hi ^ (hi >>> 14)) & 0x0000cccc;
    hi = hi ^ t ^ (t << 14);
    t = (lo ^ (hi << 4)) & 0xf0f0f0f0;
    lo ^= t;
    hi ^= t >>> 4;
    dst[dOff + g] = lo;
    dst[r1 + g] = lo >>> 8;
    dst[r2 + g] = lo >>> 16;
    dst[r3 + g] = lo >>> 24;
    dst[r4 + g] = hi;
    dst[r5 + g] = hi >>> 8;
    dst[r6 + g] = hi >>> 16;
    dst[r7 + g] = hi >>> 24;
  }
}

/** Inverse of {@link bitShuffleBytes}. */
function bitUnshuffleBytes(src: Uint8Array, sOff: number, dst: Uint8Array, dOff: number, len: number): void {
  const row = len >>> 3;
  const r1 = sOff + row;
  const r2 = r1 + row;
  const r3 = r2 + row;
  const r4 = r3 + row;
  const r5 = r4 + row;
  const r6 = r5 + row;
  const r7 = r6 + row;
  for (let g = 0, d = dOff; g < row; g++, d += 8) {
    let lo = src[sOff + g]! | (src[r1 + g]! << 8) | (src[r2 + g]! << 16) | (src[r3 + g]! << 24);
    let hi = src[r4 + g]! | (src[r5 + g]! << 8) | (src[r6 + g]! << 16) | (src[r7 + g]! << 24);
    if ((lo | hi) !== 0) {
      let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
      lo = lo ^ t ^ (t << 7);
      t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
      hi = hi ^ t ^ (t << 7);
      t = (lo ^ (lo >>> 14)) & 0x0000cccc;
      lo = lo ^ t ^ (t << 14);
      t = (hi ^ (hi >>> 14)) & 0x0000cccc;
      hi = hi ^ t ^ (t << 14);
      t = (lo ^ (hi << 4)) & 0xf0f0f0f0;
      lo ^= t;
      hi ^= t >>> 4;
    }
    dst[d] = lo;
    dst[d + 1] = lo >>> 8;
    dst[d + 2] = lo >>> 16;
    dst[d + 3] = lo >>> 24;
    dst[d + 4] = hi;
    dst[d + 5] = hi >>> 8;
    dst[d + 6] = hi >>> 16;
    dst[d + 7] = hi >>> 24;
  }
}

/**
 * Bit shuffle of one block as c-blosc 1.21 does it (`bitshuffle()` in
 * `shuffle.c` over bitshuffle's `bshuf_trans_bit_elem`): when the block's
 * n = src.length / typesize elements are a multiple of 8, bit k of byte j of
 * element e lands in bit (e & 7) of `dst[(j * 8 + k) * n/8 + (e >> 3)]`;
 * otherwise the whole block is copied unchanged (c-blosc's rule, which
 * numcodecs' decoder mirrors). `tmp` (≥ src.length bytes) is scratch for
 * typesize > 1.
 */
export function bitShuffle(src: Uint8Array, dst: Uint8Array, typesize: number, tmp?: Uint8Array): void {
  bitTranspose(src, dst, typesize, tmp, false);
}

/** Inverse of {@link bitShuffle}. */
export function bitUnshuffle(src: Uint8Array, dst: Uint8Array, typesize: number, tmp?: Uint8Array): void {
  bitTranspose(src, dst, typesize, tmp, true);
}

/**
 * {@link bitShuffle} (`inverse` false) or its inverse: for typesize > 1 the
 * bit transpose of each byte plane goes with a byte shuffle, after it when
 * shuffling and before it when unshuffling.
 */
function bitTranspose(src: Uint8Array, dst: Uint8Array, typesize: number, tmp: Uint8Array | undefined, inverse: boolean): void {
  const len = src.length;
  const m = len / typesize;
  if (m % 8 !== 0 || m === 0) {
    dst.set(src);
    return;
  }
  const planes = inverse ? bitUnshuffleBytes : bitShuffleBytes;
  if (typesize === 1) {
    planes(src, 0, dst, 0, m);
    return;
  }
  const t = tmp && tmp.length >= len ? tmp : new Uint8Array(len);
  if (inverse) {
    for (let j = 0; j < typesize; j++) planes(src, j * m, t, j * m, m);
    byteUnshuffle(t.subarray(0, len), dst, typesize);
  } else {
    byteShuffle(src.subarray(0, len), t, typesize);
    for (let j = 0; j < typesize; j++) planes(t, j * m, dst, j * m, m);
  }
}
