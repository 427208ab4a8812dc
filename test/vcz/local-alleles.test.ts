/**
 * `export --local-alleles` (src/vcz/local-alleles.ts, docs/vcz-export.md
 * "Local alleles") against the real tools, on multi-allelic data with AD
 * and PL:
 * - 1000 Genomes chrM (up to 5 alleles, AD Number=R, PL Number=G with 15
 *   values), the `bcftools merge` of six chr22 samples' own files (`bcftools
 *   view -s S -c1 -a`: each sample's sites and ALTs, missing elsewhere), and
 *   a hand-written VCF with the calls the real files lack (1/2, 0/3, 3/1,
 *   .|2, 1/., a haploid call in a diploid set, AD `.`, PL partly missing;
 *   chunked 4 × 3 so that edge chunks are written too);
 * - for each, formats 2 and 3: our export of a depot of it and `vcf2zarr
 *   convert --local-alleles` of the VCF hold the same arrays: metadata
 *   files byte for byte and every chunk decoded (test/vcz/vcz_interop.py
 *   compare), and under zarr-python every array's name, dtype, shape,
 *   attributes and values (test/vcz/local_alleles_same.py), with call_LA,
 *   call_LAD, call_LPL and without call_AD, call_PL;
 * - the local arrays follow cell by cell, by bio2zarr's rule written again
 *   in numpy (test/vcz/local_alleles_derive.py), from the dense export of
 *   the same depot, every other array being the same; this covers a record
 *   whose FORMAT has no AD/PL, on which vcf2zarr fails (AD/PL read missing);
 * - vcztools reads them alike: `vcztools view` of ours behaves as of theirs
 *   (vcztools 0.2.0 cannot write a header for call_LA's `local_alleles`
 *   dimension, so both fail with the same message), and `vcztools query` of
 *   GT, LA, LAD, LPL prints the same lines;
 * - the CLI option, and a partitioned export with it equal to the one-shot
 *   one; a partition job without the option is refused;
 * - data bio2zarr cannot localise (ploidy 3; no GT; a Float AD; an allele
 *   above 127, which call_LA's int8 cannot hold) is an ExportSourceError naming the
 *   cause, writes nothing and leaves the depot as it was.
 */
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFromFile, type Depot, exportDepot, isVczdepotError } from '../../src/index.ts';
import { runCli } from '../helpers/cli.ts';
import { depotFingerprint } from '../helpers/fingerprint.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const vcfDir = join(repoRoot, 'test', 'data', 'vcf');
const dir = useTempDir('local-alleles');

const HAND = `##fileformat=VCFv4.3
##contig=<ID=chr1,length=100000>
##contig=<ID=chr2,length=50000>
##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the order listed">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled genotype likelihoods">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	S1	S2	S3	S4
chr1	100	.	A	C,G	50	PASS	DP=40	GT:AD:DP:PL	1/2:0,5,6:11:300,200,250,190,0,210	0/2:7,0,5:12:90,120,400,0,150,130	2/2:0,0,9:9:400,380,350,120,100,0	./.:.:.:.
chr1	200	.	T	TA,TAA,G	60	PASS	DP=50	GT:AD:DP:PL	0/3:4,0,0,6:10:100,110,300,120,310,320,0,90,95,80	3/1:0,5,0,4:9:310,0,320,90,85,330,70,0,60,200	0|0:12,0,0,0:12:0,36,400,37,401,402,36,401,402,403	.|2:3,1,8,0:12:200,190,180,0,20,30,170,160,150,140
chr1	300	.	G	A	40	PASS	DP=30	GT:AD:DP:PL	0/1:5,5:10:90,0,80	1/1:.:7:.	0/0:10,0:10:0,30,300	1/.:2,3:5:50,0,60
chr1	400	.	C	T,A	70	PASS	DP=20	GT:AD:DP:PL	2/1:1,4,5:10:400,300,250,200,0,190	0/0:6,.,0:6:0,18,200,18,200,200	1/1:0,9,.:9:200,20,0,.,.,.	./.:0,0,0:0:.
chr2	10	.	AT	A,ATT,C	80	PASS	DP=44	GT:AD:DP:PL	1/2:0,7,6,1:14:500,300,280,290,0,270,510,330,320,530	0/0:11,0,0,0:11:0,33,400,33,400,400,33,400,400,400	3/3:0,0,0,9:9:600,590,580,570,560,550,30,20,10,0	0/1:5,4,0,0:9:120,0,150,135,165,180,140,170,190,200
chr2	20	.	G	C	30	PASS	DP=18	GT:AD:DP:PL	0/0:9,0:9:0,27,270	0/1:4,5:9:100,0,90	./.:.:.:.	1/1:0,8:8:240,24,0
chr2	30	.	A	C,G	30	PASS	DP=18	GT:AD:DP:PL	2:1,0,7:8:300,200,0	0/1:4,5,0:9:100,0,90,110,95,300	1:0,8,0:8:240,0,250	./.:.:.:.
`;

