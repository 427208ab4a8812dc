/**
 * Property test: random sequences of put / putMany / remove / tag / reopen
 * against a plain in-memory model (the slow, obvious oracle). At every step
 * getMany and samples({at}) equal the model for the head and every tag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Depot, isDepotError, materializeCalls, type SampleCalls } from '../../src/index.ts';
import { diffCalls, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';

const vs = syntheticVariantSet({ numVariants: 90, seed: 5, maxAlleles: 3 });
const callsCache = new Map<number, SampleCalls>();
const callsFor = (seed: number) => {
  let c = callsCache.get(seed);
  if (!c) callsCache.set(seed, (c = syntheticCalls(vs, { seed, ploidy: 1 + (seed % 3), missing: 0.2 })));
  return c;
};

/** The oracle: an ordered list of live [id, seed] per version, and tags. */
class Model {
  head: [string, number][] = [];
  tags = new Map<string, [string, number][]>();
  put(batch: [string, number][]): boolean {
    const ids = new Set(this.head.map(([id]) => id));
    const seen = new Set<string>();
    for (const [id] of batch) {
      if (ids.has(id) || seen.has(id)) return false;
      seen.add(id);
    }
    this.head = [...this.head, ...batch];
    return true;
  }
  remove(ids: string[]): boolean {
    const live = new Set(this.head.map(([id]) => id));
    if (!ids.every((id) => live.has(id)) || new Set(ids).size !== ids.length) return false;
    this.head = this.head.filter(([id]) => !ids.includes(id));
    return true;
  }
  tag(name: string): boolean {
    if (this.tags.has(name)) return false;
    this.tags.set(name, [...this.head]);
    return true;
  }
}

type Op =
  | { kind: 'put'; id: number; seed: number }
  | { kind: 'putMany'; ids: number[]; seed: number }
  | { kind: 'remove'; ids: number[] }
  | { kind: 'tag'; name: number }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), id: fc.nat(12), seed: fc.nat(30) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('putMany' as const), ids: fc.array(fc.nat(12), { minLength: 1, maxLength: 4 }), seed: fc.nat(30) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), ids: fc.array(fc.nat(12), { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tag' as const), name: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

function check(d: Depot, m: Model) {
  const views: [string, [string, number][]][] = [['head', m.head], ...[...m.tags].map(([n, s]): [string, [string, number][]] => [n, s])];
  for (const [at, live] of views) {
    const opt = at === 'head' ? {} : { at };
    expect(d.samples(opt)).toEqual(live.map(([id]) => id));
    // read in a shuffled order: views come back in the order asked
    const order = [...live].reverse();
    const got = d.getMany(order.map(([id]) => id), opt);
    got.forEach((g, i) => {
      expect(g.sampleId).toBe(order[i]![0]);
      expect(diffCalls(callsFor(order[i]![1]), materializeCalls(vs, g.records))).toBeUndefined();
    });
  }
}

describe('depot vs in-memory model', () => {
  it('agrees at every step for random operation sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.integer({ min: 7, max: 90 }), (ops, blockSize) => {
        const dir = mkdtempSync(join(tmpdir(), 'vczdepot-model-'));
        try {
          let d = Depot.create(join(dir, 'd'), vs, { blockSize, chunkTargetBytes: 2048 });
          const m = new Model();
          let version = 0;
          for (const op of ops) {
            let ok: boolean;
            let run: () => unknown;
            if (op.kind === 'put') {
              ok = m.put([[`S${op.id}`, op.seed]]);
              run = () => d.put(`S${op.id}`, callsFor(op.seed));
            } else if (op.kind === 'putMany') {
              const batch = op.ids.map((id, i): [string, number] => [`S${id}`, op.seed + i]);
              ok = m.put(batch);
              run = () => d.putMany(batch.map(([sampleId, seed]) => ({ sampleId, calls: callsFor(seed) })));
            } else if (op.kind === 'remove') {
              const ids = op.ids.map((i) => `S${i}`);
              ok = m.remove(ids);
              // a repeated id in one remove is an unknown sample the second time
              run = () => d.remove(ids);
            } else if (op.kind === 'tag') {
              ok = m.tag(`t${op.name}`);
              run = () => d.tag(`t${op.name}`);
            } else {
              d.close();
              d = Depot.open(join(dir, 'd'));
              check(d, m);
              continue;
            }
            let threw: unknown;
            try {
              run();
            } catch (err) {
              threw = err;
            }
            if (ok) {
              expect(threw).toBeUndefined();
              // a tag names the head; every other write is a new version
              if (op.kind !== 'tag') version++;
            } else {
              expect(isDepotError(threw), String(threw)).toBe(true);
            }
            expect(d.version()).toBe(version);
            check(d, m);
          }
          d.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });
});
