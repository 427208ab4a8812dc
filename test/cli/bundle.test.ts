/**
 * The shipped CLI is an esbuild bundle (dist/vczdepot.cjs, CommonJS), and a
 * bundle can differ from the sources the other tests run through tsx: module
 * interop (a package's "require" build instead of its "import" one), dynamic
 * imports, `import.meta.url`, lazily loaded addons. This test builds a fresh
 * bundle into a temporary directory and runs every layer through it — VCF in
 * (@gmod/vcf), VCZ in (zarrita), a durable put, remove, verify, export to a
 * directory and a zip (zstd-napi, Blosc in worker threads, yazl) — and checks its outputs
 * against the same commands run in process from the sources.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as sources } from '../helpers/cli.ts';
import { venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';
import { fileTree } from '../helpers/files.ts';

const root = join(import.meta.dirname, '..', '..');
const vcf = join(root, 'test', 'data', 'vcf');
const vcz = join(root, 'test', 'data', 'vcz');
const dir = useTempDir('bundle');
let runner: string;
let dist: string;

beforeAll(() => {
  // Inside the checkout, so the bundle finds node_modules as dist/ does.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  dist = mkdtempSync(join(cache, 'vczdepot-bundle-'));
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', dist], { stdio: 'inherit' });
  // What bin/vczdepot.cjs does once it has chosen the bundle.
  runner = join(dist, 'run.cjs');
  writeFileSync(runner, "require('./vczdepot.cjs').main(process.argv).then((code) => { process.exitCode = code; });\n");
}, 60_000);
afterAll(() => {
  rmSync(dist, { recursive: true, force: true });
});

function bundled(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}


/** Each entry of a zip: name and SHA-256 of its contents (Python's zipfile, from the interop venv). */
function zipEntries(zip: string): string {
  const py = 'import hashlib, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor n in sorted(z.namelist()): print(n, hashlib.sha256(z.read(n)).hexdigest())';
  const r = spawnSync(venvBin('python'), ['-c', py, zip], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const tree = fileTree;

describe('the CLI bundle (dist/vczdepot.cjs)', () => {
  it('runs every layer and prints what the sources print', async () => {
    const a = join(dir(), 'a.depot');
    const b = join(dir(), 'b.depot');
    let r = bundled('create', a, '--from', join(vcf, 'chr22-part1.vcf.gz'), '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ variants: 100, samples: 55, version: 1 });
    r = bundled('append', a, join(vcf, 'chr22-part2.vcf.gz'), '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).added).toHaveLength(45);
    // The same cohort from bio2zarr's VCZ (zarrita, Blosc); VCZ keeps widths, not
    // Number=., so its header differs from the VCF's: compare each with the sources.
    r = bundled('create', b, '--from', join(vcz, 'chr22.vcz.zip'));
    expect(r.code, r.err).toBe(0);
    for (const id of ['HG00096', 'HG00171', 'HG00262']) {
      const fromVcf = bundled('show', a, id);
      const fromVcz = bundled('show', b, id);
      const src = await sources('show', a, id);
      const srcVcz = await sources('show', b, id);
      expect(fromVcf.code, fromVcf.err).toBe(0);
      expect([fromVcf.code, fromVcf.out, fromVcf.err]).toEqual([src.code, src.out, src.err]);
      expect([fromVcz.code, fromVcz.out, fromVcz.err]).toEqual([srcVcz.code, srcVcz.out, srcVcz.err]);
      // The parts' depot is bcftools merge of two files (INFO/DP summed): all but INFO agree.
      const noInfo = (out: string) => out.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.split('\t').filter((_, i) => i !== 7).join('\t'));
      expect(noInfo(fromVcz.out)).toEqual(noInfo(src.out));
    }
    r = bundled('remove', a, 'HG00100', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ removed: ['HG00100'], version: 3 });
    for (const cmd of [['samples', a], ['log', a, '--json'], ['stats', a, '--json'], ['verify', a, '--json'], ['tags', a]]) {
      const x = bundled(...cmd);
      const y = await sources(...cmd);
      expect([x.code, x.err], cmd.join(' ')).toEqual([y.code, y.err]);
      // --json output carries its own timings (`time`, `seconds`); compare the rest
      const strip = (out: string): unknown =>
        JSON.parse(out, (k, v: unknown) => (k === 'time' || k === 'seconds' ? undefined : v));
      if (cmd.includes('--json')) expect(strip(x.out), cmd.join(' ')).toEqual(strip(y.out));
      else expect(x.out, cmd.join(' ')).toBe(y.out);
    }
    // Exports: a directory and a zip, byte for byte what the sources write; the bundle with 3 threads
    // (its worker entry dist/export-worker.cjs), the sources with 1.
    for (const out of ['x.vcz', 'x.vcz.zip']) {
      const ours = join(dir(), `bundle-${out}`);
      const theirs = join(dir(), `sources-${out}`);
      const zip = out.endsWith('.zip') ? ['--zip'] : [];
      const chunks = ['--variants-chunk-size', '20', '--samples-chunk-size', '50'];
      r = bundled('export', a, ours, ...zip, ...chunks, '--threads', '3', '--json');
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).workerChunks).toBeGreaterThan(0);
      // Worker threads read the depot and built the chunks (dist/export-worker.cjs found next to the bundle).
      expect(JSON.parse(r.out).buildThreads).toBe(3);
      expect((await sources('export', a, theirs, ...zip, ...chunks, '--threads', '1')).code).toBe(0);
      // A zip's entries carry the time they were written: compare names and contents.
      if (out.endsWith('.zip')) {
        const entries = zipEntries(ours);
        expect(entries).toMatch(/^call_genotype\/0\.0\.0 [0-9a-f]{64}$/m);
        expect(entries).toEqual(zipEntries(theirs));
      }
      else {
        const [t1, t2] = [tree(ours), tree(theirs)];
        expect([...t1.keys()].sort()).toEqual([...t2.keys()].sort());
        for (const [k, v] of t1) expect(v.equals(t2.get(k)!), k).toBe(true);
      }
    }
    // Import on worker threads (dist/vcf-worker.cjs): a VCF of 4 MiB or more is streamed, and
    // --threads 3 gives the depot --threads 1 gives (chunk files byte for byte; same samples' calls).
    const big = join(dir(), 'big.vcf');
    const S = 120;
    const rows = [
      '##fileformat=VCFv4.3', '##contig=<ID=chr1>',
      '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">', '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
      `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${Array.from({ length: S }, (_, i) => `S${i}`).join('\t')}`,
    ];
    for (let v = 0; v < 5000; v++) rows.push(`chr1\t${v + 1}\t.\tA\tC\t.\tPASS\t.\tGT:DP\t${Array.from({ length: S }, (_, i) => `${(v + i) % 2}|${(v * i) % 2}:${(v + 3 * i) % 40}`).join('\t')}`);
    writeFileSync(big, rows.join('\n') + '\n');
    const made: Record<string, Map<string, Buffer>> = {};
    for (const threads of ['1', '3']) {
      const d = join(dir(), `big-${threads}.depot`);
      r = bundled('create', d, '--from', big, '--threads', threads, '--json');
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).workerWindows > 0, r.out).toBe(threads === '3');
      made[threads] = tree(join(d, 'chunks'));
    }
    expect([...made['3']!.keys()]).toEqual([...made['1']!.keys()]);
    for (const [k, v] of made['1']!) expect(v.equals(made['3']!.get(k)!), k).toBe(true);
    // Errors go through the same typed messages and exit codes.
    r = bundled('append', a, join(vcf, '1kg_2020_chrM.vcf.gz'));
    const s = await sources('append', a, join(vcf, '1kg_2020_chrM.vcf.gz'));
    expect([r.code, r.err]).toEqual([s.code, s.err]);
    expect(r.code).toBe(1);
  }, 120_000);
});
