/**
 * Depot micro-benchmarks on a synthetic cohort shaped like real
 * data (diploid, 100,000 variants per sample, GT + DP + GQ + AD, allele
 * frequencies skewed to rare, runs of missing calls).
 *
 * Run alone (`npm run bench:depot`) it writes bench/results/<date>-<sha>-depot.json
 * (machine, versions, every case's runs and medians) and prints the table.
 * Options: --variants N (default 100000), --samples N (default 64), --runs N (default 3),
 * --json-out FILE (write the results there instead: `npm run bench`, i.e.
 * bench/peers.ts, runs this first and merges them into its results file and
 * BENCHMARKS.md).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { Depot, type SampleCalls } from '../src/index.ts';
import { BENCH_FORMAT, syntheticCalls, syntheticVariantSet } from '../test/helpers/synthetic.ts';
import { CHUNK_HEADER_SIZE, scanChunks } from '../src/schunk/index.ts';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: { variants: { type: 'string', default: '100000' }, samples: { type: 'string', default: '64' }, runs: { type: 'string', default: '3' }, 'json-out': { type: 'string' } },
});
const N_VARIANTS = Number(args.variants);
const N_SAMPLES = Number(args.samples);
const RUNS = Number(args.runs);
const MB = 1e6;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

function sh(cmd: string): string {
  try {
    return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

interface CaseResult {
  name: string;
  unit: string;
  runs: number[];
  median: number;
  note?: string;
}

const results: CaseResult[] = [];
function record(name: string, unit: string, runs: number[], note?: string) {
  results.push({ name, unit, runs, median: median(runs), ...(note ? { note } : {}) });
  console.error(`  ${name}: ${median(runs).toFixed(3)} ${unit}${note ? `  (${note})` : ''}`);
}

const vs = syntheticVariantSet({ numVariants: N_VARIANTS, seed: 1, maxAlleles: 3, format: BENCH_FORMAT });
console.error(`generating ${N_SAMPLES} samples × ${N_VARIANTS} variants ...`);
const cohort: SampleCalls[] = Array.from({ length: N_SAMPLES }, (_, i) => syntheticCalls(vs, { seed: 1000 + i, ploidy: 2, missing: 0.02 }));
const root = mkdtempSync(join(tmpdir(), 'vczdepot-bench-'));

try {
  // ---- durable single-sample put latency
  const putMs: number[] = [];
  {
    const d = Depot.create(join(root, 'put'), vs);
    for (let i = 0; i < N_SAMPLES; i++) {
      const t = performance.now();
      d.put(`S${i}`, cohort[i]!);
      putMs.push(performance.now() - t);
    }
    const s = d.stats();
    const calls = N_SAMPLES * N_VARIANTS;
    record('put latency p50', 'ms', [quantile(putMs, 0.5)], `${N_SAMPLES} durable puts, one sample each`);
    record('put latency p99', 'ms', [quantile(putMs, 0.99)]);
    record('disk bytes per call (single puts)', 'bytes', [s.chunkBytes / calls], 'segment files / (samples × variants); a call = one sample at one variant: GT(2) + DP + GQ + AD(3)');
    record('disk bytes per genotype allele (single puts)', 'bytes', [s.chunkBytes / (calls * 2)]);
    d.close();
  }

  // ---- putMany throughput
  const putManyRuns: number[] = [];
  let rawRecordBytes = 0;
  for (let r = 0; r < RUNS; r++) {
    rmSync(join(root, 'many'), { recursive: true, force: true });
    const d = Depot.create(join(root, 'many'), vs);
    const t = performance.now();
    d.putMany(cohort.map((calls, i) => ({ sampleId: `S${i}`, calls })));
    const sec = (performance.now() - t) / 1000;
    putManyRuns.push(N_SAMPLES / sec);
    rawRecordBytes = d.stats().rawBytes;
    if (r === RUNS - 1) {
      const s = d.stats();
      record('disk bytes per call (putMany, block-major)', 'bytes', [s.chunkBytes / (N_SAMPLES * N_VARIANTS)]);
    }
    d.close();
  }
  record('putMany throughput', 'samples/s', putManyRuns, `one transaction of ${N_SAMPLES} samples`);
  record('putMany throughput (record bytes)', 'MB/s', putManyRuns.map((x) => (x * rawRecordBytes) / N_SAMPLES / MB));

  // ---- getMany vs raw zstd decompression of the same chunks, interleaved per run
  const ids = cohort.map((_, i) => `S${i}`);
  const frames: Uint8Array[] = [];
  const segDir = join(root, 'many', 'chunks');
  for (const f of readdirSync(segDir)) {
    const buf = readFileSync(join(segDir, f));
    for (const c of scanChunks(join(segDir, f))) if (c.ok) frames.push(buf.subarray(c.offset + CHUNK_HEADER_SIZE, c.offset + CHUNK_HEADER_SIZE + c.compressedLength));
  }
  const { decompress } = require('zstd-napi') as { decompress: (b: Uint8Array) => Uint8Array };
  const getRuns: number[] = [];
  const getRecRuns: number[] = [];
  const rawRuns: number[] = [];
  const ratios: number[] = [];
  const singleRuns: number[] = [];
  const readAll = (name: string) => {
    const d = Depot.open(join(root, name), { readOnly: true, cacheBytes: 0 });
    const t = performance.now();
    const views = d.getMany(ids);
    const sec = (performance.now() - t) / 1000;
    let bytes = 0;
    let records = 0;
    for (const v of views) for (const rec of v.records) {
      bytes += rec.bytes.length;
      records++;
    }
    d.close();
    return { mbs: bytes / sec / MB, rps: records / sec };
  };
  for (let r = 0; r < RUNS * 2; r++) {
    const t = performance.now();
    let raw = 0;
    for (const fr of frames) raw += decompress(fr).length;
    const rawMbs = raw / ((performance.now() - t) / 1000) / MB;
    const g = readAll('many');
    rawRuns.push(rawMbs);
    getRuns.push(g.mbs);
    getRecRuns.push(g.rps);
    ratios.push(g.mbs / rawMbs);
    singleRuns.push(readAll('put').mbs);
  }
  record('getMany throughput (record bytes)', 'MB/s', getRuns, 'all samples, all blocks, cold cache, block-major chunks (putMany)');
  record('getMany throughput', 'records/s', getRecRuns);
  record('getMany throughput, single-put chunks', 'MB/s', singleRuns, 'same cohort stored by one put per sample');
  record('raw zstd-napi decompression of the same chunks', 'MB/s', rawRuns, 'frames already in memory; no read, checksum or index');
  record('getMany / raw decompression', 'ratio', ratios, 'median of per-run ratios; target ≥ 0.5');
} finally {
  rmSync(root, { recursive: true, force: true });
}

// ---- write results
const sha = sh('git rev-parse --short HEAD');
const pkg = (name: string) => {
  try {
    return JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
};
const out = {
  date: new Date().toISOString(),
  sha,
  dirty: sh('git status --porcelain') !== '',
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  versions: { vczdepot: pkg('..'), lmdb: pkg('lmdb'), 'zstd-napi': pkg('zstd-napi'), flatbuffers: pkg('flatbuffers') },
  cohort: { samples: N_SAMPLES, variants: N_VARIANTS, ploidy: 2, fields: ['GT', ...BENCH_FORMAT.map((f) => f.id)], runs: RUNS },
  results,
};
if (args['json-out']) {
  writeFileSync(args['json-out'], JSON.stringify(out, null, 2) + '\n');
  process.exit(0);
}
mkdirSync('bench/results', { recursive: true });
const file = join('bench/results', `${out.date.slice(0, 10)}-${sha}-depot.json`);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
const table = [
  '| case | median | unit | note |',
  '|---|---:|---|---|',
  ...results.map((r) => `| ${r.name} | ${r.median < 10 ? r.median.toFixed(3) : r.median.toFixed(1)} | ${r.unit} | ${r.note ?? ''} |`),
].join('\n');
// BENCHMARKS.md belongs to bench/peers.ts (`npm run bench`), which includes this table.
console.error(`wrote ${file}`);
console.log(table);
