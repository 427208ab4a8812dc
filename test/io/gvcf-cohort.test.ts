/**
 * A gVCF cohort grown one file at a time (issue 14): the simulator's
 * single-sample gVCFs (test/gvcf/simulate_gvcf.py: msprime sites, GATK- and
 * bcftools-style reference blocks with random GQ/MIN_DP, uncovered gaps)
 * appended in a shuffled order; the export, densified from the stored
 * reference blocks, printed by `vcztools view`, must give the simulator's
 * own densified truth (converted by `vcf2zarr convert`, printed by
 * `vcztools view`), sample by sample and site by site: the GT alleles, DP
 * and GQ. At a tag (and after a purge) the truth is the truth's subset of
 * those samples at the sites they carry (`bcftools view -s … -c1 -a`).
 * Also a real bcftools gVCF mixed with a plain VCF, against `bcftools merge
 * --gvcf`.
 */
import { spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Depot } from '../../src/index.ts';
import { decodeReferenceBlocks, readGvcf } from '../../src/vcf/index.ts';
import { depotFingerprint } from '../helpers/fingerprint.ts';
import { runCli } from '../helpers/cli.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const tmp = useTempDir('gvcf-cohort');
const SAMPLES = 7;
/** The order the files are added in (a fixed shuffle). */
const ORDER = [3, 0, 6, 2, 5, 1, 4];
const sim = () => join(tmp(), 'sim');

beforeAll(() => {
  run(venvBin('python'), [join(repoRoot, 'test', 'gvcf', 'simulate_gvcf.py'), '--out', sim(), '--seed', '23', '--samples', String(SAMPLES)]);
  run('bcftools', ['view', '--no-version', '-Oz', '-o', join(sim(), 'truth.vcf.gz'), join(sim(), 'truth.vcf')]);
  run('bcftools', ['index', '-f', join(sim(), 'truth.vcf.gz')]);
}, 120_000);

let k = 0;

/** `vcztools view` of a VCZ store. */
function view(store: string): string {
  return run(venvBin('vcztools'), ['view', '--no-version', store]).stdout;
}

/** vcztools view of vcf2zarr of the truth, restricted to `samples` (in that order) at the sites they carry. */
function truthView(samples: readonly string[]): string {
  const id = k++;
  const sub = join(tmp(), `truth-${id}.vcf.gz`);
  run('bcftools', ['view', '--no-version', '-s', samples.join(','), ...(samples.length < SAMPLES ? ['-c1', '-a'] : []), '-Oz', '-o', sub, join(sim(), 'truth.vcf.gz')]);
  run('bcftools', ['index', '-f', sub]);
  const store = join(tmp(), `truth-${id}.vcz`);
  run(venvBin('vcf2zarr'), ['convert', sub, store]);
  return view(store);
}

/**
 * What the truth states, from a VCF text: per site (CHROM:POS) the REF and
 * the sorted ALTs, and per sample the GT as sorted allele strings (`.`
 * missing) with DP and GQ (`.` missing). Allele order is not compared
 * (bcftools merge orders ALTs by first appearance in import order, the
 * simulator by msprime's allele order); the alleles themselves are.
 */
function project(vcf: string): { samples: string[]; sites: Map<string, { alleles: string; calls: Map<string, string> }> } {
  const lines = vcf.split('\n').filter((l) => l !== '' && !l.startsWith('##'));
  const header = lines[0]!.split('\t');
  const samples = header.slice(9);
  const sites = new Map<string, { alleles: string; calls: Map<string, string> }>();
  for (const l of lines.slice(1)) {
    const c = l.split('\t');
    const alleles = [c[3]!, ...(c[4] === '.' ? [] : c[4]!.split(','))];
    const keys = c[8]!.split(':');
    const calls = new Map<string, string>();
    samples.forEach((s, i) => {
      const vals = c[9 + i]!.split(':');
      const get = (key: string) => {
        const j = keys.indexOf(key);
        return j < 0 || vals[j] === undefined || vals[j] === '' ? '.' : vals[j]!;
      };
      const gt = get('GT')
        .split(/[/|]/)
        .map((a) => (a === '.' ? '.' : alleles[Number(a)]!))
        .sort()
        .join('/');
      calls.set(s, `${gt}:${get('DP')}:${get('GQ')}`);
    });
    const key = `${c[0]}:${c[1]}`;
    expect(sites.has(key), `one record at ${key}`).toBe(false);
    sites.set(key, { alleles: `${alleles[0]}>${alleles.slice(1).sort().join(',')}`, calls });
  }
  return { samples, sites };
}

