import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  RecordView,
  encodeSampleRecords,
  isCodecError,
  materializeCalls,
  validateRecordView,
  blockCount,
  type SampleCalls,
} from '../../src/codec/index.ts';
import { ByteBuffer } from 'flatbuffers';
import { SampleRecord } from '../../src/codec/generated/record.ts';
import { diffCalls, syntheticCalls, syntheticVariantSet, ALL_FORMAT } from '../helpers/synthetic.ts';

/** Places records at 8-aligned offsets in one buffer, as a chunk does. */
function asChunk(records: Uint8Array[]): RecordView[] {
  let size = 0;
  const offs = records.map((r) => {
    const o = size;
    size = (size + r.length + 7) & ~7;
    return o;
  });
  const buf = new Uint8Array(size);
  records.forEach((r, i) => buf.set(r, offs[i]));
  return records.map((r, i) => new RecordView(buf.subarray(offs[i]!, offs[i]! + r.length)));
}

function roundTrip(vsSize: number, blockSize: number, calls: (vs: ReturnType<typeof syntheticVariantSet>) => SampleCalls) {
  const vs = syntheticVariantSet({ numVariants: vsSize, seed: 7, maxAlleles: 4 });
  const c = calls(vs);
  const records = encodeSampleRecords(vs, blockSize, 'S1', c);
  expect(records).toHaveLength(blockCount(vsSize, blockSize));
  const views = asChunk(records);
  for (const v of views) validateRecordView(vs, blockSize, v);
  return { vs, c, back: materializeCalls(vs, views), views };
}

describe('sample record codec', () => {
  it('round-trips every field type and Number class, missing and fill values', () => {
    const { c, back, views } = roundTrip(250, 64, (vs) => syntheticCalls(vs, { seed: 3, missing: 0.2 }));
    expect(diffCalls(c, back)).toBeUndefined();
    // the last block is short
    expect(views.at(-1)!.variantCount).toBe(250 - 3 * 64);
    expect(views.map((v) => v.block)).toEqual([0, 1, 2, 3]);
  });

  it('round-trips haploid, triploid and no-GT samples', () => {
    for (const ploidy of [1, 3]) {
      const { c, back } = roundTrip(40, 16, (vs) => syntheticCalls(vs, { seed: ploidy, ploidy }));
      expect(diffCalls(c, back)).toBeUndefined();
    }
    const { back } = roundTrip(40, 16, () => ({ ploidy: 0, fields: [] }));
    expect(back.ploidy).toBe(0);
    expect(back.genotype).toBeUndefined();
    expect(back.fields).toEqual([]);
  });

  it('keeps float NaN payloads (missing 0x7F800001, fill 0x7F800002) bit for bit', () => {
    const { views } = roundTrip(30, 30, (vs) => syntheticCalls(vs, { seed: 9, missing: 0.5, fields: ['AB'] }));
    const bits = new Uint32Array(views[0]!.field('AB')!.values!.slice().buffer);
    expect(bits).toContain(0x7f800001);
    expect(bits).toContain(0x7f800002);
  });

  it('widens genotypes to int16 when an allele index exceeds 127', () => {
    const alleles = Array.from({ length: 200 }, (_, i) => (i === 0 ? 'A' : `A${'C'.repeat(i)}`));
    const vs = { ...syntheticVariantSet({ numVariants: 2, format: [] }), alleles: [alleles, ['A', 'T']] };
    const gt = new Int16Array([150, 199, 0, 1]);
    const [rec] = encodeSampleRecords(vs, 10, 'big', { ploidy: 2, genotype: gt, phased: new Uint8Array(2), fields: [] });
    const view = asChunk([rec!])[0]!;
    expect(view.genotype).toBeInstanceOf(Int16Array);
    expect(Array.from(view.genotype!)).toEqual([150, 199, 0, 1]);
  });

  it('decodes zero-copy: views share the chunk buffer', () => {
    const { views } = roundTrip(100, 100, (vs) => syntheticCalls(vs, { seed: 1 }));
    const v = views[0]!;
    expect(v.genotype!.buffer).toBe(v.bytes.buffer);
    expect(v.field('DP')!.values!.buffer).toBe(v.bytes.buffer);
  });

  it('picks the narrowest integer vector per block', () => {
    const vs = syntheticVariantSet({ numVariants: 4, format: ALL_FORMAT.filter((f) => f.id === 'DP') });
    const dp = new Int32Array([1, 2, 70000, -1]);
    const recs = encodeSampleRecords(vs, 2, 's', { ploidy: 0, fields: [{ id: 'DP', width: 1, values: dp }] });
    const [a, b] = asChunk(recs);
    expect(a!.field('DP')!.values).toBeInstanceOf(Int8Array);
    expect(b!.field('DP')!.values).toBeInstanceOf(Int32Array);
    expect(Array.from(b!.field('DP')!.values!)).toEqual([70000, -1]);
  });

  it('property: random calls round-trip for any block size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (n, bs, ploidy, seed) => {
        const vs = syntheticVariantSet({ numVariants: n, seed, maxAlleles: 4 });
        const c = syntheticCalls(vs, { seed, ploidy, missing: 0.3 });
        const views = asChunk(encodeSampleRecords(vs, bs, `s${seed}`, c));
        expect(diffCalls(c, materializeCalls(vs, views))).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });
});

