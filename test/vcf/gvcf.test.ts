/**
 * gVCF input (src/vcf/gvcf.ts): the split of real gVCFs from bcftools' test
 * suite (test/data/gvcf) into variant records and reference blocks, checked
 * against bcftools (1.16, Debian) as the oracle:
 * - variant records: `bcftools norm -m-` splits each record into one record
 *   per ALT, re-indexing Number=A/R/G itself; dropping the `<*>` records
 *   leaves, for each of our re-indexed ALTs, bcftools' own values of it;
 *   and `bcftools view -a` (trim ALTs no GT calls) drops `<NON_REF>` from a
 *   GATK-style file with GT, AD (R), PL (G) and an INFO Number=A field;
 * - reference blocks: `bcftools convert --gvcf2vcf -f REF.fa` expands each
 *   block into one record per position, with its FORMAT values; and a plain
 *   line-by-line reading of the file in this test.
 * Then the typed errors for bad gVCFs, each with file and line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INT_MISSING, sliceCalls, type FieldValues, type SampleCalls } from '../../src/codec/index.ts';
import { readVcf } from '../../src/vcf/index.ts';
import { readGvcf, readGvcfWindows, type GvcfData } from '../../src/vcf/gvcf.ts';
import type { VcfCallShape } from '../../src/vcf/types.ts';
import { isVczdepotError } from '../../src/errors.ts';
import { repoRoot, run } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dataDir = join(repoRoot, 'test', 'data', 'gvcf');
const MPILEUP = join(dataDir, 'bcftools-mpileup.6.g.vcf');
const MPILEUP_REF = join(dataDir, 'bcftools-mpileup.ref.fa');
const MERGE10 = join(dataDir, 'bcftools-merge.gvcf.10.a.vcf');
const MERGE10_REF = join(dataDir, 'bcftools-merge.gvcf.10.fa');
const tmp = useTempDir('gvcf');

function field(calls: SampleCalls, id: string): FieldValues {
  const f = calls.fields.find((x) => x.id === id);
  if (!f) throw new Error(`no FORMAT/${id}`);
  return f;
}

/** Index of diploid genotype (a, b), a ≤ b, in VCF order (VCF 4.3 §1.6.2). */
const gIndex = (a: number, b: number): number => (b * (b + 1)) / 2 + a;

/** Blocks as plain rows, for comparing. */
function blockRows(d: GvcfData, s: number): string[] {
  const b = d.referenceBlocks(s);
  return Array.from(b.start, (start, i) => `${b.contigs[b.contig[i]!]}:${start}-${b.end[i]} gq=${b.gq[i]} dp=${b.minDp[i]} p=${b.ploidy[i]}`);
}

/**
 * The blocks of a gVCF by a plain reading of its lines (independent of
 * src/vcf): a record whose ALT is `<*>` or `<NON_REF>` alone spans
 * POS..END; GQ is FORMAT/GQ, depth FORMAT/MIN_DP else DP; a sample with a
 * GT other than all-0 gets no block.
 */
function naiveBlocks(path: string): string[][] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('##'));
  const samples = lines[0]!.split('\t').slice(9);
  const out: string[][] = samples.map(() => []);
  for (const line of lines.slice(1)) {
    const c = line.split('\t');
    if (c[4] !== '<*>' && c[4] !== '<NON_REF>') continue;
    const end = /(?:^|;)END=(\d+)/.exec(c[7]!)?.[1] ?? c[1];
    const keys = c[8]!.split(':');
    samples.forEach((_, s) => {
      const v = c[9 + s]!.split(':');
      const get = (k: string) => (keys.includes(k) && v[keys.indexOf(k)] !== '.' ? Number(v[keys.indexOf(k)]) : -1);
      const gt = keys.includes('GT') ? v[keys.indexOf('GT')]!.split(/[/|]/) : [];
      if (gt.some((a) => a !== '0')) return;
      const dp = get('MIN_DP') >= 0 ? get('MIN_DP') : get('DP');
      out[s]!.push(`${c[0]}:${c[1]}-${end} gq=${get('GQ')} dp=${dp} p=${gt.length}`);
    });
  }
  return out;
}

