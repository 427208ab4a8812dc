/**
 * gVCF reference blocks in the depot (issue 14, storage): a sample's blocks
 * are opaque bytes the depot stores zstd-compressed in the `ref_blocks` dbi
 * in the same commit as its entry; they read back at every version the
 * sample is live at, are hidden by remove, erased by purge (no file keeps
 * their bytes), checked by verify, counted by stats, and a failed commit
 * stores none.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Depot, isDepotError } from '../../src/depot/index.ts';
import { rng, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vczdepot-refblocks-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const vs = syntheticVariantSet({ numVariants: 120, seed: 5 });
const calls = (seed: number) => syntheticCalls(vs, { seed });
const SMALL = { blockSize: 50, chunkTargetBytes: 4096, segmentMaxBytes: 64 * 1024 };

/** Random bytes (incompressible: zstd keeps them verbatim in a raw block, so a slice of them is greppable in the files). */
function randomBytes(seed: number, n = 3000): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** Bytes that compress well (a real encoding of many similar blocks looks like this). */
function regularBytes(n = 5000): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i % 7) + 1);
}

/** Every file under `root` (recursively), with its bytes. */
function files(root: string): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  const walk = (p: string) => {
    for (const f of readdirSync(p)) {
      const q = join(p, f);
      if (statSync(q).isDirectory()) walk(q);
      else out.push([q, readFileSync(q)]);
    }
  };
  walk(root);
  return out;
}

const holding = (root: string, pattern: Uint8Array): string[] => files(root).filter(([, b]) => b.indexOf(Buffer.from(pattern)) >= 0).map(([f]) => f);