/** Writes `text` as DIR/name.vcf.gz (bgzip) with a .csi index; returns its path. */
function bgzipped(name: string, text: string): string {
  const plain = join(dir(), `${name}.vcf`);
  writeFileSync(plain, text);
  const gz = `${plain}.gz`;
  run('bash', ['-c', `bgzip -c "${plain}" > "${gz}"`]);
  run('bcftools', ['index', '-f', gz]);
  return gz;
}

/** A growing cohort's VCF: six chr22 samples, each with only its own sites and ALTs (bcftools view -s S -c1 -a), merged by bcftools merge. */
function mergedChr22(): string {
  const samples = ['HG00115', 'HG00259', 'HG00250', 'HG00231', 'HG00150', 'HG00148'];
  const files = samples.map((s) => {
    const f = join(dir(), `chr22-${s}.vcf.gz`);
    run('bcftools', ['view', '-Oz', '-s', s, '-c1', '-a', join(vcfDir, 'chr22.vcf.gz'), '-o', f]);
    run('bcftools', ['index', '-f', f]);
    return f;
  });
  const merged = join(dir(), 'chr22-merged.vcf.gz');
  run('bcftools', ['merge', '-Oz', '-o', merged, ...files]);
  run('bcftools', ['index', '-f', merged]);
  return merged;
}

/** A real fixture, indexed (vcf2zarr needs an index for multi-contig files). */
function indexedCopy(name: string): string {
  const f = join(dir(), `${name}.vcf.gz`);
  copyFileSync(join(vcfDir, `${name}.vcf.gz`), f);
  run('bcftools', ['index', '-f', f]);
  return f;
}

interface Case {
  readonly name: string;
  readonly vcf: () => string;
  /** [variants, samples] per chunk; default the exporter's and vcf2zarr's. */
  readonly chunks?: readonly [number, number];
  /** A `vcztools query` cell (GT:LA:LAD:LPL) the case must print, so that it is not trivial. */
  readonly expectCell: string;
}

const CASES: Case[] = [
  { name: '1kg_2020_chrM', vcf: () => indexedCopy('1kg_2020_chrM'), expectCell: '0/0:0:446:0' },
  { name: 'chr22-merged', vcf: mergedChr22, expectCell: '0/1:0,1:6,8:186,0,126' },
  { name: 'hand', vcf: () => bgzipped('hand', HAND), chunks: [4, 3], expectCell: '3/1:1,3:5,4:320,0,200' },
];

/** `vcf2zarr convert --local-alleles` of `vcf` into DIR/out. */
function vcf2zarr(vcf: string, out: string, fmt: 2 | 3, chunks?: readonly [number, number]): string {
  const path = join(dir(), out);
  run(venvBin('vcf2zarr'), ['convert', '-Q', '--local-alleles', '--zarr-format', String(fmt), ...(chunks ? ['-l', String(chunks[0]), '-w', String(chunks[1])] : []), vcf, path]);
  return path;
}

