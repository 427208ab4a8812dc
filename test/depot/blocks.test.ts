/**
 * Block-major puts (`putBlocks`) and large transactions that spill their
 * chunks to staging files: the records read back are byte for byte those of
 * `putMany` (the slow, obvious path), failures and aborts leave the depot as
 * it was with no staging file behind, and leftovers of dead processes are
 * swept.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Depot, blockRange, isCodecError, isDepotError, sliceCalls, type SampleCalls, type VariantSet } from '../../src/index.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('blocks', { each: true });

function putByBlocks(d: Depot, vs: VariantSet, ids: string[], calls: SampleCalls[], spillBytes?: number) {
  const txn = d.begin(spillBytes !== undefined ? { spillBytes } : {});
  try {
    const w = txn.putBlocks(ids);
    const nBlocks = Math.ceil(vs.numVariants / d.meta.blockSize);
    for (let b = 0; b < nBlocks; b++) {
      const [s, e] = blockRange(vs.numVariants, d.meta.blockSize, b);
      w.add((i) => sliceCalls(calls[i]!, s, e));
    }
    return txn.commit();
  } catch (err) {
    txn.abort();
    throw err;
  }
}

/** Every record of every live sample, as bytes. */
function recordBytes(d: Depot): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  for (const v of d.getMany(d.samples())) out.set(v.sampleId, v.records.map((r) => Array.from(r.bytes)));
  return out;
}

const stagingFiles = (path: string) => readdirSync(join(path, 'chunks')).filter((f) => f.startsWith('.staging-'));

