/**
 * The 1000 Genomes chr22 subset (test/data/vcf/chr22.vcf.gz, 100 samples)
 * split into one file per sample with `bcftools view -s S -c1 -a` (the
 * sample's own sites, unused ALTs trimmed), merged in a shuffled order
 * (fixed seed) by bcftools 1.16 and by src/merge, `-m both` and `-m none`:
 * record by record equal (merge-oracle.ts). Also checks the maps: every
 * input site lands on a merged site at its POS whose alleles contain its
 * alleles (through alleleMap).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run } from '../helpers/interop.ts';
import { bcftoolsMerge, firstDifference, ourMerge } from './merge-oracle.ts';

const source = join(repoRoot, 'test', 'data', 'vcf', 'chr22.vcf.gz');
const tmp = mkdtempSync(join(tmpdir(), 'merge-chr22-'));
let paths: string[] = [];

/** Deterministic shuffle (mulberry32). */
function shuffle<T>(xs: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

beforeAll(() => {
  const samples = run('bcftools', ['query', '-l', source]).stdout.trim().split('\n');
  expect(samples.length).toBe(100);
  paths = shuffle(samples, 22).map((s) => {
    const out = join(tmp, `${s}.vcf.gz`);
    run('bcftools', ['view', '--no-version', '-s', s, '-c1', '-a', '-Oz', '-o', out, source]);
    run('bcftools', ['index', '-f', out]);
    return out;
  });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('chr22, 100 per-sample files merged in a shuffled order', () => {
  for (const mode of ['both', 'none'] as const) {
    it(`equals bcftools merge -m ${mode}`, async () => {
      const expected = bcftoolsMerge(paths, mode);
      expect(expected.length).toBeGreaterThan(10); // the subset has few variable sites per sample
      const { lines, merged } = await ourMerge(paths, mode);
      expect(firstDifference(expected, lines)).toBeUndefined();
      // The maps agree with the alleles.
      merged.inputs.forEach((vs, i) => {
        for (let s = 0; s < vs.numVariants; s++) {
          const m = merged.siteMap[i]![s]!;
          expect(merged.variantSet.position[m]).toBe(vs.position[s]);
          const map = merged.alleleMap[i]![s]!;
          expect(map.length).toBe(vs.alleles[s]!.length);
          expect(new Set(map).size).toBe(map.length);
          expect(Math.max(...map)).toBeLessThan(merged.variantSet.alleles[m]!.length);
        }
      });
    });
  }
});
