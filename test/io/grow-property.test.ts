/**
 * Property (fast-check): a depot grown from random one-sample VCFs (the
 * generator of test/merge/vcf-arb.ts: shared positions, indels, REF
 * extension, multi-allelics, AD/PL/GQ, missing values), in random batches,
 * at a random block size (so tiles cut the merged sites anywhere), with a
 * tag and random removes, reads every live sample at the head and at the tag
 * exactly as the slow obvious model does: `mergeVariantSets` of the live
 * samples' files in the order added, and `remapCalls` of each sample's whole
 * calls onto it (`readSampleViews` builds them tile by tile from the stored
 * records instead). `-m both`/`none` and `-0` drawn too. The merge itself is
 * checked against bcftools by test/merge/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { materializeCalls, type SampleCalls } from '../../src/index.ts';
import { addFiles, createFromFile, readSampleViews, readVcf } from '../../src/io/index.ts';
import { mergeVariantSets, remapCalls } from '../../src/merge/index.ts';
import { fileArb, vcfText } from '../merge/vcf-arb.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('grow-prop');
let run = 0;

/** Calls as plain arrays (typed-array classes and fill widths aside). */
function plain(c: SampleCalls): unknown {
  return {
    ploidy: c.ploidy,
    genotype: c.genotype ? Array.from(c.genotype) : [],
    phased: c.phased ? Array.from(c.phased) : [],
    fields: c.fields.map((f) => ({ id: f.id, width: f.width, values: f.values instanceof Float32Array ? Array.from(new Uint32Array(f.values.buffer, f.values.byteOffset, f.values.length)) : Array.from(f.values as ArrayLike<number | string>) })),
  };
}

it('readSampleViews = mergeVariantSets of the live files + remapCalls of whole samples, at the head and at a tag', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fileArb, { minLength: 2, maxLength: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom('both', 'none') as fc.Arbitrary<'both' | 'none'>,
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 5, maxLength: 5 }),
      fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      async (bodies, blockSize, mode, missingToRef, batches, removed) => {
        const root = join(dir(), `r${run++}`);
        const files = bodies.map((b, i) => {
          const p = join(`${root}-S${i}.vcf`);
          writeFileSync(p, vcfText(`S${i}`, b));
          return p;
        });
        const data = await Promise.all(files.map((f) => readVcf(f)));
        const { depot } = await createFromFile(join(root, 'd'), files[0]!, { blockSize, merge: mode });
        try {
          // The rest in batches of 1–3 files, one commit each; a tag half way.
          let next = 1;
          for (let b = 0; next < files.length; b++) {
            const batch = files.slice(next, next + batches[b % batches.length]!);
            await addFiles(depot, batch);
            next += batch.length;
            if (b === 0) depot.tag('mid');
          }
          if (!depot.tags().length) depot.tag('mid');
          const gone = files.map((_, i) => `S${i}`).filter((_, i) => removed[i] && i > 0);
          if (gone.length) depot.remove(gone);
          for (const at of [undefined, 'mid'] as const) {
            const live = depot.samples(at === undefined ? {} : { at });
            const idx = live.map((s) => Number(s.slice(1)));
            const model = mergeVariantSets(
              idx.map((i) => data[i]!.variantSet),
              { mode },
            );
            const { variantSet, views } = readSampleViews(depot, live, at, { missingToRef });
            if (idx.length > 1) expect(variantSet.alleles).toEqual(model.variantSet.alleles);
            views.forEach((v, k) => {
              const got = materializeCalls(variantSet, v.records);
              const want = idx.length > 1 ? remapCalls(model, k, data[idx[k]!]!.calls(0), undefined, { missingToRef }) : data[idx[k]!]!.calls(0);
              expect(plain(got), `${root} at ${at ?? 'head'}, sample ${v.sampleId}`).toEqual(plain(want));
            });
          }
        } finally {
          depot.close();
        }
      },
    ),
    { numRuns: Number(process.env.GROW_PROP_RUNS ?? 30), seed: Number(process.env.GROW_PROP_SEED ?? 7) },
  );
  expect(run).toBeGreaterThan(0);
}, 300_000);
