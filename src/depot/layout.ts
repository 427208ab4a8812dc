/**
 * What the depot keeps in LMDB: the named databases (dbi) of the env, the
 * shape of their values, and the (de)serialisation of the variant set.
 * `docs/depot-format.md` describes the same in prose.
 */
import { createHash } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import type { InfoColumn, NumericArray, VariantSet } from '../codec/index.ts';
import { compress, decompress } from '../schunk/index.ts';

/**
 * Depot format version kept in `meta['format'].version`. Format 2 keeps one
 * variant set per import (`variants` dbi: `set:<id>`, `info:<id>`); format 1
 * kept one set for every sample (`variants` dbi: `set`, `count`), which
 * format 2 reads as set 0, declared. Format 3 keeps the REF index (`refs`
 * dbi) as zstd-compressed windows; format 2 kept them uncompressed (or, in
 * earlier code, in other layouts). A format 1 or 2 depot is upgraded in
 * place by the first commit that stores a set (format 2: its REF index is
 * indexed again from the stored sets, `rebuildRefs`) or by a purge that
 * deletes a set; code that reads only format 2 refuses a format 3 depot
 * (DepotVersionError) instead of misreading its windows.
 */
export const DEPOT_FORMAT_VERSION = 3;
/** Oldest format this code opens. */
export const OLDEST_DEPOT_FORMAT = 1;

/** Names of the LMDB databases (dbi) of a depot's env. */
export const DBI = {
  /** 'format' → DepotMeta; 'head' → head version; 'segment' → SegmentState; 'next' → Counters. */
  meta: 'meta',
  /**
   * `info:<id>` → VariantSetEntry; `set:<id>` → the variant set, serialised
   * (msgpack) and compressed (one zstd frame). Format 1: 'set' → the one
   * variant set (uncompressed), 'count' → its number of variants.
   */
  variants: 'variants',
  /** seq (uint) → SampleEntry: one sample as added; seq orders samples. */
  entries: 'entries',
  /** [sampleId, seq] → true: every entry of a sample id, oldest first. */
  byId: 'by_id',
  /** chunk id (uint) → ChunkEntry: where a chunk lives. */
  chunks: 'chunks',
  /** version (uint) → LogEntry. */
  log: 'log',
  /**
   * [contig id, ⌊POS / 65536⌋] → (u16 offset, u16 length, bytes)…: the longest REF (upper case)
   * of the stored variant sets at each position of that window; an import
   * whose REF there is not prefix-compatible is refused
   * (ReferenceMismatchError). Rebuilt by purge.
   */
  refs: 'refs',
  /** tag name → TagEntry. */
  tags: 'tags',
  /**
   * seq (uint) → one sample's reference blocks (gVCF, docs/gvcf.md), as
   * {@link compressReferenceBlocks} stores them: a 4-byte little-endian raw
   * length, then one zstd frame of the bytes the io layer encoded
   * (`encodeReferenceBlocks`, opaque here). Only entries with
   * `referenceBlocks` have a key. Binary values (no msgpack).
   */
  refBlocks: 'ref_blocks',
} as const;

/** `meta['format']`: fixed at creation. */
export interface DepotMeta {
  readonly version: number;
  /** Variants per record block. */
  readonly blockSize: number;
  /** zstd level used for new chunks. */
  readonly level: number;
  /** Target raw (uncompressed) chunk size, bytes. */
  readonly chunkTargetBytes: number;
  /** Segment files are rolled over when they would grow past this, bytes. */
  readonly segmentMaxBytes: number;
  /** ISO 8601 creation time. */
  readonly created: string;
  /** How the variant sets merge (`bcftools merge -m`): 'both' (default) or 'none'. Absent in format 1 (= 'both'). */
  readonly merge?: 'both' | 'none';
}

/**
 * `variants['info:<id>']`: one stored variant set. Each import stores the
 * variant set of its file (or reuses a stored set with the same sites, see
 * docs/growing-cohort.md); entries name the set their records are over.
 */
