/**
 * README.md's "A dozen lines of API" is true: its TypeScript block, with
 * `'vczdepot'` pointed at src/index.ts, type-checks under the project's
 * compiler options and runs (batch1 = the first 55 samples of
 * test/data/vcf/chr22.vcf.gz, batch2 = the other 45, same variants), and
 * the depot and store it leaves are what its comments say.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot } from '../../src/index.ts';
import { repoRoot } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const tmp = useTempDir('readme-api');

/** The ```ts block right after the "A dozen lines of API" heading. */
function apiBlock(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = /## A dozen lines of API\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no ```ts block under "A dozen lines of API"');
  return m[1]!;
}

describe('README "A dozen lines of API"', () => {
  it('type-checks and runs', () => {
    const dir = tmp();
    const code = apiBlock();
    expect(code).toContain("from 'vczdepot'");
    const script = join(dir, 'api.mts');
    writeFileSync(script, code.replace("from 'vczdepot'", `from ${JSON.stringify(join(repoRoot, 'src', 'index.ts'))}`));
    copyFileSync(join(repoRoot, 'test', 'data', 'vcf', 'chr22-part1.vcf.gz'), join(dir, 'batch1.vcf.gz'));
    copyFileSync(join(repoRoot, 'test', 'data', 'vcf', 'chr22-part2.vcf.gz'), join(dir, 'batch2.vcf.gz'));

    const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
    const tsc = spawnSync(
      bin('tsc'),
      ['--noEmit', '--strict', '--target', 'ES2022', '--lib', 'ES2023', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--allowImportingTsExtensions', '--verbatimModuleSyntax', '--skipLibCheck', '--types', 'node', '--typeRoots', join(repoRoot, 'node_modules', '@types'), script],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);

    const run = spawnSync(bin('tsx'), [script], { cwd: dir, encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);

    const depot = Depot.open(join(dir, 'cohort.depot'), { readOnly: true });
    try {
      const release = depot.samples({ at: 'release-1' });
      expect(release.slice(0, 3)).toEqual(['NA12878', 'NA12891', 'NA12892']);
      expect(release).toHaveLength(3 + 45);
      expect(depot.samples()).not.toContain('NA12891');
    } finally {
      depot.close();
    }
    expect(existsSync(join(dir, 'release-1.vcz', '.zmetadata')) || existsSync(join(dir, 'release-1.vcz', 'zarr.json')) || existsSync(join(dir, 'release-1.vcz', '.zgroup'))).toBe(true);
  }, 120_000);
});
