/**
 * `npm run demo`: real 1000 Genomes chr22 calls (bundled in test/data) go
 * into a depot, grow, shrink, get tagged and come out as VCF Zarr, through
 * the `vczdepot` command line. Needs no Python. Output in ./demo-out/.
 */
import { readdirSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { Depot } from '../src/index.ts';

const out = 'demo-out';
const depot = join(out, 'chr22.depot');
const data = 'test/data/vcf';

function du(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((s, f) => s + du(join(path, f)), 0);
}

async function run(...args: string[]): Promise<void> {
  console.log(`\n$ vczdepot ${args.join(' ')}`);
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
console.log('vczdepot demo: 1000 Genomes chr22 subset, 100 samples × 100 variants, split 55 + 45');
await run('create', depot, '--from', join(data, 'chr22-part1.vcf.gz'));
await run('append', depot, join(data, 'chr22-part2.vcf.gz'), '-m', 'second batch');
await run('tag', depot, 'release-1', '-m', 'all 100 samples');
await run('remove', depot, 'HG00100', '-m', 'consent withdrawn');
await run('tag', depot, 'release-2', '-m', '99 samples');
await run('log', depot);
await run('tags', depot);
await run('stats', depot);
await run('export', depot, join(out, 'release-1.vcz'), '--at', 'release-1');
await run('export', depot, join(out, 'release-2.vcz.zip'), '--at', 'release-2', '--zip');
await run('export', depot, join(out, 'head-v3.vcz'), '--zarr-format', '3');
{
  const d = Depot.open(depot, { readOnly: true });
  const r1 = d.samples({ at: 'release-1' });
  const r2 = d.samples({ at: 'release-2' });
  console.log(`\nsamples: release-1 has ${r1.length} (${r1.slice(0, 3).join(', ')}, …), release-2 has ${r2.length}; removed: ${r1.filter((s) => !r2.includes(s)).join(', ')}`);
  d.close();
}
console.log('\nsizes:');
for (const p of ['chr22.depot', 'release-1.vcz', 'release-2.vcz.zip', 'head-v3.vcz']) {
  console.log(`  ${p.padEnd(20)} ${(du(join(out, p)) / 1024).toFixed(1)} KiB`);
}
console.log(`  source VCFs          ${((du(join(data, 'chr22-part1.vcf.gz')) + du(join(data, 'chr22-part2.vcf.gz'))) / 1024).toFixed(1)} KiB`);
console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(2)} s; open the stores with vcztools, e.g.\n  vcztools view ${join(out, 'release-1.vcz')} | head`);
