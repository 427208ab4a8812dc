/**
 * `npm run bench:gvcf`: the gVCF benchmarks of issue 14 (docs/gvcf.md,
 * "Benchmarks"). Data are simulated (bench/data/simulate_gvcf.py, seeded,
 * cached in bench/data/cache/gvcf/, gitignored):
 *
 * 1. import of one whole-genome-like single-sample gVCF (GATK-style variant
 *    records and reference blocks; `--blocks`, `--variants`, default 1M and
 *    0.8M; a whole genome is ~5M and ~4M): `vczdepot create --from big.g.vcf.gz`
 *    against `bcftools view -Ob -o /dev/null big.g.vcf.gz` (the price of
 *    reading it once), wall/CPU/peak RSS from GNU time, medians of `--runs`;
 *    and the depot's bytes against the .g.vcf.gz's (goal ≤ 0.5×);
 * 2. export of a `--samples`-sample (default 200) gVCF cohort against the same
 *    samples' plain VCFs (their variant records as the gVCF import stores
 *    them, no blocks), each depot grown by `create` + `append` of `--batch`
 *    files (default 20) per append: `vczdepot export` of both, medians of
 *    `--runs` (alternating), the ratio is the price of densifying (goal ≤
 *    1.5×). The two exports must have the same sites (checked, always); with
 *    `--check`, every call of the plain export that is not missing must equal
 *    the gVCF export's (GT, via `vcztools query`), and the densified calls are
 *    counted.
 *
 * Writes bench/results/<date>-<sha>-gvcf.json and prints a markdown table.
 * Other options: `--runs N` (default 3), `--skip-big`, `--skip-cohort`,
 * `--work DIR` (the depots and exports; default bench/data/cache/gvcf/work),
 * `--threads N` (passed to export; default: the CLI's default), `--name X`
 * (results to <date>-<sha>-gvcf-X.json). The CLI runs the bundle
 * (dist/vczdepot.cjs) when it is fresh, else the sources through tsx (about
 * a second more a command): `npm run build` first; the JSON says which ran.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { measure, medianRun, pathBytes, versionOf, type Run } from './lib/measure.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const BLOCKS = Number(opt('--blocks') ?? 1_000_000);
const VARIANTS = Number(opt('--variants') ?? 800_000);
const SAMPLES = Number(opt('--samples') ?? 200);
const BATCH = Number(opt('--batch') ?? 20);
const RUNS = Number(opt('--runs') ?? 3);
const THREADS = opt('--threads');
const check = args.includes('--check');
const NAME = opt('--name');
const root = resolve(import.meta.dirname, '..');
const cache = join(root, 'bench', 'data', 'cache', 'gvcf');
const gen = join(root, 'bench', 'data', 'simulate_gvcf.py');
const venv = join(root, '.venv', 'bin');
const cli = join(root, 'bin', 'vczdepot.cjs');
const sh = (cmd: string): string => execFileSync('bash', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
/** Bytes the files take on disk (allocated blocks, `du -sB1`). */
const diskBytes = (p: string): number => Number(sh(`du -sB1 ${p} | cut -f1`));
const vczdepot = (...a: string[]): string[] => [process.execPath, cli, ...a];
mkdirSync(cache, { recursive: true });
// `--work DIR`: where the depots and exports go (default bench/data/cache/gvcf/work; emptied first).
const work = resolve(opt('--work') ?? join(cache, 'work'));
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const s2 = (x: number) => x.toFixed(2);
const mb = (x: number) => (x / 1e6).toFixed(1);
const runText = (r: Run) => `${s2(r.wall)} s (CPU ${s2(r.cpu)} s, ${r.rssMB.toFixed(0)} MB)`;
const result: Record<string, unknown> = {
  sha: sh('git rev-parse --short HEAD'),
  date: new Date().toISOString(),
  runs: RUNS,
  tools: { bcftools: versionOf('bcftools', ['--version']).split('\n')[0], node: process.version },
  cli: existsSync(join(root, 'dist', 'vczdepot.cjs')) && statSync(join(root, 'dist', 'vczdepot.cjs')).mtimeMs >= Number(sh(`find ${join(root, 'src')} -type f -printf '%T@\\n' | sort -n | tail -1`)) * 1000 ? 'bundle (dist/vczdepot.cjs)' : 'tsx (src/, no fresh bundle)',
  loadBefore: sh('cat /proc/loadavg'),
};
console.log(`CLI: ${result.cli}`);
const rows: string[] = [];

