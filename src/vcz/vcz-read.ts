/**
 * VCZ import: read a VCF Zarr store written by bio2zarr (a directory or a
 * `.vcz.zip`, Zarr format 2 or 3) into our data model (`VariantSet` plus one
 * `SampleCalls` per sample). Layout, dtypes, dims and sentinels follow
 * docs/vcz-format.md, "Reading a VCZ (import)"; header definitions are rebuilt
 * from arrays the way vcztools does (docs/vcz-format.md, "What vcztools expects").
 *
 * The reading is in three layers: read-store.ts opens the store and reads
 * its keys with size checks (zip entries, Blosc / zstd frame headers),
 * read-meta.ts parses and checks every array's metadata (shapes against each
 * other and against the memory budget) before any chunk is read, and
 * read-arrays.ts reads an array whole through zarrita. This module builds
 * the variant set and the per-sample calls from the arrays.
 */

import { type FieldValues, FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, type FormatFieldDef, type InfoColumn, type InfoFieldDef, type InfoType, type IntArray, type SampleCalls, STRING_MISSING, type VariantSet, type VcfNumber, type VcfType } from '../codec/index.ts';
import { bitView, type Dense, loadZarrita, readDense } from './read-arrays.ts';
import { type ArrayMeta, checkDimensions, checkMemory, checkVczShapes, defaultBudgets, readArrayMeta } from './read-meta.ts';
import { errorText, getJson, isRecord, openStore } from './read-store.ts';
import type { VcfData } from '../vcf/index.ts';
import { VczInvalidError, VczNotAStoreError } from './vcz-errors.ts';



/**
 * A VCF Zarr store read into memory: the variant set, the sample IDs (null
 * samples `""` dropped, as vcztools), `calls(i)` for `sampleIds[i]` (fresh
 * arrays each call; RangeError outside `0 ≤ i < sampleIds.length`) and
 * `source` (root attribute `source`, `""` when absent). The same type as
 * `VcfData` of VCF import.
 */
export type VczData = VcfData;

// ---------------------------------------------------------------------------
// Conversions to the data model

/** Integer data as Int8/16/32Array: signed ≤ 32-bit kept as stored, others narrowed to Int32 when they fit. */
function toIntArray(path: string, a: Dense): IntArray {
  if (a.kind !== 'int') throw new VczInvalidError(path, a.name, `expected an integer array, found dtype ${a.dtype}`);
  const d = a.data;
  if (d instanceof Int8Array || d instanceof Int16Array || d instanceof Int32Array) return d;
  if (d instanceof Uint8Array) return Int16Array.from(d);
  if (d instanceof Uint16Array) return Int32Array.from(d);
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    const n = typeof v === 'bigint' ? v : BigInt(v);
    if (n < -2147483648n || n > 2147483647n) {
      throw new VczInvalidError(path, a.name, `value ${n} at flat index ${i} does not fit in Int32 (dtype ${a.dtype})`);
    }
    out[i] = Number(n);
  }
  return out;
}

function toInt32(path: string, a: Dense): Int32Array {
  const x = toIntArray(path, a);
  return x instanceof Int32Array ? x : Int32Array.from(x);
}

/** Float data as Float32Array, bit-preserving; float64 sentinels map to the float32 ones. */
function toFloat32(path: string, a: Dense): Float32Array {
  if (a.kind !== 'float') throw new VczInvalidError(path, a.name, `expected a float array, found dtype ${a.dtype}`);
  const d = a.data;
  if (d instanceof Float32Array) return d;
  const out = new Float32Array(d.length);
  const outBits = new Uint32Array(out.buffer);
  const inBits = new BigUint64Array(d.buffer, d.byteOffset, d.length);
  for (let i = 0; i < d.length; i++) {
    const b = inBits[i]!;
    if (b === 0x7ff0000000000001n) outBits[i] = FLOAT32_MISSING_BITS;
    else if (b === 0x7ff0000000000002n) outBits[i] = FLOAT32_FILL_BITS;
    else out[i] = d[i]!;
  }
  return out;
}

function strings(path: string, a: Dense): string[] {
  if (a.kind !== 'str' && a.kind !== 'char') throw new VczInvalidError(path, a.name, `expected a string array, found dtype ${a.dtype}`);
  return a.data;
}

function vcfTypeOf(a: Dense): InfoType {
  switch (a.kind) {
    case 'bool':
      return 'Flag';
    case 'int':
      return 'Integer';
    case 'float':
      return 'Float';
    case 'char':
      return 'Character';
    case 'str':
      return 'String';
  }
}