/** Asserts that `ours` and `theirs` hold the same arrays (metadata bytes, decoded chunks; zarr-python values) with the local-alleles call arrays. */
function expectSameStore(ours: string, theirs: string, label: string): void {
  const report = JSON.parse(run(venvBin('python'), [join(repoRoot, 'test', 'vcz', 'vcz_interop.py'), 'compare', ours, theirs]).stdout) as { stats: { arrays: number; chunks: number }; problems: unknown[] };
  expect(report.problems, label).toEqual([]);
  const same = JSON.parse(run(venvBin('python'), [join(repoRoot, 'test', 'vcz', 'local_alleles_same.py'), ours, theirs]).stdout) as { arrays: number; calls: string[] };
  expect(same.arrays, label).toBe(report.stats.arrays);
  expect(same.calls, label).toEqual(expect.arrayContaining(['call_LA', 'call_LAD', 'call_LPL', 'call_genotype']));
  expect(same.calls.filter((c) => c === 'call_AD' || c === 'call_PL'), label).toEqual([]);
}

// vcztools expands the two-character escapes \t and \n (a real tab would print as spaces).
/** Asserts (local_alleles_derive.py) that the local arrays of `local` follow from a dense export of `depot`; returns the cells checked. */
async function expectDerivedFromDense(depot: Depot, local: string, denseName: string, fmt: 2 | 3, chunks?: readonly [number, number]): Promise<number> {
  const dense = join(dir(), denseName);
  await exportDepot(depot, dense, { zarrFormat: fmt, updateInfo: false, ...(chunks ? { variantsChunkSize: chunks[0], samplesChunkSize: chunks[1] } : {}) });
  const r = run(venvBin('python'), [join(repoRoot, 'test', 'vcz', 'local_alleles_derive.py'), local, dense], { allowFailure: true });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}

const QUERY = String.raw`%CHROM\t%POS\t%REF\t%ALT[\t%GT:%LA:%LAD:%LPL]\n`;

/** vcztools on both stores: `view` behaves the same (output, or the same failure), `query` of GT/LA/LAD/LPL prints the same; returns the query output. */
function expectSameVcztools(ours: string, theirs: string, label: string): string {
  const view = (s: string) => run(venvBin('vcztools'), ['view', '--no-version', s], { allowFailure: true });
  const [vo, vt] = [view(ours), view(theirs)];
  expect(vo.status, `${label}: vcztools view status`).toBe(vt.status);
  expect(vo.stdout, `${label}: vcztools view`).toBe(vt.stdout);
  const lastLine = (s: string) => s.trim().split('\n').pop();
  if (vt.status !== 0) expect(lastLine(vo.stderr), label).toBe(lastLine(vt.stderr));
  const query = (s: string) => run(venvBin('vcztools'), ['query', '-f', QUERY, s]).stdout;
  const q = query(ours);
  expect(q, `${label}: vcztools query`).toBe(query(theirs));
  return q;
}

describe('export --local-alleles equals vcf2zarr convert --local-alleles', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const vcf = c.vcf();
      const { depot } = await createFromFile(join(dir(), `${c.name}.depot`), vcf);
      try {
        for (const fmt of [2, 3] as const) {
          const ours = join(dir(), `${c.name}.v${fmt}.vcz`);
          // updateInfo false: INFO/AC/AN/AF as in the VCF, as vcf2zarr writes them
          // (their recomputation is test/vcz/interop.test.ts's; LA/LAD/LPL do not depend on it).
          await exportDepot(depot, ours, {
            zarrFormat: fmt,
            localAlleles: true,
            updateInfo: false,
            ...(c.chunks ? { variantsChunkSize: c.chunks[0], samplesChunkSize: c.chunks[1] } : {}),
          });
          const theirs = vcf2zarr(vcf, `${c.name}.bio2zarr.v${fmt}.vcz`, fmt, c.chunks);
          expectSameStore(ours, theirs, `${c.name} v${fmt}`);
          await expectDerivedFromDense(depot, ours, `${c.name}.dense.v${fmt}.vcz`, fmt, c.chunks);
          const q = expectSameVcztools(ours, theirs, `${c.name} v${fmt}`);
          expect(q.split(/[\t\n]/)).toContain(c.expectCell);
        }
      } finally {
        depot.close();
      }
    });
  }
});