describe('a real gVCF: bcftools mpileup --gvcf (3 samples, <*>, PL/DP/DV, no GT)', () => {
  it('variant records equal bcftools norm -m- without the <*> records, value for value', async () => {
    const d = await readGvcf(MPILEUP);
    expect(d.isGvcf).toBe(true);
    const vs = d.variantSet;
    // No <*> left, and no END on variant records.
    expect(vs.alleles.every((a) => !a.includes('<*>'))).toBe(true);
    expect(Array.from(vs.length)).toEqual(vs.alleles.map((a) => a[0]!.length));

    const split = run('bash', ['-c', `bcftools norm -m- '${MPILEUP}' | bcftools view -e 'ALT="<*>"' | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%QUAL\\t%INFO/DP\\t%INFO/QS[\\t%PL][\\t%DP][\\t%DV]\\n'`]).stdout.trim().split('\n');
    const seen = new Set<string>();
    const byKey = new Map<string, number>();
    for (let v = 0; v < vs.numVariants; v++) byKey.set(`${vs.position[v]}:${vs.alleles[v]![0]}`, v);
    const calls = d.sampleIds.map((_, s) => d.calls(s));
    const infoDp = vs.info.find((c) => c.def.id === 'DP')!;
    const infoQs = vs.info.find((c) => c.def.id === 'QS')!;
    for (const row of split) {
      const c = row.split('\t');
      const v = byKey.get(`${c[1]}:${c[2]}`);
      expect(v, row).toBeDefined();
      const j = vs.alleles[v!]!.indexOf(c[3]!);
      expect(j, row).toBeGreaterThan(0);
      seen.add(`${v}:${j}`);
      expect(vs.quality[v!]).toBe(Math.fround(Number(c[4])));
      expect(infoDp.values[v!]).toBe(c[5] === '.' ? INT_MISSING : Number(c[5]));
      const qs = c[6]!.split(',').map((x) => Math.fround(Number(x)));
      expect([infoQs.values[v! * infoQs.width]!, infoQs.values[v! * infoQs.width + j]!], row).toEqual(qs);
      for (let s = 0; s < 3; s++) {
        const pl = field(calls[s]!, 'PL');
        const ours = [gIndex(0, 0), gIndex(0, j), gIndex(j, j)].map((g) => pl.values[v! * pl.width + g]);
        expect(ours, `${row} sample ${s}`).toEqual(c[7 + s]!.split(',').map(Number));
        expect(field(calls[s]!, 'DP').values[v!]).toBe(Number(c[10 + s]));
        expect(field(calls[s]!, 'DV').values[v!]).toBe(Number(c[13 + s]));
      }
    }
    // Every (variant, ALT) of ours is one of bcftools' split records.
    const all = vs.alleles.flatMap((a, v) => a.slice(1).map((_, k) => `${v}:${k + 1}`));
    expect([...seen].sort()).toEqual(all.sort());
  });

  it('reference blocks equal bcftools convert --gvcf2vcf (one record per position) and a plain reading', async () => {
    const d = await readGvcf(MPILEUP);
    const naive = naiveBlocks(MPILEUP);
    expect(d.blockRecords).toBe(naive[0]!.length);
    expect(d.blockRecords).toBeGreaterThan(40);
    for (let s = 0; s < 3; s++) expect(blockRows(d, s)).toEqual(naive[s]);

    const expanded = run('bash', ['-c', `bcftools convert --gvcf2vcf -f '${MPILEUP_REF}' '${MPILEUP}' | bcftools query -f '%CHROM\\t%POS\\t%ALT[\\t%DP]\\n'`]).stdout.trim().split('\n')
      // a record whose ALT is <*> alone (bcftools' filter ALT="<*>" also matches C,<*>)
      .filter((r) => r.split('\t')[2] === '<*>')
      .map((r) => r.split('\t').filter((_, k) => k !== 2).join('\t'));
    for (let s = 0; s < 3; s++) {
      const b = d.referenceBlocks(s);
      const ours: string[] = [];
      for (let i = 0; i < b.start.length; i++) for (let p = b.start[i]!; p <= b.end[i]!; p++) ours.push(`${b.contigs[b.contig[i]!]}\t${p}\t${b.minDp[i]}`);
      expect(ours).toEqual(expanded.map((r) => { const c = r.split('\t'); return `${c[0]}\t${c[1]}\t${c[2 + s]}`; }));
    }
  });

  it('reads the same from the file bgzipped and as BCF (bcftools view -Oz / -Ob)', async () => {
    const plain = await readGvcf(MPILEUP);
    for (const [ext, type] of [['vcf.gz', 'z'], ['bcf', 'b']] as const) {
      const path = join(tmp(), `mpileup.g.${ext}`);
      run('bcftools', ['view', `-O${type}`, '-o', path, MPILEUP]);
      const d = await readGvcf(path);
      expect(d.variantSet.alleles, ext).toEqual(plain.variantSet.alleles);
      expect(Array.from(d.variantSet.position), ext).toEqual(Array.from(plain.variantSet.position));
      for (let s = 0; s < 3; s++) {
        expect(d.calls(s), `${ext} sample ${s}`).toEqual(plain.calls(s));
        expect(d.referenceBlocks(s), `${ext} sample ${s}`).toEqual(plain.referenceBlocks(s));
      }
    }
  });

  it('readGvcfWindows hands out the variant records window by window as readGvcf reads them, and the same blocks', async () => {
    const full = await readGvcf(MPILEUP);
    const V = full.variantSet.numVariants;
    const windowSize = 7;
    const read = async (shape?: VcfCallShape) => {
      const got: { start: number; end: number; calls: SampleCalls[] }[] = [];
      const r = await readGvcfWindows(MPILEUP, {
        windowSize,
        maxAlleles: Math.max(...full.variantSet.alleles.map((a) => a.length)),
        ...(shape ? { shape } : {}),
        onWindow: (w) => got.push({ start: w.start, end: w.end, calls: [0, 1, 2].map((i) => w.calls(i)) }),
      });
      return { r, got };
    };
    let { r, got } = await read();
    // The first window's PL is 3 wide, a later one's 6 (a record G,C,<*>): a second read with the final shape.
    expect(r.window.restartNeeded).toBe(true);
    ({ r, got } = await read(r.window.shape));
    expect(r.window.restartNeeded).toBe(false);
    expect(r.variantSet).toEqual(full.variantSet);
    expect(got.map((w) => [w.start, w.end])).toEqual(Array.from({ length: Math.ceil(V / windowSize) }, (_, k) => [k * windowSize, Math.min(V, (k + 1) * windowSize)]));
    for (const w of got) for (let s = 0; s < 3; s++) expect(w.calls[s], `window ${w.start} sample ${s}`).toEqual(sliceCalls(full.calls(s), w.start, w.end));
    for (let s = 0; s < 3; s++) expect(r.referenceBlocks(s)).toEqual(full.referenceBlocks(s));
    expect(() => r.calls(0)).toThrow();
  });

  it('a block record without END is a one-base block', async () => {
    const d = await readGvcf(MPILEUP);
    const rows = blockRows(d, 0);
    expect(rows).toContain('17:114-114 gq=-1 dp=10 p=0');
  });
});

