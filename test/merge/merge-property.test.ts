/**
 * Property: for small random VCFs (2–4 one-sample files; random subsets of
 * positions on 1–2 contigs over one shared reference; SNPs, MNPs, insertions
 * and deletions at shared positions, sometimes two records at one POS in one
 * file; multi-allelic records; REFs of different lengths (REF extension);
 * ID, QUAL, FILTER, INFO DP (summed) and AF (Number=A); FORMAT GT (phased,
 * missing alleles), AD (R), PL (G), GQ; missing values), src/merge writes
 * what `bcftools merge` 1.16 writes, with `-m both` and `-m none` (and `-0`
 * on some runs). Compared record by record (merge-oracle.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bcftoolsMerge, firstDifference, ourMerge, writeIndexedVcf } from './merge-oracle.ts';
import { fileArb, vcfText } from './vcf-arb.ts';

const tmp = mkdtempSync(join(tmpdir(), 'merge-prop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let run = 0;
describe('bcftools merge property (fast-check)', () => {
  it('random small VCFs merge as bcftools merges them, -m both and -m none', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fileArb, { minLength: 2, maxLength: 4 }), fc.boolean(), async (files, zero) => {
        const dir = join(tmp, `r${run++}`);
        mkdirSync(dir);
        const paths = files.map((body, i) =>
          writeIndexedVcf(
            join(dir, `f${i}.vcf`),
            vcfText(`S${i}`, body),
            { writeFileSync },
          ),
        );
        for (const mode of ['both', 'none'] as const) {
          const expected = bcftoolsMerge(paths, mode, zero);
          const { lines } = await ourMerge(paths, mode, zero);
          const diff = firstDifference(expected, lines);
          if (diff) throw new Error(`-m ${mode}${zero ? ' -0' : ''} in ${dir}:\n${diff}`);
        }
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: Number(process.env.MERGE_PROP_RUNS ?? 40), seed: Number(process.env.MERGE_PROP_SEED ?? 13) },
    );
    expect(run).toBeGreaterThan(0);
  });
});
