/**
 * Export correctness against bcftools (issue 11, items 4 and 9):
 * - AC/AN are recomputed from the exported calls as `bcftools view -s`
 *   does, AF as `bcftools +fill-tags -t AF` does (bcftools-oracle.ts): a
 *   depot created from chr22-part1 (55; its stored AC/AN count chr22's 100)
 *   exports the AC/AN of `bcftools view -s <the 55>` of chr22.vcf.gz; grown
 *   by chr22-part2 (45), those of `-s <the 100>` of the files' bcftools
 *   merge; after a removal those of `-s <the rest>`; `updateInfo: false`
 *   keeps the stored ones of a one-file version (bcftools `--no-update`);
 * - `exportDepot(…, { samples, regions })` (CLI `-s/-S/-r`) exports what
 *   `bcftools view -s … -r …` writes, read back by `vcztools view`, formats 2
 *   and 3; unknown or repeated samples and unparseable regions are typed
 *   errors that write nothing.
 */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot, ExportSelectionError, addFiles, createFromFile, exportDepot } from '../../src/index.ts';
import { parseRegions, parseSampleList } from '../../src/io/index.ts';
import { runCli } from '../helpers/cli.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { bcftoolsReference } from '../helpers/bcftools-oracle.ts';
import { useTempDir } from '../helpers/tmp.ts';

const vcfDir = join(repoRoot, 'test', 'data', 'vcf');
const dir = useTempDir('select');

/** Asserts `vcztools view` of `store` ≡ `reference` under test/helpers/compare_vcfs.py. */
function expectSameAsBcftools(store: string, reference: string, label: string): void {
  const refFile = join(dir(), `${label}.ref.vcf`);
  const oursFile = join(dir(), `${label}.ours.vcf`);
  writeFileSync(refFile, reference);
  writeFileSync(oursFile, run(venvBin('vcztools'), ['view', '--no-version', store]).stdout);
  const r = run(venvBin('python'), [join(repoRoot, 'test', 'helpers', 'compare_vcfs.py'), refFile, oursFile, '--allow-zero-variants'], { allowFailure: true });
  expect(r.status, `${label}: ${r.stderr}`).toBe(0);
}

/** `CHROM POS AC AN` lines (bcftools query) of a VCF text. */
function acAn(vcfText: string, label: string): string[] {
  const file = join(dir(), `${label}.acan.vcf`);
  writeFileSync(file, vcfText);
  return run('bcftools', ['query', '-f', '%CHROM %POS %INFO/AC %INFO/AN\\n', file]).stdout.trimEnd().split('\n');
}
const oursAcAn = (store: string, label: string): string[] => acAn(run(venvBin('vcztools'), ['view', '--no-version', store]).stdout, `${label}.ours`);
const theirsAcAn = (source: string, samples: string, label: string): string[] => acAn(run('bcftools', ['view', '--no-version', '-s', samples, source]).stdout, `${label}.theirs`);

async function depotFrom(name: string, files: string[]): Promise<Depot> {
  const { depot } = await createFromFile(join(dir(), `${name}.depot`), files[0]!);
  if (files.length > 1) await addFiles(depot, files.slice(1));
  return depot;
}

