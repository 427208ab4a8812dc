/**
 * Export memory does not grow with the cohort: it is bounded by one
 * samples-chunk column of one variant block (docs/vcz-export.md). Exports a
 * synthetic cohort of 300 and of 1,500 samples (samples chunk 100) in child
 * processes and compares their peak RSS: the 5× larger cohort may not need
 * much more memory.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot } from '../../src/index.ts';
import { BENCH_FORMAT, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { repoRoot } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('exportmem');

const vs = syntheticVariantSet({ numVariants: 20_000, seed: 3, format: BENCH_FORMAT });

function makeDepot(n: number): string {
  const path = join(dir(), `d${n}`);
  const d = Depot.create(path, vs, { blockSize: 1000 });
  for (let i = 0; i < n; i += 100) {
    d.putMany(Array.from({ length: Math.min(100, n - i) }, (_, k) => ({ sampleId: `S${i + k}`, calls: syntheticCalls(vs, { seed: i + k }) })));
  }
  d.close();
  return path;
}

function peakRssMiB(depot: string, out: string): number {
  const script = join(dir(), 'export-child.mts');
  writeFileSync(
    script,
    `import { Depot } from ${JSON.stringify(join(repoRoot, 'src', 'index.ts'))};
import { depotExportSource } from ${JSON.stringify(join(repoRoot, 'src', 'io', 'index.ts'))};
import { exportVcz } from ${JSON.stringify(join(repoRoot, 'src', 'vcz', 'index.ts'))};
const d = Depot.open(process.argv[2], { readOnly: true, cacheBytes: 16 * 1024 * 1024 });
await exportVcz(depotExportSource(d), process.argv[3], { samplesChunkSize: 100, variantsChunkSize: 1000 });
d.close();
process.stdout.write(String(process.resourceUsage().maxRSS / 1024));
`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, depot, out], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim().split('\n').pop());
}

describe('export memory', () => {
  it('peak RSS stays flat when the cohort grows 5×', () => {
    const small = peakRssMiB(makeDepot(300), join(dir(), 'small.vcz'));
    const large = peakRssMiB(makeDepot(1500), join(dir(), 'large.vcz'));
    // Raw records: ~0.16 MiB per sample, so 1,200 more samples are ~190 MiB more
    // if memory grew with the cohort; allow 60 MiB of noise.
    expect(large - small, `small ${small.toFixed(0)} MiB, large ${large.toFixed(0)} MiB`).toBeLessThan(60);
  }, 300_000);
});