/** Our export equals the truth for `samples`: same samples, sites, alleles and (GT, DP, GQ) per sample and site. */
function expectSame(ours: string, truth: string, samples: readonly string[]): void {
  const a = project(ours);
  const b = project(truth);
  expect([...a.samples].sort()).toEqual([...samples].sort());
  expect(b.samples.length).toBe(samples.length);
  expect([...a.sites.keys()]).toEqual([...b.sites.keys()]);
  let densified = 0;
  for (const [key, t] of b.sites) {
    const o = a.sites.get(key)!;
    expect(o.alleles, key).toBe(t.alleles);
    for (const s of samples) {
      expect(o.calls.get(s), `${s} at ${key}`).toBe(t.calls.get(s));
      if (/^([ACGT])\/\1:\d/.test(t.calls.get(s)!)) densified++;
    }
  }
  // Both cases of densifying occur: 0/0 from blocks, and missing in gaps.
  expect(densified).toBeGreaterThan(50);
  expect([...b.sites.values()].some((t) => [...t.calls.values()].includes('./.:.:.'))).toBe(true);
}

async function cli(...args: string[]): Promise<string> {
  const r = await runCli(...args);
  expect(r.code, r.err).toBe(0);
  return r.out;
}

async function ours(depot: string, ...args: string[]): Promise<string> {
  const out = join(tmp(), `ours-${k++}.vcz`);
  await cli('export', depot, out, ...args);
  return view(out);
}

describe('a gVCF cohort grown one file at a time equals the simulator truth (densified)', () => {
  it('create + appends in a shuffled order: the head, a tag and a version after purge equal the truth of their samples', async () => {
    const depot = join(tmp(), 'cohort.depot');
    const names = ORDER.map((i) => `S${i}`);
    const file = (s: string) => join(sim(), `${s}.g.vcf`);
    await cli('create', depot, '--from', file(names[0]!));
    for (const s of names.slice(1, 4)) await cli('append', depot, file(s));
    await cli('tag', depot, 'four');
    for (const s of names.slice(4)) await cli('append', depot, file(s));
    const stats = JSON.parse(await cli('stats', depot, '--json'));
    expect(stats.referenceBlockSamples).toBe(SAMPLES);
    expectSame(await ours(depot), truthView(names), names);
    expectSame(await ours(depot, '--at', 'four'), truthView(names.slice(0, 4)), names.slice(0, 4));
    // Purge erases a sample: the head is the truth of the others; its blocks are gone
    // (test/depot/ref-blocks.test.ts checks no file keeps their bytes; two-letter
    // ids are too short for `verify --erased`, which finds them by chance in binary data).
    const bytesBefore = stats.referenceBlockBytes as number;
    await cli('purge', depot, names[2]!);
    const rest = names.filter((_, i) => i !== 2);
    expectSame(await ours(depot), truthView(rest), rest);
    const after = JSON.parse(await cli('stats', depot, '--json'));
    expect(after.referenceBlockSamples).toBe(SAMPLES - 1);
    expect(after.referenceBlockBytes).toBeLessThan(bytesBefore);
    expect(JSON.parse(await cli('verify', depot, '--json')).ok).toBe(true);
  }, 300_000);

  it('one gVCF alone exports its variant records as they are (nothing to densify)', async () => {
    const depot = join(tmp(), 'one.depot');
    await cli('create', depot, '--from', join(sim(), 'S1.g.vcf'));
    const a = project(await ours(depot));
    const t = project(truthView(['S1']));
    expect([...a.sites.keys()]).toEqual([...t.sites.keys()]);
    for (const [key, site] of t.sites) expect(a.sites.get(key)!.calls.get('S1'), key).toBe(site.calls.get('S1'));
  }, 120_000);
});