describe('a real gVCF with GT: bcftools merge.gvcf.10.a', () => {
  it('variant records equal bcftools view -a (unused <*> trimmed); blocks equal --gvcf2vcf', async () => {
    const d = await readGvcf(MERGE10);
    expect(d.variantSet.alleles).toEqual([['G', 'C']]);
    expect(Array.from(d.calls(0).genotype!)).toEqual([0, 1]);
    const oracle = run('bash', ['-c', `bcftools view -a '${MERGE10}' | bcftools query -i 'ALT!="."' -f '%POS\\t%REF\\t%ALT[\\t%GT]\\n'`]).stdout.trim();
    expect(oracle).toBe('3\tG\tC\t0/1');
    const expanded = run('bash', ['-c', `bcftools convert --gvcf2vcf -f '${MERGE10_REF}' '${MERGE10}' | bcftools query -f '%CHROM:%POS %ALT[ %GT]\\n'`]).stdout.trim().split('\n')
      .filter((r) => r.split(' ')[1] === '<*>')
      .map((r) => r.replace(' <*>', ''));
    const b = d.referenceBlocks(0);
    const ours: string[] = [];
    for (let i = 0; i < b.start.length; i++) for (let p = b.start[i]!; p <= b.end[i]!; p++) ours.push(`${b.contigs[b.contig[i]!]}:${p} ${b.ploidy[i] === 2 ? '0/0' : '?'}`);
    expect(ours).toEqual(expanded);
  });
});

// ---- GATK-style gVCFs written here ---------------------------------------------

