import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * VCF text for cases the fixtures in test/data/vcf do not cover (used by
 * test/vcf/vcf.test.ts, which bgzips them with bcftools, and by the windowed
 * reading tests).
 */
/**
 * Extra cases the fixtures do not cover, written here and bgzipped with
 * bcftools: sub-fields dropped per sample, FORMAT keys varying per record,
 * GT absent from a record, Float padding, single `.` INFO values, Character
 * truncation, PASS redeclared, END < POS, int16/int32 dtypes, allele index
 * > 127 (int16 genotypes), ploidy 3, haploid-only records.
 */
export const GENERATED: Record<string, string[]> = {
  edge_cases: [
    '##fileformat=VCFv4.3',
    '##fileDate=20240101',
    '##source=edgecase',
    '##contig=<ID=chr1,length=5000>',
    '##contig=<ID=chr2>',
    '##FILTER=<ID=q10,Description="Quality below 10">',
    '##FILTER=<ID=PASS,Description="Custom pass">',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End">',
    '##INFO=<ID=I2,Number=2,Type=Integer,Description="two ints">',
    '##INFO=<ID=BIG,Number=1,Type=Integer,Description="big">',
    '##INFO=<ID=NONE,Number=1,Type=Integer,Description="never">',
    '##INFO=<ID=F2,Number=2,Type=Float,Description="two floats">',
    '##INFO=<ID=S1,Number=1,Type=String,Description="string">',
    '##INFO=<ID=C1,Number=1,Type=Character,Description="char">',
    '##INFO=<ID=FL,Number=0,Type=Flag,Description="flag">',
    '##INFO=<ID=AC,Number=A,Type=Integer,Description="ac">',
    '##INFO=<ID=SD,Number=.,Type=String,Description="strings">',
    '##ALT=<ID=DEL,Description="Deletion">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="AD">',
    '##FORMAT=<ID=HQ,Number=2,Type=Integer,Description="HQ">',
    '##FORMAT=<ID=FV,Number=.,Type=Float,Description="floats">',
    '##FORMAT=<ID=SS,Number=.,Type=String,Description="strings">',
    '##FORMAT=<ID=CC,Number=1,Type=Character,Description="chars">',
    '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="PL">',
    '##FORMAT=<ID=NEVER,Number=1,Type=Float,Description="never used">',
    '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD',
    'chr1\t5\trs1;rs2\tA\tC\t0.1\tPASS\tI2=.;F2=.;S1=a,b;C1=xyz;FL;AC=3\tGT:DP:AD:HQ\t0/1:1000:1,2:1\t1|0:.:3:5,6\t.\t./.:7',
    'chr1\t10\t.\tACGT\tA,<DEL>\t.\tq10;PASS\tEND=20;I2=1;F2=1.5;BIG=-300;SD=x,y,z\tGT:FV:SS:CC:PL\t0|2:1.5,nan:a,b:q:1,2,3,4,5,6\t1/1:.:.:.:.\t2:0.25:abc:xy:7\t0|0:1e3,2,3:,:.:0',
    'chr1\t20\t.\tG\tT\tinf\t.\tEND=5;BIG=100000;S1=\u00e9t\u00e9\tDP:HQ:FV\t5:.:1\t6:1,2:.\t7\t.',
    'chr2\t1\t.\tT\tG\t12\tq10\tF2=2,.;AC=.\tGT\t0|0/1\t0\t1|1\t.|.',
    'chr2\t2\t.\tT\tG\t12\t.\t.\tGT:DP\t.\t1:4\t0:5\t1:6',
  ],
  many_alleles: [
    '##fileformat=VCFv4.2',
    '##contig=<ID=1,length=100>',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="AD">',
    '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2',
    `1\t1\t.\tA\t${Array.from({ length: 130 }, (_, i) => `A${'C'.repeat(i + 1)}`).join(',')}\t.\t.\t.\tGT:AD\t0/129:1,300\t130|1:.`,
    '1\t2\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1/1',
  ],
};

/** Directory of the VCF fixtures (test/data/vcf). */
export const VCF_DATA_DIR = join(import.meta.dirname, '..', 'data', 'vcf');

/**
 * Paths of every VCF input for import tests: the fixtures of test/data/vcf
 * and the GENERATED cases, written as plain-text VCFs into `dir`.
 */
export function vcfInputs(dir: string): string[] {
  const out = readdirSync(VCF_DATA_DIR)
    .filter((f) => f.endsWith('.vcf.gz'))
    .map((f) => join(VCF_DATA_DIR, f));
  for (const [name, lines] of Object.entries(GENERATED)) {
    const p = join(dir, `${name}.vcf`);
    writeFileSync(p, lines.join('\n') + '\n');
    out.push(p);
  }
  return out;
}