describe('reference blocks in the depot', () => {
  it('round trip through put, putMany and putBlocks; a plain sample has none; versions and tags keep them; remove hides them', () => {
    const d = Depot.create(join(dir, 'd'), vs, SMALL);
    const a = randomBytes(1);
    const b = regularBytes();
    const c = randomBytes(3, 10);
    d.transaction((t) => t.put('A', calls(1), 0, { referenceBlocks: a }));
    d.putMany([
      { sampleId: 'B', calls: calls(2), referenceBlocks: b },
      { sampleId: 'P', calls: calls(3) },
    ]);
    const txn = d.begin();
    const w = txn.putBlocks(['C', 'Q']);
    w.setReferenceBlocks(0, c); // before the blocks: a streaming reader gives them at the end, either works
    const full = calls(4);
    for (let blk = 0; blk < 3; blk++) {
      const lo = blk * 50;
      const hi = Math.min(120, lo + 50);
      const slice = {
        ploidy: full.ploidy,
        genotype: full.genotype!.subarray(lo * full.ploidy, hi * full.ploidy),
        phased: full.phased!.subarray(lo, hi),
        fields: full.fields.map((f) => ({ ...f, values: Array.isArray(f.values) ? f.values.slice(lo * f.width, hi * f.width) : (f.values as any).subarray(lo * f.width, hi * f.width) })),
      };
      w.add(() => slice as any);
    }
    txn.commit();
    d.tag('t1');
    expect(d.referenceBlocks('A')).toEqual(a);
    expect(d.referenceBlocks('B')).toEqual(b);
    expect(d.referenceBlocks('C')).toEqual(c);
    expect(d.referenceBlocks('P')).toBeUndefined();
    expect(d.referenceBlocks('Q')).toBeUndefined();
    expect(d.sampleInfo().map((s) => [s.sampleId, s.hasReferenceBlocks])).toEqual([
      ['A', true],
      ['B', true],
      ['P', false],
      ['C', true],
      ['Q', false],
    ]);
    const st = d.stats();
    expect(st.referenceBlockSamples).toBe(3);
    // b compresses (5000 → far fewer), a and c do not: their stored size is about their own plus a few bytes.
    expect(st.referenceBlockBytes).toBeGreaterThan(a.length + c.length);
    expect(st.referenceBlockBytes).toBeLessThan(a.length + c.length + 200);
    d.remove(['A']);
    expect(() => d.referenceBlocks('A')).toThrow(expect.objectContaining({ code: 'unknown-sample' }));
    expect(d.referenceBlocks('A', { at: 't1' })).toEqual(a);
    expect(d.stats().referenceBlockSamples).toBe(2);
    d.compact(); // records move; the blocks, keyed by entry, stay
    expect(d.referenceBlocks('A', { at: 't1' })).toEqual(a);
    expect(d.verify().ok).toBe(true);
    expect(d.verify().checked.referenceBlocks).toBe(3);
    d.close();
    // Reopened read-only.
    const r = Depot.open(join(dir, 'd'), { readOnly: true });
    expect(r.referenceBlocks('B')).toEqual(b);
    r.close();
  });

  it('a depot made without any blocks opens read-only and reads none', () => {
    const path = join(dir, 'plain');
    Depot.create(path, vs, SMALL).close();
    const r = Depot.open(path, { readOnly: true });
    expect(r.stats().referenceBlockBytes).toBe(0);
    expect(r.verify().ok).toBe(true);
    r.close();
  });

  it('refuses empty or non-byte blocks with a typed error, staging nothing', () => {
    const d = Depot.create(join(dir, 'd'), vs, SMALL);
    expect(() => d.putMany([{ sampleId: 'A', calls: calls(1), referenceBlocks: new Uint8Array(0) }])).toThrow(expect.objectContaining({ code: 'invalid-argument', argument: 'referenceBlocks' }));
    expect(() => d.putMany([{ sampleId: 'A', calls: calls(1), referenceBlocks: [1, 2] as any }])).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(d.samples()).toEqual([]);
    expect(d.version()).toBe(0);
    d.close();
  });

  it('a failed commit (duplicate sample) stores no blocks: the bytes are in no file', () => {
    const d = Depot.create(join(dir, 'd'), vs, SMALL);
    d.put('A', calls(1));
    const blocks = randomBytes(77);
    const stats = d.stats();
    let err: unknown;
    try {
      d.putMany([
        { sampleId: 'B', calls: calls(2), referenceBlocks: blocks },
        { sampleId: 'A', calls: calls(3) },
      ]);
    } catch (e) {
      err = e;
    }
    expect(isDepotError(err) && err.code).toBe('duplicate-sample');
    expect(d.samples()).toEqual(['A']);
    expect(d.stats()).toMatchObject({ head: stats.head, referenceBlockBytes: 0, referenceBlockSamples: 0 });
    expect(holding(d.path, blocks.subarray(1000, 1064))).toEqual([]);
    // The same bytes committed do land in the index (so the check above can fail).
    d.putMany([{ sampleId: 'B', calls: calls(2), referenceBlocks: blocks }]);
    expect(holding(d.path, blocks.subarray(1000, 1064)).map((f) => f.slice(d.path.length + 1))).toEqual(['index.mdb']);
    d.close();
  });

  it('purge erases them: no file holds their bytes, others keep theirs', () => {
    const d = Depot.create(join(dir, 'd'), vs, SMALL);
    const victim = randomBytes(11);
    const kept = randomBytes(12);
    d.putMany([
      { sampleId: 'V', calls: calls(1), referenceBlocks: victim },
      { sampleId: 'K', calls: calls(2), referenceBlocks: kept },
    ]);
    d.tag('t1');
    d.remove(['V']);
    d.put('V', calls(5), { message: 're-added without blocks' });
    const slice = victim.subarray(1500, 1564);
    expect(holding(d.path, slice).length).toBeGreaterThan(0);
    const res = d.purge(['V']);
    expect(res.erased.entries).toBe(2);
    expect(holding(d.path, slice)).toEqual([]);
    expect(d.referenceBlocks('K')).toEqual(kept);
    expect(d.referenceBlocks('K', { at: 't1' })).toEqual(kept);
    expect(d.stats()).toMatchObject({ referenceBlockSamples: 1 });
    expect(d.verify().ok).toBe(true);
    d.close();
  });

  it('verify reports damaged, missing and stray stored blocks; reading damaged blocks is a typed error', () => {
    const path = join(dir, 'd');
    const d = Depot.create(path, vs, SMALL);
    d.putMany([
      { sampleId: 'A', calls: calls(1), referenceBlocks: regularBytes() },
      { sampleId: 'B', calls: calls(2), referenceBlocks: regularBytes(300) },
      { sampleId: 'C', calls: calls(3) },
    ]);
    d.close();
    const env = openLmdb({ path: join(path, 'index.mdb'), maxDbs: 16, overlappingSync: false });
    const db = env.openDB({ name: 'ref_blocks', encoding: 'binary' });
    const a = Buffer.from(db.get(0) as Uint8Array);
    a[a.length - 3] ^= 0xff; // inside the zstd frame
    db.putSync(0, a);
    db.removeSync(1);
    db.putSync(2, Buffer.from([1, 2, 3, 4, 5, 6]));
    void env.close();
    const r = Depot.open(path);
    const rep = r.verify();
    expect(rep.ok).toBe(false);
    expect(rep.issues.filter((i) => i.kind === 'bad-reference-blocks').map((i) => i.sampleId)).toEqual(['A']);
    expect(rep.issues.some((i) => i.kind === 'index' && i.sampleId === 'B' && /ref_blocks\[1\]/.test(i.message))).toBe(true);
    expect(rep.issues.some((i) => i.kind === 'index' && /ref_blocks\[2\] belongs to no entry/.test(i.message))).toBe(true);
    expect(() => r.referenceBlocks('A')).toThrow(expect.objectContaining({ code: 'index-corrupt' }));
    expect(() => r.referenceBlocks('B')).toThrow(expect.objectContaining({ code: 'index-corrupt' }));
    expect(r.referenceBlocks('C')).toBeUndefined();
    r.close();
  });
});