describe('cohort-level INFO (AC/AN/AF) is recomputed from the exported calls', () => {
  it('chr22-part1 (55), + chr22-part2 (45), − a third: AC/AN of bcftools view -s <the 55>, <the 100>, <the rest>', async () => {
    const chr22 = join(vcfDir, 'chr22.vcf.gz');
    const depot = await depotFrom('chr22-grown', [join(vcfDir, 'chr22-part1.vcf.gz')]);
    try {
      // part1 was cut from chr22 with --no-update: its stored AC/AN count all
      // 100 samples, stale for the 55 it holds.
      const first = depot.samples();
      expect(first).toHaveLength(55);
      const created = (await exportDepot(depot, join(dir(), 'chr22-created.vcz'))).path;
      expect(oursAcAn(created, 'created')).toEqual(theirsAcAn(chr22, first.join(','), 'created'));
      expectSameAsBcftools(created, bcftoolsReference(chr22, { samples: first.join(',') }), 'chr22-created');
      // updateInfo false = bcftools --no-update: the stored values (part1's).
      const kept = (await exportDepot(depot, join(dir(), 'chr22-kept.vcz'), { updateInfo: false })).path;
      const stored = acAn(run('bcftools', ['view', '--no-version', join(vcfDir, 'chr22-part1.vcf.gz')]).stdout, 'part1');
      expect(oursAcAn(kept, 'kept')).toEqual(stored);

      await addFiles(depot, [join(vcfDir, 'chr22-part2.vcf.gz')]);
      // The grown depot is bcftools merge of the two files (INFO/DP summed).
      const merged = join(dir(), 'chr22-parts.merged.vcf.gz');
      run('bcftools', ['merge', '--no-version', '-Oz', '-o', merged, join(vcfDir, 'chr22-part1.vcf.gz'), join(vcfDir, 'chr22-part2.vcf.gz')]);
      const all = depot.samples();
      expect(all).toHaveLength(100);
      const whole = (await exportDepot(depot, join(dir(), 'chr22-grown.vcz'))).path;
      expect(oursAcAn(whole, 'grown')).toEqual(theirsAcAn(chr22, all.join(','), 'grown'));
      expectSameAsBcftools(whole, bcftoolsReference(merged, { samples: all.join(',') }), 'chr22-grown');

      const removed = all.filter((_, i) => i % 3 === 0);
      depot.remove(removed);
      const rest = depot.samples();
      const after = (await exportDepot(depot, join(dir(), 'chr22-removed.vcz'), { zarrFormat: 3 })).path;
      expect(oursAcAn(after, 'removed')).toEqual(theirsAcAn(chr22, rest.join(','), 'removed'));
      expectSameAsBcftools(after, bcftoolsReference(merged, { samples: rest.join(',') }), 'chr22-removed');
    } finally {
      depot.close();
    }
  });
});