describe('show --blocks and stats', () => {
  it("show SAMPLE --blocks prints the sample's blocks as bcftools query reads them from its gVCF (MIN_DP, else DP); --json; stats counts them", async () => {
    const depot = join(tmp(), 'show.depot');
    await cli('create', depot, '--from', join(sim(), 'S0.g.vcf')); // GATK-style: MIN_DP
    await cli('append', depot, join(sim(), 'S1.g.vcf')); // bcftools-style: DP only
    let total = 0;
    for (const [s, depth] of [['S0', 'MIN_DP'], ['S1', 'DP']] as const) {
      const expected = run('bcftools', ['query', '-i', 'N_ALT=1 && (ALT="<NON_REF>" || ALT="<*>") && GT="RR"', '-f', `%CHROM\t%POS\t%END\t[%GQ]\t[%${depth}]\t2\n`, join(sim(), `${s}.g.vcf`)]).stdout;
      const text = await cli('show', depot, s, '--blocks');
      expect(text).toBe(`#CHROM\tPOS\tEND\tGQ\tMIN_DP\tPLOIDY\n${expected}`);
      const rows = JSON.parse(await cli('show', depot, s, '--blocks', '--json'));
      expect(rows.length).toBe(expected.trim().split('\n').length);
      expect(rows[0]).toEqual(Object.fromEntries(['chrom', 'pos', 'end', 'gq', 'minDp', 'ploidy'].map((key, i) => [key, i === 0 ? expected.split('\t')[0] : Number(expected.split('\n')[0]!.split('\t')[i])])));
      total += rows.length;
    }
    const st = JSON.parse(await cli('stats', depot, '--json'));
    expect(st).toMatchObject({ referenceBlocks: total, referenceBlockSamples: 2 });
    expect(await cli('stats', depot)).toContain(`ref blocks   ${total} reference blocks of 2 live gVCF samples`);
    // A plain sample has none; --blocks with -s is a usage error.
    const r = await runCli('show', depot, '-s', 'S0', '--blocks');
    expect(r.code).toBe(2);
  }, 120_000);
});

describe('a real gVCF (bcftools test suite) mixed with a plain VCF', () => {
  it('the gVCF sample is 0/0 at the plain sample\'s site inside its block and missing outside; the plain sample is missing at the gVCF\'s own site', async () => {
    const gvcf = join(repoRoot, 'test', 'data', 'gvcf', 'bcftools-merge.gvcf.10.a.vcf');
    const plain = join(tmp(), 'plain.vcf');
    // chr2:5 (inside a's block 4-6, REF T: test/data/gvcf/bcftools-merge.gvcf.10.fa) and chr1:7 (outside every block).
    writeFileSync(
      plain,
      [
        '##fileformat=VCFv4.2',
        '##contig=<ID=chr1,length=248956422>',
        '##contig=<ID=chr2,length=248956422>',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tp',
        'chr1\t7\t.\tA\tG\t.\t.\t.\tGT\t0/1',
        'chr2\t5\t.\tT\tA\t.\t.\t.\tGT\t1/1',
        '',
      ].join('\n'),
    );
    const depot = join(tmp(), 'mixed.depot');
    await cli('create', depot, '--from', gvcf);
    await cli('append', depot, plain);
    const out = project(await ours(depot));
    expect(out.samples).toEqual(['a', 'p']);
    expect(out.sites.get('chr2:3')!.calls.get('a')).toBe('C/G:.:.');
    expect(out.sites.get('chr2:3')!.calls.get('p')).toBe('./.:.:.');
    expect(out.sites.get('chr2:5')!.calls.get('a')).toBe('T/T:.:.');
    expect(out.sites.get('chr1:7')!.calls.get('a')).toBe('./.:.:.');
    // bcftools merge --gvcf of the same two files says the same GTs at these sites.
    run('bgzip', ['-kf', plain]);
    run('bcftools', ['index', '-f', `${plain}.gz`]);
    const g = join(tmp(), 'a.g.vcf.gz');
    run('bcftools', ['view', '--no-version', '-Oz', '-o', g, gvcf]);
    run('bcftools', ['index', '-f', g]);
    const merged = run('bash', ['-c', `bcftools merge -g '${join(repoRoot, 'test', 'data', 'gvcf', 'bcftools-merge.gvcf.10.fa')}' '${g}' '${plain}.gz' | bcftools query -f '%CHROM:%POS\\t%ALT[\\t%TGT]\\n'`]).stdout.trim().split('\n');
    for (const row of merged) {
      const [site, alt, ...gts] = row.split('\t');
      if (alt!.split(',').every((x) => x.startsWith('<'))) continue;
      const o = out.sites.get(site!)!;
      expect(o, site).toBeDefined();
      expect(['a', 'p'].map((s) => o.calls.get(s)!.split(':')[0]), site).toEqual(gts.map((t) => t.split('/').sort().join('/')));
    }
  }, 120_000);
});

