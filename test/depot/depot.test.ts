import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { Depot, isDepotError, materializeCalls, isCodecError, type DepotErrorTag } from '../../src/index.ts';
import { diffCalls, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('test', { each: true });

const vs = syntheticVariantSet({ numVariants: 300, seed: 11, maxAlleles: 4 });
const calls = (seed: number) => syntheticCalls(vs, { seed, missing: 0.1 });

function expectDepotError(fn: () => unknown, tag: DepotErrorTag, re?: RegExp) {
  try {
    fn();
  } catch (err) {
    expect(isDepotError(err, tag), String(err)).toBe(true);
    if (re) expect((err as Error).message).toMatch(re);
    return;
  }
  expect.fail(`expected a ${tag} error`);
}

/** Everything observable about a depot: to check a failed op changed nothing. */
function snapshot(d: Depot) {
  return JSON.stringify({ v: d.version(), s: d.samples(), t: d.tags(), l: d.log(), st: { ...d.stats(), indexBytes: 0 } });
}

describe('Depot', () => {
  it('creates, puts, gets, removes, tags and reopens', () => {
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 64 });
    expect(d.version()).toBe(0);
    const c1 = d.put('S1', calls(1), { message: 'first' });
    expect(c1.version).toBe(1);
    d.putMany([
      { sampleId: 'S2', calls: calls(2) },
      { sampleId: 'S3', calls: calls(3) },
    ]);
    expect(d.samples()).toEqual(['S1', 'S2', 'S3']);
    const t1 = d.tag('release-1', { message: 'three samples' });
    expect(t1.version).toBe(2); // the head: a tag creates no version
    expect(d.version()).toBe(2);
    d.remove(['S2']);
    expect(d.samples()).toEqual(['S1', 'S3']);
    expect(d.samples({ at: 'release-1' })).toEqual(['S1', 'S2', 'S3']);
    expect(d.samples({ at: 1 })).toEqual(['S1']);
    // the removed sample is still readable at the tag, byte for byte
    const back = materializeCalls(vs, d.get('S2', { at: 'release-1' }).records);
    expect(diffCalls(calls(2), back)).toBeUndefined();
    d.close();

    const r = Depot.open(join(dir(), 'd'), { readOnly: true });
    expect(r.samples()).toEqual(['S1', 'S3']);
    expect(r.log().map((e) => [e.version, e.operation, e.added, e.removed, e.tags])).toEqual([
      [0, 'create', [], [], []],
      [1, 'put', ['S1'], [], []],
      [2, 'put', ['S2', 'S3'], [], ['release-1']],
      [3, 'remove', [], ['S2'], []],
    ]);
    expect(r.log()[1]!.message).toBe('first');
    expect(r.tags()).toMatchObject([{ name: 'release-1', version: 2, message: 'three samples' }]);
    for (const [id, seed] of [['S1', 1], ['S3', 3]] as const) {
      expect(diffCalls(calls(seed), materializeCalls(vs, r.get(id).records))).toBeUndefined();
    }
    expectDepotError(() => r.put('S9', calls(9)), 'read-only');
    r.close();
  });

  it('getMany returns views in the order asked, for the blocks asked', () => {
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 64 });
    d.putMany([1, 2, 3, 4].map((i) => ({ sampleId: `S${i}`, calls: calls(i) })));
    d.put('S5', calls(5));
    const views = d.getMany(['S5', 'S2', 'S4'], { blocks: [4, 0] });
    expect(views.map((v) => v.sampleId)).toEqual(['S5', 'S2', 'S4']);
    for (const v of views) {
      expect(v.records.map((r) => r.block)).toEqual([4, 0]);
      expect(v.records[0]!.variantCount).toBe(300 - 4 * 64);
      for (const r of v.records) expect(r.sampleId).toBe(v.sampleId);
    }
    expectDepotError(() => d.getMany(['S1'], { blocks: [5] }), 'invalid-argument', /block/);
    d.close();
  });

  it('rejects bad writes with typed errors and leaves the depot unchanged', () => {
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 100 });
    d.put('S1', calls(1));
    d.tag('t1');
    const before = snapshot(d);
    expectDepotError(() => d.put('S1', calls(2)), 'duplicate-sample', /S1/);
    expectDepotError(() => d.putMany([{ sampleId: 'S2', calls: calls(2) }, { sampleId: 'S2', calls: calls(3) }]), 'duplicate-sample', /twice/);
    expectDepotError(() => d.putMany([{ sampleId: 'S2', calls: calls(2) }, { sampleId: 'S1', calls: calls(3) }]), 'duplicate-sample');
    expectDepotError(() => d.remove(['S1', 'nope']), 'unknown-sample', /nope/);
    expectDepotError(() => d.tag('t1'), 'tag-exists', /t1/);
    expectDepotError(() => d.samples({ at: 'nope' }), 'unknown-tag', /known tags: t1/);
    expectDepotError(() => d.samples({ at: 99 }), 'unknown-version');
    expectDepotError(() => d.get('S1', { at: 0 }), 'unknown-sample');
    expect(() => d.put('S3', { ...calls(3), genotype: new Int8Array(5) })).toThrow(/wrong variant count/);
    expectDepotError(() =>
      d.transaction((t) => {
        t.put('S4', calls(4));
        t.remove(['S1']);
        t.tag('t1');
      }), 'tag-exists');
    expect(() =>
      d.transaction((t) => {
        t.put('S5', calls(5));
        throw new Error('callback failed');
      }),
    ).toThrow('callback failed');
    expect(snapshot(d)).toBe(before);
    expect(d.samples()).toEqual(['S1']);
    d.close();
    expectDepotError(() => Depot.create(join(dir(), 'd'), vs), 'depot-exists');
    expectDepotError(() => Depot.open(join(dir(), 'nothing')), 'depot-not-found', /does not exist/);
  });

  it('a transaction is one version with one log entry', () => {
    const d = Depot.create(join(dir(), 'd'), vs);
    d.put('S1', calls(1));
    const { result, commit } = d.transaction((t) => {
      t.put('S2', calls(2));
      t.remove(['S1']);
      t.tag('swap', { message: 'S2 replaces S1' });
      return 42;
    });
    expect(result).toBe(42);
    expect(commit).toMatchObject({ version: 2, added: ['S2'], removed: ['S1'], tags: ['swap'] });
    expect(d.samples({ at: 'swap' })).toEqual(['S2']);
    expect(d.log().at(-1)!.operation).toBe('transaction');
    d.close();
  });

  it('re-adding a removed sample id keeps history apart', () => {
    const d = Depot.create(join(dir(), 'd'), vs);
    d.put('S1', calls(1));
    d.tag('old');
    d.remove(['S1']);
    d.put('S1', calls(2));
    expect(diffCalls(calls(1), materializeCalls(vs, d.get('S1', { at: 'old' }).records))).toBeUndefined();
    expect(diffCalls(calls(2), materializeCalls(vs, d.get('S1').records))).toBeUndefined();
    d.close();
  });

  it('validates calls against the variant set before writing', () => {
    const d = Depot.create(join(dir(), 'd'), vs);
    const c = calls(1);
    const gt = c.genotype!.slice();
    gt[10] = 9;
    try {
      d.put('S1', { ...c, genotype: gt });
      expect.fail('should throw');
    } catch (err) {
      expect(isCodecError(err, 'record-invalid')).toBe(true);
      expect((err as Error).message).toMatch(/sample 'S1', field GT, variant 5 \(chr1:\d+/);
    }
    expect(d.version()).toBe(0);
    d.close();
  });

  it('a large putMany is packed in groups of samples, each block of a group in its own chunks, and reads back exactly', () => {
    // Records are ~5.6 KB; chunkTargetBytes 20,000 holds 3 of them and a group closes at 320 kB (10
    // samples), so 60 samples make 6 groups whose 10 records per block do not divide into chunks of 3.
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 50, chunkTargetBytes: 20_000 });
    const ids = Array.from({ length: 60 }, (_, i) => `G${i}`);
    d.putMany(ids.map((sampleId, i) => ({ sampleId, calls: calls(100 + i) })));
    const views = d.getMany(ids);
    views.forEach((v, i) => expect(diffCalls(calls(100 + i), materializeCalls(vs, v.records)), v.sampleId).toBeUndefined());
    expect(d.verify().ok).toBe(true);
    expect(d.stats().chunks).toBeGreaterThan(6);
    d.close();
    // A single put whose blocks are small next to the chunk target (here 1 MiB): packed straight through.
    const d2 = Depot.create(join(dir(), 'd2'), vs, { blockSize: 50, chunkTargetBytes: 1 << 20 });
    d2.put('single', calls(999));
    d2.close();
    // Which blocks each chunk holds, from the index: a group's chunks hold one block each (an export
    // reading block by block decompresses each once); a single put's records share chunks across blocks.
    const env = openLmdb({ path: join(dir(), 'd', 'index.mdb'), maxDbs: 16, readOnly: true });
    const entries = env.openDB({ name: 'entries', encoding: 'msgpack' });
    const blocksOf = (ids: (id: string) => boolean): number[] => {
      const m = new Map<number, Set<number>>();
      for (const { value } of entries.getRange({})) {
        const e = value as { sampleId: string; chunks: number[] };
        if (ids(e.sampleId)) e.chunks.forEach((c, b) => (m.get(c) ?? m.set(c, new Set()).get(c)!).add(b));
      }
      return [...m.values()].map((s) => s.size);
    };
    expect(blocksOf((id) => id.startsWith('G')).every((n) => n === 1)).toBe(true);
    void env.close();
    const env2 = openLmdb({ path: join(dir(), 'd2', 'index.mdb'), maxDbs: 16, readOnly: true });
    const e2 = env2.openDB({ name: 'entries', encoding: 'msgpack' });
    const single = [...e2.getRange({})].map(({ value }) => value as { chunks: number[] })[0]!;
    expect(new Set(single.chunks).size).toBeLessThan(single.chunks.length);
    void env2.close();
  });

  it('rolls segment files over and reads across them', () => {
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 50, chunkTargetBytes: 4096, segmentMaxBytes: 20_000 });
    for (let i = 0; i < 12; i++) d.put(`S${i}`, calls(i));
    expect(d.stats().segmentFiles).toBeGreaterThan(1);
    for (let i = 0; i < 12; i++) expect(diffCalls(calls(i), materializeCalls(vs, d.get(`S${i}`).records))).toBeUndefined();
    d.close();
  });
});
