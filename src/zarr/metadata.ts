/**
 * Zarr metadata as zarr-python 3.1 writes it for bio2zarr
 * (`docs/vcz-format.md`, "Store layout"): the array specs and dtypes the
 * writer (./store.ts) takes, `.zarray`/`.zattrs`/`.zgroup` (format 2) and
 * `zarr.json` (format 3) documents byte for byte (Python's `json.dumps`
 * with indent 2), and chunk keys.
 */
import type { BloscShuffle } from './blosc.ts';

/**
 * Element types the writer supports. `str` is a variable-length UTF-8 string
 * (v2 `"|O"` + vlen-utf8, v3 `"string"`); `char` is one Unicode character
 * (v2 `"<U1"`, v3 `fixed_length_utf32` of 4 bytes; "" is stored as 0).
 */
export type ZarrDtype = 'bool' | 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'str' | 'char';

/** Compressor of an array: Blosc (zstd inside) as bio2zarr writes, or plain zstd. */
export type ZarrCompressor =
  | { readonly id: 'blosc'; readonly cname: 'zstd'; readonly clevel: number; readonly shuffle: BloscShuffle }
  | { readonly id: 'zstd'; readonly level: number };

/** Description of one array to create. */
export interface ZarrArraySpec {
  /** Path inside the store, e.g. `call_genotype`; segments of `[A-Za-z0-9_.-]`, not starting with `.`. */
  readonly name: string;
  readonly dtype: ZarrDtype;
  /** Array shape; every entry an integer ≥ 0. */
  readonly shape: readonly number[];
  /** Chunk shape, same rank as `shape`, every entry ≥ 1. */
  readonly chunks: readonly number[];
  /** One name per dimension (v2 `_ARRAY_DIMENSIONS`, v3 `dimension_names`). */
  readonly dimensionNames: readonly string[];
  /** Array attributes written after the dimension names (e.g. `{description: ...}`), in this key order. */
  readonly attributes?: Readonly<Record<string, unknown>>;
  /**
   * 'null': v2 `fill_value: null` (bio2zarr's schema arrays; xarray then
   * applies no mask). 'default': zarr-python's default fill (0, 0.0, false,
   * ""). Format 3 always writes the default.
   */
  readonly fillValue: 'null' | 'default';
  readonly compressor: ZarrCompressor;
}

/** Bytes per element of each dtype (1 for `str`: zarr-python's typesize of vlen strings). */
export const ITEMSIZE: Record<ZarrDtype, number> = { bool: 1, int8: 1, int16: 2, int32: 4, int64: 8, float32: 4, float64: 8, str: 1, char: 4 };
const V2_DTYPE: Record<ZarrDtype, string> = { bool: '|b1', int8: '|i1', int16: '<i2', int32: '<i4', int64: '<i8', float32: '<f4', float64: '<f8', str: '|O', char: '<U1' };
const V3_DTYPE: Record<ZarrDtype, unknown> = {
  bool: 'bool',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  float32: 'float32',
  float64: 'float64',
  str: 'string',
  char: { name: 'fixed_length_utf32', configuration: { length_bytes: 4 } },
};
const BLOSC_SHUFFLE_V3 = ['noshuffle', 'shuffle', 'bitshuffle'] as const;


// ------------------------------------------------------------------- JSON

/** A float written with a decimal point (Python's `0.0`), for JSON output. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

/**
 * Serialises `value` exactly as Python's `json.dumps(value, indent=2,
 * allow_nan=True)` does (what zarr-python writes): 2-space indentation,
 * `", "`-free separators, non-ASCII and DEL escaped as `\uXXXX`, empty
 * containers as `[]`/`{}`, NaN/Infinity bare. Integers are written as
 * integers; wrap a number in {@link JsonFloat} to force `1.0` style.
 */
export function pythonJson(value: unknown, indent = 2): string {
  return dump(value, indent, 0);
}

