/**
 * `npm run bench:grow`: a cohort grown from per-sample VCFs (issue "A growing
 * cohort"). The small simulated cohort (bench/data/cache/small, 1,000 samples
 * × 50,000 msprime sites) is split into one VCF per sample holding only the
 * sites where that sample carries an ALT (`bcftools +split -i 'GT="alt"'`,
 * once, cached), then:
 *
 * - grow: `createFromFile` with the first file, then `addFiles` of one file
 *   per commit (in process, as a long-running importer would): the wall time
 *   of every append (medians of the first, middle and last tens: is an
 *   append's cost flat as the cohort grows?);
 * - size: the depot's bytes against the per-sample .vcf.gz files';
 * - export: `vczdepot export` of the grown depot (a child process, GNU time)
 *   against the peers' route to the same store: `bcftools merge` of the
 *   files, then `vcf2zarr convert` of the merged VCF (with `-p 1` and `-p 2`);
 * - with `--check`: `vcztools view` of both stores, compared line by line
 *   (the ##source line aside).
 *
 * Writes bench/results/<date>-<sha>-grow.json and prints a table. Options:
 * `--samples N` (default 1000), `--check`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addFiles, createFromFile } from '../src/io/index.ts';
import { measure, median, pathBytes } from './lib/measure.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(opt('--samples') ?? 1000);
const check = args.includes('--check');
const root = resolve(import.meta.dirname, '..');
const cache = join(root, 'bench', 'data', 'cache', 'small');
const perSample = join(cache, 'per-sample');
const venv = join(root, '.venv', 'bin');
const sh = (cmd: string): string => execFileSync('bash', ['-c', cmd], { encoding: 'utf8' }).trim();

if (!existsSync(join(cache, 'cohort.vcf.gz'))) throw new Error(`no ${cache}/cohort.vcf.gz: run \`bash bench/data/simulate.sh small\` first`);
if (!existsSync(join(perSample, '.done'))) {
  console.log(`splitting the cohort into per-sample VCFs of their own sites → ${perSample}`);
  mkdirSync(perSample, { recursive: true });
  execFileSync('bcftools', ['+split', '-i', 'GT="alt"', '-Oz', '-o', perSample, join(cache, 'cohort.vcf.gz')], { stdio: 'inherit' });
  writeFileSync(join(perSample, '.done'), '');
}
const order = readFileSync(join(cache, 'cohort.samples.txt'), 'utf8').split('\n').filter(Boolean);
const files = order.slice(0, N).map((s) => join(perSample, `${s}.vcf.gz`));
for (const f of files) if (!existsSync(f)) throw new Error(`${f} is missing: delete ${perSample} and run again`);
const inputBytes = files.reduce((s, f) => s + statSync(f).size, 0);

const work = join(cache, 'grow-work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const depotPath = join(work, 'grown.depot');

console.log(`growing a depot from ${N} per-sample VCFs (${(inputBytes / 1e6).toFixed(1)} MB), one append per file`);
const t0 = performance.now();
const { depot } = await createFromFile(depotPath, files[0]!);
const appendMs: number[] = [];
for (let i = 1; i < N; i++) {
  const t = performance.now();
  await addFiles(depot, [files[i]!]);
  appendMs.push(performance.now() - t);
  if (i % 100 === 0) console.log(`  ${i + 1} samples: last append ${appendMs[appendMs.length - 1]!.toFixed(0)} ms`);
}
const growSeconds = (performance.now() - t0) / 1000;
const sites = depot.variantSets().reduce((s, x) => s + x.numVariants, 0);
depot.close();
const depotBytes = pathBytes(depotPath);
const tens = (from: number) => median(appendMs.slice(from, from + 10));
const first = tens(0);
const middle = tens(Math.max(0, Math.floor(appendMs.length / 2) - 5));
const last = tens(Math.max(0, appendMs.length - 10));

console.log('exporting (vczdepot) and merging + converting (bcftools merge, vcf2zarr)');
const cli = join(root, 'bin', 'vczdepot.cjs');
const ours = measure([process.execPath, cli, 'export', depotPath, join(work, 'ours.vcz')]);
// The peers' route: index the files (bcftools merge needs it), merge, convert.
const listFile = join(work, 'files.txt');
writeFileSync(listFile, files.join('\n') + '\n');
const index = measure(['bash', '-c', `while read f; do bcftools index -f "$f"; done < ${listFile}`]);
const merge = measure(['bcftools', 'merge', '--no-version', '-l', listFile, '-Oz', '-o', join(work, 'merged.vcf.gz')]);
const mergedIndex = measure(['bcftools', 'index', '-f', join(work, 'merged.vcf.gz')]);
const convert1 = measure([join(venv, 'vcf2zarr'), 'convert', '-p', '1', join(work, 'merged.vcf.gz'), join(work, 'theirs-p1.vcz')]);
const convert2 = measure([join(venv, 'vcf2zarr'), 'convert', '-p', '2', join(work, 'merged.vcf.gz'), join(work, 'theirs-p2.vcz')]);
let same: boolean | undefined;
if (check) {
  const view = (store: string): string => sh(`${venv}/vcztools view --no-version ${store} | grep -v '^##source=' | md5sum`);
  same = view(join(work, 'ours.vcz')) === view(join(work, 'theirs-p1.vcz'));
}
const mergedSites = Number(sh(`bcftools index -n ${join(work, 'merged.vcf.gz')}`));

const result = {
  sha: sh('git rev-parse --short HEAD'),
  date: new Date().toISOString(),
  samples: N,
  inputBytes,
  depotBytes,
  depotToInput: depotBytes / inputBytes,
  storedSites: sites,
  mergedSites,
  growSeconds,
  appendMs: { first10: first, middle10: middle, last10: last, lastToFirst: last / first, all: appendMs.map((x) => Math.round(x)) },
  export: { vczdepot: ours, bcftoolsIndex: index, bcftoolsMerge: merge, mergedIndex, vcf2zarrP1: convert1, vcf2zarrP2: convert2 },
  peersOverOurs: {
    p1: (merge.wall + convert1.wall) / ours.wall,
    p2: (merge.wall + convert2.wall) / ours.wall,
    p2WithIndex: (index.wall + merge.wall + mergedIndex.wall + convert2.wall) / ours.wall,
  },
  ...(same !== undefined ? { vcztoolsViewEqual: same } : {}),
  load: sh('cat /proc/loadavg'),
};
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const out = join(root, 'bench', 'results', `${result.date.slice(0, 10)}-${result.sha}-grow.json`);
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
const s = (x: number) => x.toFixed(2);
console.log(`
| measure | value |
|---|---|
| samples (per-sample files) | ${N} (${(inputBytes / 1e6).toFixed(1)} MB of .vcf.gz, ${sites} stored sites, ${mergedSites} merged) |
| grow: all appends | ${s(growSeconds)} s |
| one append, median of the first / middle / last ten | ${first.toFixed(0)} / ${middle.toFixed(0)} / ${last.toFixed(0)} ms (last/first ${s(last / first)}) |
| depot bytes / input .vcf.gz bytes | ${(depotBytes / 1e6).toFixed(1)} MB / ${(inputBytes / 1e6).toFixed(1)} MB = ${s(depotBytes / inputBytes)} |
| vczdepot export | ${s(ours.wall)} s (CPU ${s(ours.cpu)} s, ${ours.rssMB.toFixed(0)} MB) |
| bcftools merge → vcf2zarr convert -p 1 | ${s(merge.wall)} + ${s(convert1.wall)} s = ${s(result.peersOverOurs.p1)}× ours |
| bcftools merge → vcf2zarr convert -p 2 | ${s(merge.wall)} + ${s(convert2.wall)} s = ${s(result.peersOverOurs.p2)}× ours (${s(result.peersOverOurs.p2WithIndex)}× with the indexing bcftools merge needs) |
${same !== undefined ? `| vcztools view equal | ${same} |\n` : ''}
→ ${out}`);