it('a record whose FORMAT has no AD or PL (vcf2zarr fails on it): AD/PL read missing at the local alleles', async () => {
  const lines = HAND.trimEnd().split('\n');
  const text = [...lines, 'chr2\t40\t.\tA\tT,G\t30\tPASS\tDP=18\tGT:DP\t0/1:9\t2/2:9\t0/0:8\t./.:.', ''].join('\n');
  const vcf = bgzipped('no-ad', text);
  const b = run(venvBin('vcf2zarr'), ['convert', '-Q', '--local-alleles', vcf, join(dir(), 'no-ad.bio2zarr.vcz')], { allowFailure: true });
  expect(b.status).not.toBe(0);
  const { depot } = await createFromFile(join(dir(), 'no-ad.depot'), vcf);
  try {
    const ours = join(dir(), 'no-ad.vcz');
    await exportDepot(depot, ours, { localAlleles: true, updateInfo: false });
    expect(await expectDerivedFromDense(depot, ours, 'no-ad.dense.vcz', 2)).toBe(8 * 4);
    const last = run(venvBin('vcztools'), ['query', '-r', 'chr2:40', '-f', QUERY, ours]).stdout;
    expect(last).toBe('chr2\t40\tA\tT,G\t0/1:0,1:.,.:.,.,.\t2/2:2:.:.\t0/0:0:.:.\t./.:.:.:.\n');
  } finally {
    depot.close();
  }
});

describe('the CLI', () => {
  it('export --local-alleles writes what vcf2zarr convert --local-alleles writes; without it, call_AD and call_PL', async () => {
    const vcf = bgzipped('cli', HAND);
    const depotPath = join(dir(), 'cli.depot');
    expect((await runCli('create', depotPath, '--from', vcf)).code).toBe(0);
    const ours = join(dir(), 'cli.vcz');
    const r = await runCli('export', depotPath, ours, '--local-alleles', '--no-update', '--variants-chunk-size', '4', '--samples-chunk-size', '3');
    expect(r.code, r.err).toBe(0);
    expectSameStore(ours, vcf2zarr(vcf, 'cli.bio2zarr.vcz', 2, [4, 3]), 'cli');
    const dense = join(dir(), 'cli-dense.vcz');
    expect((await runCli('export', depotPath, dense)).code).toBe(0);
    expect(readdirSync(dense).filter((n) => n.startsWith('call_')).sort()).toEqual(['call_AD', 'call_DP', 'call_PL', 'call_genotype', 'call_genotype_mask', 'call_genotype_phased']);
  });

  it('a partitioned export with --local-alleles equals the one-shot export; a job without the option is refused', async () => {
    const vcf = bgzipped('parts', HAND);
    const depotPath = join(dir(), 'parts.depot');
    expect((await runCli('create', depotPath, '--from', vcf)).code).toBe(0);
    expect((await runCli('tag', depotPath, 'v1')).code).toBe(0);
    const opts = ['--at', 'v1', '--local-alleles', '--variants-chunk-size', '2'];
    const oneShot = join(dir(), 'one-shot.vcz');
    expect((await runCli('export', depotPath, oneShot, ...opts)).code).toBe(0);
    const parted = join(dir(), 'parted.vcz');
    for (const i of ['1', '0']) expect((await runCli('export', depotPath, parted, ...opts, '--partitions', '2', '--partition', i)).code).toBe(0);
    const fin = await runCli('export', depotPath, parted, ...opts, '--finalise');
    expect(fin.code, fin.err).toBe(0);
    const report = JSON.parse(run(venvBin('python'), [join(repoRoot, 'test', 'vcz', 'vcz_interop.py'), 'compare', parted, oneShot]).stdout) as { stats: { chunks: number; identical_chunk_files: number }; problems: unknown[] };
    expect(report.problems).toEqual([]);
    expect(report.stats.identical_chunk_files).toBe(report.stats.chunks);
    expect(existsSync(join(parted, 'call_LA', '.zarray'))).toBe(true);
    // Partition 0 with --local-alleles, partition 1 without: the second job is refused.
    const mixed = join(dir(), 'mixed.vcz');
    expect((await runCli('export', depotPath, mixed, ...opts, '--partitions', '2', '--partition', '0')).code).toBe(0);
    const refused = await runCli('export', depotPath, mixed, '--at', 'v1', '--variants-chunk-size', '2', '--partitions', '2', '--partition', '1');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/localAlleles/);
  });
});