export interface VariantSetEntry {
  readonly id: number;
  readonly numVariants: number;
  /**
   * Declared sites (`create --from FILE --no-samples`, or a format 1 depot's
   * set): the set takes part in every version's merge, with or without
   * samples. Otherwise a set takes part in version v when a sample of it is
   * live at v.
   */
  readonly declared: boolean;
  /** The version that stored it. */
  readonly addedAt: number;
  /** Bytes of the stored (compressed) set; 0 when it shares another set's bytes (`stored`). */
  readonly bytes: number;
  /** Hex SHA-256 of the set's content (its msgpack form, INFO/AC, AN and AF left out: exports recompute them), for finding a stored set with the same content. */
  readonly contentHash: string;
  /** Hex SHA-256 of its CHROM, POS and REF columns: a set whose REFs are indexed already needs no REF check (refs dbi). */
  readonly refsHash?: string;
  /**
   * The id under which its bytes are stored (`set:<stored>`), when an
   * earlier import had exactly the same content; absent: `set:<id>`. The
   * bytes stay while any set names them, even after purge deleted their
   * own set.
   */
  readonly stored?: number;
}

/** `meta['segment']`: the active segment file and its committed end. */
export interface SegmentState {
  /** Segment file number; the file is `chunks/<number, 6 digits>.vczc`. */
  readonly file: number;
  /** Byte offset of the end of the last committed chunk; bytes past it are crash leftovers. */
  readonly end: number;
}

/** `meta['next']`: counters for ids. */
export interface Counters {
  chunk: number;
  seq: number;
  /** Next variant set id (absent in format 1: 1). */
  set?: number;
}

/** Where a chunk lives. */
export interface ChunkEntry {
  readonly file: number;
  /** Byte offset of the chunk header in the segment file. */
  readonly offset: number;
  /** Bytes of the zstd frame (the chunk header of 24 bytes comes before it). */
  readonly compressedLength: number;
  /** Bytes of the decompressed chunk. */
  readonly rawLength: number;
  /** Records packed in the chunk (purge copies a chunk verbatim when all are still referenced). */
  readonly items: number;
}

/** Per FORMAT field statistics of one sample (for the exporter's dims and dtypes). */
export interface FieldStats {
  /** Values per variant. */
  readonly width: number;
  /** Integer fields: smallest and largest value, sentinels included. */
  readonly min?: number;
  readonly max?: number;
}

/** One sample as added by one commit. */
export interface SampleEntry {
  readonly sampleId: string;
  /** Version that added it. */
  readonly addedAt: number;
  /** Version that removed it; absent while live in the head. */
  removedAt?: number;
  readonly ploidy: number;
  /** Id of the variant set the records are over (absent in format 1: 0). */
  readonly variantSet?: number;
  /** [blocks] chunk id holding each block's record. */
  readonly chunks: number[];
  /** [blocks] byte offset of the record in its decompressed chunk (multiple of 8). */
  readonly offsets: number[];
  /** [blocks] record length, bytes. */
  readonly lengths: number[];
  /** FORMAT ID → stats, for fields present in the sample's calls. */
  readonly fields: Record<string, FieldStats>;
  /**
   * Present when the sample was added with reference blocks (a gVCF
   * sample): `ref_blocks[seq]` holds them; `bytes` is the stored (zstd)
   * size, `rawBytes` the encoded size before compression.
   */
  readonly referenceBlocks?: { readonly bytes: number; readonly rawBytes: number };
}

/** The operations a log entry can record. */
export type Operation = 'create' | 'put' | 'remove' | 'tag' | 'transaction' | 'purge' | 'compact';

