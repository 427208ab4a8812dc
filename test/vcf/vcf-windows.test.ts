/**
 * Windowed VCF reading (readVcfWindows) and the variants-only read
 * (readVcfVariants) against readVcf, the whole-file reader that the parity
 * tests hold to vcf2zarr: for every fixture and edge case, at several window
 * sizes, each window's calls equal readVcf's calls sliced to the window, and
 * a read whose shape grows after the first window says so and is right the
 * second time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAlleles, sliceCalls, type SampleCalls } from '../../src/codec/index.ts';
import { isVczError } from '../../src/vcf/errors.ts';
import { readVcf, readVcfVariants, readVcfWindows, type VcfCallShape } from '../../src/vcf/index.ts';
import { diffCalls } from '../helpers/synthetic.ts';
import { vcfInputs } from './edge-vcfs.ts';
import { useTempDir } from '../helpers/tmp.ts';

const tmp = useTempDir('windows');
const inputs: string[] = [];

beforeAll(() => {
  inputs.push(...vcfInputs(tmp()));
  // ploidy rises after the first variants: a second read is needed for small windows
  const late = [
    '##fileformat=VCFv4.3',
    '##contig=<ID=chrY>',
    '##contig=<ID=chr1>',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=XS,Number=.,Type=Integer,Description="varying count">',
    '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tM\tF',
    'chrY\t1\t.\tA\tC\t.\t.\t.\tGT:XS\t1:1\t0:2',
    'chrY\t2\t.\tA\tC\t.\t.\t.\tGT:XS\t0:1\t.:3',
    'chr1\t1\t.\tA\tC,G\t.\t.\t.\tGT:XS\t0/1:1,2,3\t1|2:4',
    'chr1\t2\t.\tA\tC\t.\t.\t.\tGT:XS\t0/0:5\t1:6',
  ];
  const p = join(tmp(), 'ploidy_rises.vcf');
  writeFileSync(p, late.join('\n') + '\n');
  inputs.push(p);
});

function shapeOf(c: SampleCalls | undefined, format: readonly string[]): { ploidy: number; widths: number[] } | undefined {
  if (!c) return undefined;
  return { ploidy: c.ploidy, widths: format.map((id) => c.fields.find((f) => f.id === id)!.width) };
}

describe('readVcfWindows', () => {
  let restarts = 0;
  afterAll(() => {
    // the restart path ran (ploidy_rises and mixed ploidy at small windows)
    expect(restarts).toBeGreaterThan(0);
  });

  it('covers every fixture', () => {
    expect(inputs.length).toBeGreaterThan(20);
  });

  for (const windowSize of [1, 2, 3, 7, 1000]) {
    it(`hands out readVcf's calls, window by window (${windowSize} variants)`, async () => {
      for (const path of inputs) {
        const full = await readVcf(path);
        const V = full.variantSet.numVariants;
        const S = full.sampleIds.length;
        const all = Array.from({ length: S }, (_, i) => full.calls(i));
        const formatIds = full.variantSet.format.map((f) => f.id);
        const read = async (shape?: VcfCallShape) => {
          const got: { start: number; end: number; calls: SampleCalls[] }[] = [];
          const r = await readVcfWindows(path, {
            windowSize,
            maxAlleles: maxAlleles(full.variantSet),
            ...(shape ? { shape } : {}),
            onWindow: (w) => got.push({ start: w.start, end: w.end, calls: Array.from({ length: S }, (_, i) => w.calls(i)) }),
          });
          return { r, got };
        };
        let { r, got } = await read();
        expect(r.variantSet, path).toEqual(full.variantSet);
        expect(r.sampleIds).toEqual(full.sampleIds);
        expect(r.window.windows, path).toBe(Math.ceil(V / windowSize));
        if (S > 0) expect(r.window.shape, path).toEqual(shapeOf(all[0], formatIds));
        if (r.window.restartNeeded) {
          restarts++;
          expect(got.length, path).toBeLessThan(r.window.windows);
          ({ r, got } = await read(r.window.shape));
          expect(r.window.restartNeeded, path).toBe(false);
        }
        expect(got.map((w) => [w.start, w.end]), path).toEqual(Array.from({ length: Math.ceil(V / windowSize) }, (_, k) => [k * windowSize, Math.min(V, (k + 1) * windowSize)]));
        for (const w of got) {
          for (let i = 0; i < S; i++) {
            const want = sliceCalls(all[i]!, w.start, w.end);
            expect(diffCalls(want, w.calls[i]!), `${path} window ${w.start} sample ${i}`).toBeUndefined();
          }
        }
      }
    });
  }

  it('refuses a second read that finds calls wider than the first read measured (the file changed)', async () => {
    const path = inputs.find((p) => p.endsWith('ploidy_rises.vcf'))!;
    const full = await readVcf(path);
    try {
      await readVcfWindows(path, { windowSize: 1, maxAlleles: maxAlleles(full.variantSet), shape: { ploidy: 1, widths: [1] }, onWindow: () => {} });
      expect.fail('expected an error');
    } catch (err) {
      expect(isVczError(err, 'vcf-changed'), String(err)).toBe(true);
    }
  });
});

describe('readVcfVariants', () => {
  it("gives readVcf's variant set without reading the sample columns", async () => {
    for (const path of inputs) {
      const full = await readVcf(path);
      const v = await readVcfVariants(path);
      expect(v.sampleIds).toEqual(full.sampleIds);
      expect(v.source).toEqual(full.source);
      expect(v.infoNeedsCalls).toBe(full.variantSet.info.some((c) => c.def.number === 'G'));
      if (!v.infoNeedsCalls) expect(v.variantSet, path).toEqual(full.variantSet);
      else expect({ ...v.variantSet, info: [] }, path).toEqual({ ...full.variantSet, info: [] });
    }
  });
});