// ---- 1. one whole-genome-like gVCF -------------------------------------
if (!args.includes('--skip-big')) {
  const big = join(cache, `big-b${BLOCKS}-v${VARIANTS}.g.vcf.gz`);
  const meta = `${big}.json`;
  if (!existsSync(meta)) {
    console.log(`simulating ${big} (${BLOCKS} blocks, ${VARIANTS} variants asked)`);
    const log = sh(`set -o pipefail; python3 ${gen} big --blocks ${BLOCKS} --variants ${VARIANTS} 2>${big}.log | bgzip -c > ${big}.tmp && mv ${big}.tmp ${big}; cat ${big}.log`);
    const [, blocks, variants, genome] = /blocks (\d+) variants (\d+) genome (\d+)/.exec(log)!;
    writeFileSync(meta, JSON.stringify({ blocks: Number(blocks), variants: Number(variants), genome: Number(genome) }) + '\n');
  }
  const m = JSON.parse(readFileSync(meta, 'utf8')) as { blocks: number; variants: number; genome: number };
  const gzBytes = statSync(big).size;
  console.log(`import: ${m.blocks} blocks + ${m.variants} variants (${mb(gzBytes)} MB .g.vcf.gz), ${RUNS} runs each`);
  const ours: Run[] = [];
  const theirs: Run[] = [];
  const depot = join(work, 'big.depot');
  for (let r = 0; r < RUNS; r++) {
    rmSync(depot, { recursive: true, force: true });
    theirs.push(measure(['bcftools', 'view', '-Ob', '-o', '/dev/null', big]));
    ours.push(measure(vczdepot('create', depot, '--from', big)));
    console.log(`  run ${r + 1}: vczdepot create ${s2(ours[r]!.wall)} s, bcftools view -Ob ${s2(theirs[r]!.wall)} s`);
  }
  const o = medianRun(ours);
  const t = medianRun(theirs);
  const stats = JSON.parse(sh(`node ${cli} stats --json ${depot}`)) as Record<string, number>;
  const apparent = pathBytes(depot);
  const disk = diskBytes(depot);
  // For scale: the same file as BCF (what bcftools view -Ob writes).
  execFileSync('bcftools', ['view', '-Ob', '-o', join(work, 'big.bcf'), big]);
  const bcfBytes = statSync(join(work, 'big.bcf')).size;
  result.import = {
    file: big, ...m, gzBytes, bcfBytes,
    vczdepotCreate: o, bcftoolsViewOb: t, all: { vczdepotCreate: ours, bcftoolsViewOb: theirs },
    wallRatio: o.wall / t.wall, cpuRatio: o.cpu / t.cpu,
    depotApparentBytes: apparent, depotDiskBytes: disk, depotToGz: apparent / gzBytes, depotDiskToGz: disk / gzBytes,
    depotStats: stats,
  };
  rows.push(
    `| import: input | ${m.blocks.toLocaleString('en')} reference blocks + ${m.variants.toLocaleString('en')} variant records, 1 sample (${mb(gzBytes)} MB .g.vcf.gz; ${mb(bcfBytes)} MB as BCF) |`,
    `| import: \`vczdepot create --from\` | ${runText(o)} |`,
    `| import: \`bcftools view -Ob -o /dev/null\` | ${runText(t)} |`,
    `| import: vczdepot / bcftools | wall ${s2(o.wall / t.wall)}×, CPU ${s2(o.cpu / t.cpu)}× |`,
    `| import: depot bytes / .g.vcf.gz (goal ≤ 0.5) | ${mb(apparent)} MB / ${mb(gzBytes)} MB = **${s2(apparent / gzBytes)}** (on disk ${mb(disk)} MB = ${s2(disk / gzBytes)}) |`,
    `| import: depot parts | records ${mb(stats.chunkBytes!)} MB in chunks, LMDB index ${mb(stats.indexBytes!)} MB (of which reference blocks ${mb(stats.referenceBlockBytes!)} MB = ${s2(stats.referenceBlockBytes! / stats.referenceBlocks!)} B a block), variant set ${mb(stats.variantSetBytes!)} MB |`,
  );
}

