/**
 * compact and purge rewrite the depot one group of blocks at a time: with
 * 96 KiB chunks (groups of 1.5 MiB of records: ~25 of the 40 blocks of 14
 * samples; a one-sample put's chunk holds ~20 blocks, so a source chunk can
 * straddle two groups) and 128 KiB segment files, a rewrite spans several
 * groups and new files. Every version and tag reads the same bytes, the
 * result is block-major (a chunk holds records of one block), and a rewrite
 * that fails part-way (a damaged chunk met in a later group) leaves the
 * depot exactly as it was, without new files.
 */
import { closeSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { Depot, isDepotError, isSchunkError } from '../../src/index.ts';
import { CHUNK_HEADER_SIZE } from '../../src/schunk/format.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';
import { depotFingerprint } from '../helpers/fingerprint.ts';

const dir = useTempDir('cstream', { each: true });

const vs = syntheticVariantSet({ numVariants: 2000, seed: 31 });
const calls = (seed: number) => syntheticCalls(vs, { seed, missing: 0.05 });

const fingerprint = depotFingerprint;

/** chunk id → the blocks whose records it holds, from the entries dbi (the depot must be closed). */
function blocksByChunk(path: string): Map<number, Set<number>> {
  const env = openLmdb({ path: join(path, 'index.mdb'), maxDbs: 16, readOnly: true });
  const m = new Map<number, Set<number>>();
  try {
    for (const { value } of env.openDB({ name: 'entries', encoding: 'msgpack' }).getRange({})) {
      (value as { chunks: number[] }).chunks.forEach((c, b) => (m.get(c) ?? m.set(c, new Set()).get(c)!).add(b));
    }
  } finally {
    void env.close();
  }
  return m;
}

function make(path: string): Depot {
  const d = Depot.create(path, vs, { blockSize: 50, chunkTargetBytes: 96 * 1024, segmentMaxBytes: 128 * 1024 });
  for (let i = 0; i < 10; i++) d.put(`S${i}`, calls(i)); // one-sample chunks: many blocks each
  d.tag('t10');
  d.remove(['S2', 'S5']);
  d.putMany([10, 11, 12, 13].map((i) => ({ sampleId: `S${i}`, calls: calls(i) })));
  d.tag('t14');
  return d;
}

describe('compact, many block groups', () => {
  it('reads the same at every version and tag, block-major, across many new segment files; verify clean', () => {
    const path = join(dir(), 'd');
    make(path).close();
    // one-sample chunks: a chunk holds many blocks of a sample
    expect([...blocksByChunk(path).values()].some((bs) => bs.size > 1)).toBe(true);
    const d = Depot.open(path);
    const before = fingerprint(d);
    const filesBefore = readdirSync(join(path, 'chunks'));
    d.compact();
    expect(fingerprint(d)).toBe(before);
    expect(d.verify().issues).toEqual([]);
    const filesAfter = readdirSync(join(path, 'chunks'));
    expect(filesAfter.length).toBeGreaterThan(2);
    expect(filesAfter.some((f) => filesBefore.includes(f))).toBe(false);
    d.close();
    // each block of 12 live or tagged samples fills more than 1/16 of a chunk: each chunk holds one block
    for (const [chunk, bs] of blocksByChunk(path)) expect(bs.size, `chunk ${chunk}`).toBe(1);
    const e = Depot.open(path);
    expect(fingerprint(e)).toBe(before);
    e.put('S20', calls(20)); // writes go on after it
    expect(e.verify().ok).toBe(true);
    e.close();
  });

  it('purge repacks only the chunks with erased records; the others read the same', () => {
    const path = join(dir(), 'd');
    const d = make(path);
    d.compact(); // block-major: every chunk holds records of several samples
    const others = fingerprint(d, ['S3']);
    const r = d.purge(['S3']);
    expect(r.tagsChanged).toEqual(['t10', 't14']);
    expect(fingerprint(d, ['S3'])).toBe(others);
    expect(d.verify().issues.filter((i) => i.severity === 'error')).toEqual([]);
    d.close();
  });

  it('a damaged chunk met part-way: a typed error, the depot unchanged, no new file left', () => {
    const path = join(dir(), 'd');
    const d = make(path);
    const before = fingerprint(d) + JSON.stringify(d.log());
    d.close();
    // Damage the last chunk of the active segment (S13's records, read in late groups).
    const seg = readdirSync(join(path, 'chunks')).filter((f) => f.endsWith('.vczc')).sort().at(-1)!;
    const file = join(path, 'chunks', seg);
    const env = openLmdb({ path: join(path, 'index.mdb'), maxDbs: 16, readOnly: true });
    const last = [...env.openDB({ name: 'chunks', encoding: 'msgpack' }).getRange({})]
      .map(({ value }) => value as { file: number; offset: number; compressedLength: number })
      .filter((c) => c.file === Number(seg.slice(0, 6)))
      .sort((a, b) => b.offset - a.offset)[0]!;
    void env.close();
    const at = last.offset + CHUNK_HEADER_SIZE + (last.compressedLength >> 1);
    const fd = openSync(file, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    const files = readdirSync(join(path, 'chunks')).sort();
    const e = Depot.open(path);
    let err: unknown;
    try {
      e.compact();
    } catch (x) {
      err = x;
    }
    expect(isDepotError(err, 'depot-io'), String(err)).toBe(true);
    expect(isSchunkError((err as Error).cause, 'chunk-corrupt'), String(err)).toBe(true);
    expect(readdirSync(join(path, 'chunks')).sort()).toEqual(files);
    b[0] = b[0]! ^ 0xff; // repair: everything reads as before
    const fd2 = openSync(file, 'r+');
    writeSync(fd2, b, 0, 1, at);
    closeSync(fd2);
    expect(fingerprint(e) + JSON.stringify(e.log())).toBe(before);
    e.close();
  });
});
