/**
 * The hand cases of docs/growing-cohort.md ("What bcftools 1.16 merge
 * does"), each merged by bcftools 1.16 and by src/merge (`-m both`,
 * `-m none`, and `-0`), compared record by record (merge-oracle.ts). The
 * expected output is whatever bcftools writes: nothing is hard-coded.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMergeError, mergeVariantSets } from '../../src/merge/index.ts';
import { readVcf } from '../../src/vcf/index.ts';
import { run } from '../helpers/interop.ts';
import { bcftoolsMerge, firstDifference, ourMerge, writeIndexedVcf } from './merge-oracle.ts';

const tmp = mkdtempSync(join(tmpdir(), 'merge-hand-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEADER = [
  '##fileformat=VCFv4.2',
  '##contig=<ID=1,length=1000>',
  '##contig=<ID=2,length=1000>',
  '##FILTER=<ID=q10,Description="Quality below 10">',
  '##FILTER=<ID=s50,Description="Less than 50% of samples have data">',
  '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
  '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
  '##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">',
  '##INFO=<ID=AN,Number=1,Type=Integer,Description="Allele number">',
  '##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP">',
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
  '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
  '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred likelihoods">',
  '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
];

/** A one-sample VCF (sample `name`) from body lines `CHROM POS ID REF ALT QUAL FILTER INFO FORMAT SAMPLE` (spaces → tabs). */
function vcf(name: string, body: readonly string[], extraHeader: readonly string[] = []): string {
  const cols = ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', name];
  return [...HEADER, ...extraHeader, cols.join('\t'), ...body.map((l) => l.trim().split(/\s+/).join('\t'))].join('\n') + '\n';
}

let counter = 0;
function files(texts: readonly string[]): string[] {
  const dir = join(tmp, `case${counter++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  return texts.map((t, i) => writeIndexedVcf(join(dir, `f${i}.vcf`), t, { writeFileSync }));
}

const CASES: Record<string, string[]> = {
  'SNP and indel at one POS stay two records, SNP first': [
    vcf('A', ['1 100 . AT A 50 PASS DP=3 GT:AD 0/1:3,4']),
    vcf('B', ['1 100 . A G 40 PASS DP=5 GT:AD 0/1:5,6']),
  ],
  'ALT order by first appearance; GT and R/G fields re-indexed': [
    vcf('A', ['1 10 rsA A C 10 PASS DP=1;AF=0.5 GT:AD:PL 0/1:1,2:10,0,20']),
    vcf('B', ['1 10 rsB A G 20 q10 DP=2;AF=0.25 GT:AD:PL 0/1:4,5:11,0,21']),
    vcf('C', ['1 10 . A T . . DP=4;AF=0.75 GT:AD:PL 1/1:0,7:30,20,0']),
  ],
  'REF extension: AT>A + ATT>A (+ AT>A of a third file)': [
    vcf('A', ['1 20 . AT A 5 . . GT:AD 0/1:1,1']),
    vcf('B', ['1 20 . ATT A 6 . . GT:AD 1/1:0,3']),
    vcf('C', ['1 20 . AT A 7 . . GT:AD 0/1:2,2']),
  ],
  'ID union, QUAL max, FILTER union without PASS': [
    vcf('A', ['1 30 rsA C T 30 PASS DB GT 0/1', '1 31 . G A . . . GT 0/1']),
    vcf('B', ['1 30 rsA;rsB C T 12 q10 . GT 1/1', '1 31 . G A 3 PASS . GT 0|1']),
  ],
  'sample without the site, field the file lacks, sites on two contigs': [
    vcf('A', ['1 40 . A C . . . GT:GQ 0/1:30', '2 5 . G T . . . GT:GQ 1/1:40']),
    vcf('B', ['1 41 . C G . . . GT 0/1', '2 5 . G T . . . GT 0/1', '2 9 . T TA . . . GT ./.']),
  ],
  'multi-allelic record takes a contained biallelic one (-m none too)': [
    vcf('A', ['1 50 . A G . . . GT:AD:PL 0/1:3,4:10,0,30']),
    vcf('B', ['1 50 . A G,T . . . GT:AD:PL 1/2:0,4,5:50,30,40,20,0,35']),
    vcf('C', ['1 50 . A T . . . GT:AD:PL 0/1:2,2:9,0,9']),
  ],
  'missing AD/PL values, phased calls with a missing allele': [
    vcf('A', ['1 60 . C A . . . GT:AD:PL 0|.:.:.', '1 61 . C T . . . GT:AD 1|0:.,3']),
    vcf('B', ['1 60 . C G . . . GT:AD:PL .|1:2,.:5,.,0', '1 61 . C T . . . GT:AD 0/0:4,0']),
  ],
};

describe('bcftools merge hand cases (docs/growing-cohort.md)', () => {
  for (const [name, texts] of Object.entries(CASES)) {
    for (const mode of ['both', 'none'] as const) {
      for (const zero of [false, true]) {
        it(`${name} (-m ${mode}${zero ? ' -0' : ''})`, async () => {
          const paths = files(texts);
          const expected = bcftoolsMerge(paths, mode, zero);
          const { lines } = await ourMerge(paths, mode, zero);
          expect(firstDifference(expected, lines)).toBeUndefined();
        });
      }
    }
  }

  it('records whose REFs disagree at one POS are a MergeRefMismatchError naming the set and site (bcftools exits too)', async () => {
    const paths = files([vcf('A', ['1 70 . AC A . . . GT 0/1']), vcf('B', ['1 70 . AG A . . . GT 0/1'])]);
    const r = run('bcftools', ['merge', '--no-version', ...paths], { allowFailure: true });
    expect(r.status).not.toBe(0);
    const sets = await Promise.all(paths.map(async (p) => (await readVcf(p)).variantSet));
    let err: unknown;
    try {
      mergeVariantSets(sets, { mode: 'both' });
    } catch (e) {
      err = e;
    }
    expect(isMergeError(err, 'merge-ref-mismatch')).toBe(true);
    expect((err as Error).message).toMatch(/variant set 1: site 0 \(1:70 AG>A\)/);
  });

  it('an unsorted set is a MergeUnsortedError naming the set and site', async () => {
    const [p] = files([vcf('A', ['1 80 . A C . . . GT 0/1', '1 90 . A C . . . GT 0/1'])]);
    const vs = (await readVcf(p!)).variantSet;
    const swapped = { ...vs, position: Int32Array.from([90, 80]) };
    let err: unknown;
    try {
      mergeVariantSets([vs, swapped], { mode: 'both' });
    } catch (e) {
      err = e;
    }
    expect(isMergeError(err, 'merge-unsorted')).toBe(true);
    expect((err as Error).message).toMatch(/variant set 1: site 1/);
  });
});
