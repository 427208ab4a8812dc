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
 *
 * A chunk that fails to be written after a worker encoded it (EFBIG under
 * `ulimit -f` in a child process) fails the export with the same typed
 * error as with one thread, and leaves nothing behind.
 *
 * Memory: the chunks in flight per worker are bounded (src/zarr/pool.ts;
 * test/zarr/pool.test.ts checks the accounting): in a child process, the
 * peak RSS of an export with 3 threads exceeds the one-thread export's by
 * at most the stated bound per worker plus a worker thread's own baseline.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Depot } from '../../src/depot/index.ts';
import { addFiles, createFromFile, depotExportSource, exportDepot, exportDepotPartition, finaliseDepotExport, versionSites } from '../../src/io/index.ts';
import { exportVcz, rebuildWorkerError, threadBuilders } from '../../src/vcz/index.ts';
import { ZarrStateError } from '../../src/zarr/index.ts';
import { repoRoot, venvBin } from '../helpers/interop.ts';
import { BENCH_FORMAT, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';
import { fileTree } from '../helpers/files.ts';

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

const tree = fileTree;

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
      expect(summaries[0]!.buildThreads).toBe(1);
      // N threads build: N − 1 workers and the main thread, each at least one item (a column of a
      // variant chunk: its call chunks, small ones too); the main thread also writes the whole-set
      // arrays (sample_id, contig_*, region_index, AC/AN/AF).
      const callChunks = [...tree(out(1)).keys()].filter((k) => k.startsWith('call_') && !/(^|\/)(\.z|zarr\.json)/.test(k)).length;
      expect(callChunks).toBeGreaterThan(0);
      const chunkFiles = [...tree(out(1)).keys()].filter((k) => !/(^|\/)(\.z\w+|zarr\.json)$/.test(k));
      const wholeSet = chunkFiles.filter((k) => /^(sample_id|contig_\w+|filter_\w+|region_index|variant_(AC|AN|AF))\//.test(k)).length;
      expect(wholeSet).toBeGreaterThan(0);
      for (const [i, s] of summaries.slice(1).entries()) {
        expect(s.buildThreads).toBe(i + 2);
        expect(s.workerChunks).toBeGreaterThan(0);
        // The main thread built items too: not every item's chunk is a worker's.
        expect(s.workerChunks).toBeLessThan(s.chunks - wholeSet);
        expect(s.chunks).toBe(summaries[0]!.chunks);
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

describe('merged sites: a grown cohort and a gVCF cohort, the same bytes for 1, 2 and 3 threads', () => {
  /** Exports `depot` with 1, 2 and 3 threads (each with `opts`) and checks that the stores are equal and that workers built them. */
  async function sameForAnyThreads(depot: string, name: string, opts: Record<string, unknown>): Promise<void> {
    const out = (t: number) => join(dir(), `${name}-t${t}.vcz`);
    const d = Depot.open(depot, { readOnly: true });
    try {
      for (const threads of [1, 2, 3]) {
        const s = await exportDepot(d, out(threads), { ...opts, threads });
        expect(s.buildThreads).toBe(threads);
      }
    } finally {
      d.close();
    }
    expectSameTree(out(1), out(2));
    expectSameTree(out(1), out(3));
  }

  it('per-sample files with their own sites, grown by appends (merged sites; also missingToRef, several columns)', async () => {
    // Each sample's own sites and ALT alleles of the chr22 fixture (as test/io/growing-cohort.test.ts builds them).
    const files = ['HG00096', 'HG00101', 'HG00097', 'HG00110', 'HG00099'].map((s) => {
      const f = join(dir(), `own-${s}.vcf.gz`);
      const r = spawnSync('bcftools', ['view', '--no-version', '-s', s, '-c1', '-a', '-Oz', '-o', f, CHR22], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return f;
    });
    const path = join(dir(), 'grown.depot');
    const { depot } = await createFromFile(path, files[0]!);
    try {
      await addFiles(depot, files.slice(1, 3));
      await addFiles(depot, files.slice(3));
      expect(versionSites(depot, depot.resolveVersion()).identity).toBe(false);
    } finally {
      depot.close();
    }
    await sameForAnyThreads(path, 'grown', { variantsChunkSize: 2, samplesChunkSize: 2 });
    await sameForAnyThreads(path, 'grown-m0', { variantsChunkSize: 3, samplesChunkSize: 3, missingToRef: true, zarrFormat: 3 });
  }, 120_000);

  it('single-sample gVCFs with reference blocks (densified)', async () => {
    const sim = join(dir(), 'gvcf-sim');
    const r = spawnSync(venvBin('python'), [join(repoRoot, 'test', 'gvcf', 'simulate_gvcf.py'), '--out', sim, '--seed', '5', '--samples', '4'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const path = join(dir(), 'gvcf.depot');
    const { depot } = await createFromFile(path, join(sim, 'S2.g.vcf'));
    try {
      await addFiles(depot, ['S0', 'S3', 'S1'].map((n) => join(sim, `${n}.g.vcf`)));
      expect(depot.sampleInfo().some((s) => s.hasReferenceBlocks)).toBe(true);
    } finally {
      depot.close();
    }
    await sameForAnyThreads(path, 'gvcf', { variantsChunkSize: 25, samplesChunkSize: 3 });
  }, 120_000);
});

describe('a failing export worker thread', () => {
  it('a damaged depot chunk read in a worker is the same ChunkCorruptionError as with one thread, and nothing is left behind', async () => {
    const path = join(dir(), 'damaged.depot');
    const vs = syntheticVariantSet({ numVariants: 400, seed: 3 });
    const d0 = Depot.create(path, vs, { blockSize: 100 });
    d0.putMany(Array.from({ length: 4 }, (_, k) => ({ sampleId: `S${k}`, calls: syntheticCalls(vs, { seed: k }) })));
    d0.close();
    const seg = join(path, 'chunks', readdirSync(join(path, 'chunks')).sort()[0]!);
    const bytes = readFileSync(seg);
    bytes[Math.floor(bytes.length * 0.6)]! ^= 0xff;
    writeFileSync(seg, bytes);
    const errors = [];
    for (const threads of [1, 3]) {
      const outDir = join(dir(), `damaged-${threads}`);
      mkdirSync(outDir);
      const d = Depot.open(path, { readOnly: true });
      const err = await exportDepot(d, join(outDir, 'out.vcz'), { variantsChunkSize: 100, threads }).then(
        () => undefined,
        (e: unknown) => e,
      );
      d.close();
      expect(readdirSync(outDir)).toEqual([]);
      expect(err).toBeInstanceOf(Error);
      errors.push(err as Error & { code?: string });
    }
    expect(errors[0]!.constructor.name).toBe('ChunkCorruptionError');
    expect(errors[1]).toBeInstanceOf(errors[0]!.constructor);
    expect([errors[1]!.name, errors[1]!.code, errors[1]!.message]).toEqual([errors[0]!.name, errors[0]!.code, errors[0]!.message]);
  }, 60_000);

  it('a worker thread that stops mid-export fails it with a ZarrStateError naming the store, and nothing is left behind', async () => {
    const outDir = join(dir(), 'stopped');
    mkdirSync(outDir);
    const out = join(outDir, 'out.vcz');
    // A worker that exits before it has built its items.
    const code = 'setTimeout(() => process.exit(7), 50);';
    const builders = threadBuilders({ threads: 2, entry: { code }, options: {}, workerData: null, rebuild: (flat, o) => rebuildWorkerError(flat, () => undefined, o) });
    await withDepot(async (d) => {
      const err = await exportVcz(depotExportSource(d, 'v1'), out, { ...CHUNKS, threads: 2, builders }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ZarrStateError);
      expect((err as Error).message).toMatch(/export worker thread \d stopped \(exit code 7\)/);
      expect((err as Error).message).toContain(out);
    });
    expect(readdirSync(outDir)).toEqual([]);
  }, 60_000);
});

describe('an error while writing a chunk a worker encoded', () => {
  let synth: string;
  beforeAll(() => {
    // 200 samples × 2,000 variants of synthetic calls (GT, DP, GQ, AD): call_AD's chunks are ~470 KB compressed, the others < 200 KB.
    synth = join(dir(), 'synthetic.depot');
    const vs = syntheticVariantSet({ numVariants: 2000, seed: 3, format: BENCH_FORMAT });
    const d = Depot.create(synth, vs, { blockSize: 1000 });
    d.putMany(Array.from({ length: 200 }, (_, k) => ({ sampleId: `S${k}`, calls: syntheticCalls(vs, { seed: k }) })));
    d.tag('v1');
    d.close();
  }, 60_000);

  /** Runs exportDepot in a child limited to files of 256 KiB (`ulimit -f`: Node ignores SIGXFSZ, so the write fails with EFBIG). */
  function limitedExport(threads: number, out: string): { name: string; code: string; message: string; workerChunks?: number } {
    const script = join(dir(), 'limited-export.mts');
    writeFileSync(
      script,
      `import { Depot } from ${JSON.stringify(join(repoRoot, 'src', 'depot', 'index.ts'))};
import { depotExportSource, exportDepot } from ${JSON.stringify(join(repoRoot, 'src', 'io', 'index.ts'))};
const d = Depot.open(process.argv[2], { readOnly: true });
try {
  const r = await exportDepot(d, process.argv[3], { at: 'v1', threads: Number(process.argv[4]) });
  process.stdout.write(JSON.stringify({ name: 'none', code: 'none', message: 'no error', workerChunks: r.workerChunks }));
} catch (err) {
  process.stdout.write(JSON.stringify({ name: err.constructor.name, code: err.code, message: err.message }));
} finally {
  d.close();
}
`,
    );
    const r = spawnSync('bash', ['-c', 'ulimit -f 256 && exec "$0" "$@"', process.execPath, '--import', 'tsx', script, synth, out, String(threads)], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  it('is the same ExportWriteError (EFBIG, naming OUT) with 1 and 3 threads, and leaves no output and no temporary files', async () => {
    // Without the limit the export succeeds, with chunks encoded by workers, and some chunk files exceed 256 KiB.
    const ref = join(dir(), 'unlimited.vcz');
    const d = Depot.open(synth, { readOnly: true });
    const summary = await exportDepot(d, ref, { at: 'v1', threads: 3 }).finally(() => d.close());
    expect(summary.workerChunks).toBeGreaterThan(0);
    const sizes = [...tree(ref)].map(([k, v]) => [k, v.length] as const);
    expect(sizes.filter(([k, n]) => n > 256 * 1024 && k.startsWith('call_AD/')).length).toBeGreaterThan(0);
    expect(sizes.filter(([k, n]) => n > 256 * 1024 && !k.startsWith('call_AD/'))).toEqual([]);
    const results = [1, 3].map((threads) => {
      const outDir = join(dir(), `limited-${threads}`);
      mkdirSync(outDir);
      const out = join(outDir, 'out.vcz');
      const r = limitedExport(threads, out);
      expect(readdirSync(outDir)).toEqual([]);
      return { ...r, message: r.message.replaceAll(out, 'OUT') };
    });
    for (const r of results) {
      expect(r.name).toBe('ExportWriteError');
      expect(r.code).toBe('export-write');
      expect(r.message).toMatch(/EFBIG/);
      expect(r.message).toContain('OUT');
    }
    expect(results[1]).toEqual(results[0]);
  }, 60_000);
});

describe('memory with worker threads', () => {
  let script: string;
  beforeAll(() => {
    script = join(dir(), 'mem-export.mts');
    writeFileSync(
      script,
      `import { Depot } from ${JSON.stringify(join(repoRoot, 'src', 'depot', 'index.ts'))};
import { depotExportSource, exportDepot } from ${JSON.stringify(join(repoRoot, 'src', 'io', 'index.ts'))};
const d = Depot.open(process.argv[2], { readOnly: true, cacheBytes: 16 * 1024 * 1024 });
if (process.argv[4] === 'bare') {
  // The process with the depot open and the export source built (what every worker thread also holds), no export.
  depotExportSource(d);
  process.stdout.write(JSON.stringify({ rssMiB: process.resourceUsage().maxRSS / 1024, workerChunks: 0, chunks: 0, buildThreads: 0 }));
  process.exit(0);
}
const r = await exportDepot(d, process.argv[3], { samplesChunkSize: 500, variantsChunkSize: 1000, threads: Number(process.argv[4]), workerCacheBytes: 16 * 1024 * 1024 });
d.close();
process.stdout.write(JSON.stringify({ rssMiB: process.resourceUsage().maxRSS / 1024, workerChunks: r.workerChunks, chunks: r.chunks, buildThreads: r.buildThreads }));
`,
    );
  });

  function makeDepot(numVariants: number): string {
    const path = join(dir(), `mem-${numVariants}.depot`);
    const vs = syntheticVariantSet({ numVariants, seed: 5, format: BENCH_FORMAT });
    const d = Depot.create(path, vs, { blockSize: 1000 });
    for (let i = 0; i < 500; i += 100) d.putMany(Array.from({ length: 100 }, (_, k) => ({ sampleId: `S${i + k}`, calls: syntheticCalls(vs, { seed: i + k }) })));
    d.close();
    return path;
  }

  function peak(depot: string, threads: number | 'bare'): { rssMiB: number; workerChunks: number; chunks: number; buildThreads: number } {
    const out = join(dir(), `mem-${threads}.vcz`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, depot, out, String(threads)], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  it('peak RSS with 3 threads exceeds the 1-thread export by at most what 2 more one-thread exports hold', () => {
    // 500 samples × 16,000 variants, chunks of 1,000 variants × 500 samples: 229 chunks, ~120 MB of raw call
    // data; the largest raw chunk R is call_AD's, 1000 × 500 × 2 alleles × int16 = 2 MB.
    const depot = makeDepot(16000);
    const bare = peak(depot, 'bare');
    const one = peak(depot, 1);
    const three = peak(depot, 3);
    const info = `bare ${bare.rssMiB.toFixed(0)} MiB; 1 thread ${one.rssMiB.toFixed(0)} MiB; 3 threads ${three.rssMiB.toFixed(0)} MiB (${three.chunks} chunks, ${three.workerChunks} by workers)`;
    expect(one.workerChunks).toBe(0);
    // 3 threads: the main thread (which holds what the one-thread export holds) and 2 workers, each building.
    expect(three.buildThreads, info).toBe(3);
    expect(three.workerChunks, info).toBeGreaterThan(0);
    // Each worker thread holds what a one-thread export holds beyond the process with the source built (W = one − bare:
    // a column's records, one tile per array, the encoder's buffers, its own 16 MiB chunk cache) plus its own copy of
    // the source and depot handle, and its V8 isolate (tsx's loader here: ~40 MiB): at most 2 × (W + source + 40 MiB).
    const w = one.rssMiB - bare.rssMiB;
    expect(three.rssMiB - one.rssMiB, info).toBeLessThan(2 * (w + bare.rssMiB / 2 + 40));
  }, 300_000);
});

describe('worker threads started before the export source is built (prestart)', () => {
  it('are stopped when the export fails before it builds, and when it needs fewer: the process then ends by itself', () => {
    // In a child that never calls process.exit: a worker left waiting for its job would keep it alive until the timeout.
    const script = join(dir(), 'prestart-child.mts');
    const taken = join(dir(), 'taken');
    mkdirSync(taken, { recursive: true });
    writeFileSync(join(taken, 'notes.txt'), 'not a store');
    writeFileSync(
      script,
      `import { Depot } from ${JSON.stringify(join(repoRoot, 'src', 'depot', 'index.ts'))};
import { exportDepot } from ${JSON.stringify(join(repoRoot, 'src', 'io', 'index.ts'))};
const d = Depot.open(process.argv[2], { readOnly: true });
const out = [];
const attempt = async (target, options) => {
  try {
    const r = await exportDepot(d, target, { threads: 3, ...options });
    out.push({ ok: true, workerChunks: r.workerChunks, chunks: r.chunks });
  } catch (err) {
    out.push({ ok: false, name: err.name, message: err.message });
  }
};
await attempt(process.argv[3] + '/bad-sample.vcz', { samples: ['NO_SUCH_SAMPLE'] });
await attempt(process.argv[4], {});
await attempt(process.argv[3] + '/one-item.vcz', { variantsChunkSize: 1000, samplesChunkSize: 1000 });
d.close();
process.stdout.write(JSON.stringify(out));
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, depotPath, dir(), taken], { cwd: repoRoot, encoding: 'utf8', timeout: 90_000 });
    expect(r.error, 'the child did not end by itself: a worker thread was left running').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { ok: boolean; name?: string; workerChunks?: number }[];
    expect(got[0]).toMatchObject({ ok: false, name: 'ExportSelectionError' });
    expect(got[1]).toMatchObject({ ok: false, name: 'ExportTargetError' });
    // One item: the main thread builds it and both prestarted workers are told to stop.
    expect(got[2]).toMatchObject({ ok: true, workerChunks: 0 });
    expect(readdirSync(taken)).toEqual(['notes.txt']);
  }, 120_000);
});
