/**
 * A growing cohort (docs/growing-cohort.md): per-sample files of the 1000
 * Genomes chr22 subset, each with only its own sites and ALT alleles
 * (`bcftools view -s S -c1 -a`), grown into a depot by create and appends,
 * with tags, a remove and a purge. The oracle for every version is the real
 * tool: `bcftools merge` of the files of the samples live at that version,
 * in the order they were added (AF refilled by `+fill-tags`, as our export
 * recomputes it), converted by `vcf2zarr convert` and printed by `vcztools
 * view`; our export printed by `vcztools view` must be the same text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Depot } from '../../src/index.ts';
import { runCli } from '../helpers/cli.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';

const source = join(repoRoot, 'test', 'data', 'vcf', 'chr22.vcf.gz');
const tmp = mkdtempSync(join(tmpdir(), 'vczdepot-grow-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Per-sample files, in a fixed shuffled order. */
let files: { sample: string; path: string }[] = [];
const N = 12;

beforeAll(() => {
  const all = run('bcftools', ['query', '-l', source]).stdout.trim().split('\n');
  // A fixed pick of 12 samples spread over the 100, in a scrambled order.
  const picked = Array.from({ length: N }, (_, i) => all[(i * 37 + 11) % all.length]!);
  files = picked.map((sample) => {
    const path = join(tmp, `${sample}.vcf.gz`);
    run('bcftools', ['view', '--no-version', '-s', sample, '-c1', '-a', '-Oz', '-o', path, source]);
    run('bcftools', ['index', '-f', path]);
    return { sample, path };
  });
}, 120_000);

let k = 0;
/** vcztools view of vcf2zarr of `bcftools merge [args] FILES` (AF refilled), minus the ##source line. */
function oracle(paths: readonly string[], args: readonly string[] = []): string {
  const id = k++;
  const merged = join(tmp, `oracle-${id}.vcf.gz`);
  const raw = run('bcftools', ['merge', '--no-version', ...args, ...(paths.length === 1 ? ['--force-single'] : []), ...paths]).stdout;
  const rawPath = join(tmp, `oracle-${id}.raw.vcf`);
  writeFileSync(rawPath, raw);
  run('bcftools', ['+fill-tags', '--no-version', '-Oz', '-o', merged, rawPath, '--', '-t', 'AF']);
  const store = join(tmp, `oracle-${id}.vcz`);
  run(venvBin('vcf2zarr'), ['convert', merged, store]);
  return view(store);
}

function view(store: string): string {
  return run(venvBin('vcztools'), ['view', '--no-version', store])
    .stdout.split('\n')
    .filter((l) => !l.startsWith('##source='))
    .join('\n');
}

async function ours(depot: string, ...args: string[]): Promise<string> {
  const out = join(tmp, `ours-${k++}.vcz`);
  const r = await runCli('export', depot, out, ...args);
  expect(r.code, r.err).toBe(0);
  return view(out);
}

async function cli(...args: string[]): Promise<void> {
  const r = await runCli(...args);
  expect(r.code, r.err).toBe(0);
}

describe('a cohort grown from per-sample files equals bcftools merge of them, version by version', () => {
  it('create, appends, tag, remove: head and tag exports equal bcftools merge of their files in the order added', async () => {
    const depot = join(tmp, 'grow.depot');
    const p = files.map((f) => f.path);
    await cli('create', depot, '--from', p[0]!);
    await cli('append', depot, p[1]!, p[2]!);
    await cli('append', depot, p[3]!, p[4]!, p[5]!);
    await cli('tag', depot, 'first6');
    for (const f of p.slice(6)) await cli('append', depot, f);
    // Many of the subset's samples carry few sites: the merge must have grown.
    const d = Depot.open(depot, { readOnly: true });
    try {
      expect(d.variantSets().length).toBeGreaterThan(3);
    } finally {
      d.close();
    }
    expect(await ours(depot)).toBe(oracle(p));
    expect(await ours(depot, '--at', 'first6')).toBe(oracle(p.slice(0, 6)));
    // Remove two samples: sites only they carried leave the head, stay in the tag.
    await cli('remove', depot, files[1]!.sample, files[7]!.sample);
    const live = p.filter((_, i) => i !== 1 && i !== 7);
    expect(await ours(depot)).toBe(oracle(live));
    expect(await ours(depot, '--at', 'first6')).toBe(oracle(p.slice(0, 6)));
    // -0 as bcftools merge -0.
    expect(await ours(depot, '--missing-to-ref')).toBe(oracle(live, ['-0']));
  }, 600_000);

  it('create --merge none keeps bcftools merge -m none', async () => {
    const depot = join(tmp, 'none.depot');
    const p = files.map((f) => f.path).slice(0, 8);
    await cli('create', depot, '--from', p[0]!, '--merge', 'none');
    await cli('append', depot, ...p.slice(1));
    expect(await ours(depot)).toBe(oracle(p, ['-m', 'none']));
  }, 300_000);

  it('purge erases the sites only the purged sample carried, from the head and from every tag', async () => {
    const depot = join(tmp, 'purge.depot');
    const p = files.map((f) => f.path).slice(0, 6);
    await cli('create', depot, '--from', p[0]!);
    await cli('append', depot, ...p.slice(1));
    await cli('tag', depot, 'all6');
    const d0 = Depot.open(depot, { readOnly: true });
    const before = d0.variantSets().length;
    const victim = d0.sampleInfo().find((s) => s.sampleId === files[2]!.sample)!;
    const victimSites = d0.variantSet(victim.variantSet).numVariants;
    const shared = d0.sampleInfo().filter((s) => s.variantSet === victim.variantSet).length;
    d0.close();
    await cli('purge', depot, files[2]!.sample);
    const rest = p.filter((_, i) => i !== 2);
    expect(await ours(depot)).toBe(oracle(rest));
    expect(await ours(depot, '--at', 'all6')).toBe(oracle(rest));
    const d = Depot.open(depot, { readOnly: true });
    try {
      // Its own set is gone, unless another sample stored the same sites.
      expect(d.variantSets().length).toBe(shared > 1 ? before : before - 1);
      expect(victimSites).toBeGreaterThanOrEqual(0);
    } finally {
      d.close();
    }
  }, 300_000);
});
