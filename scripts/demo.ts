/**
 * `npm run demo`: a cohort that grows sample by sample. The 100 samples of
 * the bundled 1000 Genomes chr22 subset arrive as one VCF each, holding only
 * that sample's own sites and ALT alleles (test/data/vcf/per-sample, made
 * with `bcftools view -s S -c1 -a`); the depot merges them as `bcftools
 * merge` does, tags, removes a sample and exports VCF Zarr, through the
 * `vczdepot` command line. Needs no Python. Output in ./demo-out/.
 */
import { readdirSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { Depot } from '../src/index.ts';
import { versionSites } from '../src/io/index.ts';

const out = 'demo-out';
const depot = join(out, 'chr22.depot');
const perSample = 'test/data/vcf/per-sample';

function du(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((s, f) => s + du(join(path, f)), 0);
}

async function run(...args: string[]): Promise<void> {
  const shown = args.map((a) => (a.startsWith(perSample) ? a.slice(perSample.length + 1) : a));
  console.log(`\n$ vczdepot ${shown.length > 8 ? [...shown.slice(0, 6), `… (${shown.length - 6} more)`].join(' ') : shown.join(' ')}`);
  const t = performance.now();
  const code = await main(['node', 'vczdepot', ...args]);
  if (code !== 0) {
    console.error(`demo: vczdepot ${args[0]} failed (exit ${code})`);
    process.exit(code);
  }
  console.log(`  (${((performance.now() - t) / 1000).toFixed(2)} s)`);
}

const t0 = performance.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const files = readdirSync(perSample)
  .filter((f) => f.endsWith('.vcf.gz'))
  .sort()
  .map((f) => join(perSample, f));
console.log(`vczdepot demo: the 1000 Genomes chr22 subset as ${files.length} per-sample VCFs, each with only its own sites`);
await run('create', depot, '--from', files[0]!);
await run('append', depot, ...files.slice(1, 25), '-m', 'batch 1');
await run('append', depot, ...files.slice(25, 55), '-m', 'batch 2');
await run('tag', depot, 'release-1', '-m', 'first 55 samples');
await run('append', depot, ...files.slice(55), '-m', 'batch 3');
await run('remove', depot, 'HG00115', '-m', 'consent withdrawn');
await run('tag', depot, 'release-2', '-m', '99 samples');
await run('log', depot, '--sites');
await run('stats', depot);
await run('export', depot, join(out, 'release-1.vcz'), '--at', 'release-1');
await run('export', depot, join(out, 'release-2.vcz.zip'), '--at', 'release-2', '--zip');
await run('export', depot, join(out, 'head-v3.vcz'), '--zarr-format', '3');
{
  const d = Depot.open(depot, { readOnly: true });
  const s1 = versionSites(d, 'release-1').merged.variantSet;
  const s2 = versionSites(d, 'release-2').merged.variantSet;
  const key = (vs: typeof s1, v: number) => `${vs.contigs[vs.contig[v]!]!.id}:${vs.position[v]} ${vs.alleles[v]![0]}>${vs.alleles[v]!.slice(1).join(',')}`;
  const k2 = new Set(Array.from({ length: s2.numVariants }, (_, v) => key(s2, v)));
  const only1 = Array.from({ length: s1.numVariants }, (_, v) => key(s1, v)).filter((k) => !k2.has(k));
  console.log(
    `\nthe variant set grew with the samples: release-1 (${d.samples({ at: 'release-1' }).length} samples) has ${s1.numVariants} sites, ` +
      `release-2 (${d.samples({ at: 'release-2' }).length} samples) ${s2.numVariants}, from ${d.variantSets().length} per-file variant sets.`,
  );
  if (only1.length > 0) console.log(`sites release-2 no longer has (only HG00115, removed, carried them; release-1 keeps them): ${only1.join('; ')}`);
  console.log('each export equals `bcftools merge` of its samples\' files, in the order added (test/io/growing-cohort.test.ts checks it)');
  d.close();
}
console.log('\nsizes:');
for (const p of ['chr22.depot', 'release-1.vcz', 'release-2.vcz.zip', 'head-v3.vcz']) {
  console.log(`  ${p.padEnd(20)} ${(du(join(out, p)) / 1024).toFixed(1)} KiB`);
}
console.log(`  per-sample VCFs      ${(files.reduce((s, f) => s + du(f), 0) / 1024).toFixed(1)} KiB`);
console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(2)} s; open the stores with vcztools, e.g.\n  vcztools view ${join(out, 'release-1.vcz')} | head`);
