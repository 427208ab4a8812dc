/**
 * Corruption of a depot's files: every damaged byte gives the specific typed
 * error, never wrong data.
 */
import { closeSync, openSync, readSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb, type Database } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { Depot, isDepotError, isSchunkError, materializeCalls } from '../../src/index.ts';
import { _setZstdBackend, zstdBackend } from '../../src/schunk/index.ts';
import { DEPOT_FORMAT_VERSION } from '../../src/depot/layout.ts';
import { diffCalls, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('corrupt', { each: true });
afterEach(() => _setZstdBackend(undefined));

const vs = syntheticVariantSet({ numVariants: 400, seed: 3 });
const calls = (seed: number) => syntheticCalls(vs, { seed });

function makeDepot(): string {
  const path = join(dir(), 'd');
  const d = Depot.create(path, vs, { blockSize: 100 });
  d.put('S1', calls(1));
  d.put('S2', calls(2));
  d.close();
  return path;
}

const segment = (path: string) => join(path, 'chunks', readdirSync(join(path, 'chunks')).sort()[0]!);

function patchByte(file: string, offset: number, f: (b: number) => number) {
  const fd = openSync(file, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, offset);
  b[0] = f(b[0]!);
  writeSync(fd, b, 0, 1, offset);
  closeSync(fd);
}

/** Runs `fn` on one dbi of the depot's LMDB index, outside the depot (to damage it). */
function editDbi(path: string, name: string, fn: (db: Database<any, string>) => void): void {
  const env = openLmdb({ path: join(path, 'index.mdb'), maxDbs: 16, overlappingSync: false });
  try {
    fn(env.openDB({ name, encoding: 'msgpack' }));
  } finally {
    void env.close();
  }
}

/** Reads every sample; returns the error thrown, or undefined when all data came back intact. */
function readAll(path: string): unknown {
  const d = Depot.open(path, { readOnly: true });
  try {
    for (const [id, seed] of [['S1', 1], ['S2', 2]] as const) {
      const diff = diffCalls(calls(seed), materializeCalls(vs, d.get(id).records));
      if (diff) return new Error(`WRONG DATA for ${id}: ${diff}`);
    }
    return undefined;
  } catch (err) {
    return err;
  } finally {
    d.close();
  }
}

describe('corruption', () => {
  it('a flipped byte anywhere in the chunks is a ChunkCorruptionError naming file, offset and chunk', () => {
    const path = makeDepot();
    const file = segment(path);
    const size = statSync(file).size;
    // Flip bytes across the chunk area (header bytes, payload bytes) one at a time.
    const step = Math.max(1, Math.floor((size - 16) / 60));
    let tried = 0;
    for (let off = 16; off < size; off += step) {
      patchByte(file, off, (b) => b ^ 0x5a);
      const err = readAll(path);
      patchByte(file, off, (b) => b ^ 0x5a);
      tried++;
      expect(err, `byte ${off}`).toBeDefined();
      expect((err as Error).message).not.toMatch(/WRONG DATA/);
      expect(isSchunkError(err, 'chunk-corrupt'), String(err)).toBe(true);
      const e = err as { file: string; offset: number; chunk: unknown };
      expect(e.file).toBe(file);
      expect(typeof e.offset).toBe('number');
      expect(e.chunk).toBeDefined();
    }
    // The flips covered the whole chunk area (~60 offsets from the first chunk
    // header to the last payload byte), and the depot reads clean once restored.
    expect(tried).toBeGreaterThanOrEqual(55);
    expect(readAll(path)).toBeUndefined();
  });

  it('a truncated segment file is a ChunkCorruptionError (truncated)', () => {
    const path = makeDepot();
    const file = segment(path);
    truncateSync(file, statSync(file).size - 10);
    const err = readAll(path);
    expect(isSchunkError(err, 'chunk-corrupt'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/truncated/);
  });

  it('a changed segment format version is a ChunkFileVersionError', () => {
    const path = makeDepot();
    for (const v of [0, 99]) {
      patchByte(segment(path), 8, () => v);
      const err = readAll(path);
      expect(isSchunkError(err, 'file-version'), String(err)).toBe(true);
    }
  });

  it('bad segment magic is a ChunkFileHeaderError', () => {
    const path = makeDepot();
    patchByte(segment(path), 0, () => 0x00);
    expect(isSchunkError(readAll(path), 'file-header')).toBe(true);
  });

  it('a changed depot format version is a DepotVersionError', () => {
    const path = makeDepot();
    editDbi(path, 'meta', (meta) => meta.putSync('format', { ...meta.get('format'), version: DEPOT_FORMAT_VERSION + 1 }));
    try {
      Depot.open(path);
      expect.fail('should throw');
    } catch (err) {
      expect(isDepotError(err, 'depot-version')).toBe(true);
      expect((err as Error).message).toMatch(/upgrade vczdepot/);
    }
  });

  it('the variant set is decoded on first use: a damaged set fails there with NotADepotError, not at open', () => {
    const path = makeDepot();
    editDbi(path, 'variants', (variants) => {
      expect(variants.get('info:0').numVariants).toBe(vs.numVariants);
      const stored = variants.get('set:0') as Uint8Array;
      // A zstd frame whose content is cut short.
      variants.putSync('set:0', stored.subarray(0, stored.length - 8));
    });
    const d = Depot.open(path);
    try {
      // Operations that do not need the variants still work.
      expect(d.variantSets()[0]!.numVariants).toBe(vs.numVariants);
      expect(d.samples()).toEqual(['S1', 'S2']);
      d.remove(['S1']);
      expect(d.samples()).toEqual(['S2']);
      for (let i = 0; i < 2; i++) {
        try {
          d.variantSet(0);
          expect.fail('should throw');
        } catch (err) {
          expect(isDepotError(err, 'not-a-depot')).toBe(true);
          expect((err as Error).message).toMatch(/variant set 0 is damaged/);
        }
      }
    } finally {
      d.close();
    }
  });

  it('a variant count that disagrees with the stored set, or none, is NotADepotError; verify reports a damaged set', () => {
    const path = makeDepot();
    editDbi(path, 'variants', (variants) => variants.putSync('info:0', { ...variants.get('info:0'), numVariants: vs.numVariants + 1 }));
    const d = Depot.open(path, { readOnly: true });
    try {
      expect(() => d.variantSet(0)).toThrow(/holds 400 variants, the index records 401/);
      const report = d.verify();
      expect(report.ok).toBe(false);
      expect(report.issues.some((i) => i.kind === 'index' && /variant set 0 is damaged/.test(i.message))).toBe(true);
    } finally {
      d.close();
    }
    editDbi(path, 'variants', (variants) => variants.removeSync('info:0'));
    const d2 = Depot.open(path, { readOnly: true });
    try {
      const report = d2.verify();
      expect(report.ok).toBe(false);
      expect(report.issues.some((i) => i.kind === 'index' && /over variant set 0, which the index does not hold/.test(i.message))).toBe(true);
    } finally {
      d2.close();
    }
  });

  it('the fzstd fallback decodes what the native codec wrote', () => {
    const path = makeDepot();
    _setZstdBackend('fzstd');
    expect(zstdBackend()).toBe('fzstd');
    expect(readAll(path)).toBeUndefined();
  });
});
