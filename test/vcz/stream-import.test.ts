/**
 * The streaming import (createFromFile / addFiles: VCF read block by block
 * into putBlocks) against the whole-file path (readVcf + putMany), the slow
 * obvious oracle: for every fixture and edge case, at several block sizes and
 * with the staged chunks in memory or in staging files, both depots hold the
 * same variant sets, samples, stats and record bytes. Failures (a REF that
 * disagrees with the depot's, duplicate sample, truncated file, one bad file among several)
 * leave the depot exactly as it was, with no staging file behind.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Depot, isDepotError } from '../../src/index.ts';
import { gunzipSync } from 'node:zlib';
import { addFiles, addSamplesFromFiles, createFromFile, readVcf } from '../../src/io/index.ts';
import { isMergeError } from '../../src/merge/index.ts';
import { isVczError } from '../../src/vcf/index.ts';
import { VCF_DATA_DIR, vcfInputs } from '../vcf/edge-vcfs.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dataDir = VCF_DATA_DIR;
const tmp = useTempDir('stream');
const inputs: string[] = [];

beforeAll(() => {
  inputs.push(...vcfInputs(tmp()));
});

/** Stream every VCF, however small (the default reads files under 4 MiB whole). */
const STREAM = { streamFromBytes: 0 } as const;

/** Everything a depot holds, records as bytes. */
function contents(d: Depot) {
  const samples = d.samples();
  return {
    variantSets: d.variantSets().map((x) => ({ ...x, set: d.variantSet(x.id) })),
    samples,
    info: d.sampleInfo().map(({ addedAt: _a, ...rest }) => rest),
    records: d.getMany(samples).map((v) => [v.sampleId, v.records.map((r) => Buffer.from(r.bytes).toString('base64'))]),
  };
}

function stagingLeft(path: string): string[] {
  return readdirSync(join(path, 'chunks')).filter((f) => f.startsWith('.staging-'));
}

