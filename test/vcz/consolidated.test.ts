/**
 * Consolidated metadata (`exportVcz`/`exportDepot` `consolidated`, CLI
 * `--consolidated`): for two fixtures and Zarr formats 2 and 3,
 * - the store equals, byte for byte, our store without it after zarr-python
 *   3.1.6's own `zarr.consolidate_metadata` (`.zmetadata` / the root
 *   `zarr.json` with `consolidated_metadata`);
 * - zarr-python (`open_consolidated` / `use_consolidated=True`) and vcztools
 *   open the store through it alone: with every per-array metadata file
 *   deleted, every array reads back equal and `vcztools view` prints the
 *   same VCF as for the plain store.
 */
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFromFile, exportDepot } from '../../src/index.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';
import { diffTrees } from '../trust/common.ts';

const dir = useTempDir('consolidated');

/** Deletes every metadata file below the root (`.zarray`, `.zattrs`, `zarr.json` of the arrays). */
function stripArrayMetadata(store: string): number {
  let n = 0;
  for (const e of readdirSync(store)) {
    const p = join(store, e);
    if (!statSync(p).isDirectory()) continue;
    for (const f of ['.zarray', '.zattrs', 'zarr.json']) {
      try {
        rmSync(join(p, f));
        n++;
      } catch {
        /* absent in this format */
      }
    }
  }
  return n;
}

describe.each(['chr22', 'field_type_combos'])('%s', (name) => {
  it.each([2, 3] as const)('format %i: zarr-python bytes; zarr-python and vcztools read it alone', async (fmt) => {
    const base = join(dir(), `${name}-${fmt}`);
    const { depot } = await createFromFile(`${base}.depot`, join(repoRoot, 'test', 'data', 'vcf', `${name}.vcf.gz`));
    const ours = `${base}-c.vcz`;
    const plain = `${base}.vcz`;
    try {
      await exportDepot(depot, ours, { zarrFormat: fmt, consolidated: true, variantsChunkSize: 30, samplesChunkSize: 40 });
      await exportDepot(depot, plain, { zarrFormat: fmt, variantsChunkSize: 30, samplesChunkSize: 40 });
    } finally {
      depot.close();
    }
    // zarr-python's consolidation of the plain store is byte for byte ours.
    const theirs = `${base}-zp.vcz`;
    cpSync(plain, theirs, { recursive: true });
    expect(diffTrees(ours, theirs)).toMatch(fmt === 2 ? /^\.zmetadata missing/ : /^zarr\.json differs/);
    run(venvBin('python'), ['-W', 'ignore', '-c', 'import sys, zarr; zarr.consolidate_metadata(sys.argv[1])', theirs]);
    expect(diffTrees(ours, theirs)).toBeUndefined();

    // Readers use it: with the arrays' own metadata gone, they still read everything.
    const stripped = `${base}-stripped.vcz`;
    cpSync(ours, stripped, { recursive: true });
    expect(stripArrayMetadata(stripped)).toBeGreaterThan(20);
    const checked = run(venvBin('python'), ['-W', 'ignore', join(repoRoot, 'test', 'vcz', 'consolidated_check.py'), stripped, plain, String(fmt)]);
    expect(Number(checked.stdout.trim())).toBeGreaterThan(20);
    const view = (s: string) => run(venvBin('vcztools'), ['view', '--no-version', s]).stdout;
    const expected = view(plain);
    expect(expected).toMatch(/^#CHROM/m);
    expect(view(stripped)).toBe(expected);
    expect(run(venvBin('vcztools'), ['query', '-l', stripped]).stdout).toBe(run(venvBin('vcztools'), ['query', '-l', plain]).stdout);
  }, 120_000);
});
