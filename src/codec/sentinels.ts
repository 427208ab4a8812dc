/**
 * Named sentinel values of VCF Zarr (vcf-zarr-spec 0.4 §"Missing and fill
 * values"; bio2zarr `vcf.py`; vcztools `constants.py`). "Missing" is a value
 * the VCF wrote as `.`; "fill" pads a vector past its real length (htslib's
 * END_OF_VECTOR) and is never printed.
 */

/** Integer missing value (`.` in VCF). */
export const INT_MISSING = -1;
/** Integer fill value (padding past the end of a vector / ploidy). */
export const INT_FILL = -2;
/** Bit pattern of the float32 missing value: NaN 0x7F800001. */
export const FLOAT32_MISSING_BITS = 0x7f800001;
/** Bit pattern of the float32 fill value: NaN 0x7F800002. */
export const FLOAT32_FILL_BITS = 0x7f800002;
/** String missing value. */
export const STRING_MISSING = '.';
/** String fill value. */
export const STRING_FILL = '';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
u32[0] = FLOAT32_MISSING_BITS;
/** The float32 missing NaN as a JS number; write it into a Float32Array to keep the bits. */
export const FLOAT32_MISSING = f32[0]!;
u32[0] = FLOAT32_FILL_BITS;
/** The float32 fill NaN as a JS number. */
export const FLOAT32_FILL = f32[0]!;

/**
 * Note: a JS number round trip of a float32 NaN does not reliably keep its
 * payload. Code that must preserve the two NaN patterns copies bits
 * (Uint32Array views) instead of going through `number`.
 */
export function isFloat32MissingBits(bits: number): boolean {
  return bits === FLOAT32_MISSING_BITS;
}
