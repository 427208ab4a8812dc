/**
 * Reference-block columns (src/vcf/ref-blocks.ts): random valid blocks
 * round-trip through encode/decode; every damaged encoding (cut short, a
 * byte too many, a flipped magic) is a ReferenceBlocksFormatError; and
 * coversSite / coveringBlock / coverSites agree with a slow model that
 * expands every block into its positions.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INT_MISSING } from '../../src/codec/index.ts';
import { compress } from '../../src/schunk/zstd.ts';
import { readGvcf } from '../../src/vcf/gvcf.ts';
import {
  coveringBlock,
  coverScratch,
  coverSites,
  coversSite,
  decodeReferenceBlocks,
  encodeReferenceBlocks,
  type ReferenceBlocks,
  validateReferenceBlocks,
} from '../../src/vcf/ref-blocks.ts';
import { repoRoot } from '../helpers/interop.ts';

const CONTIG_NAMES = ['chr1', 'chr2', 'HLA-A*01:01', 'chrUn_ÿ'];

/** Random valid blocks: per contig (in order) runs of (gap, length − 1, GQ, DP, ploidy). */
const blocksArb: fc.Arbitrary<ReferenceBlocks> = fc
  .record({
    nContigs: fc.integer({ min: 1, max: 4 }),
    rows: fc.array(
      fc.record({
        newContig: fc.boolean(),
        gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5_000_000 })),
        span: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 100_000 })),
        gq: fc.oneof(fc.constant(INT_MISSING), fc.integer({ min: 0, max: 99 }), fc.integer({ min: -2_147_483_648, max: 2_147_483_647 })),
        dp: fc.oneof(fc.constant(INT_MISSING), fc.integer({ min: 0, max: 200 }), fc.integer({ min: -2_147_483_648, max: 2_147_483_647 })),
        ploidy: fc.integer({ min: 0, max: 4 }),
      }),
      { maxLength: 60 },
    ),
  })
  .map(({ nContigs, rows }) => {
    const contigs = CONTIG_NAMES.slice(0, nContigs);
    const cols = { contig: [] as number[], start: [] as number[], end: [] as number[], gq: [] as number[], minDp: [] as number[], ploidy: [] as number[] };
    let c = 0;
    let prevEnd = -1;
    for (const r of rows) {
      if (r.newContig && c < nContigs - 1) {
        c++;
        prevEnd = -1;
      }
      const start = prevEnd + 1 + r.gap;
      const end = start + r.span;
      if (end > 2_000_000_000) break;
      cols.contig.push(c);
      cols.start.push(start);
      cols.end.push(end);
      cols.gq.push(r.gq);
      cols.minDp.push(r.dp);
      cols.ploidy.push(r.ploidy);
      prevEnd = end;
    }
    return {
      contigs,
      contig: Int32Array.from(cols.contig),
      start: Int32Array.from(cols.start),
      end: Int32Array.from(cols.end),
      gq: Int32Array.from(cols.gq),
      minDp: Int32Array.from(cols.minDp),
      ploidy: Uint8Array.from(cols.ploidy),
    };
  });

/** Small, dense blocks (short spans, gaps of 0..3 bases), for comparing coverage with the expanded model. */
const denseArb: fc.Arbitrary<ReferenceBlocks> = fc
  .array(fc.record({ newContig: fc.boolean(), gap: fc.integer({ min: 0, max: 3 }), span: fc.integer({ min: 0, max: 6 }), gq: fc.oneof(fc.constant(INT_MISSING), fc.integer({ min: 0, max: 99 })), dp: fc.oneof(fc.constant(INT_MISSING), fc.integer({ min: 0, max: 60 })), ploidy: fc.integer({ min: 1, max: 3 }) }), { maxLength: 40 })
  .map((rows) => {
    const contigs = ['chr1', 'HLA-A*01:01'];
    const cols = { contig: [] as number[], start: [] as number[], end: [] as number[], gq: [] as number[], minDp: [] as number[], ploidy: [] as number[] };
    let c = 0;
    let prevEnd = 0;
    for (const r of rows) {
      if (r.newContig && c === 0) {
        c = 1;
        prevEnd = 0;
      }
      const start = prevEnd + 1 + r.gap;
      cols.contig.push(c);
      cols.start.push(start);
      cols.end.push(start + r.span);
      cols.gq.push(r.gq);
      cols.minDp.push(r.dp);
      cols.ploidy.push(r.ploidy);
      prevEnd = start + r.span;
    }
    return { contigs, contig: Int32Array.from(cols.contig), start: Int32Array.from(cols.start), end: Int32Array.from(cols.end), gq: Int32Array.from(cols.gq), minDp: Int32Array.from(cols.minDp), ploidy: Uint8Array.from(cols.ploidy) };
  });

