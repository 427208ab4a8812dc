/**
 * Many small files, the shape the set-by-set merge is built for (merge.ts):
 * 48 one-sample files on two contigs, each with positions of its own (so the
 * union of sites keeps growing and `unionSorted` leaves its fold for the
 * pairwise rounds), plus positions every file shares: one with the same
 * alleles everywhere (a "simple" slot: one record, identity maps), one whose
 * ALT varies between files (the vcfmerge.c rounds), and one where some files
 * carry a SNP and an indel at the same POS. ID, QUAL, FILTER, INFO DP (sum)
 * and AF (Number=A) vary per file. Merged by bcftools 1.16 and by src/merge,
 * `-m both` and `-m none`: record by record equal (merge-oracle.ts).
 *
 * Also `unionSorted` alone against a plain sort, on lists that share most
 * values (the fold) and lists that share none (the rounds).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unionSorted } from '../../src/merge/merge.ts';
import { bcftoolsMerge, firstDifference, ourMerge, writeIndexedVcf } from './merge-oracle.ts';

const tmp = mkdtempSync(join(tmpdir(), 'merge-many-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEADER = [
  '##fileformat=VCFv4.2',
  '##contig=<ID=1,length=100000>',
  '##contig=<ID=2,length=100000>',
  '##FILTER=<ID=q10,Description="Quality below 10">',
  '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
  '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
  '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
];

const BASES = 'ACGT';

/** File `i`'s body lines: CHROM POS ID REF ALT QUAL FILTER INFO FORMAT sample. */
function body(i: number): string[] {
  const recs: [string, number, string][] = [];
  const rec = (contig: string, pos: number, ref: string, alt: string): void => {
    const n = alt.split(',').length;
    const id = i % 3 === 0 ? `rs${pos}_${i % 2}` : '.';
    const qual = i % 4 === 0 ? '.' : String(10 + ((i * 7 + pos) % 40));
    const filter = i % 5 === 0 ? 'q10' : i % 5 === 1 ? '.' : 'PASS';
    const info = [i % 6 === 0 ? '' : `DP=${(i + pos) % 30}`, `AF=${Array.from({ length: n }, (_, k) => ((i + k) % 10) / 10).join(',')}`].filter(Boolean).join(';');
    const ad = Array.from({ length: n + 1 }, (_, k) => (i + k) % 9).join(',');
    recs.push([contig, pos, [contig, pos, id, ref, alt, qual, filter, info, 'GT:AD', `0/1:${ad}`].join('\t')]);
  };
  // Shared by every file.
  rec('1', 500, 'A', 'C');
  rec('1', 600, 'G', i % 3 === 0 ? 'T' : i % 3 === 1 ? 'A' : 'A,T');
  rec('2', 700, 'C', 'G');
  if (i % 2 === 0) rec('2', 700, 'CT', 'C');
  // Its own positions: 6 on each contig.
  for (let j = 0; j < 6; j++) {
    const pos = 1000 + i * 40 + j * 5;
    const ref = BASES[(i + j) % 4]!;
    rec('1', pos, ref, BASES[(i + j + 1) % 4]!);
    rec('2', pos + 3, ref, j % 3 === 0 ? `${ref}A` : BASES[(i + j + 2) % 4]!);
  }
  recs.sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
  return recs.map((r) => r[2]);
}

describe('48 one-sample files with sites of their own and shared sites', () => {
  const dir = join(tmp, 'files');
  mkdirSync(dir);
  const paths = Array.from({ length: 48 }, (_, i) =>
    writeIndexedVcf(
      join(dir, `f${i}.vcf`),
      [...HEADER, ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', `S${i}`].join('\t'), ...body(i)].join('\n') + '\n',
      { writeFileSync },
    ),
  );
  for (const mode of ['both', 'none'] as const) {
    it(`equals bcftools merge -m ${mode}`, async () => {
      const expected = bcftoolsMerge(paths, mode);
      expect(expected.length).toBeGreaterThan(48 * 12);
      const { lines } = await ourMerge(paths, mode);
      expect(firstDifference(expected, lines)).toBeUndefined();
    });
  }
});

describe('unionSorted', () => {
  /** The sorted distinct values, by a plain sort. */
  const expected = (lists: Int32Array[]): number[] => [...new Set(lists.flatMap((l) => [...l]))].sort((a, b) => a - b);

  it('lists sharing most values (the fold), duplicates within a list kept once', () => {
    const lists = Array.from({ length: 30 }, (_, i) => Int32Array.from([1, 5, 5, 9, 20 + i, 100, 100 + (i % 4)].sort((a, b) => a - b)));
    expect([...unionSorted(lists)]).toEqual(expected(lists));
  });

  it('lists sharing nothing (the fold gives way to pairwise rounds)', () => {
    const lists = Array.from({ length: 101 }, (_, i) => Int32Array.from({ length: 50 }, (_, k) => k * 1000 + i));
    expect([...unionSorted(lists)]).toEqual(expected(lists));
  });

  it('no lists, and empty lists', () => {
    expect([...unionSorted([])]).toEqual([]);
    expect([...unionSorted([new Int32Array(0), Int32Array.from([3]), new Int32Array(0)])]).toEqual([3]);
  });
});
