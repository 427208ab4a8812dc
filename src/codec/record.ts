/**
 * Sample records: encoding one sample's calls into FlatBuffers records (one
 * per variant block) and reading them back zero-copy. The schema is
 * `schemas/record.fbs`; `docs/record-format.md` describes the layout.
 */
import { Builder, ByteBuffer, Encoding } from 'flatbuffers';
import { FormatField, NumberClass, SampleRecord, VcfType as FbVcfType } from './generated/record.ts';
import { RecordFormatError, RecordValidationError } from './errors.ts';
import { INT_FILL, INT_MISSING } from './sentinels.ts';
import type {
  FieldValues,
  FormatFieldDef,
  IntArray,
  NumericArray,
  SampleCalls,
  VariantSet,
  VcfNumber,
  VcfType,
} from './types.ts';
import { alleleCounts, blockCount, blockRange, expectedWidth, formatIndex, maxAlleles, variantLabel } from './variant-set.ts';

/** The FlatBuffers file identifier of format version 1 records. */
export const RECORD_IDENTIFIER = 'VZR1';
/** The record format version this code writes and reads. */
export const RECORD_FORMAT_VERSION = 1;

/** The VCF Types of FORMAT fields, in the order of the record format's VcfType enum (schemas/record.fbs). INFO adds Flag. */
export const VCF_TYPES: readonly VcfType[] = ['Integer', 'Float', 'String', 'Character'];

function numberToClass(n: VcfNumber): { cls: NumberClass; number: number } {
  switch (n) {
    case 'A':
      return { cls: NumberClass.A, number: 0 };
    case 'R':
      return { cls: NumberClass.R, number: 0 };
    case 'G':
      return { cls: NumberClass.G, number: 0 };
    case '.':
      return { cls: NumberClass.Unknown, number: 0 };
    default:
      return { cls: NumberClass.Fixed, number: n };
  }
}

function classToNumber(cls: NumberClass, number: number): VcfNumber {
  switch (cls) {
    case NumberClass.A:
      return 'A';
    case NumberClass.R:
      return 'R';
    case NumberClass.G:
      return 'G';
    case NumberClass.Unknown:
      return '.';
    default:
      return number;
  }
}

// ---------------------------------------------------------------- validation

/**
 * Checks that `calls` fit the variant set before anything is encoded.
 * With `range` ([start, end), 0-based, half-open), `calls` cover only those
 * variants of the set (vectors of `end - start` variants, as a block's
 * calls); errors still name the variant by its index in the whole set.
 *
 * @throws RecordValidationError naming the sample, the field (`GT` or the
 *   FORMAT ID) and the first offending variant: genotype or values vector of
 *   the wrong length, an allele index ≥ the variant's number of alleles (or
 *   below -2), an unknown FORMAT field, a field given twice, values of the
 *   wrong VCF type, or a width that does not fit the field's Number.
 */