const GATK_HEADER = [
  '##fileformat=VCFv4.2',
  '##ALT=<ID=NON_REF,Description="Represents any possible alternative allele not already represented at this location by REF and ALT">',
  '##INFO=<ID=END,Number=1,Type=Integer,Description="Stop position of the interval">',
  '##INFO=<ID=MLEAC,Number=A,Type=Integer,Description="Maximum likelihood expectation (MLE) for the allele counts">',
  '##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
  '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
  '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
  '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype Quality">',
  '##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum DP observed within the GVCF block">',
  '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Normalized, Phred-scaled likelihoods">',
  '##contig=<ID=20,length=64444167>',
  '##contig=<ID=21,length=46709983>',
];
const CHROM1 = '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA12878';
const CHROM2 = `${CHROM1}\tNA12891`;
const BLOCK = (pos: number, end: number, gq = 30, minDp = 12) => `20\t${pos}\t.\tA\t<NON_REF>\t.\t.\tEND=${end}\tGT:DP:GQ:MIN_DP:PL\t0/0:15:${gq}:${minDp}:0,${gq},450`;
const SNP = (pos: number) => `20\t${pos}\t.\tC\tT,<NON_REF>\t55.6\t.\tDP=9;MLEAC=1,0\tGT:AD:DP:GQ:PL\t0/1:4,5,0:9:60:90,0,60,102,75,177`;