const isFormatError = (e: unknown) => (e as { code?: string }).code === 'reference-blocks-format' && (e as { line?: number }).line === 0;

describe('encodeReferenceBlocks / decodeReferenceBlocks', () => {
  it('round-trips random valid blocks', () => {
    fc.assert(
      fc.property(blocksArb, (b) => {
        validateReferenceBlocks(b);
        expect(decodeReferenceBlocks(encodeReferenceBlocks(b))).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses every strict prefix, a trailing byte and a wrong magic with ReferenceBlocksFormatError', () => {
    fc.assert(
      fc.property(blocksArb, fc.nat(), (b, k) => {
        const bytes = encodeReferenceBlocks(b);
        const cut = k % bytes.length;
        expect(() => decodeReferenceBlocks(bytes.subarray(0, cut), 'sample S1')).toThrow(expect.objectContaining({ code: 'reference-blocks-format' }));
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        expect(() => decodeReferenceBlocks(longer)).toThrow(/left over/);
        const bad = bytes.slice();
        bad[0] = 0;
        let caught: unknown;
        try {
          decodeReferenceBlocks(bad, 'sample S1');
        } catch (e) {
          caught = e;
        }
        expect(isFormatError(caught)).toBe(true);
        expect(String(caught)).toMatch(/^ReferenceBlocksFormatError: sample S1: invalid reference-block encoding: not a reference-block encoding/);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses blocks that overlap or run backwards', () => {
    const base = { contigs: ['1'], contig: Int32Array.of(0, 0), gq: Int32Array.of(1, 1), minDp: Int32Array.of(1, 1), ploidy: Uint8Array.of(2, 2) };
    expect(() => encodeReferenceBlocks({ ...base, start: Int32Array.of(1, 10), end: Int32Array.of(10, 20) })).toThrow(/not after the previous block's end 10/);
    expect(() => encodeReferenceBlocks({ ...base, start: Int32Array.of(1, 30), end: Int32Array.of(10, 20) })).toThrow(/is not 0 <= start <= end/);
  });

  it('bytes per block, raw and after zstd level 3 (the depot\'s), on real and simulated-like blocks', async () => {
    const d = await readGvcf(join(repoRoot, 'test', 'data', 'gvcf', 'bcftools-mpileup.6.g.vcf'));
    const real = d.referenceBlocks(0);
    const raw = encodeReferenceBlocks(real).length / real.start.length;
    expect(raw).toBeLessThan(6);
    // 100,000 GATK-like blocks: lengths 1..2000, GQ 0..99, MIN_DP 0..60, ploidy 2.
    let seed = 1;
    const rand = (n: number) => ((seed = (seed * 48271) % 2147483647), seed % n);
    const n = 100_000;
    const start = new Int32Array(n);
    const end = new Int32Array(n);
    let p = 1;
    for (let i = 0; i < n; i++) {
      start[i] = p;
      end[i] = p + rand(2000);
      p = end[i]! + 1 + (rand(10) === 0 ? 1 : 0); // a variant record between blocks now and then
    }
    const big: ReferenceBlocks = { contigs: ['chr1'], contig: new Int32Array(n), start, end, gq: Int32Array.from({ length: n }, () => rand(100)), minDp: Int32Array.from({ length: n }, () => rand(61)), ploidy: new Uint8Array(n).fill(2) };
    const enc = encodeReferenceBlocks(big);
    const perBlock = enc.length / n;
    const zstdPerBlock = compress(enc).length / n;
    expect(perBlock).toBeLessThan(6);
    expect(zstdPerBlock).toBeLessThan(perBlock);
    expect(decodeReferenceBlocks(enc)).toEqual(big);
  });
});

/** The slow model: each position of each block, with the block's row. */
function model(b: ReferenceBlocks, contigId: string, pos: number, len: number): { block: number; gq: number; minDp: number } {
  const rows: number[] = [];
  for (let q = pos; q < pos + Math.max(len, 1); q++) {
    let row = -1;
    for (let i = 0; i < b.start.length; i++) if (b.contigs[b.contig[i]!] === contigId && b.start[i]! <= q && q <= b.end[i]!) row = i;
    if (row < 0) return { block: -1, gq: INT_MISSING, minDp: INT_MISSING };
    if (!rows.includes(row)) rows.push(row);
  }
  const min = (col: Int32Array) => (rows.some((i) => col[i] === INT_MISSING) ? INT_MISSING : Math.min(...rows.map((i) => col[i]!)));
  return { block: rows[0]!, gq: min(b.gq), minDp: min(b.minDp) };
}

describe('coverage of sites by blocks', () => {
  const siteContigs = ['chr2', 'chr1', 'chrX', 'HLA-A*01:01'];
  const sitesArb = fc.array(fc.record({ contig: fc.integer({ min: 0, max: 3 }), position: fc.integer({ min: 0, max: 120 }), length: fc.integer({ min: 0, max: 8 }) }), { maxLength: 80 });

  it('coversSite, coveringBlock and coverSites equal the expanded model (contiguous blocks join, any gap breaks)', () => {
    const scratch = coverScratch(100);
    fc.assert(
      fc.property(denseArb, sitesArb, (b, sites) => {
        const cols = { contig: sites.map((s) => s.contig), position: sites.map((s) => s.position), length: sites.map((s) => s.length) };
        const got = coverSites(b, siteContigs, cols);
        // Into reused scratch arrays (longer, holding the previous run's output): the same.
        const again = coverSites(b, siteContigs, cols, scratch);
        expect(again.block.buffer).toBe(scratch.block.buffer);
        expect([Array.from(again.block), Array.from(again.gq), Array.from(again.minDp), Array.from(again.ploidy)]).toEqual([Array.from(got.block), Array.from(got.gq), Array.from(got.minDp), Array.from(got.ploidy)]);
        sites.forEach((s, k) => {
          const id = siteContigs[s.contig]!;
          const want = model(b, id, s.position, s.length);
          expect(coveringBlock(b, id, s.position, s.length)).toBe(want.block);
          expect(coversSite(b, id, s.position, s.length)).toBe(want.block >= 0);
          expect(got.block[k]).toBe(want.block);
          expect(got.gq[k]).toBe(want.gq);
          expect(got.minDp[k]).toBe(want.minDp);
          expect(got.ploidy[k]).toBe(want.block >= 0 ? b.ploidy[want.block] : 0);
        });
      }),
      { numRuns: 400 },
    );
  });

  it('a deletion is covered across adjacent blocks, not across a one-base gap', () => {
    const b: ReferenceBlocks = {
      contigs: ['20'], contig: Int32Array.of(0, 0, 0), start: Int32Array.of(10, 21, 31), end: Int32Array.of(20, 29, 40),
      gq: Int32Array.of(50, 20, 99), minDp: Int32Array.of(8, INT_MISSING, 30), ploidy: Uint8Array.of(2, 2, 2),
    };
    expect(coversSite(b, '20', 18, 3)).toBe(true); // 18..20
    expect(coversSite(b, '20', 19, 4)).toBe(true); // 19..22 across 20|21
    expect(coversSite(b, '20', 28, 3)).toBe(false); // 28..30: 30 is in no block
    expect(coversSite(b, '20', 30, 1)).toBe(false);
    expect(coversSite(b, '21', 15, 1)).toBe(false);
    const r = coverSites(b, ['20'], { contig: [0, 0], position: [19, 12], length: [4, 1] });
    expect(Array.from(r.gq)).toEqual([20, 50]);
    expect(Array.from(r.minDp)).toEqual([INT_MISSING, 8]);
  });
});