export function validateSampleCalls(vs: VariantSet, sampleId: string, calls: SampleCalls, range?: readonly [start: number, end: number]): void {
  const v0 = range ? range[0] : 0;
  const n = range ? range[1] - range[0] : vs.numVariants;
  if (!(Number.isSafeInteger(v0) && v0 >= 0 && n >= 0 && v0 + n <= vs.numVariants)) {
    throw new RangeError(`variant range [${range?.[0]}, ${range?.[1]}) is not inside [0, ${vs.numVariants})`);
  }
  // `v` below is relative to the range; errors name the variant set's index.
  const bad = (field: string | undefined, v: number | undefined, reason: string): never => {
    throw new RecordValidationError(sampleId, field, v !== undefined ? v0 + v : undefined, reason, v !== undefined ? variantLabel(vs, v0 + v) : undefined);
  };
  if (typeof sampleId !== 'string' || sampleId.length === 0) bad(undefined, undefined, 'sample id must be a non-empty string');
  const ploidy = calls.ploidy;
  if (!Number.isInteger(ploidy) || ploidy < 0 || ploidy > 255) bad('GT', undefined, `ploidy ${ploidy} is not an integer in 0..255`);
  if (ploidy > 0) {
    const gt = calls.genotype;
    if (!gt) return bad('GT', undefined, `ploidy is ${ploidy} but no genotype array was given`);
    if (!(gt instanceof Int8Array || gt instanceof Int16Array || gt instanceof Int32Array)) bad('GT', undefined, 'genotype must be an Int8Array, Int16Array or Int32Array');
    if (gt.length !== n * ploidy) bad('GT', undefined, `genotype has ${gt.length} values; expected variants × ploidy = ${n} × ${ploidy} = ${n * ploidy} (wrong variant count?)`);
    if (!vs.hasGenotype) bad('GT', undefined, 'the variant set declares no FORMAT/GT');
    const counts = alleleCounts(vs);
    const fill = INT_FILL; // a local: module bindings are getters under some loaders
    for (let v = 0, i = 0; v < n; v++) {
      const limit = counts[v0 + v]!;
      for (let p = 0; p < ploidy; p++, i++) {
        const a = gt[i]!;
        if (a >= limit || a < fill) {
          bad('GT', v, `allele index ${a} is out of range: the variant has ${limit} alleles (valid: 0..${limit - 1}, ${INT_MISSING} missing, ${INT_FILL} fill)`);
        }
      }
    }
    if (calls.phased && calls.phased.length !== n) bad('GT', undefined, `phased has ${calls.phased.length} values; expected ${n}`);
  } else if (calls.genotype && calls.genotype.length > 0) {
    bad('GT', undefined, 'genotype values given with ploidy 0');
  }
  const index = formatIndex(vs);
  const alleles = maxAlleles(vs);
  const seen = new Set<string>();
  for (const f of calls.fields) {
    const entry = index.get(f.id);
    if (!entry) bad(f.id, undefined, `unknown FORMAT field '${f.id}': the variant set declares ${[...index.keys()].join(', ') || 'none'}`);
    if (seen.has(f.id)) bad(f.id, undefined, 'field given twice');
    seen.add(f.id);
    const def = entry!.def;
    const isStr = Array.isArray(f.values);
    const wantStr = def.type === 'String' || def.type === 'Character';
    if (isStr !== wantStr) bad(f.id, undefined, `values are ${isStr ? 'strings' : 'numbers'} but the field's Type is ${def.type}`);
    if (!wantStr) {
      const vals = f.values as NumericArray;
      const isFloat = vals instanceof Float32Array;
      if (isFloat !== (def.type === 'Float')) bad(f.id, undefined, `values are ${isFloat ? 'Float32Array' : vals.constructor.name} but the field's Type is ${def.type}`);
    }
    if (!Number.isInteger(f.width) || f.width < 1) bad(f.id, undefined, `width ${f.width} must be an integer >= 1`);
    const want = expectedWidth(def.number, alleles, ploidy);
    if ('exact' in want ? f.width !== want.exact : f.width < want.min) {
      bad(f.id, undefined, `width ${f.width} does not fit Number=${def.number}: expected ${'exact' in want ? want.exact : `at least ${want.min}`}`);
    }
    if (f.values.length !== n * f.width) {
      bad(f.id, undefined, `has ${f.values.length} values; expected variants × width = ${n} × ${f.width} = ${n * f.width} (wrong variant count?)`);
    }
  }
}

// ------------------------------------------------------------------ encoding

/** Writes `data`'s bytes as one FlatBuffers vector in bulk (the generated helpers push element by element). */
function bulkVector(b: Builder, data: ArrayBufferView, elemSize: number): number {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  b.startVector(elemSize, bytes.length / elemSize, elemSize);
  const inner = b as unknown as { space: number; bb: ByteBuffer };
  inner.space -= bytes.length;
  inner.bb.setPosition(inner.space);
  inner.bb.bytes().set(bytes, inner.space);
  return b.endVector();
}

/** The narrowest signed integer array type that holds [min, max]. */
function narrowestInt(values: IntArray): 1 | 2 | 4 {
  if (values instanceof Int8Array) return 1;
  let min = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  if (min >= -128 && max <= 127) return 1;
  if (min >= -32768 && max <= 32767) return 2;
  return 4;
}

const textEncoder = new TextEncoder();

function stringVectors(b: Builder, values: readonly string[], start: number, end: number): [number, number] {
  const count = end - start;
  const offsets = new Uint32Array(count + 1);
  let cap = 0;
  for (let i = start; i < end; i++) cap += values[i]!.length * 3;
  const data = new Uint8Array(cap);
  let pos = 0;
  for (let i = start; i < end; i++) {
    const s = values[i]!;
    if (s.length > 0) pos += textEncoder.encodeInto(s, data.subarray(pos)).written;
    offsets[i - start + 1] = pos;
  }
  const dataOff = bulkVector(b, data.subarray(0, pos), 1);
  const offOff = bulkVector(b, offsets, 4);
  return [offOff, dataOff];
}

