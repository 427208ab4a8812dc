import { appendFileSync, closeSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { Depot } from '../../src/index.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('verify', { each: true });

const vs = syntheticVariantSet({ numVariants: 300, seed: 4 });

function make(): string {
  const path = join(dir(), 'd');
  const d = Depot.create(path, vs, { blockSize: 100, chunkTargetBytes: 4096, segmentMaxBytes: 30_000 });
  for (let i = 0; i < 6; i++) d.put(`S${i}`, syntheticCalls(vs, { seed: i }));
  d.tag('t1');
  d.remove(['S2']);
  d.tag('t2');
  d.close();
  return path;
}

const verify = (path: string) => {
  const d = Depot.open(path, { readOnly: true });
  try {
    return d.verify();
  } finally {
    d.close();
  }
};

describe('verify', () => {
  it('is clean on a healthy depot and counts what it checked', () => {
    const r = verify(make());
    expect(r.issues).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checked.entries).toBe(6);
    expect(r.checked.records).toBe(18);
    expect(r.checked.tags).toBe(2);
    expect(r.checked.segmentFiles).toBeGreaterThan(1);
  });

  it('reports a flipped byte with its file and offset', () => {
    const path = make();
    const file = join(path, 'chunks', '000000.vczc');
    const fd = openSync(file, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 200);
    b[0] = b[0]! ^ 1;
    writeSync(fd, b, 0, 1, 200);
    closeSync(fd);
    const r = verify(path);
    expect(r.ok).toBe(false);
    const e = r.issues.find((i) => i.kind === 'corrupt-chunk')!;
    expect(e.file).toBe(file);
    expect(typeof e.offset).toBe('number');
  });

  it('reports crash leftovers as warnings only', () => {
    const path = make();
    appendFileSync(join(path, 'chunks', '000000.vczc'), Buffer.alloc(10, 7));
    writeFileSync(join(path, 'chunks', '000099.vczc'), 'garbage');
    const r = verify(path);
    expect(r.ok).toBe(true);
    expect(r.issues.map((i) => i.kind).sort()).toEqual(['bytes-past-end', 'orphan-file']);
  });

  it('reports a damaged index: a lost chunk entry, a dangling tag', () => {
    const path = make();
    const env = openLmdb({ path: join(path, 'index.mdb'), maxDbs: 16, overlappingSync: false });
    env.openDB({ name: 'chunks', encoding: 'msgpack' }).removeSync(0);
    env.openDB({ name: 'tags', encoding: 'msgpack' }).putSync('ghost', { name: 'ghost', version: 99, time: '' });
    void env.close();
    const r = verify(path);
    expect(r.ok).toBe(false);
    expect(r.issues.some((i) => i.kind === 'dangling' && i.chunk === 0)).toBe(true);
    expect(r.issues.some((i) => i.kind === 'tag' && i.tag === 'ghost')).toBe(true);
  });
});