/**
 * Serialises `value` as Python's `json.dumps(value, allow_nan=True)` does
 * without indent (what zarr-python writes to `.zmetadata`): one line,
 * separators `", "` and `": "`, the same escapes and floats as {@link pythonJson}.
 */
export function pythonJsonCompact(value: unknown): string {
  return dump(value, null, 0);
}

function dump(v: unknown, indent: number | null, level: number): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof JsonFloat) return pyFloat(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return pyString(v);
  const pad = indent === null ? '' : '\n' + ' '.repeat(indent * (level + 1));
  const end = indent === null ? '' : '\n' + ' '.repeat(indent * level);
  const sep = indent === null ? ', ' : ',';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + v.map((x) => pad + dump(x, indent, level + 1)).join(sep) + end + ']';
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return '{' + entries.map(([k, x]) => pad + pyString(k) + ': ' + dump(x, indent, level + 1)).join(sep) + end + '}';
}

function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return (Object.is(x, -0) ? '-0' : String(x)) + '.0';
  const s = String(x);
  // Python repr uses 'e-05' / 'e+16' where JS writes 'e-5' / 'e+16'.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

// ------------------------------------------------------------------ metadata

function fillValue(spec: ZarrArraySpec, format: 2 | 3): unknown {
  if (format === 2 && spec.fillValue === 'null') return null;
  switch (spec.dtype) {
    case 'bool':
      return false;
    case 'float32':
    case 'float64':
      return new JsonFloat(0);
    case 'str':
    case 'char':
      return '';
    default:
      return 0;
  }
}

function v2Compressor(c: ZarrCompressor): unknown {
  if (c.id === 'blosc') return { id: 'blosc', cname: c.cname, clevel: c.clevel, shuffle: c.shuffle, blocksize: 0 };
  return { id: 'zstd', level: c.level };
}

function v3Codecs(spec: ZarrArraySpec): unknown[] {
  const codecs: unknown[] = [];
  const itemsize = ITEMSIZE[spec.dtype];
  if (spec.dtype === 'str') codecs.push({ name: 'vlen-utf8', configuration: {} });
  else if (itemsize > 1) codecs.push({ name: 'bytes', configuration: { endian: 'little' } });
  else codecs.push({ name: 'bytes' });
  const c = spec.compressor;
  if (c.id === 'blosc') {
    codecs.push({
      name: 'blosc',
      configuration: { typesize: itemsize, cname: c.cname, clevel: c.clevel, shuffle: BLOSC_SHUFFLE_V3[c.shuffle], blocksize: 0 },
    });
  } else {
    codecs.push({ name: 'zstd', configuration: { level: c.level, checksum: false } });
  }
  return codecs;
}

/**
 * The metadata files of an array, as zarr-python writes them: format 2
 * `.zarray` and `.zattrs`, format 3 `zarr.json`.
 *
 * @returns map from file name (relative to the array's directory) to its text
 */
export function arrayMetadata(spec: ZarrArraySpec, format: 2 | 3): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, doc] of arrayMetadataDocuments(spec, format)) files.set(name, pythonJson(doc));
  return files;
}

/**
 * The documents of {@link arrayMetadata} before serialisation (floats as
 * {@link JsonFloat}), in zarr-python's key order: what consolidated metadata
 * embeds.
 */
export function arrayMetadataDocuments(spec: ZarrArraySpec, format: 2 | 3): Map<string, Record<string, unknown>> {
  const files = new Map<string, Record<string, unknown>>();
  if (format === 2) {
    files.set(
      '.zarray',
      ({
        shape: [...spec.shape],
        chunks: [...spec.chunks],
        dtype: V2_DTYPE[spec.dtype],
        fill_value: fillValue(spec, 2),
        order: 'C',
        filters: spec.dtype === 'str' ? [{ id: 'vlen-utf8' }] : null,
        dimension_separator: '.',
        compressor: v2Compressor(spec.compressor),
        zarr_format: 2,
      }),
    );
    files.set('.zattrs', { _ARRAY_DIMENSIONS: [...spec.dimensionNames], ...(spec.attributes ?? {}) });
  } else {
    files.set(
      'zarr.json',
      ({
        shape: [...spec.shape],
        data_type: V3_DTYPE[spec.dtype],
        chunk_grid: { name: 'regular', configuration: { chunk_shape: [...spec.chunks] } },
        chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
        fill_value: fillValue(spec, 3),
        codecs: v3Codecs(spec),
        attributes: { ...(spec.attributes ?? {}) },
        dimension_names: [...spec.dimensionNames],
        zarr_format: 3,
        node_type: 'array',
        storage_transformers: [],
      }),
    );
  }
  return files;
}

