/**
 * A depot written by vczdepot's format 1 (test/data/depot/format1-sample.tgz,
 * made at commit 00ebc16: one variant set for every sample) opens with
 * today's code as a depot of one declared variant set (id 0): its samples,
 * tags and exports are those it had (checked against bcftools, as the
 * interop tests check), `verify` finds nothing, and the first import of a
 * file with other sites upgrades it to format 2 in place without changing
 * any earlier version's export.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { Depot } from '../../src/index.ts';
import { addFiles, depotExportSource } from '../../src/io/index.ts';
import { exportVcz } from '../../src/vcz/index.ts';
import { bcftoolsReference } from '../helpers/bcftools-oracle.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('format1');
const vcfDir = join(repoRoot, 'test', 'data', 'vcf');

function unpack(): string {
  execFileSync('tar', ['xzf', join(repoRoot, 'test', 'data', 'depot', 'format1-sample.tgz'), '-C', dir()]);
  return join(dir(), 'd');
}

/** Every file of the exported store, name → bytes (base64). */
function storeFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = readFileSync(join(d, e.name)).toString('base64');
    }
  };
  walk(root, '');
  return out;
}

function sameAsBcftools(store: string, reference: string, label: string): void {
  const ref = join(dir(), `${label}.ref.vcf`);
  const ours = join(dir(), `${label}.ours.vcf`);
  writeFileSync(ref, reference);
  writeFileSync(ours, run(venvBin('vcztools'), ['view', '--no-version', store]).stdout);
  const r = run(venvBin('python'), [join(repoRoot, 'test', 'helpers', 'compare_vcfs.py'), ref, ours], { allowFailure: true });
  expect(r.status, `${label}: ${r.stderr}`).toBe(0);
}

it('a format 1 depot opens, exports as it did, verifies, and is upgraded by an import of other sites', async () => {
  const path = unpack();
  const d = Depot.open(path);
  try {
    expect(d.meta.version).toBe(1);
    expect(d.variantSets()).toEqual([{ id: 0, numVariants: 9, declared: true, addedAt: 0, bytes: 0, storedAs: 0 }]);
    expect(d.samples()).toEqual(['NA00001', 'NA00003']);
    expect(d.samples({ at: 'v1' })).toEqual(['NA00001', 'NA00002', 'NA00003']);
    expect(d.verify().ok).toBe(true);
    const exportAt = async (at: string | number, name: string) => (await exportVcz(depotExportSource(d, at), join(dir(), name), { zarrFormat: 2 })).path;
    // What format 1 exported: the one set, i.e. the spec sample split by samples and put back.
    const v1 = await exportAt('v1', 'v1.vcz');
    sameAsBcftools(v1, bcftoolsReference(join(vcfDir, 'sample.vcf.gz')), 'v1');
    sameAsBcftools(await exportAt(4, 'head.vcz'), bcftoolsReference(join(vcfDir, 'sample.vcf.gz'), { samples: 'NA00001,NA00003' }), 'head');
    const before = storeFiles(v1);
    // A new sample with other alleles at the same positions: a second variant set.
    const other = join(dir(), 'NA00009.vcf');
    writeFileSync(other, gunzipSync(readFileSync(join(vcfDir, 'sample-part2-alleles-mismatch.vcf.gz'))).toString('utf8').replace(/\tNA00003$/m, '\tNA00009'));
    await addFiles(d, [other]);
    expect(d.variantSets().map((s) => [s.id, s.declared])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(d.samples()).toEqual(['NA00001', 'NA00003', 'NA00009']);
    expect(d.verify().ok).toBe(true);
    // Earlier versions export byte for byte as before.
    const again = await exportAt('v1', 'v1-again.vcz');
    const after = storeFiles(again);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const k of Object.keys(before)) expect(after[k], k).toBe(before[k]);
  } finally {
    d.close();
  }
  // Reopened, the depot is today's format (3: the REF index compressed) and reads the same.
  const r = Depot.open(path, { readOnly: true });
  try {
    expect(r.meta.version).toBe(3);
    expect(r.samples()).toEqual(['NA00001', 'NA00003', 'NA00009']);
    expect(r.variantSet(0).numVariants).toBe(9);
  } finally {
    r.close();
  }
}, 120_000);
