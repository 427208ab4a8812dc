import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot, isDepotError, type RecordView } from '../../src/index.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { depotExportSource } from '../../src/io/source.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('read-block', { each: true });
const vs = syntheticVariantSet({ numVariants: 300, seed: 5, maxAlleles: 3 });
const ids = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];

// Depot._readBlock (the export's read) hands out views that stay valid while
// the caller holds them: no later read, of either kind, may overwrite them.
describe('Depot._readBlock', () => {
  // chunkTargetBytes 1024: a chunk per record (the views point into whole
  // decompressed chunks); the default: one chunk holds every record (the
  // records are copied out of it).
  for (const [cacheBytes, chunkTargetBytes] of [[undefined, undefined], [0, undefined], [undefined, 1024], [0, 1024]] as const) {
    it(`views held across interleaved reads keep their bytes (cacheBytes ${cacheBytes ?? 'default'}, chunkTargetBytes ${chunkTargetBytes ?? 'default'})`, () => {
      const path = join(dir(), 'd');
      const w = Depot.create(path, vs, { blockSize: 64, ...(chunkTargetBytes !== undefined ? { chunkTargetBytes } : {}) });
      w.putMany(ids.map((sampleId, i) => ({ sampleId, calls: syntheticCalls(vs, { seed: 100 + i, missing: 0.1 }) })));
      expect(w.stats().chunks).toBe(chunkTargetBytes === 1024 ? ids.length * 5 : 1);
      w.close();
      const d = Depot.open(path, { readOnly: true, ...(cacheBytes !== undefined ? { cacheBytes } : {}) });
      const blocks = Math.ceil(vs.numVariants / 64);
      // Every id (whole chunks: zero copy) and one id (a copy out of a chunk), every block, interleaved with getMany.
      const held: { id: string; b: number; view: RecordView }[] = [];
      for (let b = 0; b < blocks; b++) {
        for (const subset of [ids, ['S4'], ['S6', 'S1']]) {
          const got = d._readBlock(subset, b, 1);
          expect(got.map((r) => [r.sampleId, r.block])).toEqual(subset.map((id) => [id, b]));
          got.forEach((view, i) => held.push({ id: subset[i]!, b, view }));
          d.getMany(['S2', 'S5']);
        }
      }
      // Compare with fresh copies read afterwards.
      for (const { id, b, view } of held) {
        const fresh = d.getMany([id], { blocks: [b] })[0]!.records[0]!.bytes;
        expect(Buffer.from(view.bytes).equals(Buffer.from(fresh)), `${id} block ${b}`).toBe(true);
      }
      d.close();
    });
  }

  it('rejects an unknown sample and a block out of range as getMany does', () => {
    const path = join(dir(), 'd');
    const d = Depot.create(path, vs, { blockSize: 64 });
    d.putMany([{ sampleId: 'S1', calls: syntheticCalls(vs, { seed: 1 }) }]);
    expect(() => d._readBlock(['S9'], 0, 1)).toThrow(expect.objectContaining({ name: 'UnknownSampleError' }));
    try {
      d._readBlock(['S1'], 5, 1);
      expect.fail('expected InvalidArgumentError');
    } catch (err) {
      expect(isDepotError(err, 'invalid-argument'), String(err)).toBe(true);
    }
    d.close();
  });

  // The export hands a dropped block's buffer back (ExportSource.releaseBlock)
  // and the next readBlock reads into it: that buffer must be the read's own
  // memory, never a chunk the depot's cache holds (which getMany serves).
  for (const cacheBytes of [undefined, 0]) {
    it(`the export source's released buffers are reused without touching the cache or held blocks (cacheBytes ${cacheBytes ?? 'default'})`, () => {
      const path = join(dir(), 'd');
      // Chunks of ~40 kB: one block of the 6 samples each (block-major), so a
      // read of every sample needs whole chunks (zero copy).
      const w = Depot.create(path, vs, { blockSize: 64, chunkTargetBytes: 40_000 });
      w.putMany(ids.map((sampleId, i) => ({ sampleId, calls: syntheticCalls(vs, { seed: 200 + i, missing: 0.1 }) })));
      expect(w.stats().chunks).toBe(5);
      w.close();
      const d = Depot.open(path, { readOnly: true, ...(cacheBytes !== undefined ? { cacheBytes } : {}) });
      const copies = (b: number) => d.getMany(ids, { blocks: [b] }).map((v) => Buffer.from(v.records[0]!.bytes));
      const expected = [0, 1, 2, 3, 4].map(copies);
      // Block 0's chunk in the cache (getMany's zero-copy reads cache the
      // chunk); the other blocks' chunks are read by readBlock itself.
      d.close();
      const d2 = Depot.open(path, { readOnly: true, ...(cacheBytes !== undefined ? { cacheBytes } : {}) });
      d2.getMany(ids, { blocks: [0] });
      const src = depotExportSource(d2);
      // As CallTiles does: hold two blocks, release the older, read the next.
      const held = new Map<number, RecordView[]>();
      for (let b = 0; b < 5; b++) {
        held.set(b, src.readBlock(ids, b));
        if (held.has(b - 1)) {
          src.releaseBlock!(held.get(b - 1)!);
          held.delete(b - 1);
        }
        for (const [hb, recs] of held) recs.forEach((r, i) => expect(Buffer.from(r.bytes).equals(expected[hb]![i]!), `held block ${hb} ${ids[i]}`).toBe(true));
      }
      for (let b = 0; b < 5; b++) {
        d2.getMany(ids, { blocks: [b] }).forEach((v, i) => expect(Buffer.from(v.records[0]!.bytes).equals(expected[b]![i]!), `getMany block ${b} ${ids[i]} after the reuse`).toBe(true));
      }
      d2.close();
    });
  }
});