/**
 * The root group's metadata files: format 2 `.zgroup` + `.zattrs`, format 3
 * `zarr.json` (attributes first, as zarr-python writes them).
 */
export function groupMetadata(attributes: Readonly<Record<string, unknown>>, format: 2 | 3): Map<string, string> {
  const files = new Map<string, string>();
  if (format === 2) {
    files.set('.zgroup', pythonJson({ zarr_format: 2 }));
    files.set('.zattrs', pythonJson(attributes));
  } else {
    files.set('zarr.json', pythonJson({ attributes, zarr_format: 3, node_type: 'group' }));
  }
  return files;
}

/** The store key of chunk `coords` of array `name`: v2 `name/0.1`, v3 `name/c/0/1`. */
export function chunkKey(name: string, coords: readonly number[], format: 2 | 3): string {
  if (format === 2) return `${name}/${coords.length ? coords.join('.') : '0'}`;
  return `${name}/c${coords.length ? '/' + coords.join('/') : ''}`;
}

/**
 * Consolidated metadata of a root group whose children are all arrays, as
 * zarr-python 3.1.6 `zarr.consolidate_metadata` writes it (children sorted by
 * case-folded name):
 * * format 2: `.zmetadata`, one line (`json.dumps` without indent):
 *   `{"metadata": {".zgroup", ".zattrs", then per array "<a>/.zattrs",
 *   "<a>/.zarray"}, "zarr_consolidated_format": 1}`;
 * * format 3: the root `zarr.json` with `consolidated_metadata: {kind:
 *   "inline", must_understand: false, metadata: {<a>: <a's zarr.json>}}`
 *   between `zarr_format` and `node_type`.
 *
 * @returns [file name at the store root, its text]
 * @throws RangeError for a nested array name (with `/`): not supported
 */
export function consolidatedMetadata(attributes: Readonly<Record<string, unknown>>, arrays: readonly ZarrArraySpec[], format: 2 | 3): [string, string] {
  // zarr-python's order (ConsolidatedMetadata.to_dict): by NFKC-casefolded name, which for
  // the ASCII names a store holds is the lower-cased name; names equal but for case (which
  // zarr-python leaves in directory-listing order) in code-point order.
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const sorted = [...arrays].sort((a, b) => cmp(a.name.normalize('NFKC').toLowerCase(), b.name.normalize('NFKC').toLowerCase()) || cmp(a.name, b.name));
  for (const a of sorted) if (a.name.includes('/')) throw new RangeError(`consolidated metadata of nested array ${a.name} is not supported`);
  if (format === 2) {
    const metadata: Record<string, unknown> = { '.zgroup': { zarr_format: 2 }, '.zattrs': attributes };
    for (const a of sorted) {
      const docs = arrayMetadataDocuments(a, 2);
      metadata[`${a.name}/.zattrs`] = docs.get('.zattrs');
      metadata[`${a.name}/.zarray`] = docs.get('.zarray');
    }
    return ['.zmetadata', pythonJsonCompact({ metadata, zarr_consolidated_format: 1 })];
  }
  const metadata: Record<string, unknown> = {};
  for (const a of sorted) metadata[a.name] = arrayMetadataDocuments(a, 3).get('zarr.json');
  return ['zarr.json', pythonJson({ attributes, zarr_format: 3, consolidated_metadata: { kind: 'inline', must_understand: false, metadata }, node_type: 'group' })];
}