describe('putBlocks', () => {
  it('stores the same records as putMany, with or without staging files (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 130 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(undefined, 0, 2000),
        fc.integer({ min: 0, max: 1000 }),
        (numVariants, blockSize, nSamples, spillBytes, seed) => {
          const vs = syntheticVariantSet({ numVariants, seed, maxAlleles: 4 });
          const ids = Array.from({ length: nSamples }, (_, i) => `S${i}`);
          const calls = ids.map((_, i) => syntheticCalls(vs, { seed: seed * 31 + i, missing: 0.2 }));
          const root = mkdtempSync(join(dir(), 'p-'));
          const a = Depot.create(join(root, 'a'), vs, { blockSize, chunkTargetBytes: 4096 });
          const b = Depot.create(join(root, 'b'), vs, { blockSize, chunkTargetBytes: 4096 });
          try {
            a.putMany(ids.map((sampleId, i) => ({ sampleId, calls: calls[i]! })));
            const commit = putByBlocks(b, vs, ids, calls, spillBytes);
            expect(commit.added).toEqual(ids);
            expect(b.samples()).toEqual(ids);
            expect(recordBytes(b)).toEqual(recordBytes(a));
            expect(b.sampleInfo()).toEqual(a.sampleInfo().map((s) => ({ ...s, addedAt: 1 })));
            expect(stagingFiles(b.path)).toEqual([]);
            const report = b.verify();
            expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
          } finally {
            a.close();
            b.close();
            rmSync(root, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a spilled transaction renames its staging files into segment files, and later writes append after them', () => {
    const vs = syntheticVariantSet({ numVariants: 500, seed: 3 });
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 50, chunkTargetBytes: 4096, segmentMaxBytes: 64 * 1024 });
    const ids = Array.from({ length: 30 }, (_, i) => `S${i}`);
    const calls = ids.map((_, i) => syntheticCalls(vs, { seed: i }));
    putByBlocks(d, vs, ids, calls, 0);
    const files = readdirSync(join(d.path, 'chunks')).sort();
    // Several staging files (64 KiB each at most) became 000000, 000001, ...
    expect(files.length).toBeGreaterThan(2);
    expect(files.every((f) => /^\d{6}\.vczc$/.test(f))).toBe(true);
    d.put('late', syntheticCalls(vs, { seed: 99 }));
    expect(d.verify().issues).toEqual([]);
    d.close();
    const r = Depot.open(join(dir(), 'd'), { readOnly: true });
    const back = r.getMany([...ids, 'late']);
    expect(back.map((v) => v.sampleId)).toEqual([...ids, 'late']);
    r.close();
  });

  it('a failed commit (duplicate sample) or an abort leaves the depot as it was and no staging file', () => {
    const vs = syntheticVariantSet({ numVariants: 200, seed: 5 });
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 20, chunkTargetBytes: 2048 });
    d.put('S1', syntheticCalls(vs, { seed: 1 }));
    const before = JSON.stringify({ v: d.version(), s: d.samples(), l: d.log(), st: { ...d.stats(), indexBytes: 0 }, r: [...recordBytes(d)] });
    const ids = ['S0', 'S1', 'S2'];
    const calls = ids.map((_, i) => syntheticCalls(vs, { seed: 10 + i }));
    try {
      putByBlocks(d, vs, ids, calls, 0);
      expect.fail('expected a duplicate-sample error');
    } catch (err) {
      expect(isDepotError(err, 'duplicate-sample'), String(err)).toBe(true);
    }
    expect(stagingFiles(d.path)).toEqual([]);
    // an abort after staging
    const txn = d.begin({ spillBytes: 0 });
    const w = txn.putBlocks(['X']);
    const [s, e] = blockRange(vs.numVariants, 20, 0);
    w.add(() => sliceCalls(syntheticCalls(vs, { seed: 7 }), s, e));
    expect(stagingFiles(d.path).length).toBe(1);
    txn.abort();
    expect(stagingFiles(d.path)).toEqual([]);
    expect(() => txn.commit()).toThrow(/already committed or aborted/);
    const after = JSON.stringify({ v: d.version(), s: d.samples(), l: d.log(), st: { ...d.stats(), indexBytes: 0 }, r: [...recordBytes(d)] });
    expect(after).toBe(before);
    expect(d.verify().issues).toEqual([]);
    d.close();
  });

  it('refuses a commit before every block was added, a block too many, and a ploidy that changes between blocks', () => {
    const vs = syntheticVariantSet({ numVariants: 100, seed: 6 });
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 30 });
    const c = syntheticCalls(vs, { seed: 1 });
    const txn = d.begin();
    const w = txn.putBlocks(['A']);
    w.add(() => sliceCalls(c, 0, 30));
    try {
      txn.commit();
      expect.fail('expected an error');
    } catch (err) {
      expect(isDepotError(err, 'invalid-argument'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/1 of 4 blocks were added for 1 sample\(s\) \(A\)/);
    }
    expect(d.version()).toBe(0);

    const t2 = d.begin();
    const w2 = t2.putBlocks(['A']);
    for (let b = 0; b < 4; b++) w2.add(() => sliceCalls(c, b * 30, Math.min(100, b * 30 + 30)));
    expect(w2.nextBlock).toBe(4);
    expect(() => w2.add(() => sliceCalls(c, 0, 10))).toThrow(/all 4 blocks/);
    t2.abort();

    const haploid = syntheticCalls(vs, { seed: 2, ploidy: 1 });
    const t3 = d.begin();
    const w3 = t3.putBlocks(['A']);
    w3.add(() => sliceCalls(c, 0, 30));
    try {
      w3.add(() => sliceCalls(haploid, 30, 60));
      expect.fail('expected an error');
    } catch (err) {
      expect(isCodecError(err, 'record-invalid'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/ploidy 1 in block 1 but 2 in block 0/);
    }
    t3.abort();
    expect(d.version()).toBe(0);
    d.close();
  });

  it('names the variant by its index in the whole set when a block\'s calls do not fit', () => {
    const vs = syntheticVariantSet({ numVariants: 100, seed: 6 });
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 30 });
    const c = syntheticCalls(vs, { seed: 1 });
    const bad = sliceCalls(c, 30, 60);
    bad.genotype![2 * 2] = vs.alleles[32]!.length; // allele index out of range at variant 32
    const txn = d.begin();
    const w = txn.putBlocks(['A']);
    w.add(() => sliceCalls(c, 0, 30));
    try {
      w.add(() => bad);
      expect.fail('expected an error');
    } catch (err) {
      expect(isCodecError(err, 'record-invalid'), String(err)).toBe(true);
      expect((err as { variantIndex?: number }).variantIndex).toBe(32);
    } finally {
      txn.abort();
    }
    d.close();
  });

  it('sweeps staging files of dead processes on this host, keeps those of live ones; verify reports them', () => {
    const vs = syntheticVariantSet({ numVariants: 100, seed: 8 });
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 10, chunkTargetBytes: 2048 });
    const chunks = join(d.path, 'chunks');
    // pid 2^22 + 7 is above Linux's pid_max default: never a live process here.
    const dead = `.staging-${hostname()}-${2 ** 22 + 7}-1700000000000-0.tmp`;
    const live = `.staging-${hostname()}-${process.ppid}-1700000000000-0.tmp`;
    const otherHost = `.staging-elsewhere-${2 ** 22 + 7}-1700000000000-0.tmp`;
    for (const f of [dead, live, otherHost]) writeFileSync(join(chunks, f), 'x');
    const kinds = d.verify().issues.map((i) => [i.severity, i.kind]);
    expect(kinds).toEqual([
      ['warning', 'staging-file'],
      ['warning', 'staging-file'],
      ['warning', 'staging-file'],
    ]);
    putByBlocks(d, vs, ['S0', 'S1'], [syntheticCalls(vs, { seed: 1 }), syntheticCalls(vs, { seed: 2 })], 0);
    expect(existsSync(join(chunks, dead))).toBe(false);
    expect(existsSync(join(chunks, live))).toBe(true);
    expect(existsSync(join(chunks, otherHost))).toBe(true);
    d.close();
  });
});