describe('export selectors: samples (-s/-S) and regions (-r) as bcftools view', () => {
  const cases = [
    // sorted single-contig 1000 Genomes data; samples out of depot order
    { label: 'chr22', vcf: 'chr22.vcf.gz', samples: 'HG00102,HG00096,HG00262', regions: 'chr22:10511000-10512000' },
    // excluded samples; several regions, contigs named out of file order, overlapping regions
    { label: 'sample', vcf: 'sample.vcf.gz', samples: '^NA00002', regions: '20:1230000-1234567,19:112,20:1110696-1230237,X' },
    // overlap by the REF span (a deletion starting before the region), a single position
    { label: 'indels', vcf: 'chr_m_indels.vcf.gz', samples: 'HG00132', regions: 'chrM:316,chrM:330-' },
  ];
  for (const c of cases) {
    it(`${c.label}: -s ${c.samples} -r ${c.regions}`, async () => {
      // bcftools -r needs an index: an indexed copy
      const source = join(dir(), `${c.label}.vcf.gz`);
      copyFileSync(join(vcfDir, c.vcf), source);
      run('bcftools', ['index', '-f', source]);
      const depot = await depotFrom(`select-${c.label}`, [source]);
      try {
        const reference = bcftoolsReference(source, { samples: c.samples, regions: c.regions });
        const wanted = reference.split('\n').filter((l) => l && !l.startsWith('#')).length;
        expect(wanted).toBeGreaterThan(0);
        for (const fmt of [2, 3] as const) {
          const summary = await exportDepot(depot, join(dir(), `${c.label}.sel.v${fmt}.vcz`), { zarrFormat: fmt, samples: parseSampleList(c.samples), regions: [c.regions] });
          expect(summary.variants).toBe(wanted);
          expectSameAsBcftools(summary.path, reference, `${c.label}.v${fmt}`);
          const listed = run(venvBin('vcztools'), ['query', '-l', summary.path]).stdout.split('\n').filter(Boolean);
          expect(listed).toEqual(run('bcftools', ['view', '-h', '-s', c.samples, source]).stdout.trimEnd().split('\n').pop()!.split('\t').slice(9));
        }
      } finally {
        depot.close();
      }
    });
  }

  it('the CLI: -S file and -r; a region selecting nothing gives an empty, valid store', async () => {
    const source = join(dir(), 'cli-sample.vcf.gz');
    copyFileSync(join(vcfDir, 'sample.vcf.gz'), source);
    run('bcftools', ['index', '-f', source]);
    const depot = await depotFrom('cli-select', [source]);
    depot.close();
    const list = join(dir(), 'samples.txt');
    writeFileSync(list, 'NA00003\r\nNA00001\n\n');
    const out = join(dir(), 'cli-sel.vcz');
    const r = await runCli('export', join(dir(), 'cli-select.depot'), out, '-S', list, '-r', '20:14370-17330', '--zarr-format', '3', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ samples: 2, variants: 2 });
    expectSameAsBcftools(out, bcftoolsReference(source, { samples: 'NA00003,NA00001', regions: '20:14370-17330' }), 'cli');
    const none = join(dir(), 'cli-none.vcz');
    expect((await runCli('export', join(dir(), 'cli-select.depot'), none, '-r', 'chrNope,20:17330-14370')).code).toBe(0);
    expectSameAsBcftools(none, bcftoolsReference(source, { regions: 'chrNope,20:17330-14370' }), 'cli-none');
    const both = await runCli('export', join(dir(), 'cli-select.depot'), join(dir(), 'cli-both.vcz'), '-s', 'NA00001', '-S', list);
    expect(both.code).toBe(2);
    const unknown = await runCli('export', join(dir(), 'cli-select.depot'), join(dir(), 'cli-unknown.vcz'), '-s', 'NA00001,NOPE');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/sample 'NOPE' is not live/);
    expect(existsSync(join(dir(), 'cli-unknown.vcz'))).toBe(false);
  });

  it('unknown or repeated samples and bad regions are typed errors; nothing is written, the depot is unchanged', async () => {
    const depot = await depotFrom('select-errors', [join(vcfDir, 'sample.vcf.gz')]);
    try {
      depot.remove(['NA00002']);
      const before = JSON.stringify([depot.version(), depot.samples(), depot.log(), depot.stats()]);
      const cases: [Parameters<typeof exportDepot>[2], RegExp, string | undefined][] = [
        [{ samples: ['NA00001', 'NOPE'] }, /sample 'NOPE' is not live in the depot at version \d+ .*subset called for sample that does not exist/, 'NOPE'],
        [{ samples: { exclude: ['NOPE'] } }, /sample 'NOPE' is not live .*exclude called/, 'NOPE'],
        // removed at the head: not exportable there (it is at an older version)
        [{ samples: ['NA00002'] }, /sample 'NA00002' is not live/, 'NA00002'],
        [{ samples: ['NA00001', 'NA00001'] }, /sample 'NA00001' is listed twice/, 'NA00001'],
        [{ regions: ['20:abc-5'] }, /region '20:abc-5' does not parse/, undefined],
      ];
      for (const [i, [opts, message, sample]] of cases.entries()) {
        const out = join(dir(), `bad-${i}.vcz`);
        let err: unknown;
        try {
          await exportDepot(depot, out, opts);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ExportSelectionError);
        expect((err as ExportSelectionError).code).toBe('export-selection');
        expect((err as ExportSelectionError).sample).toBe(sample);
        expect(String((err as Error).message)).toMatch(message);
        expect(existsSync(out)).toBe(false);
      }
      expect(JSON.stringify([depot.version(), depot.samples(), depot.log(), depot.stats()])).toBe(before);
      // the removed sample is exportable at the version that still has it
      const s = await exportDepot(depot, join(dir(), 'at-1.vcz'), { at: 1, samples: ['NA00002'] });
      expect(s.samples).toBe(1);
    } finally {
      depot.close();
    }
  });

  it('parses bcftools -s and -r lists', () => {
    expect(parseSampleList('B,A')).toEqual(['B', 'A']);
    expect(parseSampleList('^A,B')).toEqual({ exclude: ['A', 'B'] });
    expect(parseRegions('chr1,chr1:5,chr1:5-9,chr1:5-')).toEqual([
      { contig: 'chr1' },
      { contig: 'chr1', start: 5, end: 5 },
      { contig: 'chr1', start: 5, end: 9 },
      { contig: 'chr1', start: 5 },
    ]);
    expect(parseRegions('HLA-A*01:01:01:01', ['HLA-A*01:01:01:01'])).toEqual([{ contig: 'HLA-A*01:01:01:01' }]);
    expect(() => parseRegions('chr1:x')).toThrow(ExportSelectionError);
  });
});