function encodeField(b: Builder, def: FormatFieldDef, f: FieldValues, vStart: number, vEnd: number): number {
  const from = vStart * f.width;
  const to = vEnd * f.width;
  let int8 = 0;
  let int16 = 0;
  let int32 = 0;
  let float32 = 0;
  let offs = 0;
  let data = 0;
  if (Array.isArray(f.values)) {
    [offs, data] = stringVectors(b, f.values as readonly string[], from, to);
  } else if (f.values instanceof Float32Array) {
    float32 = bulkVector(b, f.values.subarray(from, to), 4);
  } else {
    const slice = (f.values as IntArray).subarray(from, to);
    const size = narrowestInt(slice);
    if (size === 1) int8 = bulkVector(b, slice instanceof Int8Array ? slice : new Int8Array(slice), 1);
    else if (size === 2) int16 = bulkVector(b, slice instanceof Int16Array ? slice : new Int16Array(slice), 2);
    else int32 = bulkVector(b, slice instanceof Int32Array ? slice : new Int32Array(slice), 4);
  }
  const id = b.createString(def.id);
  const { cls, number } = numberToClass(def.number);
  FormatField.startFormatField(b);
  FormatField.addId(b, id);
  FormatField.addType(b, VCF_TYPES.indexOf(def.type) as FbVcfType);
  FormatField.addNumberClass(b, cls);
  FormatField.addNumber(b, number);
  FormatField.addWidth(b, f.width);
  if (int8) FormatField.addInt8Values(b, int8);
  if (int16) FormatField.addInt16Values(b, int16);
  if (int32) FormatField.addInt32Values(b, int32);
  if (float32) FormatField.addFloat32Values(b, float32);
  if (offs) {
    FormatField.addStringOffsets(b, offs);
    FormatField.addStringData(b, data);
  }
  return FormatField.endFormatField(b);
}

/**
 * Builds one record into `b` (cleared first) from `calls`, whose vectors
 * start at variant `callsStart` of the set, for the block's variants
 * [vStart, vEnd). `fields` are in variant set order. Returns a fresh copy.
 */
function encodeRecord(
  b: Builder,
  index: ReadonlyMap<string, { def: FormatFieldDef; index: number }>,
  fields: readonly FieldValues[],
  sampleId: string,
  calls: SampleCalls,
  callsStart: number,
  block: number,
  vStart: number,
  vEnd: number,
): Uint8Array {
  b.clear();
  const lo = vStart - callsStart;
  const hi = vEnd - callsStart;
  const fieldOffsets = fields.map((f) => encodeField(b, index.get(f.id)!.def, f, lo, hi));
  const fieldsVec = fieldOffsets.length ? SampleRecord.createFieldsVector(b, fieldOffsets) : 0;
  let gt8 = 0;
  let gt16 = 0;
  let phased = 0;
  if (calls.ploidy > 0) {
    // Like the FORMAT integers, the narrowest type that holds the block's alleles.
    const gt = calls.genotype!.subarray(lo * calls.ploidy, hi * calls.ploidy);
    if (narrowestInt(gt) > 1) gt16 = bulkVector(b, gt instanceof Int16Array ? gt : new Int16Array(gt), 2);
    else gt8 = bulkVector(b, gt instanceof Int8Array ? gt : new Int8Array(gt), 1);
    phased = bulkVector(b, calls.phased ? calls.phased.subarray(lo, hi) : new Uint8Array(hi - lo), 1);
  }
  const sid = b.createString(sampleId);
  SampleRecord.startSampleRecord(b);
  SampleRecord.addSampleId(b, sid);
  SampleRecord.addBlock(b, block);
  SampleRecord.addVariantStart(b, vStart);
  SampleRecord.addVariantCount(b, vEnd - vStart);
  SampleRecord.addPloidy(b, calls.ploidy);
  if (gt8) SampleRecord.addGenotypeInt8(b, gt8);
  if (gt16) SampleRecord.addGenotypeInt16(b, gt16);
  if (phased) SampleRecord.addGenotypePhased(b, phased);
  if (fieldsVec) SampleRecord.addFields(b, fieldsVec);
  SampleRecord.finishSampleRecordBuffer(b, SampleRecord.endSampleRecord(b));
  return b.asUint8Array().slice();
}

function sortedFields(index: ReadonlyMap<string, { def: FormatFieldDef; index: number }>, calls: SampleCalls): FieldValues[] {
  return [...calls.fields].sort((a, b) => index.get(a.id)!.index - index.get(b.id)!.index);
}