describe('getMany of a few samples of a block-major cohort', () => {
  it('copies the records out of the chunks (the result holds only them) and returns the same bytes, cache on or off', () => {
    const vs = syntheticVariantSet({ numVariants: 400, seed: 12 });
    const path = join(dir(), 'd');
    const ids = Array.from({ length: 60 }, (_, i) => `S${i}`);
    const w = Depot.create(path, vs, { blockSize: 100, chunkTargetBytes: 64 * 1024 });
    w.putMany(ids.map((sampleId, i) => ({ sampleId, calls: syntheticCalls(vs, { seed: i }) })));
    w.close();
    const bytesOf = (d: Depot, want: string[]) => d.getMany(want).map((v) => v.records.map((r) => Buffer.from(r.bytes).toString('base64')));
    const ref = Depot.open(path, { readOnly: true });
    const all = bytesOf(ref, ids);
    // every record of the cohort read at once: zero copy, views share chunk-sized buffers
    const whole = ref.getMany(ids);
    expect(new Set(whole.flatMap((v) => v.records.map((r) => r.bytes.buffer))).size).toBeLessThan(5);
    ref.close();
    for (const cacheBytes of [0, undefined]) {
      const d = Depot.open(path, { readOnly: true, ...(cacheBytes !== undefined ? { cacheBytes } : {}) });
      try {
        const a = d.getMany(['S3', 'S41']);
        const aBytes = a.map((v) => v.records.map((r) => Buffer.from(r.bytes).toString('base64')));
        // a later read reuses the scratch buffer: the first result must not change
        const b = bytesOf(d, ['S7']);
        expect(b).toEqual([all[7]]);
        expect(a.map((v) => v.records.map((r) => Buffer.from(r.bytes).toString('base64')))).toEqual(aBytes);
        expect(aBytes).toEqual([all[3], all[41]]);
        // the result holds about its records, not the chunks (2 of 60 samples)
        const held = new Set(a.flatMap((v) => v.records.map((r) => r.bytes.buffer)));
        const heldBytes = [...held].reduce((n, buf) => n + buf.byteLength, 0);
        const recordBytes = a.reduce((n, v) => n + v.records.reduce((m, r) => m + r.bytes.length, 0), 0);
        expect(heldBytes).toBeLessThan(recordBytes * 1.2 + 64);
        expect(d.getMany(['S3'], { blocks: [2] })[0]!.records[0]!.bytes.length).toBeGreaterThan(0);
      } finally {
        d.close();
      }
    }
  });
});
