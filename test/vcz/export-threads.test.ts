/**
 * Export with worker threads (`threads` / `--threads N`, src/zarr/pool.ts):
 * the store is byte for byte the same for 1, 2 and 3 threads — every file of
 * a directory store, every entry (names, order, bytes) of a .vcz.zip, Zarr
 * formats 2 and 3, Blosc and plain zstd, a region/sample subset, and a
 * partitioned export run with different thread counts per job — on the
 * chr22 fixture (real 1000 Genomes calls, FORMAT AD/DP/GQ/PL…). Each run
 * with threads > 1 must actually have had chunks encoded by worker threads
 * (`workerChunks` > 0), and the main thread encodes some itself too (the
 * small arrays), so the comparison covers both.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Depot } from '../../src/depot/index.ts';
import { createFromFile, exportDepot, exportDepotPartition, finaliseDepotExport } from '../../src/io/index.ts';
import { repoRoot, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const CHR22 = join(repoRoot, 'test', 'data', 'vcf', 'chr22.vcf.gz');
const dir = useTempDir('threads');
let depotPath: string;

// Chunks of 20 variants × 50 samples: call_genotype 2 KB … call_PL 20 × 50 × G int16 ≥ 6 KB, so
// some arrays' chunks go to workers (≥ 4 KiB) and the others stay on the main thread.
const CHUNKS = { variantsChunkSize: 20, samplesChunkSize: 50 } as const;

beforeAll(async () => {
  depotPath = join(dir(), 'chr22.depot');
  const { depot } = await createFromFile(depotPath, CHR22);
  depot.tag('v1');
  depot.close();
}, 60_000);

/** Every file under `d`: relative path → bytes. */
function tree(d: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else m.set(relative(d, p), readFileSync(p));
  };
  walk(d);
  return m;
}

/** A zip's entries in their order, each with the SHA-256 of its bytes (Python's zipfile; the zip itself carries mtimes). */
function zipEntries(zip: string): string {
  const py = 'import hashlib, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist(): print(i.filename, i.compress_type, hashlib.sha256(z.read(i)).hexdigest())';
  const r = spawnSync(venvBin('python'), ['-c', py, zip], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

function expectSameTree(a: string, b: string): void {
  const ta = tree(a);
  const tb = tree(b);
  expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
  const differ = [...ta].filter(([k, v]) => !v.equals(tb.get(k)!)).map(([k]) => k);
  expect(differ).toEqual([]);
}

async function withDepot<T>(f: (d: Depot) => Promise<T>): Promise<T> {
  const d = Depot.open(depotPath, { readOnly: true });
  try {
    return await f(d);
  } finally {
    d.close();
  }
}

describe('export with worker threads: the same bytes for any thread count', () => {
  const cases = [
    { name: 'format 2, directory, Blosc', opts: { zarrFormat: 2 as const } },
    { name: 'format 3, directory, Blosc', opts: { zarrFormat: 3 as const } },
    { name: 'format 2, directory, plain zstd, consolidated', opts: { zarrFormat: 2 as const, compressor: 'zstd' as const, consolidated: true } },
    { name: 'format 3, directory, a sample and region subset', opts: { zarrFormat: 3 as const, samples: ['HG00097', 'HG00096', 'HG00100'], regions: ['chr22:10510000-10600000'] } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const out = (t: number) => join(dir(), `${c.name.replace(/\W+/g, '_')}-t${t}.vcz`);
      const summaries = await withDepot(async (d) => {
        const r = [];
        for (const threads of [1, 2, 3]) r.push(await exportDepot(d, out(threads), { at: 'v1', ...CHUNKS, ...c.opts, threads }));
        return r;
      });
      expect(summaries[0]!.workerChunks).toBe(0);
      if (c.opts.samples === undefined) {
        for (const s of summaries.slice(1)) {
          expect(s.workerChunks).toBeGreaterThan(0);
          expect(s.workerChunks).toBeLessThan(s.chunks);
        }
      }
      expectSameTree(out(1), out(2));
      expectSameTree(out(1), out(3));
    }, 60_000);
  }

  for (const format of [2, 3] as const) {
    it(`format ${format}, .vcz.zip: the same entries, in the same order, with the same bytes`, async () => {
      const out = (t: number) => join(dir(), `zip${format}-t${t}.vcz.zip`);
      const summaries = await withDepot(async (d) => {
        const r = [];
        for (const threads of [1, 2, 3]) r.push(await exportDepot(d, out(threads), { at: 'v1', ...CHUNKS, zarrFormat: format, threads }));
        return r;
      });
      expect(summaries[1]!.workerChunks).toBeGreaterThan(0);
      expect(summaries[2]!.workerChunks).toBeGreaterThan(0);
      const one = zipEntries(out(1));
      expect(one.split('\n').length).toBeGreaterThan(100);
      expect(zipEntries(out(2))).toBe(one);
      expect(zipEntries(out(3))).toBe(one);
    }, 60_000);
  }

  it('a partitioned export whose jobs run with 3, 1 and 2 threads equals the one-shot export with 1 thread', async () => {
    const oneShot = join(dir(), 'oneshot.vcz');
    const parted = join(dir(), 'parted.vcz');
    await withDepot(async (d) => {
      await exportDepot(d, oneShot, { at: 'v1', ...CHUNKS, threads: 1 });
      const jobs = [3, 1, 2];
      let workerChunks = 0;
      for (const [i, threads] of jobs.entries()) workerChunks += (await exportDepotPartition(d, parted, jobs.length, i, { at: 'v1', ...CHUNKS, threads })).workerChunks;
      expect(workerChunks).toBeGreaterThan(0);
      await finaliseDepotExport(d, parted, { at: 'v1', ...CHUNKS, threads: 2 });
    });
    expectSameTree(oneShot, parted);
  }, 60_000);

  it('refuses a thread count that is not an integer >= 1', async () => {
    await withDepot(async (d) => {
      for (const threads of [0, -1, 1.5, Number.NaN]) {
        await expect(exportDepot(d, join(dir(), `bad-${threads}.vcz`), { at: 'v1', threads })).rejects.toThrow(/threads must be an integer >= 1/);
      }
    });
    expect(readdirSync(dir()).filter((n) => n.startsWith('bad-'))).toEqual([]);
  });
});