/**
 * Number from the trailing dim (vcztools' rule): no trailing dim → 1 (Flag → 0);
 * `alt_alleles` → A, `alleles` → R, `genotypes` → G, `INFO_<ID>_dim` /
 * `FORMAT_<ID>_dim` → its size; any other name (e.g. `local_alleles`) → `.`.
 */
function numberOf(a: Dense, baseRank: number, type: InfoType): VcfNumber {
  if (a.shape.length === baseRank) return type === 'Flag' ? 0 : 1;
  const dim = a.dims[baseRank]!;
  if (dim === 'alt_alleles') return 'A';
  if (dim === 'alleles') return 'R';
  if (dim === 'genotypes') return 'G';
  if (/^(INFO|FORMAT)_.+_dim$/.test(dim)) return a.shape[baseRank]!;
  return '.';
}

function description(a: Dense): string {
  const d = a.attrs.description;
  return typeof d === 'string' ? d : '';
}

/** Copies sample column `s` of a [variants, samples, width] typed array into a new array of the same type. */
function gatherTyped<T extends Int8Array | Int16Array | Int32Array | Float32Array | Uint8Array>(
  src: T,
  numVariants: number,
  numSamples: number,
  s: number,
  width: number,
): T {
  const ctor = src.constructor as new (n: number) => T;
  const out = new ctor(numVariants * width);
  const o = bitView(out) as Uint8Array;
  const i = bitView(src) as Uint8Array;
  if (width === 1) {
    for (let v = 0, p = s; v < numVariants; v++, p += numSamples) o[v] = i[p]!;
  } else {
    const rowStep = numSamples * width;
    for (let v = 0, p = s * width, q = 0; v < numVariants; v++, p += rowStep) {
      for (let k = 0; k < width; k++) o[q++] = i[p + k]!;
    }
  }
  return out;
}

function gatherStrings(src: readonly string[], numVariants: number, numSamples: number, s: number, width: number): string[] {
  const out = new Array<string>(numVariants * width);
  const rowStep = numSamples * width;
  for (let v = 0, p = s * width, q = 0; v < numVariants; v++, p += rowStep) {
    for (let k = 0; k < width; k++) out[q++] = src[p + k]!;
  }
  return out;
}

// ---------------------------------------------------------------------------
// readVcz

const REQUIRED = ['variant_position', 'sample_id', 'contig_id', 'variant_contig', 'variant_allele'] as const;
const FIXED_VARIANT = new Set(['contig', 'position', 'length', 'id', 'id_mask', 'allele', 'quality', 'filter']);
const GT_ARRAYS = new Set(['call_genotype', 'call_genotype_phased', 'call_genotype_mask']);
const isMaskOrFill = (name: string): boolean => name.endsWith('_mask') || name.endsWith('_fill');
/** The fixed arrays readVcz reads (when present), besides INFO and FORMAT fields. */
const IMPORTED = [
  'contig_id', 'contig_length', 'filter_id', 'filter_description', 'variant_position', 'variant_contig', 'variant_length',
  'variant_id', 'variant_allele', 'variant_quality', 'variant_filter', 'sample_id', 'call_genotype', 'call_genotype_phased',
];

/** Options of {@link readVcz}. */
export interface ReadVczOptions {
  /**
   * Bytes the arrays read whole may take (numbers: elements × dtype size;
   * strings: 16 bytes an element, also held against half of V8's heap
   * limit). Default: half of `os.totalmem()`. A store needing more is
   * refused with VczTooLargeError before any chunk is read.
   */
  readonly memoryBudget?: number;
}

