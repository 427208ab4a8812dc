/**
 * The Read case: `Depot.getMany` of some samples (all blocks, cold chunk
 * cache) against raw zstd-napi decompression of exactly the chunks that call
 * needs, interleaved run by run (as bench/run.ts does for the whole depot).
 * The chunks are found by reading the depot's LMDB index read-only (layout in
 * src/depot/layout.ts, docs/depot-format.md).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { open as openLmdb } from 'lmdb';
import { Depot } from '../../src/index.ts';
import { DBI, type ChunkEntry, type SampleEntry } from '../../src/depot/layout.ts';
import { CHUNK_HEADER_SIZE } from '../../src/schunk/index.ts';
import { median } from './measure.ts';

const require = createRequire(import.meta.url);
const { decompress } = require('zstd-napi') as { decompress: (b: Uint8Array) => Uint8Array };
// A full collection before each timed step, so neither pays for the other's garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface ReadResult {
  samples: number;
  chunks: number;
  /** Decompressed bytes of those chunks. */
  chunkRawBytes: number;
  /** Bytes of the records getMany returned. */
  recordBytes: number;
  records: number;
  runs: { getManySec: number; rawSec: number; rawKeepSec: number }[];
  median: {
    getManySec: number;
    rawSec: number;
    /** Record bytes returned per second. */
    getManyRecordMBs: number;
    /** Decompressed chunk bytes per second, getMany (same bytes as raw). */
    getManyChunkMBs: number;
    recordsPerSec: number;
    rawMBs: number;
    /** raw time / getMany time, median of per-run ratios (target >= 0.5). */
    ratio: number;
    /** Raw decompression keeping every output alive (as getMany's views must): seconds. */
    rawKeepSec: number;
    /** rawKeep time / getMany time. */
    ratioKeep: number;
  };
}

/** zstd frames (in memory) of the chunks holding every block of `sampleIds` (live entries). */
function framesFor(depotPath: string, sampleIds: readonly string[]): Uint8Array[] {
  const env = openLmdb({ path: join(depotPath, 'index.mdb'), maxDbs: 16, readOnly: true, encoding: 'msgpack' });
  try {
    const entries = env.openDB({ name: DBI.entries, encoding: 'msgpack' });
    const chunks = env.openDB({ name: DBI.chunks, encoding: 'msgpack' });
    const want = new Set(sampleIds);
    const ids = new Set<number>();
    for (const { value } of entries.getRange({})) {
      const e = value as SampleEntry;
      if (want.has(e.sampleId) && e.removedAt === undefined) for (const c of e.chunks) ids.add(c);
    }
    const frames: Uint8Array[] = [];
    const fds = new Map<number, number>();
    try {
      for (const id of [...ids].sort((a, b) => a - b)) {
        const c = chunks.get(id) as ChunkEntry;
        let fd = fds.get(c.file);
        if (fd === undefined) fds.set(c.file, (fd = openSync(join(depotPath, 'chunks', `${String(c.file).padStart(6, '0')}.vczc`), 'r')));
        const buf = Buffer.alloc(c.compressedLength);
        readSync(fd, buf, 0, c.compressedLength, c.offset + CHUNK_HEADER_SIZE);
        frames.push(buf);
      }
    } finally {
      for (const fd of fds.values()) closeSync(fd);
    }
    return frames;
  } finally {
    env.close();
  }
}

export function readCase(depotPath: string, sampleIds: readonly string[], runs: number): ReadResult {
  const frames = framesFor(depotPath, sampleIds);
  let chunkRawBytes = 0;
  for (const f of frames) chunkRawBytes += decompress(f).length; // warm-up, and the size
  let recordBytes = 0;
  let records = 0;
  const out: ReadResult['runs'] = [];
  for (let r = 0; r < runs; r++) {
    gc();
    let t = performance.now();
    for (const f of frames) decompress(f);
    const rawSec = (performance.now() - t) / 1000;
    gc();
    t = performance.now();
    let kept: Uint8Array[] = frames.map((f) => decompress(f));
    const rawKeepSec = (performance.now() - t) / 1000;
    kept = [];
    void kept;
    const d = Depot.open(depotPath, { readOnly: true, cacheBytes: 0 });
    try {
      gc();
      t = performance.now();
      let views = d.getMany(sampleIds);
      const getManySec = (performance.now() - t) / 1000;
      recordBytes = 0;
      records = 0;
      for (const v of views) {
        for (const rec of v.records) {
          recordBytes += rec.bytes.length;
          records++;
        }
      }
      out.push({ getManySec, rawSec, rawKeepSec });
      views = [];
    } finally {
      d.close();
    }
  }
  const g = median(out.map((x) => x.getManySec));
  const raw = median(out.map((x) => x.rawSec));
  return {
    samples: sampleIds.length,
    chunks: frames.length,
    chunkRawBytes,
    recordBytes,
    records,
    runs: out,
    median: {
      getManySec: g,
      rawSec: raw,
      getManyRecordMBs: recordBytes / g / 1e6,
      getManyChunkMBs: chunkRawBytes / g / 1e6,
      recordsPerSec: records / g,
      rawMBs: chunkRawBytes / raw / 1e6,
      ratio: median(out.map((x) => x.rawSec / x.getManySec)),
      rawKeepSec: median(out.map((x) => x.rawKeepSec)),
      ratioKeep: median(out.map((x) => x.rawKeepSec / x.getManySec)),
    },
  };
}

/** `n` distinct items of `xs`, chosen by a seeded PRNG (mulberry32), in their original order. */
export function pickSamples<T>(xs: readonly T[], n: number, seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const idx = xs.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, Math.min(n, xs.length))
    .sort((x, y) => x - y)
    .map((i) => xs[i]!);
}
