import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { encodeChunk, packRecords, SegmentWriter, type AppendResult, type Packed } from '../../src/schunk/index.ts';

const dirs: string[] = [];

/** A fresh temporary directory, removed after the current test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vczdepot-schunk-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Deterministic pseudo-random bytes (xorshift32), compressible enough to be realistic. */
export function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % 7; // small alphabet: compresses, but not to nothing
  }
  return out;
}

export interface WrittenSegment {
  path: string;
  packed: Packed[];
  append: AppendResult;
}

/** Packs, encodes and writes `records` to a new segment file `name` in `dir`. */
export function writeSegment(dir: string, records: Uint8Array[], targetBytes: number, name = 'seg-0.vczs'): WrittenSegment {
  const path = join(dir, name);
  const packed = packRecords(records, targetBytes);
  const writer = new SegmentWriter();
  try {
    const end = writer.create(path);
    const append = writer.appendChunks(path, end, packed.map((p) => encodeChunk(p.raw, 3)));
    return { path, packed, append };
  } finally {
    writer.close();
  }
}

/** Byte equality without vitest's slow element-wise diff on large arrays. */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