function write(name: string, lines: readonly string[]): string {
  const path = join(tmp(), name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('GATK-style <NON_REF> gVCFs', () => {
  const VARIANTS = [
    SNP(101),
    // multi-allelic, <NON_REF> last: AD R (4), PL G (10), MLEAC A (3)
    '20\t110\t.\tA\tC,G,<NON_REF>\t99\t.\tDP=20;MLEAC=1,1,0\tGT:AD:DP:GQ:PL\t1/2:1,9,10,0:20:99:400,300,280,250,0,260,500,330,310,600',
    // deletion; its END restates the REF span and is dropped
    '20\t120\t.\tACT\tA,<NON_REF>\t40\t.\tEND=122;DP=7;MLEAC=2,0\tGT:AD:DP:GQ:PL\t1|1:0,7,0:7:21:315,21,0,315,21,315',
    // the symbolic allele between two ALTs (not what GATK writes, but a valid record): AD, PL, MLEAC re-indexed
    '20\t201\t.\tG\tT,<NON_REF>,C\t60\t.\tDP=12;MLEAC=1,0,1\tGT:AD:DP:GQ:PL\t1/3:2,5,0,5:12:50:500,10,400,600,610,620,20,0,630,30',
    '21\t5\t.\tG\tGA,<NON_REF>\t30\t.\tDP=4;MLEAC=1,0\tGT:AD:DP:GQ:PL\t0/1:2,2,0:4:30:60,0,60,66,66,132',
  ];

  it('variant records equal bcftools view -a (GT, AD, PL, INFO Number=A re-indexed without <NON_REF>)', async () => {
    const gvcf = write('gatk.g.vcf', [
      ...GATK_HEADER, CHROM1,
      BLOCK(1, 100), VARIANTS[0]!, BLOCK(102, 109, 20, 7), VARIANTS[1]!, BLOCK(111, 119), VARIANTS[2]!,
      // the block after a deletion starts inside its REF span (GATK writes this)
      BLOCK(121, 200, 45, 3), VARIANTS[3]!, VARIANTS[4]!, '21\t6\t.\tT\t<NON_REF>\t.\t.\t.\tGT:DP:GQ:MIN_DP:PL\t0/0:3:9:3:0,9,90',
    ]);
    const onlyVariants = write('gatk-variants.vcf', [...GATK_HEADER, CHROM1, ...VARIANTS]);
    const oracle = join(tmp(), 'oracle.vcf');
    run('bcftools', ['view', '-a', '-o', oracle, onlyVariants]);
    const d = await readGvcf(gvcf);
    const o = await readVcf(oracle);
    expect(d.variantSet.alleles).toEqual(o.variantSet.alleles);
    expect(d.variantSet.alleles[1]).toEqual(['A', 'C', 'G']);
    expect(Array.from(d.variantSet.position)).toEqual(Array.from(o.variantSet.position));
    expect(Array.from(d.variantSet.length)).toEqual([1, 1, 3, 1, 1]);
    expect(d.variantSet.alleles[3]).toEqual(['G', 'T', 'C']);
    const mleac = (x: { variantSet: typeof d.variantSet }) => x.variantSet.info.find((c) => c.def.id === 'MLEAC')!;
    expect(mleac(d).width).toBe(2);
    expect(Array.from(mleac(d).values as Int8Array)).toEqual(Array.from(mleac(o).values as Int8Array));
    const [ours, theirs] = [d.calls(0), o.calls(0)];
    expect(Array.from(ours.genotype!)).toEqual(Array.from(theirs.genotype!));
    expect(Array.from(ours.phased!)).toEqual(Array.from(theirs.phased!));
    for (const id of ['AD', 'DP', 'GQ', 'PL']) {
      expect(field(ours, id).width, id).toBe(field(theirs, id).width);
      expect(Array.from(field(ours, id).values as Int32Array), id).toEqual(Array.from(field(theirs, id).values as Int32Array));
    }
    // END is dropped from the deletion: INFO/END is missing everywhere.
    const end = d.variantSet.info.find((c) => c.def.id === 'END')!;
    expect(Array.from(end.values as Int8Array).every((x) => x === INT_MISSING)).toBe(true);
    // Blocks, from the plain reading.
    expect(blockRows(d, 0)).toEqual(naiveBlocks(gvcf)[0]);
    expect(blockRows(d, 0)).toEqual([
      '20:1-100 gq=30 dp=12 p=2', '20:102-109 gq=20 dp=7 p=2', '20:111-119 gq=30 dp=12 p=2', '20:121-200 gq=45 dp=3 p=2', '21:6-6 gq=9 dp=3 p=2',
    ]);
  });

  it('a GT that calls <NON_REF> reads as missing at that allele; a block GT ./. or 0/1 gives no block', async () => {
    const d = await readGvcf(write('nonref-call.g.vcf', [
      ...GATK_HEADER, CHROM2,
      '20\t1\t.\tA\t<NON_REF>\t.\t.\tEND=9\tGT:DP:GQ:MIN_DP:PL\t0/0:15:30:12:0,30,450\t./.:0:0:0:0,0,0',
      '20\t10\t.\tC\tT,<NON_REF>\t50\t.\tDP=9;MLEAC=1,0\tGT:AD:DP:GQ:PL\t0/2:4,0,5:9:60:90,0,60,102,75,177\t1/1:0,9,0:9:27:300,27,0,300,27,300',
      '20\t11\t.\tA\t<NON_REF>\t.\t.\tEND=20\tGT:DP:GQ:MIN_DP:PL\t0/1:15:30:12:0,30,450\t0|0:8:24:8:0,24,300',
    ]));
    expect(Array.from(d.calls(0).genotype!)).toEqual([0, -1]);
    expect(Array.from(d.calls(1).genotype!)).toEqual([1, 1]);
    expect(Array.from(field(d.calls(0), 'AD').values as Int8Array)).toEqual([4, 0]);
    expect(blockRows(d, 0)).toEqual(['20:1-9 gq=30 dp=12 p=2']);
    expect(blockRows(d, 1)).toEqual(['20:11-20 gq=24 dp=8 p=2']);
  });

  it('a declared but unused symbolic allele, and a plain VCF, read exactly as readVcf reads them', async () => {
    for (const [name, lines] of [
      ['declared.g.vcf', [...GATK_HEADER, CHROM1, '20\t10\t.\tC\tT\t50\t.\tDP=9;MLEAC=1\tGT:AD:DP:GQ:PL\t0/1:4,5:9:60:90,0,60']],
      ['plain.vcf', [...GATK_HEADER.filter((l) => !l.startsWith('##ALT')), CHROM1, '20\t10\t.\tC\tT\t50\t.\tDP=9;MLEAC=1\tGT:AD:DP:GQ:PL\t0/1:4,5:9:60:90,0,60']],
    ] as const) {
      const path = write(name, lines);
      const d = await readGvcf(path);
      const v = await readVcf(path);
      expect(d.isGvcf).toBe(name === 'declared.g.vcf');
      expect(d.variantSet).toEqual(v.variantSet);
      expect(d.calls(0)).toEqual(v.calls(0));
      expect(d.referenceBlocks(0).start.length).toBe(0);
      expect(() => d.referenceBlocks(1)).toThrow(RangeError);
    }
  });
});

describe('bad gVCFs: typed errors naming file and line', () => {
  const line = (k: number) => GATK_HEADER.length + 2 + k; // 1-based line of data line k (0-based), after the #CHROM line

  async function expectError(name: string, data: readonly string[], code: string, badLine: number, pattern: RegExp): Promise<Error & Record<string, unknown>> {
    const path = write(name, [...GATK_HEADER, CHROM1, ...data]);
    let caught: unknown;
    try {
      await readGvcf(path);
    } catch (err) {
      caught = err;
    }
    expect(isVczdepotError(caught), `got ${String(caught)}`).toBe(true);
    const err = caught as Error & Record<string, unknown>;
    expect(err.code).toBe(code);
    expect(err.file).toBe(path);
    expect(err.line).toBe(badLine);
    expect(err.message).toContain(`${path}:${badLine}`);
    expect(err.message).toMatch(pattern);
    return err;
  }

  it('END before POS on a block', async () => {
    await expectError('end-before.g.vcf', [BLOCK(1, 100), BLOCK(150, 149)], 'gvcf-block-end', line(1), /END=149, before its POS/);
  });

  it('overlapping blocks of a sample', async () => {
    const err = await expectError('overlap.g.vcf', [BLOCK(1, 100), BLOCK(100, 120)], 'gvcf-overlap', line(1), /overlaps the sample's block at line/);
    expect(err.kind).toBe('block-block');
    expect(err.sample).toBe('NA12878');
    expect(err.previousLine).toBe(line(0));
  });

  it('a variant record inside a block', async () => {
    const err = await expectError('in-block.g.vcf', [BLOCK(1, 100), SNP(50)], 'gvcf-overlap', line(1), /lies inside the reference block/);
    expect(err.kind).toBe('variant-in-block');
  });

  it('a block starting at a variant record\'s POS', async () => {
    const err = await expectError('at-variant.g.vcf', [SNP(101), BLOCK(101, 110)], 'gvcf-overlap', line(1), /starts at or before the variant record/);
    expect(err.kind).toBe('block-at-variant');
  });

  it('END on a variant record that changes its span', async () => {
    const bad = '20\t120\t.\tACT\tA,<NON_REF>\t40\t.\tEND=130;DP=7;MLEAC=2,0\tGT:AD:DP:GQ:PL\t1/1:0,7,0:7:21:315,21,0,315,21,315';
    await expectError('record-end.g.vcf', [BLOCK(1, 100), bad], 'gvcf-record-end', line(1), /END=130, but its REF spans 120..122/);
  });

  it('unsorted records: POS going back, a contig coming back', async () => {
    await expectError('unsorted.g.vcf', [BLOCK(200, 300), SNP(101)], 'gvcf-unsorted', line(1), /POS 101 comes after POS 200/);
    await expectError('contig-back.g.vcf', [BLOCK(1, 10), '21\t6\t.\tT\t<NON_REF>\t.\t.\t.\tGT:DP:GQ:MIN_DP:PL\t0/0:3:9:3:0,9,90', BLOCK(20, 30)], 'gvcf-unsorted', line(2), /contig '20' comes back/);
  });

  it('a block whose GQ or END is not a number', async () => {
    await expectError('gq.g.vcf', [BLOCK(1, 10).replace(':30:12:', ':high:12:')], 'vcf-value', line(0), /FORMAT\/GQ of sample 'NA12878' has value 'high'/);
    await expectError('end-text.g.vcf', [BLOCK(1, 10).replace('END=10', 'END=ten')], 'vcf-value', line(0), /INFO\/END/);
  });

  it('the reader\'s own errors keep their line numbers on rewritten variant records', async () => {
    await expectError('gt.g.vcf', [BLOCK(1, 100), SNP(101).replace('0/1:4,5,0', '0/3:4,5,0')], 'vcf-genotype', line(1), /GT '0\/3'/);
  });

  it('accepts what callers write: a block right after a deletion\'s anchor, adjacent blocks, two records at one POS', async () => {
    const path = write('ok.g.vcf', [
      ...GATK_HEADER, CHROM1,
      BLOCK(1, 9), BLOCK(10, 19),
      '20\t20\t.\tACT\tA,<NON_REF>\t40\t.\tDP=7;MLEAC=2,0\tGT:AD:DP:GQ:PL\t1/1:0,7,0:7:21:315,21,0,315,21,315',
      '20\t20\t.\tA\tG,<NON_REF>\t40\t.\tDP=7;MLEAC=2,0\tGT:AD:DP:GQ:PL\t1/1:0,7,0:7:21:315,21,0,315,21,315',
      BLOCK(21, 30),
    ]);
    const d = await readGvcf(path);
    expect(d.variantSet.numVariants).toBe(2);
    expect(blockRows(d, 0).map((r) => r.split(' ')[0])).toEqual(['20:1-9', '20:10-19', '20:21-30']);
  });
});