/** One committed version. */
export interface LogEntry {
  readonly version: number;
  /** ISO 8601 commit time. */
  readonly time: string;
  readonly operation: Operation;
  /** Samples added by this version. */
  readonly added: string[];
  /** Samples removed by this version. */
  readonly removed: string[];
  /** Tags created by this version. */
  readonly tags: string[];
  readonly message?: string;
  /** Ids of the variant sets this version stored (an import whose sites no stored set has). */
  readonly variantSets?: number[];
  /** purge: ids of the variant sets it deleted (no sample of them was left in any version). */
  readonly variantSetsDeleted?: number[];
  /** purge: how many samples were erased (their ids are not kept). */
  readonly purged?: number;
  /** purge: tags whose sample set changed. */
  readonly tagsChanged?: string[];
  /** purge, compact: segment bytes before and after the rewrite. */
  readonly bytesBefore?: number;
  readonly bytesAfter?: number;
}

/** A tag: an immutable name for a version. */
export interface TagEntry {
  readonly name: string;
  readonly version: number;
  /** ISO 8601 time the tag was taken. */
  readonly time: string;
  readonly message?: string;
}

// ------------------------------------------------------ value validation
// Values read back from LMDB are checked before use: a damaged or edited
// index must give a typed error (or a verify issue), never a crash or data
// read through a pointer of the wrong shape. Each returns a reason or undefined.

const isUint = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const uintArray = (x: unknown, n: number): boolean => Array.isArray(x) && x.length === n && x.every(isUint);

/** A SampleEntry (of `nBlocks` blocks when given; otherwise its three block arrays must agree). */
export function checkSampleEntry(v: unknown, nBlocks?: number): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (typeof v.sampleId !== 'string') return 'no sampleId';
  if (!isUint(v.addedAt)) return 'addedAt is not a version';
  if (v.removedAt !== undefined && !isUint(v.removedAt)) return 'removedAt is not a version';
  if (!isUint(v.ploidy)) return 'ploidy is not a count';
  if (v.variantSet !== undefined && !isUint(v.variantSet)) return 'variantSet is not a set id';
  if (nBlocks === undefined) nBlocks = Array.isArray(v.chunks) ? v.chunks.length : -1;
  if (!uintArray(v.chunks, nBlocks) || !uintArray(v.offsets, nBlocks) || !uintArray(v.lengths, nBlocks)) return `chunks/offsets/lengths are not ${nBlocks} block positions`;
  if (!isObject(v.fields)) return 'fields is not an object';
  for (const st of Object.values(v.fields)) if (!isObject(st) || !isUint(st.width)) return 'a field has no width';
  if (v.referenceBlocks !== undefined && (!isObject(v.referenceBlocks) || !isUint(v.referenceBlocks.bytes) || !isUint(v.referenceBlocks.rawBytes))) return 'referenceBlocks is not {bytes, rawBytes}';
  return undefined;
}

export function checkChunkEntry(v: unknown): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (!isUint(v.file) || !isUint(v.offset) || !isUint(v.compressedLength) || !isUint(v.rawLength)) return 'file/offset/lengths are not byte counts';
  if (v.items !== undefined && !isUint(v.items)) return 'items is not a count';
  return undefined;
}

export function checkTagEntry(v: unknown, name?: string): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (typeof v.name !== 'string' || (name !== undefined && v.name !== name)) return 'its name does not match its key';
  if (!isUint(v.version)) return 'version is not a version';
  return undefined;
}

export function checkLogEntry(v: unknown, version?: number): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (!isUint(v.version) || (version !== undefined && v.version !== version)) return 'its version does not match its key';
  if (typeof v.operation !== 'string') return 'no operation';
  for (const k of ['added', 'removed', 'tags'] as const) {
    const a = v[k];
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'string')) return `${k} is not a list of names`;
  }
  return undefined;
}

