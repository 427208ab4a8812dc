/**
 * Hostile VCZ stores (issue 15): bio2zarr's sample store, Zarr format 2 and
 * 3, with one metadata file or chunk edited by test/trust/hostile_vcz_corpus.py
 * (huge, negative or inconsistent shapes, huge chunk shapes, swapped
 * dimension names, Blosc frames that expand to 1 GiB, truncated chunks, a
 * zip entry whose headers lie about its size, a store consistent but beyond
 * any memory budget). `vczdepot create --from` and `vczdepot append` run in
 * a child under `/usr/bin/time -v`: each exits 1 with one line naming the
 * array, its peak RSS stays under 300 MB, and no depot is left behind
 * (create) or the existing depot is byte for byte unchanged (append).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVcz, type VczData } from '../../src/vcz/vcz-read.ts';
import { isVczReadError } from '../../src/vcz/vcz-errors.ts';
import { run, venvBin } from '../helpers/interop.ts';
import { REPO, bundle, readTree, scratchDir } from './common.ts';

const V2 = join(REPO, 'test', 'data', 'vcz', 'sample.vcz.zip');
const V3 = join(REPO, 'test', 'data', 'vcz', 'sample.vcz3.zip');
const RSS_LIMIT_KB = 300 * 1024;

interface Case {
  readonly name: string;
  readonly path: string;
  readonly array: string;
}

const root = scratchDir('vczdepot-hostile-vcz-');
const { cases: corpus, good } = JSON.parse(
  run(venvBin('python'), [join(REPO, 'test', 'trust', 'hostile_vcz_corpus.py'), V2, V3, join(root, 'corpus')]).stdout,
) as { cases: Case[]; good: { zstd: string } };
let cli: string;
let depot: string;
let before: Map<string, Buffer>;

/** Runs the CLI in a child under /usr/bin/time -v: exit status, stderr, peak RSS (kB). */
function vczdepot(...args: string[]): { status: number | null; signal: string | null; stderr: string; maxRssKb: number } {
  const timeOut = join(root, 'time.txt');
  rmSync(timeOut, { force: true });
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing: install GNU time (Debian package `time`)');
  const r = spawnSync('/usr/bin/time', ['-v', '-o', timeOut, process.execPath, cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeOut, 'utf8'));
  if (!m) throw new Error(`no peak RSS in /usr/bin/time's output: ${readFileSync(timeOut, 'utf8')}`);
  return { status: r.status, signal: r.signal, stderr: r.stderr, maxRssKb: Number(m[1]) };
}

/** The depot's files (LMDB's lock file aside: readers register in it), relative path → bytes. */
function depotFiles(dir: string): Map<string, Buffer> {
  const t = readTree(dir);
  for (const k of [...t.keys()]) if (/lock(\.mdb)?$|-lock$/.test(k)) t.delete(k);
  return t;
}

beforeAll(() => {
  cli = bundle(join(REPO, 'test', 'trust', 'hostile-vcz-cli.ts'));
  depot = join(root, 'base.depot');
  const r = vczdepot('create', depot, '--from', V2, '--no-samples');
  expect(r.status, r.stderr).toBe(0);
  before = depotFiles(depot);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('hostile VCZ stores', () => {
  it('the corpus has every case of the issue', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(23);
  });

  it('the unedited store imports (the harness can tell success from failure)', () => {
    const d = join(root, 'good.depot');
    const r = vczdepot('create', d, '--from', V2);
    expect(r.status, r.stderr).toBe(0);
    expect(r.maxRssKb).toBeLessThan(RSS_LIMIT_KB);
    rmSync(d, { recursive: true, force: true });
  });

  it.each(corpus.map((c) => [c.name, c] as const))('create --from: %s', (_name, c) => {
    const d = join(root, 'new.depot');
    const r = vczdepot('create', d, '--from', c.path);
    const lines = r.stderr.trim().split('\n');
    expect({ status: r.status, signal: r.signal, lines: lines.length }, r.stderr).toEqual({ status: 1, signal: null, lines: 1 });
    expect(lines[0]).toMatch(/^vczdepot: /);
    expect(lines[0]).toContain(c.array);
    expect(r.maxRssKb, `peak RSS ${r.maxRssKb} kB`).toBeLessThan(RSS_LIMIT_KB);
    expect(existsSync(d), 'a depot was left behind').toBe(false);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('append: %s', (_name, c) => {
    const r = vczdepot('append', depot, c.path);
    const lines = r.stderr.trim().split('\n');
    expect({ status: r.status, signal: r.signal, lines: lines.length }, r.stderr).toEqual({ status: 1, signal: null, lines: 1 });
    expect(lines[0]).toContain(c.array);
    expect(r.maxRssKb, `peak RSS ${r.maxRssKb} kB`).toBeLessThan(RSS_LIMIT_KB);
    const after = depotFiles(depot);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(after.get(k)!.equals(v), `${k} changed`).toBe(true);
  });
});

describe('the checks accept valid stores and honour the budget (in process)', () => {
  const gather = (d: VczData) => d.sampleIds.map((_, i) => d.calls(i));

  it('a store whose chunks are zstd frames (numcodecs Zstd) reads as the Blosc original', async () => {
    const [orig, zstd] = await Promise.all([readVcz(V2), readVcz(good.zstd)]);
    expect(zstd.sampleIds).toEqual(orig.sampleIds);
    expect(gather(zstd)).toEqual(gather(orig));
  });

  it('a store beyond memoryBudget is VczTooLargeError naming the largest array, before any chunk is read', async () => {
    const err = await readVcz(V2, { memoryBudget: 200 }).then(() => undefined, (e: unknown) => e);
    if (!isVczReadError(err, 'vcz-too-large')) throw err;
    expect(err.array).toBe('variant_allele');
    expect(err.budget).toBe(200);
    expect(err.bytes).toBeGreaterThan(200);
    expect(err.message).toContain('variant_allele');
    await expect(readVcz(V2, { memoryBudget: 1e6 })).resolves.toBeDefined();
  });

  it('chunk errors carry the array and the chunk key', async () => {
    const c = corpus.find((x) => x.name.includes('truncated') && !x.path.endsWith('.zip'))!;
    const err = await readVcz(c.path).then(() => undefined, (e: unknown) => e);
    if (!isVczReadError(err, 'vcz-invalid')) throw err;
    expect([err.array, err.chunk]).toEqual(['call_genotype', '0.0.0']);
    expect(err.reason).toMatch(/^truncated chunk/);
  });
});