describe('SIGKILL during a gVCF append', () => {
  it('leaves the depot as it was (records, blocks, versions) or with the whole append; verify passes and the next append works', async () => {
    const big = join(tmp(), 'big');
    run(venvBin('python'), [join(repoRoot, 'test', 'gvcf', 'simulate_gvcf.py'), '--out', big, '--seed', '5', '--samples', '4', '--length', '400000']);
    const base = join(tmp(), 'kill-base.depot');
    await cli('create', base, '--from', join(big, 'S0.g.vcf'));
    const snapshot = (path: string) => {
      const d = Depot.open(path, { readOnly: true });
      try {
        const blocks = d.samples().map((s) => Buffer.from(d.referenceBlocks(s) ?? []).toString('base64'));
        return { fp: depotFingerprint(d), blocks, version: d.version(), samples: d.samples(), refBytes: d.stats().referenceBlockBytes, ok: d.verify().ok };
      } finally {
        d.close();
      }
    };
    const before = snapshot(base);
    const files = ['S1', 'S2', 'S3'].map((s) => join(big, `${s}.g.vcf`));
    const expected = await Promise.all(files.map(async (f) => (await readGvcf(f)).referenceBlocks(0)));
    const outcomes: string[] = [];
    for (const delay of [60, 150, 300, 450, 600, 800, 1000, 1300, 1700, 2500, 4000]) {
      const path = join(tmp(), `kill-${delay}.depot`);
      cpSync(base, path, { recursive: true });
      const child = spawn(process.execPath, [join(repoRoot, 'bin', 'vczdepot.cjs'), 'append', path, ...files], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearTimeout(timer);
      const after = snapshot(path);
      expect(after.ok, `killed at ${delay} ms`).toBe(true);
      if (after.version === before.version) {
        outcomes.push('before');
        expect(after, `killed at ${delay} ms`).toEqual(before);
        // The next append writes over what the killed one left.
        await cli('append', path, ...files);
        expect(snapshot(path)).toMatchObject({ ok: true, samples: ['S0', 'S1', 'S2', 'S3'] });
      } else {
        outcomes.push(code === 0 ? 'finished' : 'after commit');
        expect(after.samples).toEqual(['S0', 'S1', 'S2', 'S3']);
        const d = Depot.open(path, { readOnly: true });
        ['S1', 'S2', 'S3'].forEach((s, i) => expect(decodeReferenceBlocks(d.referenceBlocks(s)!), s).toEqual(expected[i]));
        d.close();
      }
    }
    if (process.env.GVCF_KILL_DEBUG) console.log(outcomes.join(','));
    // Some kills landed before the commit (the interesting case).
    expect(outcomes.filter((o) => o === 'before').length, outcomes.join(',')).toBeGreaterThan(2);
  }, 300_000);
});
