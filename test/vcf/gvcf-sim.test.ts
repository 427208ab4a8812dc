/**
 * A simulated gVCF cohort (test/gvcf/simulate_gvcf.py: msprime tree
 * sequence → six single-sample gVCFs, GATK- and bcftools-style, with
 * reference blocks of random GQ/MIN_DP and uncovered gaps) and its truth,
 * the densified merge written by the simulator itself. The truth is first
 * checked against `bcftools merge --gvcf REF.fa` of the same gVCFs; then
 * each gVCF is read with readGvcf and densified at the truth's sites with
 * coverSites (a sample's own call where it has one, 0/0 with the block's
 * MIN_DP and GQ where its blocks cover the site, missing elsewhere), which
 * must give the truth, sample by sample and site by site.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { INT_MISSING, type FieldValues, type SampleCalls } from '../../src/codec/index.ts';
import { readGvcf } from '../../src/vcf/gvcf.ts';
import { coverSites } from '../../src/vcf/ref-blocks.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const tmp = useTempDir('gvcf-sim');
const SAMPLES = 6;

interface TruthSite {
  pos: number;
  alleles: string[];
  /** per sample: `A/B:DP:GQ` with GT as sorted allele strings (`.` missing). */
  calls: string[];
}

/** `0/1` over `alleles` → sorted allele strings (`./.` stays). */
function gtText(gt: string, alleles: readonly string[]): string {
  return gt
    .split(/[/|]/)
    .map((a) => (a === '.' ? '.' : alleles[Number(a)]!))
    .sort()
    .join('/');
}

function readTruth(path: string): TruthSite[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const c = l.split('\t');
      const alleles = [c[3]!, ...c[4]!.split(',')];
      return {
        pos: Number(c[1]),
        alleles,
        calls: c.slice(9).map((v) => {
          const [gt, dp, gq] = v.split(':');
          return `${gtText(gt!, alleles)}:${dp}:${gq}`;
        }),
      };
    });
}

function field(calls: SampleCalls, id: string): FieldValues {
  return calls.fields.find((f) => f.id === id)!;
}

const dir = () => join(tmp(), 'sim');

beforeAll(() => {
  run(venvBin('python'), [join(repoRoot, 'test', 'gvcf', 'simulate_gvcf.py'), '--out', dir(), '--seed', '11', '--samples', String(SAMPLES)]);
}, 60_000);

describe('simulated gVCF cohort (msprime, seed 11)', () => {
  it('the simulator wrote six gVCFs with blocks, gaps and a few hundred sites', () => {
    const m = JSON.parse(readFileSync(join(dir(), 'manifest.json'), 'utf8')) as { sites: number; per_sample: { blocks: number; gaps: number; variants: number }[] };
    expect(readdirSync(dir()).filter((f) => f.endsWith('.g.vcf'))).toHaveLength(SAMPLES);
    expect(m.sites).toBeGreaterThan(100);
    for (const p of m.per_sample) {
      expect(p.blocks).toBeGreaterThan(20);
      expect(p.gaps).toBeGreaterThan(5);
    }
  });

  it('its truth is what bcftools merge --gvcf REF.fa gives at the cohort sites (GT alleles and GQ)', () => {
    const files: string[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const f = join(dir(), `S${i}.g.vcf`);
      run('bgzip', ['-kf', f]);
      run('bcftools', ['index', '-f', `${f}.gz`]);
      files.push(`${f}.gz`);
    }
    const merged = run('bash', ['-c', `bcftools merge -g '${join(dir(), 'ref.fa')}' ${files.map((f) => `'${f}'`).join(' ')} | bcftools query -f '%POS\\t%ALT[\\t%TGT:%GQ]\\n'`]).stdout.trim().split('\n');
    const byPos = new Map<number, string[]>();
    for (const row of merged) {
      const c = row.split('\t');
      if (c[1]!.split(',').every((a) => a.startsWith('<'))) continue;
      if (!byPos.has(Number(c[0]))) byPos.set(Number(c[0]), c.slice(2).map((v) => {
        const [gt, gq] = v.split(':');
        return `${gt!.split('/').sort().join('/')}:${gq}`;
      }));
    }
    const truth = readTruth(join(dir(), 'truth.vcf'));
    expect(byPos.size).toBe(truth.length);
    for (const site of truth) {
      expect(byPos.get(site.pos), `POS ${site.pos}`).toEqual(site.calls.map((c) => { const [gt, , gq] = c.split(':'); return `${gt}:${gq}`; }));
    }
  });

  it('readGvcf + coverSites, densified at the truth sites, equal the truth', async () => {
    const truth = readTruth(join(dir(), 'truth.vcf'));
    const position = truth.map((s) => s.pos);
    const length = truth.map((s) => s.alleles[0]!.length);
    const contig = truth.map(() => 0);
    let fromBlocks = 0;
    let gaps = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const d = await readGvcf(join(dir(), `S${i}.g.vcf`));
      expect(d.isGvcf).toBe(true);
      const vs = d.variantSet;
      expect(vs.alleles.flat().some((a) => a.startsWith('<'))).toBe(false);
      const calls = d.calls(0);
      const P = calls.ploidy;
      const dp = field(calls, 'DP');
      const gq = field(calls, 'GQ');
      const own = new Map<number, number>();
      for (let v = 0; v < vs.numVariants; v++) own.set(vs.position[v]!, v);
      const cover = coverSites(d.referenceBlocks(0), ['chr1'], { contig, position, length });
      truth.forEach((site, k) => {
        const v = own.get(site.pos);
        let got: string;
        const num = (x: number) => (x === INT_MISSING ? '.' : String(x));
        if (v !== undefined) {
          const gt = Array.from(calls.genotype!.subarray(v * P, v * P + P), (a) => (a < 0 ? '.' : vs.alleles[v]![a]!)).sort().join('/');
          got = `${gt}:${num(dp.values[v] as number)}:${num(gq.values[v] as number)}`;
        } else if (cover.block[k]! >= 0) {
          fromBlocks++;
          got = `${Array(cover.ploidy[k]).fill(site.alleles[0]).join('/')}:${num(cover.minDp[k]!)}:${num(cover.gq[k]!)}`;
        } else {
          gaps++;
          got = './.:.:.';
        }
        expect(got, `S${i} POS ${site.pos}`).toBe(site.calls[i]);
      });
    }
    // Both densifying cases occur.
    expect(fromBlocks).toBeGreaterThan(100);
    expect(gaps).toBeGreaterThan(20);
  });
});
