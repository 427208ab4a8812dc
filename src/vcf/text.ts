/**
 * Byte-level parsing helpers of the VCF reader: the bytes of a data line
 * are parsed where they lie in the decompressed buffer, without a string
 * per column where that can be avoided.
 */
import { FLOAT32_MISSING_BITS } from '../codec/index.ts';

/** ASCII bytes the parsers look for. */
export const TAB = 9;
export const COMMA = 44;
export const COLON = 58;
export const DOT = 46;
export const SLASH = 47;
export const PIPE = 124;
export const MINUS = 45;
export const PLUS = 43;
export const ZERO = 48;
export const NINE = 57;

/** Scratch for float32 bit patterns. */
export const f32 = new Float32Array(1);
export const u32 = new Uint32Array(f32.buffer);
const FLOAT_RE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)$/i;
/** The int32 range a VCF Integer may take: htslib reserves INT32_MIN .. INT32_MIN + 7 for its sentinels. */
export const INT32_LOW = -2147483640;
export const INT32_HIGH = 2147483647;

/** Parses a decimal integer in buf[a, b); returns NaN when it is not one. */
export function parseIntBytes(buf: Buffer, a: number, b: number): number {
  let i = a;
  let neg = false;
  if (i < b && (buf[i] === MINUS || buf[i] === PLUS)) {
    neg = buf[i] === MINUS;
    i++;
  }
  if (i >= b) return NaN;
  let x = 0;
  for (; i < b; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return NaN;
    x = x * 10 + (c - ZERO);
  }
  return neg ? -x : x;
}

/** True when buf[a, b) are all ASCII digits (and a < b). */
export function allDigits(buf: Buffer, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return false;
  }
  return a < b;
}

/** True when buf[a, b) holds exactly the bytes of `x`. */
export function bytesEqual(buf: Buffer, a: number, b: number, x: Uint8Array): boolean {
  if (b - a !== x.length) return false;
  for (let i = 0; i < x.length; i++) if (buf[a + i] !== x[i]) return false;
  return true;
}

/** One-character strings of the ASCII bytes (REF/ALT bases, `.`), made once. */
const ASCII_CHARS: readonly string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/** buf[a, b) as UTF-8 text; single ASCII bytes without a call into the Buffer code. */
export function bytesText(buf: Buffer, a: number, b: number): string {
  if (b - a === 1) {
    const c = buf[a]!;
    if (c < 128) return ASCII_CHARS[c]!;
  }
  return buf.toString('utf8', a, b);
}

/** Float32 bit pattern of the decimal in `s`; NaN input → the missing pattern; undefined if not a number. */
export function floatBits(s: string): number | undefined {
  if (!FLOAT_RE.test(s)) return undefined;
  const lower = s.toLowerCase();
  let x: number;
  if (lower.endsWith('nan')) return FLOAT32_MISSING_BITS;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) x = s.startsWith('-') ? -Infinity : Infinity;
  else x = Number(s);
  f32[0] = x;
  return u32[0]!;
}

/** The first character (code point) of `s`, as numpy's `<U1` keeps it; `''` stays `''`. */
export function firstChar(s: string): string {
  if (s.length <= 1) return s;
  const c = s.codePointAt(0)!;
  return String.fromCodePoint(c);
}