/** meta: 'head', 'segment', 'next'. */
export function checkMetaValue(key: 'head' | 'segment' | 'next', v: unknown): string | undefined {
  if (key === 'head') return isUint(v) ? undefined : 'not a version';
  if (!isObject(v)) return 'not an object';
  if (key === 'segment') return isUint(v.file) && isUint(v.end) ? undefined : 'file/end are not byte counts';
  return isUint(v.chunk) && isUint(v.seq) && (v.set === undefined || isUint(v.set)) ? undefined : 'chunk/seq/set are not counters';
}

/** meta 'format'. */
export function checkDepotMeta(v: unknown): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (!isUint(v.version)) return 'no format version';
  if (!isUint(v.blockSize) || v.blockSize < 1) return 'blockSize is not a positive integer';
  if (!isUint(v.level) || !isUint(v.chunkTargetBytes) || !isUint(v.segmentMaxBytes)) return 'level/chunkTargetBytes/segmentMaxBytes are not integers';
  if (v.merge !== undefined && v.merge !== 'both' && v.merge !== 'none') return `merge is '${String(v.merge)}', not 'both' or 'none'`;
  return undefined;
}

/** info:<id>. */
export function checkVariantSetEntry(v: unknown, id?: number): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (!isUint(v.id) || (id !== undefined && v.id !== id)) return 'its id does not match its key';
  if (!isUint(v.numVariants) || !isUint(v.addedAt) || !isUint(v.bytes)) return 'numVariants/addedAt/bytes are not counts';
  if (typeof v.declared !== 'boolean' || typeof v.contentHash !== 'string') return 'declared/contentHash missing';
  if (v.stored !== undefined && !isUint(v.stored)) return 'stored is not a set id';
  return undefined;
}

// ------------------------------------------------------------ variant set

type Dtype = 'i8' | 'i16' | 'i32' | 'f32' | 'u8';
interface PackedArray {
  readonly dtype: Dtype;
  readonly bytes: Uint8Array;
}

function packArray(a: NumericArray | Uint8Array): PackedArray {
  const dtype: Dtype =
    a instanceof Int8Array ? 'i8' : a instanceof Int16Array ? 'i16' : a instanceof Int32Array ? 'i32' : a instanceof Float32Array ? 'f32' : 'u8';
  return { dtype, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
}

function unpackArray(p: PackedArray): NumericArray | Uint8Array {
  // Copy into a fresh, aligned buffer: msgpack gives Buffers at arbitrary offsets.
  const buf = new Uint8Array(p.bytes).buffer;
  switch (p.dtype) {
    case 'i8':
      return new Int8Array(buf);
    case 'i16':
      return new Int16Array(buf);
    case 'i32':
      return new Int32Array(buf);
    case 'f32':
      return new Float32Array(buf);
    default:
      return new Uint8Array(buf);
  }
}

/** The variant set as stored (typed arrays as dtype + bytes, keeping NaN bit patterns). */
export function serializeVariantSet(vs: VariantSet): unknown {
  return {
    contigs: vs.contigs,
    filters: vs.filters,
    numVariants: vs.numVariants,
    contig: packArray(vs.contig),
    position: packArray(vs.position),
    id: vs.id,
    alleles: vs.alleles,
    quality: packArray(vs.quality),
    filter: packArray(vs.filter),
    length: packArray(vs.length),
    info: vs.info.map((c) => ({ def: c.def, width: c.width, values: Array.isArray(c.values) ? c.values : packArray(c.values as NumericArray) })),
    format: vs.format,
    hasGenotype: vs.hasGenotype,
    metaInformation: vs.metaInformation,
  };
}

/** Inverse of {@link serializeVariantSet}. */
export function deserializeVariantSet(raw: unknown): VariantSet {
  const r = raw as Record<string, any>;
  return {
    contigs: r.contigs,
    filters: r.filters,
    numVariants: r.numVariants,
    contig: unpackArray(r.contig) as Int32Array,
    position: unpackArray(r.position) as Int32Array,
    id: r.id,
    alleles: r.alleles,
    quality: unpackArray(r.quality) as Float32Array,
    filter: unpackArray(r.filter) as Uint8Array,
    length: unpackArray(r.length) as Int32Array,
    info: (r.info as any[]).map(
      (c): InfoColumn => ({ def: c.def, width: c.width, values: Array.isArray(c.values) ? c.values : unpackArray(c.values) }),
    ),
    format: r.format,
    hasGenotype: r.hasGenotype,
    metaInformation: r.metaInformation,
  };
}

/** A variant set in its stored form: msgpack bytes, their hash, and (when stored) one zstd frame of them. */
export interface PackedVariantSet {
  /** {@link serializeVariantSet} packed with msgpack. */
  readonly raw: Uint8Array;
  /** Hex SHA-256 of `raw`: equal content, equal hash. */
  readonly contentHash: string;
}

/**
 * Byte-transposes `bytes` (elements of `size` bytes: all first bytes, then
 * all second bytes, ...), as Blosc's shuffle does: zstd then finds the runs
 * of small positions deltas, missing QUALs and the like.
 */
function shuffle(bytes: Uint8Array, size: number): Uint8Array {
  const n = Math.floor(bytes.length / size);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < n; i++) for (let b = 0; b < size; b++) out[b * n + i] = bytes[i * size + b]!;
  return out;
}

