/**
 * The vlen-utf8 codec of numcodecs (Zarr v2 filter `{"id":"vlen-utf8"}`)
 * and zarr-python (v3 codec `{"name":"vlen-utf8"}`): the same bytes in both.
 *
 * Layout: `u32le count`, then per item `u32le byte_length` + UTF-8 bytes, in
 * C order over the full chunk shape.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A reusable vlen-utf8 encoder whose output buffer grows to the largest chunk
 * seen (fewer allocations when encoding many chunks).
 */
export class VlenUtf8Encoder {
  private buf = new Uint8Array(1 << 12);

  /**
   * Encodes `items` (lone surrogates become U+FFFD, as TextEncoder does).
   *
   * @param items the chunk's strings in C order, `count` ≤ 2^32 − 1
   * @returns a view into this encoder's buffer, valid until the next call
   * @throws RangeError when the encoding would exceed 2^32 − 1 bytes
   */
  encode(items: readonly string[]): Uint8Array {
    const n = items.length;
    let cap = 4 + 4 * n;
    for (let i = 0; i < n; i++) cap += items[i]!.length * 3;
    if (cap > 0xffffffff) throw new RangeError(`vlen-utf8 chunk of ${cap} bytes exceeds 4 GiB`);
    if (this.buf.length < cap) this.buf = new Uint8Array(Math.max(cap, this.buf.length * 2));
    const buf = this.buf;
    writeU32(buf, 0, n);
    let pos = 4;
    for (let i = 0; i < n; i++) {
      const s = items[i]!;
      const at = pos;
      pos += 4;
      let len = 0;
      if (s.length > 0) {
        if (isAscii(s)) {
          for (let k = 0; k < s.length; k++) buf[pos + k] = s.charCodeAt(k);
          len = s.length;
        } else {
          len = encoder.encodeInto(s, buf.subarray(pos)).written;
        }
      }
      writeU32(buf, at, len);
      pos += len;
    }
    return buf.subarray(0, pos);
  }
}

function isAscii(s: string): boolean {
  if (s.length > 64) return false; // long strings: encodeInto is faster than a scan + copy
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) > 0x7f) return false;
  return true;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/**
 * Encodes strings as vlen-utf8 into a fresh buffer.
 *
 * @param items strings in C order over the chunk shape
 * @returns `u32le count` then `u32le byte_length` + UTF-8 bytes per item
 */
export function vlenUtf8Encode(items: readonly string[]): Uint8Array {
  return new VlenUtf8Encoder().encode(items).slice();
}

/**
 * Decodes vlen-utf8 bytes.
 *
 * @returns the strings, C order
 * @throws RangeError when the bytes are truncated, have trailing data, or an item is not valid UTF-8
 */
export function vlenUtf8Decode(bytes: Uint8Array): string[] {
  if (bytes.length < 4) throw new RangeError(`vlen-utf8: ${bytes.length} bytes cannot hold the item count`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true);
  if (4 + 4 * n > bytes.length) throw new RangeError(`vlen-utf8: ${n} items cannot fit in ${bytes.length} bytes`);
  const out = new Array<string>(n);
  let pos = 4;
  for (let i = 0; i < n; i++) {
    if (pos + 4 > bytes.length) throw new RangeError(`vlen-utf8: item ${i} length runs past the end`);
    const len = dv.getUint32(pos, true);
    pos += 4;
    if (pos + len > bytes.length) throw new RangeError(`vlen-utf8: item ${i} of ${len} bytes runs past the end`);
    try {
      out[i] = decoder.decode(bytes.subarray(pos, pos + len));
    } catch (err) {
      throw new RangeError(`vlen-utf8: item ${i} is not valid UTF-8`, { cause: err });
    }
    pos += len;
  }
  if (pos !== bytes.length) throw new RangeError(`vlen-utf8: ${bytes.length - pos} trailing bytes after ${n} items`);
  return out;
}
