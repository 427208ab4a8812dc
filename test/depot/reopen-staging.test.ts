/**
 * Staging reads the index (the variant set a put names, the stored sets
 * addVariantSet compares with) through a read snapshot, so it reads the
 * current index file: a purge by another Depot of this process replaces the
 * file and closes every env of the process on the old one.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot } from '../../src/depot/index.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('reopen-staging', { each: true });
const vs = syntheticVariantSet({ numVariants: 50, seed: 5 });
const calls = (seed: number) => syntheticCalls(vs, { seed });

describe('staging after a purge by another Depot of the process', () => {
  it('put over set 0, and addVariantSet, stage and commit on the new index file', () => {
    const path = join(dir(), 'd');
    const a = Depot.create(path, vs, { blockSize: 20 });
    const b = Depot.open(path);
    try {
      a.put('S1', calls(1));
      a.put('S2', calls(2));
      b.purge(['S1']); // version 3; a's env is closed
      const t = a.begin();
      t.put('S3', calls(3));
      expect(t.commit().version).toBe(4);
      b.purge(['S2']); // version 5
      const t2 = a.begin();
      const set = t2.addVariantSet(vs); // the declared sites' content: set 0
      expect(set).toBe(0);
      t2.put('S4', calls(4), set);
      expect(t2.commit().version).toBe(6);
      expect(b.samples()).toEqual(['S3', 'S4']);
    } finally {
      a.close();
      b.close();
    }
  });
});