describe('data bio2zarr cannot localise is refused, nothing written', () => {
  async function expectRefused(name: string, vcf: string, message: RegExp, bio2zarrMessage?: RegExp): Promise<void> {
    const { depot } = await createFromFile(join(dir(), `${name}.depot`), vcf);
    try {
      const before = depotFingerprint(depot as Depot);
      const out = join(dir(), `${name}.vcz`);
      const err = await exportDepot(depot, out, { localAlleles: true }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isVczdepotError(err, 'export-source'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toMatch(/without --local-alleles/);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir()).filter((n) => n.startsWith(`${name}.vcz`))).toEqual([]);
      expect(depotFingerprint(depot as Depot)).toBe(before);
      // The CLI: exit 1 with the message, nothing written.
      const r = await runCli('export', join(dir(), `${name}.depot`), out, '--local-alleles');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
      expect(existsSync(out)).toBe(false);
      if (bio2zarrMessage) {
        const b = run(venvBin('vcf2zarr'), ['convert', '-Q', '--local-alleles', vcf, join(dir(), `${name}.bio2zarr.vcz`)], { allowFailure: true });
        expect(b.status).not.toBe(0);
        expect(b.stderr).toMatch(bio2zarrMessage);
      }
    } finally {
      depot.close();
    }
  }

  it('ploidy 3 (bio2zarr: "Local alleles only supported on diploid data")', async () => {
    await expectRefused('mixed_ploidy', indexedCopy('mixed_ploidy'), /need ploidy 2 but the exported samples' maximum ploidy is 3/, /Local alleles only supported on diploid data/);
  });

  it('no FORMAT/GT (bio2zarr: KeyError call_genotype)', async () => {
    await expectRefused('field_type_combos', indexedCopy('field_type_combos'), /no FORMAT\/GT/, /KeyError: 'call_genotype'/);
  });

  it('an AD of Type Float (only Integer AD/PL are localised)', async () => {
    const text = HAND.replace('##FORMAT=<ID=AD,Number=R,Type=Integer', '##FORMAT=<ID=AD,Number=R,Type=Float');
    await expectRefused('float-ad', bgzipped('float-ad', text), /call_LAD: FORMAT\/AD is Float; local alleles localise an Integer AD only/);
  });

  it('an allele index above 127 (call_LA is int8; bio2zarr wraps it)', async () => {
    const alts = Array.from({ length: 130 }, (_, i) => 'A'.repeat(i + 2)).join(',');
    const text = [
      '##fileformat=VCFv4.3',
      '##contig=<ID=chr1,length=1000>',
      '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
      '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2',
      'chr1\t10\t.\tC\tT\t.\t.\t.\tGT\t0/1\t1/1',
      `chr1\t20\t.\tA\t${alts}\t.\t.\t.\tGT\t0/1\t0/129`,
      '',
    ].join('\n');
    await expectRefused('many-alleles', bgzipped('many-alleles', text), /sample 'S2' calls an allele above 127 at variant 1 \(0-based\)/);
  });
});
