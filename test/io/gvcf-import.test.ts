/**
 * Importing gVCFs (issue 14, import): `create --from` and `append` read a
 * gVCF with readGvcf (whole) or readGvcfWindows (streamed); its variant
 * records go in as a VCF's (their own variant set), each sample's reference
 * blocks are stored with it; gVCFs and plain VCFs mix; bad gVCF input is a
 * typed error naming file and line, and the depot is unchanged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Depot, addFiles, createFromFile } from '../../src/index.ts';
import { decodeReferenceBlocks, readGvcf, readVcf, sniffGvcf } from '../../src/vcf/index.ts';
import { repoRoot, run } from '../helpers/interop.ts';
import { runCli } from '../helpers/cli.ts';
import { depotFingerprint } from '../helpers/fingerprint.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vczdepot-gvcf-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const data = (f: string) => join(repoRoot, 'test', 'data', f);
const MPILEUP = data('gvcf/bcftools-mpileup.6.g.vcf'); // 3 samples, <*>, no GT
const MERGE_A = data('gvcf/bcftools-merge.gvcf.10.a.vcf'); // 1 sample, <*>, GT
const PLAIN = data('vcf/sample.vcf.gz');

/** The blocks stored for every live sample, decoded, by sample id. */
function storedBlocks(d: Depot): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of d.samples()) {
    const b = d.referenceBlocks(s);
    out[s] = b === undefined ? undefined : decodeReferenceBlocks(b);
  }
  return out;
}

/** What readGvcf gives for each sample of `file`. */
async function expectedBlocks(file: string): Promise<Record<string, unknown>> {
  const g = await readGvcf(file);
  return Object.fromEntries(g.sampleIds.map((s, i) => [s, g.referenceBlocks(i)]));
}