/**
 * Reads a VCF Zarr store written by bio2zarr (vcf-zarr-spec 0.4; a directory
 * or a `.zip` of one; Zarr format 2 or 3) wholly into memory.
 *
 * Result (V = `variant_position` length, S = non-null samples):
 * - `variantSet.contigs` from `contig_id` (+ `contig_length` when present);
 *   `filters` from `filter_id` + `filter_description` (`""` if absent).
 * - `contig`, `position`, `length`: Int32Array [V] from any integer dtype
 *   (`variant_length` absent → len(REF)); `id`: `variant_id` with `""` → `.`
 *   (absent → all `.`); `alleles`: `variant_allele` rows minus trailing `""`
 *   (REF always kept); `quality`: Float32Array [V] bit for bit (absent → all
 *   0x7F800001); `filter`: Uint8Array [V, filters] 0/1 (absent → PASS set,
 *   as vcztools).
 * - `info`: every `variant_<ID>` other than the fixed ones and `*_mask` /
 *   `*_fill`, sorted by name; type from dtype (bool Flag, int Integer, float
 *   Float, `U1`/`S1` Character, other strings String); Number from the
 *   trailing dim (see `numberOf`); width = trailing dim size or 1; values
 *   Int8/16/32Array as stored (uint/int64 narrowed to Int32 when they fit),
 *   Float32Array (float64 converted, sentinels kept), Uint8Array for Flag,
 *   string[] for String/Character.
 * - `format`: every `call_<ID>` other than `call_genotype`, `_phased`,
 *   `_mask` and `*_mask` / `*_fill`, sorted, typed likewise (no Flag);
 *   `hasGenotype` = `call_genotype` exists.
 * - `metaInformation` = root attr `vcf_meta_information`; `source` = root attr
 *   `source` or `""`.
 * - `sampleIds`: `sample_id` minus `""` (null samples); `calls(i)` gives
 *   `ploidy` = trailing dim of `call_genotype` (0 without it), `genotype`
 *   Int8/16/32Array [V, ploidy], `phased` Uint8Array [V] (0 when
 *   `call_genotype_phased` is absent), and one FieldValues [V, width] per
 *   FORMAT field (typed as in `info`, floats bit for bit).
 *
 * Absent chunks read as the fill value (bio2zarr's `null` → 0 / false / "").
 * Every array is read once; `calls(i)` gathers sample i's column from memory.
 *
 * Errors: VczNotAStoreError (path missing, not a directory or zip, no Zarr
 * group, or missing required arrays — `missing` lists them);
 * VczUnsafeZipEntryError (a zip entry with `..`, an absolute or drive path;
 * raised after reading only the central directory); VczInvalidError (bad
 * metadata, undecodable chunk, unsupported dtype, inconsistent shapes, Int64
 * beyond Int32, contig index out of range, malformed root attributes; a
 * dimension name with two sizes; a chunk frame — Blosc-1 header or zstd
 * Frame_Content_Size — declaring another size than its chunk shape needs, or
 * truncated; a zip entry inflating to another size than its headers say:
 * `array` and `chunk` name where); VczTooLargeError (the imported arrays
 * would need more than `options.memoryBudget`, default half of
 * `os.totalmem()`). All shape and budget checks run before any chunk is
 * read (docs/vcz-format.md, "Checks before reading").
 */