/**
 * Encodes one sample's calls as one FlatBuffers record per variant block.
 * Validates first (see {@link validateSampleCalls}). FORMAT fields absent from
 * `calls` are absent from the records and read back as all missing. Integer
 * vectors (genotypes included) take the narrowest type that holds each
 * block's values.
 *
 * @param blockSize variants per block (the last block may be short).
 * @returns `blockCount(vs.numVariants, blockSize)` records, block order; each
 *   a fresh Uint8Array starting at byteOffset 0.
 * @throws RecordValidationError when the calls do not fit the variant set.
 */
export function encodeSampleRecords(vs: VariantSet, blockSize: number, sampleId: string, calls: SampleCalls): Uint8Array[] {
  validateSampleCalls(vs, sampleId, calls);
  const index = formatIndex(vs);
  const fields = sortedFields(index, calls);
  const nBlocks = blockCount(vs.numVariants, blockSize);
  const out: Uint8Array[] = [];
  const b = new Builder(1 << 16);
  for (let block = 0; block < nBlocks; block++) {
    const [vStart, vEnd] = blockRange(vs.numVariants, blockSize, block);
    out.push(encodeRecord(b, index, fields, sampleId, calls, 0, block, vStart, vEnd));
  }
  return out;
}

/**
 * Encodes the record of one variant block from calls that cover only that
 * block: vectors of `end - start` variants, where [start, end) =
 * `blockRange(vs.numVariants, blockSize, block)` (0-based, half-open). The
 * bytes equal those `encodeSampleRecords` writes for the block when given
 * the whole sample's calls with the same values and widths.
 *
 * @throws RecordValidationError when the calls do not fit the block's
 *   variants (errors name the variant by its index in the whole set).
 * @throws RangeError for a block outside `[0, blockCount)`.
 */
export function encodeBlockRecord(vs: VariantSet, blockSize: number, sampleId: string, block: number, calls: SampleCalls): Uint8Array {
  const nBlocks = blockCount(vs.numVariants, blockSize);
  if (!Number.isInteger(block) || block < 0 || block >= nBlocks) throw new RangeError(`block ${block} is not in 0..${nBlocks - 1}`);
  const [vStart, vEnd] = blockRange(vs.numVariants, blockSize, block);
  validateSampleCalls(vs, sampleId, calls, [vStart, vEnd]);
  const index = formatIndex(vs);
  blockBuilder ??= new Builder(1 << 16);
  return encodeRecord(blockBuilder, index, sortedFields(index, calls), sampleId, calls, vStart, block, vStart, vEnd);
}

/** Reused by encodeBlockRecord (records are copied out of it). */
let blockBuilder: Builder | undefined;

// ------------------------------------------------------------------ decoding


const textDecoder = new TextDecoder();
/** String accessors given this return the UTF-8 bytes, not a decoded string. */
const UTF8_BYTES = Encoding.UTF8_BYTES;

function wrapDecodeError(err: unknown): RecordFormatError {
  if (err instanceof RecordFormatError) return err;
  return new RecordFormatError(`FlatBuffers decoding failed: ${(err as Error).message}`, { cause: err });
}

/** One FORMAT field of a record, read zero-copy (built by {@link RecordView.fields}). */
export class FieldView {
  readonly id: string;
  readonly type: VcfType;
  readonly number: VcfNumber;
  /** Values per variant. */
  readonly width: number;
  /**
   * Integer or Float values, [variantCount, width] C order, a view into the
   * chunk buffer (do not keep it past the next read if you need a copy:
   * `.slice()` it). Null for String/Character fields.
   */
  readonly values: NumericArray | null;
  /** String/Character: [variantCount × width + 1] byte offsets into `stringData`. */
  readonly stringOffsets: Uint32Array | null;
  /** String/Character: the UTF-8 bytes of all values. */
  readonly stringData: Uint8Array | null;
  /** @internal decodes field `f` of a record of `count` variants. */
  constructor(f: FormatField, count: number) {
    this.id = f.id()!;
    const t = VCF_TYPES[f.type()];
    if (!t) throw new RecordFormatError(`field ${this.id}: unknown VCF type code ${f.type()}`);
    this.type = t;
    this.number = classToNumber(f.numberClass(), f.number());
    this.width = f.width();
    const n = count * this.width;
    this.values = f.int8ValuesArray() ?? f.int16ValuesArray() ?? f.int32ValuesArray() ?? f.float32ValuesArray();
    this.stringOffsets = f.stringOffsetsArray();
    this.stringData = f.stringDataArray() ?? (this.stringOffsets ? new Uint8Array(0) : null);
    if (this.type === 'String' || this.type === 'Character') {
      if (!this.stringOffsets || this.stringOffsets.length !== n + 1) throw new RecordFormatError(`field ${this.id}: expected ${n + 1} string offsets, found ${this.stringOffsets?.length ?? 0}`);
      if (this.stringOffsets[n]! > this.stringData!.length) throw new RecordFormatError(`field ${this.id}: string offsets run past the data`);
    } else {
      if (!this.values || this.values.length !== n) throw new RecordFormatError(`field ${this.id}: expected ${n} values, found ${this.values?.length ?? 0}`);
      if ((this.type === 'Float') !== this.values instanceof Float32Array) throw new RecordFormatError(`field ${this.id}: values vector does not match type ${this.type}`);
    }
  }

