/**
 * Random small one-sample VCFs for property tests (fast-check): random
 * subsets of positions on 1–2 contigs over one shared reference; SNPs, MNPs,
 * insertions and deletions at shared positions, sometimes two records at one
 * POS in one file; multi-allelic records; REFs of different lengths; ID,
 * QUAL, FILTER, INFO DP and AF (Number=A); FORMAT GT (phased, missing
 * alleles), AD (R), PL (G), GQ; missing values. Used by
 * test/merge/merge-property.test.ts and test/io/grow-property.test.ts.
 */
import fc from 'fast-check';

export const REFSEQ: Record<string, string> = {
  '1': 'ACGTTGCATTAGGCCATACGGTAACTTGCA',
  '2': 'TTGACCAGTACGATCGGATCCATGGCATTA',
};

export const HEADER = [
  '##fileformat=VCFv4.2',
  '##contig=<ID=1,length=30>',
  '##contig=<ID=2,length=30>',
  '##FILTER=<ID=q10,Description="Quality below 10">',
  '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
  '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
  '##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">',
  '##INFO=<ID=AN,Number=1,Type=Integer,Description="Allele number">',
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
  '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
  '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred likelihoods">',
  '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
];

/** One record as drawn: position slot, REF length, ALT kinds, and values. */
export const recordArb = fc.record({
  contig: fc.constantFrom('1', '2'),
  pos: fc.integer({ min: 2, max: 12 }), // a small pool so that files share positions
  refLen: fc.integer({ min: 1, max: 3 }),
  alts: fc.array(fc.constantFrom('snp', 'snp2', 'ins', 'ins2', 'del', 'mnp'), { minLength: 1, maxLength: 3 }),
  id: fc.constantFrom('.', '.', 'rs1', 'rs2'),
  qual: fc.constantFrom('.', '10', '25.5', '3'),
  filter: fc.constantFrom('.', 'PASS', 'q10'),
  dp: fc.option(fc.integer({ min: 0, max: 40 })),
  af: fc.boolean(),
  gt: fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: -1, max: 3 }), fc.boolean()),
  adMissing: fc.boolean(),
  plMissing: fc.constantFrom(false, false, true),
  gq: fc.option(fc.integer({ min: 0, max: 99 })),
  seed: fc.integer({ min: 0, max: 1000 }),
});

const BASES = 'ACGT';

function alleleFor(ref: string, kind: string): string {
  const other = (b: string, k: number): string => BASES[(BASES.indexOf(b) + k) % 4]!;
  switch (kind) {
    case 'snp':
      return other(ref[0]!, 1) + ref.slice(1);
    case 'snp2':
      return other(ref[0]!, 2) + ref.slice(1);
    case 'ins':
      return ref + 'A';
    case 'ins2':
      return ref[0] + 'TT' + ref.slice(1);
    case 'del':
      return ref.length > 1 ? ref.slice(0, ref.length - 1) : ref + 'G';
    default:
      return ref.length > 1 ? other(ref[0]!, 1) + other(ref[1]!, 1) + ref.slice(2) : other(ref[0]!, 3);
  }
}

type Rec = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;

function recordLine(r: Rec): { contig: string; pos: number; line: string } {
  const ref = REFSEQ[r.contig]!.slice(r.pos - 1, r.pos - 1 + r.refLen);
  const alts = [...new Set(r.alts.map((k) => alleleFor(ref, k)))].filter((a) => a !== ref);
  if (!alts.length) alts.push(alleleFor(ref, 'ins'));
  const n = alts.length + 1;
  const info = [r.dp !== null ? `DP=${r.dp}` : '', r.af ? `AF=${alts.map((_, k: number) => ((r.seed + k) % 10) / 10).join(',')}` : ''].filter(Boolean);
  const g = (x: number): string => (x < 0 ? '.' : String(x % n));
  const gt = `${g(r.gt[0])}${r.gt[2] ? '|' : '/'}${g(r.gt[1])}`;
  const ad = r.adMissing ? '.' : Array.from({ length: n }, (_, k) => ((r.seed * (k + 1)) % 7) || '.').join(',');
  const ng = (n * (n + 1)) / 2;
  const pl = r.plMissing ? '.' : Array.from({ length: ng }, (_, k) => (r.seed + 13 * k) % 50).join(',');
  const sample = [gt, ad, pl, r.gq !== null ? String(r.gq) : '.'].join(':');
  return {
    contig: r.contig,
    pos: r.pos,
    line: [r.contig, r.pos, r.id, ref, alts.join(','), r.qual, r.filter, info.join(';') || '.', 'GT:AD:PL:GQ', sample].join('\t'),
  };
}

/** A file: records sorted by contig then POS, at most two records per POS. */
export const fileArb = fc.array(recordArb, { minLength: 1, maxLength: 6 }).map((recs) => {
  const lines = recs.map(recordLine).sort((a, b) => a.contig.localeCompare(b.contig) || a.pos - b.pos);
  const out: typeof lines = [];
  for (const l of lines) if (out.filter((o) => o.contig === l.contig && o.pos === l.pos).length < 2) out.push(l);
  return out.map((l) => l.line);
});


/** The text of one-sample VCF `sample` holding `body` (lines of {@link fileArb}). */
export function vcfText(sample: string, body: readonly string[]): string {
  return [...HEADER, ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', sample].join('\t'), ...body].join('\n') + '\n';
}