describe('gVCF import', () => {
  for (const streamFromBytes of [Infinity, 0]) {
    const how = streamFromBytes === 0 ? 'streamed (readGvcfWindows)' : 'read whole (readGvcf)';
    it(`create from a multi-sample gVCF, ${how}: variant records as the depot's set, every sample's blocks stored`, async () => {
      const path = join(tmp, `mp-${streamFromBytes}`);
      const { depot } = await createFromFile(path, MPILEUP, { streamFromBytes, blockSize: 10 });
      const g = await readGvcf(MPILEUP);
      expect(depot.samples()).toEqual(g.sampleIds);
      expect(g.variantSet.numVariants).toBe(48);
      // Only the variant records are sites (the 47 block records are not).
      expect(depot.variantSet(depot.variantSetAt()[0]).numVariants).toBe(48);
      expect(depot.variantSet(depot.variantSetAt()[0]).position).toEqual(g.variantSet.position);
      expect(storedBlocks(depot)).toEqual(await expectedBlocks(MPILEUP));
      // The calls of the variant records are those readGvcf gives.
      const v = depot.get(g.sampleIds[1]!);
      expect(v.ploidy).toBe(g.calls(1).ploidy);
      expect(depot.stats()).toMatchObject({ referenceBlockSamples: 3 });
      expect(depot.verify().ok).toBe(true);
      depot.close();
    });
  }

  it('streamed and whole imports store the same records and blocks', async () => {
    const a = (await createFromFile(join(tmp, 'w'), MPILEUP, { streamFromBytes: Infinity, blockSize: 7 })).depot;
    const b = (await createFromFile(join(tmp, 's'), MPILEUP, { streamFromBytes: 0, blockSize: 7 })).depot;
    expect(depotFingerprint(b)).toBe(depotFingerprint(a));
    expect(storedBlocks(b)).toEqual(storedBlocks(a));
    a.close();
    b.close();
  });

  it('append mixes gVCFs and a plain VCF in one transaction; the plain samples have no blocks; CLI create/append accept gVCFs', async () => {
    const path = join(tmp, 'mix');
    let r = await runCli('create', path, '--from', MERGE_A);
    expect(r.code, r.err).toBe(0);
    r = await runCli('append', path, PLAIN, MPILEUP);
    expect(r.code, r.err).toBe(0);
    const d = Depot.open(path);
    const plain = await readVcf(PLAIN);
    const blocks = storedBlocks(d);
    expect(Object.keys(blocks)).toEqual(['a', ...plain.sampleIds, 'HG00100', 'HG00101', 'HG00102']);
    for (const s of plain.sampleIds) expect(blocks[s]).toBeUndefined();
    expect({ a: blocks.a }).toEqual(await expectedBlocks(MERGE_A));
    expect(decodeReferenceBlocks(d.referenceBlocks('a')!)).toMatchObject({ contigs: ['chr1', 'chr2'], start: Int32Array.from([1, 1, 4]), end: Int32Array.from([2, 2, 6]) });
    expect(d.variantSets().length).toBe(3);
    d.close();
  });

  it('bgzipped and BCF gVCFs import as the plain file does (the sniff reads through gzip and BCF)', async () => {
    const gz = join(tmp, 'mp.g.vcf.gz');
    const bcf = join(tmp, 'mp.g.bcf');
    run('bcftools', ['view', '--no-version', '-Oz', '-o', gz, MPILEUP]);
    run('bcftools', ['view', '--no-version', '-Ob', '-o', bcf, MPILEUP]);
    const want = await expectedBlocks(MPILEUP);
    for (const f of [gz, bcf]) {
      for (const streamFromBytes of [Infinity, 0]) {
        const { depot } = await createFromFile(join(tmp, `fmt-${f.slice(-3)}-${streamFromBytes}`), f, { streamFromBytes });
        expect(storedBlocks(depot), f).toEqual(want);
        expect(depot.variantSet(depot.variantSetAt()[0]).numVariants, f).toBe(48);
        depot.close();
      }
    }
  });

  it('show densifies as the export does: the gVCF sample 0/0 inside its block, ./. outside', async () => {
    const path = join(tmp, 'show-mix');
    const plain = join(tmp, 'p.vcf');
    writeFileSync(plain, ['##fileformat=VCFv4.2', '##contig=<ID=chr1,length=248956422>', '##contig=<ID=chr2,length=248956422>', '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">', '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tp', 'chr1\t7\t.\tA\tG\t.\t.\t.\tGT\t0/1', 'chr2\t5\t.\tT\tA\t.\t.\t.\tGT\t1/1', ''].join('\n'));
    expect((await runCli('create', path, '--from', MERGE_A)).code).toBe(0);
    expect((await runCli('append', path, plain)).code).toBe(0);
    const r = await runCli('show', path, '-s', 'a,p');
    expect(r.code, r.err).toBe(0);
    const rows = r.out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => { const c = l.split('\t'); return `${c[0]}:${c[1]} ${c[9]} ${c[10]}`; });
    expect(rows).toEqual(['chr2:3 0/1 ./.', 'chr2:5 0/0 1/1', 'chr1:7 ./. 0/1']);
  });

  const bad: [string, string, RegExp][] = [
    ['END before POS', 'chr1\t10\t.\tA\t<*>\t.\t.\tEND=5\tGT\t0/0', /gvcf-block-end/],
    ['overlapping blocks', 'chr1\t10\t.\tA\t<*>\t.\t.\tEND=20\tGT\t0/0\nchr1\t15\t.\tA\t<*>\t.\t.\tEND=30\tGT\t0/0', /gvcf-overlap/],
  ];
  const header = ['##fileformat=VCFv4.2', '##contig=<ID=chr1,length=1000>', '##ALT=<ID=*,Description="any">', '##INFO=<ID=END,Number=1,Type=Integer,Description="end">', '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">', '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNEW'].join('\n');
  for (const [what, body, code] of bad) {
    for (const streamFromBytes of [Infinity, 0]) {
      it(`bad input (${what}, ${streamFromBytes === 0 ? 'streamed' : 'whole'}): a typed error naming file and line; the depot unchanged`, async () => {
        const path = join(tmp, `bad-${what}-${streamFromBytes}`.replace(/ /g, '_'));
        const d = (await createFromFile(path, MERGE_A, { blockSize: 10 })).depot;
        const before = depotFingerprint(d);
        const head = d.version();
        const refBytes = d.stats().referenceBlockBytes;
        const file = join(tmp, `bad-${what.replace(/ /g, '_')}.g.vcf`);
        writeFileSync(file, `${header}\nchr1\t1\t.\tA\t<*>\t.\t.\tEND=5\tGT\t0/0\n${body}\n`);
        const lastLine = 7 + body.split('\n').length;
        let err: any;
        try {
          await addFiles(d, [MPILEUP, file], { streamFromBytes });
        } catch (e) {
          err = e;
        }
        expect(err?.code).toMatch(code);
        expect(err.file).toBe(file);
        expect(err.line).toBe(lastLine);
        expect(err.message).toContain(file);
        expect(d.version()).toBe(head);
        expect(depotFingerprint(d)).toBe(before);
        expect(d.samples()).toEqual(['a']);
        expect(d.stats().referenceBlockBytes).toBe(refBytes);
        expect(d.verify().ok).toBe(true);
        d.close();
      });
    }
  }

  describe('a gVCF whose first block comes after 1,500 variant records without the symbolic allele', () => {
    /** 1,500 variant records `A C` (no symbolic allele) on chr1, then blocks; `gvcfHeader`: GATK's header lines. */
    const lateBlocks = (name: string, gvcfHeader: boolean, withBlocks = gvcfHeader): string => {
      const p = join(tmp, name);
      const head = [
        '##fileformat=VCFv4.2',
        ...(gvcfHeader
          ? [
              '##ALT=<ID=NON_REF,Description="Represents any possible alternative allele not already represented at this location by REF and ALT">',
              '##GVCFBlock0-20=minGQ=0(inclusive),maxGQ=20(exclusive)',
              '##INFO=<ID=END,Number=1,Type=Integer,Description="Stop position of the interval">',
              '##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum DP observed within the GVCF block">',
            ]
          : ['##ALT=<ID=*,Description="Represents any possible spanning deletion allele at this location">']),
        '##contig=<ID=chr1,length=100000>',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype Quality">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
        '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1',
      ];
      const recs: string[] = [];
      for (let i = 1; i <= 1500; i++) recs.push(`chr1\t${i * 10}\t.\tA\tC\t50\t.\t.\tGT:GQ:DP\t0/1:40:12`);
      if (withBlocks) recs.push('chr1\t20001\t.\tG\t<NON_REF>\t.\t.\tEND=20100\tGT:GQ:DP:MIN_DP\t0/0:30:11:8', 'chr1\t20101\t.\tT\t<NON_REF>\t.\t.\tEND=20250\tGT:GQ:DP:MIN_DP\t0/0:20:9:5');
      writeFileSync(p, [...head, ...recs].join('\n') + '\n');
      return p;
    };
    for (const streamFromBytes of [Infinity, 0]) {
      const how = streamFromBytes === 0 ? 'streamed' : 'read whole';
      it(`is imported as a gVCF (found by its header: <NON_REF>, END, ##GVCFBlock, MIN_DP), ${how}`, async () => {
        const file = lateBlocks(`late-${streamFromBytes}.g.vcf`, true);
        const { depot } = await createFromFile(join(tmp, `late-${streamFromBytes}`), file, { streamFromBytes });
        try {
          // The two block records are not sites; S1's blocks are stored.
          expect(depot.variantSet(depot.variantSetAt()[0]).numVariants).toBe(1500);
          const blocks = storedBlocks(depot);
          expect(blocks).toEqual(await expectedBlocks(file));
          const s1 = blocks.S1 as Record<'start' | 'end' | 'gq' | 'minDp', Int32Array>;
          expect([[...s1.start], [...s1.end], [...s1.gq], [...s1.minDp]]).toEqual([[20001, 20101], [20100, 20250], [30, 20], [8, 5]]);
          expect(depot.verify().ok).toBe(true);
        } finally {
          depot.close();
        }
      });
    }
    for (const streamFromBytes of [Infinity, 0]) {
      const how = streamFromBytes === 0 ? 'streamed' : 'read whole';
      it(`a VCF with a gVCF's header lines but no symbolic allele in any record stays a plain VCF, ${how}`, async () => {
        const file = lateBlocks(`header-only-${streamFromBytes}.vcf`, true, false);
        const { depot } = await createFromFile(join(tmp, `header-only-${streamFromBytes}`), file, { streamFromBytes });
        try {
          expect(storedBlocks(depot)).toEqual({ S1: undefined });
          expect(depot.variantSet(depot.variantSetAt()[0]).numVariants).toBe(1500);
        } finally {
          depot.close();
        }
      });
    }
    it("1000 Genomes' joint-called chr22 (GATK header: <NON_REF>, END, ##GVCFBlock, MIN_DP; no block) stays a plain VCF", async () => {
      const file = join(repoRoot, 'test', 'data', 'vcf', 'chr22.vcf.gz');
      expect(await sniffGvcf(file)).toBe(false);
      const { depot } = await createFromFile(join(tmp, 'chr22-joint'), file, { streamFromBytes: 0 });
      try {
        expect(Object.values(storedBlocks(depot)).every((b) => b === undefined)).toBe(true);
      } finally {
        depot.close();
      }
    });
    it('a VCF that only declares the spanning deletion * (GATK joint calling) stays a plain VCF', async () => {
      const file = lateBlocks('joint.vcf', false);
      const { depot } = await createFromFile(join(tmp, 'joint'), file);
      try {
        expect(storedBlocks(depot)).toEqual({ S1: undefined });
        expect(depot.variantSet(depot.variantSetAt()[0]).numVariants).toBe(1500);
      } finally {
        depot.close();
      }
    });
  });
});