  /** String/Character values decoded (allocates); `[]` for numeric fields. */
  strings(): string[] {
    const offs = this.stringOffsets;
    if (!offs) return [];
    const data = this.stringData!;
    const out = new Array<string>(offs.length - 1);
    for (let i = 0; i < out.length; i++) {
      const a = offs[i]!;
      const e = offs[i + 1]!;
      out[i] = textDecoder.decode(data.subarray(a, e));
    }
    return out;
  }
}

/**
 * A sample record read zero-copy: typed-array views into the (decompressed)
 * chunk buffer. The record must start 8-byte aligned in its ArrayBuffer.
 */
export class RecordView {
  /** The record's bytes (a view into the chunk buffer). */
  readonly bytes: Uint8Array;
  /** 0-based block index. */
  readonly block: number;
  /** 0-based index of the block's first variant in the variant set. */
  readonly variantStart: number;
  /** Variants in this block. */
  readonly variantCount: number;
  /** Genotype entries per variant; 0 when the sample has no GT. */
  readonly ploidy: number;
  readonly #r: SampleRecord;
  #sampleId: string | undefined;
  #genotype: Int8Array | Int16Array | null | undefined;
  #phased: Uint8Array | null | undefined;
  #fields: readonly FieldView[] | undefined;

  /**
   * Checks the header of the record (identifier, sample id, block, ploidy
   * and the genotype vectors' lengths) without decoding its vectors. The
   * typed-array views (`genotype`, `phased`, `fields`) are built, and each
   * field checked, on first access: reading many records and touching few
   * of their fields allocates little.
   *
   * @throws RecordFormatError when `bytes` is not a version-1 record or its
   *   header is inconsistent (misaligned start, missing sample id, genotype
   *   or phased vectors of the wrong length). The getters throw it when a
   *   FORMAT field is malformed.
   */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    if (bytes.byteOffset % 8 !== 0) throw new RecordFormatError(`record starts at byte ${bytes.byteOffset}, not 8-byte aligned`);
    if (bytes.length < 8) throw new RecordFormatError(`record of ${bytes.length} bytes is too short`);
    const bb = new ByteBuffer(bytes);
    if (!SampleRecord.bufferHasIdentifier(bb)) {
      const id = String.fromCharCode(...bytes.subarray(4, 8));
      throw new RecordFormatError(`file identifier is '${id}', expected '${RECORD_IDENTIFIER}' (a newer or foreign format?)`);
    }
    let gtLength: number;
    let phasedLength: number;
    try {
      const r = SampleRecord.getRootAsSampleRecord(bb);
      this.#r = r;
      if (r.sampleId(UTF8_BYTES) === null) throw new RecordFormatError('record has no sample_id');
      this.block = r.block();
      this.variantStart = r.variantStart();
      this.variantCount = r.variantCount();
      this.ploidy = r.ploidy();
      gtLength = r.genotypeInt8Length() || r.genotypeInt16Length();
      phasedLength = r.genotypePhasedLength();
    } catch (err) {
      throw wrapDecodeError(err);
    }
    if (this.ploidy > 0) {
      if (gtLength !== this.variantCount * this.ploidy) {
        throw new RecordFormatError(`sample '${this.sampleId}' block ${this.block}: expected ${this.variantCount * this.ploidy} genotype values, found ${gtLength}`);
      }
      if (phasedLength !== this.variantCount) {
        throw new RecordFormatError(`sample '${this.sampleId}' block ${this.block}: expected ${this.variantCount} phased flags`);
      }
    }
  }

  /** The sample id (decoded from UTF-8 on first access). */
  get sampleId(): string {
    return (this.#sampleId ??= this.#r.sampleId()!);
  }

  /** The sample id's UTF-8 bytes, a view into the record (no string is made). */
  sampleIdBytes(): Uint8Array {
    return this.#r.sampleId(UTF8_BYTES) as Uint8Array;
  }

  /** Whether the sample id's UTF-8 bytes are exactly `utf8`, compared in place (no string or view is made). */
  sampleIdEquals(utf8: Uint8Array): boolean {
    const bytes = this.bytes;
    const bb = this.#r.bb!;
    const pos = this.#r.bb_pos;
    // FlatBuffers string: the field holds an offset to [uint32 length][bytes].
    const field = bb.__offset(pos, 4);
    if (field === 0) return false;
    let at = pos + field;
    at += bb.readInt32(at);
    const length = bb.readInt32(at);
    if (length !== utf8.length) return false;
    at += 4;
    for (let i = 0; i < length; i++) if (bytes[at + i] !== utf8[i]) return false;
    return true;
  }

  /** `call_genotype` [variantCount, ploidy] view (Int8Array, or Int16Array when an index > 127); null without GT. */
  get genotype(): Int8Array | Int16Array | null {
    if (this.#genotype === undefined) this.#genotype = this.ploidy > 0 ? (this.#r.genotypeInt8Array() ?? this.#r.genotypeInt16Array()) : null;
    return this.#genotype;
  }

  /** `call_genotype_phased` [variantCount] 0/1 view; null without GT. */
  get phased(): Uint8Array | null {
    if (this.#phased === undefined) this.#phased = this.ploidy > 0 ? this.#r.genotypePhasedArray() : null;
    return this.#phased;
  }

  /**
   * FORMAT fields present in the record, variant set order. Absent fields
   * are all missing.
   *
   * @throws RecordFormatError (on first access) when a field is malformed.
   */
  get fields(): readonly FieldView[] {
    if (this.#fields === undefined) {
      const r = this.#r;
      const fields: FieldView[] = [];
      try {
        const nf = r.fieldsLength();
        for (let i = 0; i < nf; i++) fields.push(new FieldView(r.fields(i)!, this.variantCount));
      } catch (err) {
        throw wrapDecodeError(err);
      }
      this.#fields = fields;
    }
    return this.#fields;
  }

  /** The field with FORMAT ID `id`, or undefined when absent (= all missing). */
  field(id: string): FieldView | undefined {
    return this.fields.find((f) => f.id === id);
  }
}

/**
 * Checks a decoded record against the variant set it claims to belong to
 * (used by reads and `verify`): block bounds, variant count, allele indices,
 * known fields with fitting widths and types.
 *
 * @throws RecordValidationError naming sample, field and variant.
 */
export function validateRecordView(vs: VariantSet, blockSize: number, view: RecordView): void {
  const [start, end] = blockRange(vs.numVariants, blockSize, view.block);
  const bad = (field: string | undefined, v: number | undefined, reason: string): never => {
    throw new RecordValidationError(view.sampleId, field, v, `block ${view.block}: ${reason}`, v !== undefined ? variantLabel(vs, v) : undefined);
  };
  if (view.variantStart !== start || view.variantCount !== end - start) bad(undefined, undefined, `covers variants [${view.variantStart}, ${view.variantStart + view.variantCount}) but the block is [${start}, ${end})`);
  if (view.genotype) {
    const counts = alleleCounts(vs);
    const gt = view.genotype;
    const fill = INT_FILL;
    for (let v = 0, i = 0; v < view.variantCount; v++) {
      const limit = counts[start + v]!;
      for (let p = 0; p < view.ploidy; p++, i++) {
        const a = gt[i]!;
        if (a >= limit || a < fill) bad('GT', start + v, `allele index ${a} is out of range (${limit} alleles)`);
      }
    }
  }
  const index = formatIndex(vs);
  const alleles = maxAlleles(vs);
  for (const f of view.fields) {
    const entry = index.get(f.id);
    if (!entry) bad(f.id, undefined, `unknown FORMAT field '${f.id}'`);
    if (entry!.def.type !== f.type) bad(f.id, undefined, `type ${f.type} but the variant set says ${entry!.def.type}`);
    const want = expectedWidth(entry!.def.number, alleles, view.ploidy);
    if ('exact' in want ? f.width !== want.exact : f.width < want.min) bad(f.id, undefined, `width ${f.width} does not fit Number=${entry!.def.number}`);
  }
}