function unshuffle(bytes: Uint8Array, size: number): Uint8Array {
  const n = Math.floor(bytes.length / size);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < n; i++) for (let b = 0; b < size; b++) out[i * size + b] = bytes[b * n + i]!;
  return out;
}

const ELEMENT_SIZE: Record<Dtype, number> = { i8: 1, i16: 2, i32: 4, f32: 4, u8: 1 };

/** The stored form of a packed array: POS as deltas, every multi-byte array byte-shuffled. */
function storedArray(p: PackedArray, delta: boolean): PackedArray & { shuffled: true; delta?: true } {
  let bytes = p.bytes;
  if (delta && p.dtype === 'i32') {
    const a = new Int32Array(new Uint8Array(bytes).buffer);
    for (let i = a.length - 1; i > 0; i--) a[i] = a[i]! - a[i - 1]!;
    bytes = new Uint8Array(a.buffer);
  }
  return { dtype: p.dtype, bytes: shuffle(bytes, ELEMENT_SIZE[p.dtype]), shuffled: true, ...(delta && p.dtype === 'i32' ? { delta: true as const } : {}) };
}

function loadedArray(p: PackedArray & { shuffled?: boolean; delta?: boolean }): PackedArray {
  if (!p.shuffled) return p;
  let bytes = unshuffle(p.bytes, ELEMENT_SIZE[p.dtype]);
  if (p.delta) {
    const a = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    for (let i = 1; i < a.length; i++) a[i] = a[i]! + a[i - 1]!;
    bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  }
  return { dtype: p.dtype, bytes };
}

const isPacked = (x: unknown): x is PackedArray => typeof x === 'object' && x !== null && 'dtype' in x && 'bytes' in x;

/** Hex SHA-256 of `vs`'s CHROM, POS and REF (upper case) columns: what the refs dbi holds of it. */
export function refsHash(vs: VariantSet): string {
  const h = createHash('sha256');
  h.update(vs.contigs.map((c) => c.id).join('\t'));
  h.update(new Uint8Array(vs.contig.buffer, vs.contig.byteOffset, vs.contig.byteLength));
  h.update(new Uint8Array(vs.position.buffer, vs.position.byteOffset, vs.position.byteLength));
  h.update(vs.alleles.map((a) => a[0]!.toUpperCase()).join('\t'));
  return h.digest('hex');
}

/**
 * Packs a variant set (msgpack of {@link serializeVariantSet}, its typed
 * arrays byte-shuffled and POS delta-coded, which halves what zstd leaves of
 * a per-sample VCF's sites) and hashes it.
 */