describe('streaming import', () => {
  for (const [blockSize, spillBytes] of [
    [1000, undefined],
    [3, 0],
    [1, undefined],
  ] as const) {
    it(`create --from stores what readVcf + putMany stores (block size ${blockSize}${spillBytes === 0 ? ', every chunk through staging files' : ''})`, async () => {
      for (const file of inputs) {
        const root = mkdtempSync(join(tmp(), 'c-'));
        const whole = await readVcf(file);
        // A file's samples bring its sites; a file without samples declares them.
        const a = Depot.create(join(root, 'a'), whole.sampleIds.length > 0 ? undefined : whole.variantSet, { blockSize });
        if (whole.sampleIds.length > 0) addSamplesFromFiles(a, [{ file, data: whole }]);
        const { depot: b, sampleCount } = await createFromFile(join(root, 'b'), file, { blockSize, streamFromBytes: 0, ...(spillBytes !== undefined ? { spillBytes } : {}) });
        try {
          expect(sampleCount, file).toBe(whole.sampleIds.length);
          expect(contents(b), file).toEqual(contents(a));
          expect(b.version(), file).toBe(a.version());
          expect(stagingLeft(b.path)).toEqual([]);
          expect(b.verify().issues, file).toEqual([]);
        } finally {
          a.close();
          b.close();
          rmSync(root, { recursive: true, force: true });
        }
      }
    });
  }

  it('appends several files (VCF and VCZ) in one transaction, as the whole-file path does', async () => {
    const root = mkdtempSync(join(tmp(), 'a-'));
    const vcz = join(import.meta.dirname, '..', 'data', 'vcz', 'sample.vcz.zip');
    const p1 = join(dataDir, 'sample-part1.vcf.gz');
    const p2 = join(dataDir, 'sample-part2.vcf.gz');
    const one = await readVcf(p1);
    const a = Depot.create(join(root, 'a'), one.variantSet, { blockSize: 4 });
    const b = Depot.create(join(root, 'b'), one.variantSet, { blockSize: 4 });
    try {
      const r = await addFiles(b, [p1, p2], { message: 'two', streamFromBytes: 0 });
      expect(r.files).toEqual([
        { file: p1, samples: 2 },
        { file: p2, samples: 1 },
      ]);
      expect(r.added).toEqual(['NA00001', 'NA00002', 'NA00003']);
      addSamplesFromFiles(a, [
        { file: p1, data: one },
        { file: p2, data: await readVcf(p2) },
      ]);
      expect(contents(b)).toEqual(contents(a));
      // a VCZ with the same samples: all files refused together
      const before = JSON.stringify(contents(b));
      await expect(addFiles(b, [vcz], STREAM)).rejects.toSatisfy((e: unknown) => isDepotError(e, 'duplicate-sample'));
      expect(JSON.stringify(contents(b))).toBe(before);
    } finally {
      a.close();
      b.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads a small VCF whole by default, with the same result', async () => {
    const root = mkdtempSync(join(tmp(), 's-'));
    const file = join(dataDir, 'chr22.vcf.gz');
    const a = (await createFromFile(join(root, 'a'), file, { blockSize: 7 })).depot;
    const b = (await createFromFile(join(root, 'b'), file, { blockSize: 7, streamFromBytes: 0 })).depot;
    try {
      expect(contents(a)).toEqual(contents(b));
    } finally {
      a.close();
      b.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads a VCF twice when its ploidy rises after the first block, and says so', async () => {
    const p = join(tmp(), 'rises.vcf');
    writeFileSync(
      p,
      [
        '##fileformat=VCFv4.3',
        '##contig=<ID=chrY>',
        '##contig=<ID=chr1>',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tM\tF',
        'chrY\t1\t.\tA\tC\t.\t.\t.\tGT\t1\t0',
        'chrY\t2\t.\tA\tC\t.\t.\t.\tGT\t0\t.',
        'chr1\t1\t.\tA\tC,G\t.\t.\t.\tGT\t0/1\t1|2',
      ].join('\n') + '\n',
    );
    const root = mkdtempSync(join(tmp(), 'r-'));
    const whole = await readVcf(p);
    const a = Depot.create(join(root, 'a'), whole.variantSet, { blockSize: 1 });
    addSamplesFromFiles(a, [{ file: p, data: whole }]);
    const b = Depot.create(join(root, 'b'), whole.variantSet, { blockSize: 1 });
    try {
      const r = await addFiles(b, [p], STREAM);
      expect(r.reread).toEqual([p]);
      expect(contents(b)).toEqual(contents(a));
      expect(b.sampleInfo().map((s) => s.ploidy)).toEqual([2, 2]);
      expect(b.verify().issues).toEqual([]);
    } finally {
      a.close();
      b.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  describe('failures leave the depot as it was', () => {
    let root: string;
    let depot: Depot;
    let before: string;
    beforeAll(async () => {
      root = mkdtempSync(join(tmp(), 'f-'));
      const r = await createFromFile(join(root, 'd'), join(dataDir, 'sample-part1.vcf.gz'), { blockSize: 2, spillBytes: 0, streamFromBytes: 0 });
      depot = r.depot;
      before = JSON.stringify({ c: contents(depot), log: depot.log(), stats: { ...depot.stats(), indexBytes: 0 } });
    });
    afterAll(() => {
      depot.close();
      rmSync(root, { recursive: true, force: true });
    });
    const unchanged = () => {
      expect(JSON.stringify({ c: contents(depot), log: depot.log(), stats: { ...depot.stats(), indexBytes: 0 } })).toBe(before);
      expect(stagingLeft(depot.path)).toEqual([]);
      expect(depot.verify().issues.filter((i) => i.severity === 'error')).toEqual([]);
    };

    it('a REF that disagrees with the depot at one POS (another reference): ReferenceMismatchError naming the file and site', async () => {
      const bad = join(tmp(), 'other-ref.vcf');
      const lines = gunzipSync(readFileSync(join(dataDir, 'sample-part2.vcf.gz'))).toString('utf8').split('\n');
      const i = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
      const f = lines[i]!.split('\t');
      // Another REF base (bcftools 1.16 joins a record sharing an ALT without
      // checking the REF; the depot refuses any REF that disagrees with its own).
      f[3] = ['A', 'C', 'G', 'T'].find((b) => b !== f[3] && !f[4]!.split(',').includes(b))!;
      lines[i] = f.join('\t');
      writeFileSync(bad, lines.join('\n'));
      const named = (e: unknown) => isDepotError(e, 'reference-mismatch') && (e as Error).message.startsWith(`${bad}: ${f[0]}:${f[1]} has REF ${f[3]}, but the depot holds `);
      await expect(addFiles(depot, [bad], STREAM)).rejects.toSatisfy(named);
      unchanged();
      await expect(addFiles(depot, [bad])).rejects.toSatisfy(named);
      unchanged();
    });

    it('an unsorted file: MergeUnsortedError naming the file and site', async () => {
      const bad = join(tmp(), 'unsorted.vcf');
      const lines = gunzipSync(readFileSync(join(dataDir, 'sample-part2.vcf.gz'))).toString('utf8').split('\n');
      const i = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
      [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
      writeFileSync(bad, lines.join('\n'));
      await expect(addFiles(depot, [bad])).rejects.toSatisfy((e: unknown) => isMergeError(e, 'merge-unsorted') && (e as Error).message.startsWith(`${bad}: site 1 `));
      unchanged();
    });

    it('a duplicate sample', async () => {
      await expect(addFiles(depot, [join(dataDir, 'sample-part1.vcf.gz')], STREAM)).rejects.toSatisfy((e: unknown) => isDepotError(e, 'duplicate-sample'));
      unchanged();
    });

    it('a truncated file, after its first blocks were staged, and a good file before it', async () => {
      const cut = join(tmp(), 'cut.vcf.gz');
      const bytes = readFileSync(join(dataDir, 'sample-part2.vcf.gz'));
      writeFileSync(cut, bytes.subarray(0, bytes.length - 40));
      const good = join(tmp(), 'good.vcf.gz');
      copyFileSync(join(dataDir, 'sample-part2.vcf.gz'), good);
      await expect(addFiles(depot, [good, cut], STREAM)).rejects.toSatisfy((e: unknown) => isVczError(e, 'vcf-truncated'));
      unchanged();
    });

    it('a cancellation through the AbortSignal, before or during the read', async () => {
      const file = join(dataDir, 'sample-part2.vcf.gz');
      await expect(addFiles(depot, [file], { ...STREAM, signal: AbortSignal.abort(new Error('stop now')) })).rejects.toThrow('stop now');
      unchanged();
      const ac = new AbortController();
      await expect(addFiles(depot, [file], { ...STREAM, signal: ac.signal, onProgress: () => ac.abort(new Error('stop later')) })).rejects.toThrow('stop later');
      unchanged();
    });

    it('a file that does not exist', async () => {
      await expect(addFiles(depot, [join(tmp(), 'nope.vcf.gz')])).rejects.toThrow(/does not exist/);
      unchanged();
    });
  });

  it('create --from removes the new depot when cancelled', async () => {
    const root = mkdtempSync(join(tmp(), 'y-'));
    const ac = new AbortController();
    let calls = 0;
    await expect(
      createFromFile(join(root, 'd'), join(dataDir, 'chr22.vcf.gz'), { blockSize: 10, streamFromBytes: 0, signal: ac.signal, onProgress: () => ++calls === 1 && ac.abort() }),
    ).rejects.toSatisfy((e: unknown) => (e as Error).name === 'AbortError');
    expect(readdirSync(root)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it('create --from removes the new depot when the import fails', async () => {
    const root = mkdtempSync(join(tmp(), 'x-'));
    const bad = join(root, 'bad.vcf');
    writeFileSync(
      bad,
      [
        '##fileformat=VCFv4.3',
        '##contig=<ID=1>',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1',
        '1\t1\t.\tA\tC\t.\t.\t.\tGT\t0/1',
        '1\t2\t.\tA\tC\t.\t.\t.\tGT\t0/3',
      ].join('\n') + '\n',
    );
    await expect(createFromFile(join(root, 'd'), bad, { blockSize: 1, streamFromBytes: 0 })).rejects.toSatisfy((e: unknown) => isVczError(e, 'vcf-genotype'));
    expect(readdirSync(root)).toEqual(['bad.vcf']);
    rmSync(root, { recursive: true, force: true });
  });
});
