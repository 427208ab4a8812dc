/** The version of this vczdepot (kept equal to package.json's by a test). */
export const VCZDEPOT_VERSION = '0.1.0';