describe('validation', () => {
  const vs = syntheticVariantSet({ numVariants: 10, seed: 2 });
  const good = () => syntheticCalls(vs, { seed: 5 });
  const expectInvalid = (calls: SampleCalls, field: string | undefined, variant: number | undefined, re: RegExp) => {
    try {
      encodeSampleRecords(vs, 4, 'NA001', calls);
      expect.fail('expected a RecordValidationError');
    } catch (err) {
      expect(isCodecError(err, 'record-invalid')).toBe(true);
      const e = err as { sampleId: string; field?: string; variantIndex?: number; message: string };
      expect(e.sampleId).toBe('NA001');
      expect(e.field).toBe(field);
      expect(e.variantIndex).toBe(variant);
      expect(e.message).toMatch(re);
      expect(e.message).toContain('NA001');
    }
  };

  it('rejects a wrong variant count', () => {
    const c = good();
    expectInvalid({ ...c, genotype: c.genotype!.subarray(0, 18) }, 'GT', undefined, /wrong variant count/);
    const dp = c.fields.find((f) => f.id === 'DP')!;
    expectInvalid({ ...c, fields: [{ ...dp, values: (dp.values as Int16Array).subarray(0, 9) }] }, 'DP', undefined, /expected variants × width/);
  });

  it('rejects an allele index beyond the variant alleles, naming the variant', () => {
    const c = good();
    const gt = c.genotype!.slice();
    gt[7] = vs.alleles[3]!.length; // variant 3, second allele
    expectInvalid({ ...c, genotype: gt }, 'GT', 3, /allele index \d+ is out of range/);
    const gt2 = c.genotype!.slice();
    gt2[0] = -3;
    expectInvalid({ ...c, genotype: gt2 }, 'GT', 0, /out of range/);
  });

  it('rejects unknown fields, wrong widths and wrong types', () => {
    const c = good();
    expectInvalid({ ...c, fields: [{ id: 'XX', width: 1, values: new Int8Array(10) }] }, 'XX', undefined, /unknown FORMAT field/);
    expectInvalid({ ...c, fields: [{ id: 'AD', width: 7, values: new Int8Array(70) }] }, 'AD', undefined, /does not fit Number=R/);
    expectInvalid({ ...c, fields: [{ id: 'DP', width: 1, values: new Float32Array(10) }] }, 'DP', undefined, /Type is Integer/);
    expectInvalid({ ...c, fields: [{ id: 'FT', width: 1, values: new Int8Array(10) }] }, 'FT', undefined, /Type is String/);
    const dp = c.fields.find((f) => f.id === 'DP')!;
    expectInvalid({ ...c, fields: [dp, dp] }, 'DP', undefined, /twice/);
  });

  it('rejects a record of another block size against the variant set', () => {
    const recs = encodeSampleRecords(vs, 4, 's', good());
    const view = asChunk(recs)[2]!;
    expect(() => validateRecordView(vs, 5, view)).toThrow(/covers variants/);
  });

  it('checks the header at construction and each FORMAT field on first access', () => {
    const recs = encodeSampleRecords(vs, 4, 'sämple-1', good());
    const bad = recs[0]!.slice();
    // Patch the first field's width (vtable slot 12 of FormatField) so its values no longer fit.
    const bb = new ByteBuffer(bad);
    const field = SampleRecord.getRootAsSampleRecord(bb).fields(0)!;
    const at = field.bb_pos + bb.__offset(field.bb_pos, 12);
    bb.writeUint32(at, field.width() + 1);
    const view = new RecordView(bad); // header intact: no error yet
    expect(view.sampleId).toBe('sämple-1');
    expect(new TextDecoder().decode(view.sampleIdBytes())).toBe('sämple-1');
    const utf8 = (x: string) => new TextEncoder().encode(x);
    expect(view.sampleIdEquals(utf8('sämple-1'))).toBe(true);
    for (const other of ['sämple-2', 'sämple-', 'sämple-10', '', 'sample-1']) expect(view.sampleIdEquals(utf8(other)), other).toBe(false);
    expect(view.genotype).not.toBeNull();
    let thrown: unknown;
    try {
      void view.fields;
    } catch (err) {
      thrown = err;
    }
    expect(isCodecError(thrown, 'record-malformed')).toBe(true);
    expect((thrown as Error).message).toMatch(/expected \d+ values/);
    // A record whose genotype vector does not match its ploidy fails at construction.
    const shortGt = encodeSampleRecords(vs, 4, 's', good())[0]!.slice();
    const bb2 = new ByteBuffer(shortGt);
    const r = SampleRecord.getRootAsSampleRecord(bb2);
    const ploidyAt = r.bb_pos + bb2.__offset(r.bb_pos, 12);
    expect(bb2.readUint8(ploidyAt)).toBe(r.ploidy());
    bb2.writeUint8(ploidyAt, r.ploidy() + 1);
    expect(() => new RecordView(shortGt)).toThrow(/genotype values/);
  });

  it('rejects bytes that are not a record', () => {
    const recs = encodeSampleRecords(vs, 4, 's', good());
    const bad = recs[0]!.slice();
    bad[4] = 'X'.charCodeAt(0);
    expect(() => new RecordView(bad)).toThrow(/file identifier/);
    try {
      new RecordView(bad);
    } catch (err) {
      expect(isCodecError(err, 'record-malformed')).toBe(true);
    }
  });
});