export function packVariantSet(vs: VariantSet): PackedVariantSet {
  const ser = serializeVariantSet(vs) as Record<string, any>;
  for (const k of ['contig', 'position', 'quality', 'filter', 'length']) ser[k] = storedArray(ser[k] as PackedArray, k === 'position');
  ser.info = (ser.info as any[]).map((c) => (isPacked(c.values) ? { ...c, values: storedArray(c.values, false) } : c));
  const raw = pack(ser) as Uint8Array;
  // The content hash leaves out INFO/AC, AN and AF: every export recomputes
  // them from the calls (bcftools merge recomputes AC/AN), so two files that
  // differ only there (the batches of a fixed-site cohort, each with its own
  // AC/AN) share one stored set.
  const recomputed = new Set(['AC', 'AN', 'AF']);
  const info = ser.info as any[];
  const hashed = info.some((c) => recomputed.has(c.def.id)) ? (pack({ ...ser, info: info.filter((c) => !recomputed.has(c.def.id)) }) as Uint8Array) : raw;
  return { raw, contentHash: createHash('sha256').update(hashed).digest('hex') };
}

/**
 * The bytes format 2 stores for a set (`set:<id>`): a 4-byte little-endian
 * raw length, then one zstd frame (level at least 9: written once, read
 * often) of the msgpack bytes. Sites and INFO of a one-sample VCF take
 * about as many bytes as in its .vcf.gz.
 */
export function compressVariantSet(p: PackedVariantSet, level: number): Uint8Array {
  const frame = compress(p.raw, Math.max(level, 9));
  const out = new Uint8Array(4 + frame.length);
  new DataView(out.buffer).setUint32(0, p.raw.length, true);
  out.set(frame, 4);
  return out;
}

/** Inverse of {@link compressVariantSet} + {@link packVariantSet}. @throws ChunkCorruptionError or Error for damaged bytes. */
export function unpackVariantSet(stored: Uint8Array): VariantSet {
  if (!(stored instanceof Uint8Array) || stored.length < 4) throw new Error('the stored set is not a byte string');
  const rawLength = new DataView(stored.buffer, stored.byteOffset, stored.byteLength).getUint32(0, true);
  const ser = unpack(decompress(stored.subarray(4), rawLength)) as Record<string, any>;
  for (const k of ['contig', 'position', 'quality', 'filter', 'length']) ser[k] = loadedArray(ser[k]);
  ser.info = (ser.info as any[]).map((c) => (isPacked(c.values) ? { ...c, values: loadedArray(c.values) } : c));
  return deserializeVariantSet(ser);
}

// ------------------------------------------------------- reference blocks

/**
 * The bytes `ref_blocks[seq]` stores for one sample's reference blocks
 * (`raw`: what the io layer encoded, opaque to the depot): a 4-byte
 * little-endian raw length, then one zstd frame of `raw` at `level`.
 */
export function compressReferenceBlocks(raw: Uint8Array, level: number): Uint8Array {
  const frame = compress(raw, level);
  const out = new Uint8Array(4 + frame.length);
  new DataView(out.buffer).setUint32(0, raw.length, true);
  out.set(frame, 4);
  return out;
}

/**
 * Inverse of {@link compressReferenceBlocks}.
 *
 * @throws ChunkCorruptionError (zstd) or Error for damaged bytes (too short,
 *   or a frame whose content size is not the recorded raw length).
 */
export function decompressReferenceBlocks(stored: Uint8Array): Uint8Array {
  if (!(stored instanceof Uint8Array) || stored.length < 5) throw new Error('the stored reference blocks are not a byte string of at least 5 bytes');
  const rawLength = new DataView(stored.buffer, stored.byteOffset, stored.byteLength).getUint32(0, true);
  const out = decompress(stored.subarray(4), rawLength);
  if (out.length !== rawLength) throw new Error(`the stored reference blocks decompress to ${out.length} bytes, not the recorded ${rawLength}`);
  return out;
}