export async function readVcz(path: string, options: ReadVczOptions = {}): Promise<VczData> {
  const storage = await import('@zarrita/storage');
  await loadZarrita();
  const { store, arrayNames } = await openStore(path, storage);

  // Group metadata and format.
  let zarrFormat: 2 | 3 | undefined;
  let rootAttrs: Record<string, unknown> = {};
  try {
    if (await store.has('/.zgroup')) {
      zarrFormat = 2;
      const attrs = await getJson(store, '.zattrs');
      if (attrs !== undefined) {
        if (!isRecord(attrs)) throw new Error('.zattrs is not a JSON object');
        rootAttrs = attrs;
      }
    } else {
      const meta = await getJson(store, 'zarr.json');
      if (isRecord(meta) && meta.zarr_format === 3 && meta.node_type === 'group') {
        zarrFormat = 3;
        if (meta.attributes !== undefined) {
          if (!isRecord(meta.attributes)) throw new Error('zarr.json attributes is not a JSON object');
          rootAttrs = meta.attributes;
        }
      }
    }
  } catch (err) {
    throw new VczInvalidError(path, undefined, `unreadable group metadata (${errorText(err)})`, { cause: err });
  }
  const present = new Set(arrayNames);
  const missing: string[] = [];
  if (zarrFormat === undefined) missing.push('Zarr group metadata (.zgroup or zarr.json)');
  for (const name of REQUIRED) if (!present.has(name)) missing.push(name);
  if (zarrFormat === undefined || missing.length > 0) {
    throw new VczNotAStoreError(path, missing, zarrFormat === undefined ? 'no Zarr group' : 'required arrays are absent');
  }

  // ---- Every array's metadata, checked before any chunk is read
  const zf = zarrFormat;
  const metaList: ArrayMeta[] = await Promise.all(arrayNames.map((name) => readArrayMeta(path, store, zf, name)));
  const metas = new Map(metaList.map((m) => [m.name, m]));
  const infoNames = arrayNames.filter(
    (n) => n.startsWith('variant_') && !FIXED_VARIANT.has(n.slice('variant_'.length)) && !isMaskOrFill(n),
  );
  const formatNames = arrayNames.filter((n) => n.startsWith('call_') && !GT_ARRAYS.has(n) && !isMaskOrFill(n));
  const imported = [...IMPORTED, ...infoNames, ...formatNames].filter((n) => metas.has(n));
  checkDimensions(path, metaList);
  const { numVariants, numSamples: numStoreSamples } = checkVczShapes(path, (n) => metas.get(n), infoNames, formatNames);
  checkMemory(path, imported.map((n) => metas.get(n)!), defaultBudgets(options.memoryBudget));

  const read = (name: string): Promise<Dense> => readDense(path, store, zf, metas.get(name)!);
  const readOpt = (name: string): Promise<Dense | undefined> => (present.has(name) ? read(name) : Promise.resolve(undefined));

  // ---- Variant set
  const [contigId, contigLength, filterId, filterDesc, posArr, contigArr, lengthArr, idArr, alleleArr, qualArr, filterArr, sampleArr] =
    await Promise.all([
      read('contig_id'),
      readOpt('contig_length'),
      readOpt('filter_id'),
      readOpt('filter_description'),
      read('variant_position'),
      read('variant_contig'),
      readOpt('variant_length'),
      readOpt('variant_id'),
      read('variant_allele'),
      readOpt('variant_quality'),
      readOpt('variant_filter'),
      read('sample_id'),
    ]);

  const contigIds = strings(path, contigId);
  let lengths: Int32Array | undefined;
  if (contigLength !== undefined) {
    lengths = toInt32(path, contigLength);
  }
  const contigs = contigIds.map((id, i) => (lengths !== undefined ? { id, length: lengths[i]! } : { id }));

  let filterIds: string[] = [];
  if (filterId !== undefined) {
    filterIds = strings(path, filterId);
  }
  let filterDescs: string[] = filterIds.map(() => '');
  if (filterDesc !== undefined) {
    filterDescs = strings(path, filterDesc);
  }
  const filters = filterIds.map((id, i) => ({ id, description: filterDescs[i]! }));

  const position = toInt32(path, posArr);
  const contig = toInt32(path, contigArr);
  for (let v = 0; v < numVariants; v++) {
    if (contig[v]! < 0 || contig[v]! >= contigs.length) {
      throw new VczInvalidError(path, 'variant_contig', `variant ${v} has contig index ${contig[v]}, but contig_id has ${contigs.length} entries`);
    }
  }

  const alleleWidth = alleleArr.shape[1]!;
  if (alleleWidth < 1) throw new VczInvalidError(path, 'variant_allele', 'the alleles dimension is empty');
  const alleleFlat = strings(path, alleleArr);
  const alleles: string[][] = new Array<string[]>(numVariants);
  for (let v = 0; v < numVariants; v++) {
    let end = alleleWidth;
    while (end > 1 && alleleFlat[v * alleleWidth + end - 1] === '') end--;
    alleles[v] = alleleFlat.slice(v * alleleWidth, v * alleleWidth + end);
  }

  let length: Int32Array;
  if (lengthArr !== undefined) {
    length = toInt32(path, lengthArr);
  } else {
    length = Int32Array.from(alleles, (a) => a[0]!.length);
  }

  let id: string[];
  if (idArr !== undefined) {
    id = strings(path, idArr).map((s) => (s === '' ? STRING_MISSING : s));
  } else {
    id = new Array<string>(numVariants).fill(STRING_MISSING);
  }

  let quality: Float32Array;
  if (qualArr !== undefined) {
    quality = toFloat32(path, qualArr);
  } else {
    quality = new Float32Array(numVariants);
    new Uint32Array(quality.buffer).fill(FLOAT32_MISSING_BITS);
  }

  let filter: Uint8Array;
  if (filterArr !== undefined) {
    if (filterArr.kind !== 'bool') throw new VczInvalidError(path, 'variant_filter', `expected dtype bool, found ${filterArr.dtype}`);
    filter = filterArr.data;
  } else {
    filter = new Uint8Array(numVariants * filters.length);
    const pass = filterIds.indexOf('PASS');
    if (pass >= 0) for (let v = 0; v < numVariants; v++) filter[v * filters.length + pass] = 1;
  }

  // ---- INFO
  const infoArrays = await Promise.all(infoNames.map(read));
  const info: InfoColumn[] = infoArrays.map((a) => {
    const type = vcfTypeOf(a);
    const width = a.shape.length === 2 ? a.shape[1]! : 1;
    if (type === 'Flag' && width !== 1) throw new VczInvalidError(path, a.name, 'a Flag (bool) array must be [variants]');
    const def: InfoFieldDef = { id: a.name.slice('variant_'.length), type, number: numberOf(a, 1, type), description: description(a) };
    let values: InfoColumn['values'];
    if (a.kind === 'bool') values = a.data;
    else if (a.kind === 'float') values = toFloat32(path, a);
    else if (a.kind === 'int') values = toIntArray(path, a);
    else values = a.data;
    return { def, width, values };
  });

  // ---- Samples
  const allSampleIds = strings(path, sampleArr);
  const sampleCols: number[] = [];
  const sampleIds: string[] = [];
  allSampleIds.forEach((s, i) => {
    if (s !== '') {
      sampleCols.push(i);
      sampleIds.push(s);
    }
  });

  // ---- FORMAT and GT
  const [formatArrays, gtArr, phasedArr] = await Promise.all([
    Promise.all(formatNames.map(read)),
    readOpt('call_genotype'),
    readOpt('call_genotype_phased'),
  ]);

  type Column =
    | { readonly id: string; readonly width: number; readonly kind: 'typed'; readonly data: Int8Array | Int16Array | Int32Array | Float32Array }
    | { readonly id: string; readonly width: number; readonly kind: 'str'; readonly data: string[] };
  const format: FormatFieldDef[] = [];
  const columns: Column[] = formatArrays.map((a) => {
    const type = vcfTypeOf(a);
    if (type === 'Flag') throw new VczInvalidError(path, a.name, 'FORMAT fields cannot be bool (Flag)');
    const fid = a.name.slice('call_'.length);
    format.push({ id: fid, type: type as VcfType, number: numberOf(a, 2, type), description: description(a) });
    const width = a.shape.length === 3 ? a.shape[2]! : 1;
    if (a.kind === 'str' || a.kind === 'char') return { id: fid, width, kind: 'str', data: a.data };
    return { id: fid, width, kind: 'typed', data: a.kind === 'float' ? toFloat32(path, a) : toIntArray(path, a) };
  });

  let genotype: IntArray | undefined;
  let ploidy = 0;
  if (gtArr !== undefined) {
    genotype = toIntArray(path, gtArr);
    ploidy = gtArr.shape[2]!;
  }
  let phased: Uint8Array | undefined;
  if (phasedArr !== undefined && gtArr !== undefined) {
    if (phasedArr.kind !== 'bool') throw new VczInvalidError(path, phasedArr.name, `expected dtype bool, found ${phasedArr.dtype}`);
    phased = phasedArr.data;
  }

  let metaInformation: (readonly [string, string])[] = [];
  const mi = rootAttrs.vcf_meta_information;
  if (mi !== undefined) {
    if (!Array.isArray(mi) || !mi.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string')) {
      throw new VczInvalidError(path, undefined, 'root attribute vcf_meta_information is not a list of [key, value] string pairs');
    }
    metaInformation = (mi as [string, string][]).map(([k, v]) => [k, v] as const);
  }
  const source = typeof rootAttrs.source === 'string' ? rootAttrs.source : '';

  const variantSet: VariantSet = {
    contigs,
    filters,
    numVariants,
    contig,
    position,
    id,
    alleles,
    quality,
    filter,
    length,
    info,
    format,
    hasGenotype: gtArr !== undefined,
    metaInformation,
  };

  const calls = (sampleIndex: number): SampleCalls => {
    if (!Number.isInteger(sampleIndex) || sampleIndex < 0 || sampleIndex >= sampleCols.length) {
      throw new RangeError(`sample index ${sampleIndex} is out of range 0..${sampleCols.length - 1} (${path})`);
    }
    const s = sampleCols[sampleIndex]!;
    const fields: FieldValues[] = columns.map((c) =>
      c.kind === 'str'
        ? { id: c.id, width: c.width, values: gatherStrings(c.data, numVariants, numStoreSamples, s, c.width) }
        : { id: c.id, width: c.width, values: gatherTyped(c.data, numVariants, numStoreSamples, s, c.width) },
    );
    if (genotype === undefined) return { ploidy: 0, fields };
    return {
      ploidy,
      genotype: gatherTyped(genotype, numVariants, numStoreSamples, s, ploidy),
      phased: phased !== undefined ? gatherTyped(phased, numVariants, numStoreSamples, s, 1) : new Uint8Array(numVariants),
      fields,
    };
  };

  return { variantSet, sampleIds, calls, source };
}