// ---- 2. a gVCF cohort exported, against the same from plain VCFs --------
if (!args.includes('--skip-cohort')) {
  const dir = join(cache, `cohort-${SAMPLES}`);
  if (!existsSync(join(dir, '.done'))) {
    console.log(`simulating ${SAMPLES} gVCFs and plain VCFs → ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    sh(`python3 ${gen} cohort --samples ${SAMPLES} --out ${dir} 2>${dir}.log && cd ${dir} && for f in *.vcf; do bgzip -f "$f"; done`);
    writeFileSync(join(dir, '.done'), '');
  }
  const names = Array.from({ length: SAMPLES }, (_, i) => `S${String(i).padStart(3, '0')}`);
  const gFiles = names.map((n) => join(dir, `${n}.g.vcf.gz`));
  const pFiles = names.map((n) => join(dir, `${n}.vcf.gz`));
  const sum = (fs: string[]) => fs.reduce((s, f) => s + statSync(f).size, 0);
  const grow = (depot: string, files: string[]): { runs: Run[]; wall: number; cpu: number } => {
    rmSync(depot, { recursive: true, force: true });
    const runs = [measure(vczdepot('create', depot, '--from', files[0]!))];
    for (let i = 1; i < files.length; i += BATCH) runs.push(measure(vczdepot('append', depot, ...files.slice(i, i + BATCH))));
    return { runs, wall: runs.reduce((s, r) => s + r.wall, 0), cpu: runs.reduce((s, r) => s + r.cpu, 0) };
  };
  console.log(`cohort: growing the gVCF and the plain-VCF depots (${SAMPLES} samples, ${BATCH} files an append)`);
  const gDepot = join(work, 'gvcf.depot');
  const pDepot = join(work, 'plain.depot');
  const gGrow = grow(gDepot, gFiles);
  const pGrow = grow(pDepot, pFiles);
  console.log(`  grown: gVCF ${s2(gGrow.wall)} s, plain ${s2(pGrow.wall)} s`);
  const thr = THREADS ? ['--threads', THREADS] : [];
  const gOut = join(work, 'gvcf.vcz');
  const pOut = join(work, 'plain.vcz');
  const gExp: Run[] = [];
  const pExp: Run[] = [];
  for (let r = 0; r < RUNS; r++) {
    rmSync(gOut, { recursive: true, force: true });
    rmSync(pOut, { recursive: true, force: true });
    pExp.push(measure(vczdepot('export', pDepot, pOut, ...thr)));
    gExp.push(measure(vczdepot('export', gDepot, gOut, ...thr)));
    console.log(`  run ${r + 1}: export gVCF ${s2(gExp[r]!.wall)} s, plain ${s2(pExp[r]!.wall)} s`);
  }
  const g = medianRun(gExp);
  const p = medianRun(pExp);
  // Same sites in both exports (the blocks never become sites).
  const sites = (store: string) => sh(`${venv}/vcztools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\n' ${store} | md5sum`);
  const sameSites = sites(gOut) === sites(pOut);
  const nSites = Number(sh(`${venv}/vcztools query -f '%POS\\n' ${pOut} | wc -l`));
  let gtCheck: Record<string, number | boolean> | undefined;
  if (check) {
    // Every call the plain export has must be the gVCF export's; count the densified ones.
    const gts = (store: string) => sh(`${venv}/vcztools query -f '[%GT ]\\n' ${store}`).split('\n');
    const a = gts(gOut);
    const b = gts(pOut);
    let same = a.length === b.length;
    let densified = 0;
    let missingBoth = 0;
    let cells = 0;
    for (let i = 0; same && i < a.length; i++) {
      const x = a[i]!.trim().split(' ');
      const y = b[i]!.trim().split(' ');
      for (let j = 0; j < y.length; j++) {
        cells++;
        if (y[j] !== './.') { if (x[j] !== y[j]) { same = false; console.log(`  GT differs at line ${i + 1} sample ${j}: ${x[j]} vs ${y[j]}`); break; } }
        else if (x[j] === '0/0') densified++;
        else if (x[j] === './.') missingBoth++;
      }
    }
    gtCheck = { plainCallsEqual: same, cells, densifiedToRef: densified, stillMissing: missingBoth };
  }
  const gStats = JSON.parse(sh(`node ${cli} stats --json ${gDepot}`)) as Record<string, number>;
  const pStats = JSON.parse(sh(`node ${cli} stats --json ${pDepot}`)) as Record<string, number>;
  result.cohort = {
    samples: SAMPLES, batch: BATCH, sites: nSites, sameSites,
    gvcfInputBytes: sum(gFiles), plainInputBytes: sum(pFiles),
    referenceBlocks: gStats.referenceBlocks,
    grow: { gvcf: gGrow, plain: pGrow },
    depotBytes: { gvcf: pathBytes(gDepot), plain: pathBytes(pDepot) },
    export: { gvcf: g, plain: p, all: { gvcf: gExp, plain: pExp }, threads: THREADS ?? 'default' },
    exportWallRatio: g.wall / p.wall, exportCpuRatio: g.cpu / p.cpu,
    storeBytes: { gvcf: pathBytes(gOut), plain: pathBytes(pOut) },
    ...(gtCheck ? { gtCheck } : {}),
    depotStats: { gvcf: gStats, plain: pStats },
  };
  rows.push(
    `| cohort: input | ${SAMPLES} samples, ${nSites.toLocaleString('en')} merged sites; ${(gStats.referenceBlocks!).toLocaleString('en')} reference blocks; ${mb(sum(gFiles))} MB of .g.vcf.gz, ${mb(sum(pFiles))} MB of plain .vcf.gz |`,
    `| cohort: grow (create + appends of ${BATCH}) | gVCF ${s2(gGrow.wall)} s (CPU ${s2(gGrow.cpu)} s), plain ${s2(pGrow.wall)} s (CPU ${s2(pGrow.cpu)} s) |`,
    `| cohort: depot bytes | gVCF ${mb(pathBytes(gDepot))} MB, plain ${mb(pathBytes(pDepot))} MB |`,
    `| cohort: export of the gVCF depot | ${runText(g)} |`,
    `| cohort: export of the plain-VCF depot | ${runText(p)} |`,
    `| cohort: gVCF / plain export (goal ≤ 1.5) | wall **${s2(g.wall / p.wall)}×**, CPU ${s2(g.cpu / p.cpu)}× |`,
    `| cohort: same sites in both exports | ${sameSites} |`,
    ...(gtCheck ? [`| cohort: plain calls equal in the gVCF export; densified to 0/0 / still ./. | ${gtCheck.plainCallsEqual}; ${gtCheck.densifiedToRef} / ${gtCheck.stillMissing} of ${gtCheck.cells} calls |`] : []),
  );
  if (!sameSites) console.log('  WARNING: the two exports have different sites');
}

result.loadAfter = sh('cat /proc/loadavg');
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const out = join(root, 'bench', 'results', `${String(result.date).slice(0, 10)}-${result.sha}-gvcf${NAME ? `-${NAME}` : ''}.json`);
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`
| measure (medians of ${RUNS} runs) | value |
|---|---|
${rows.join('\n')}
| CLI | ${result.cli} |
| load (/proc/loadavg) before / after | ${result.loadBefore} / ${result.loadAfter} |

→ ${out}`);
