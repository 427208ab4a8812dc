import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHUNK_HEADER_SIZE, ChunkReader, FILE_HEADER_SIZE, scanChunks } from '../../src/schunk/index.ts';
import { bytes, sameBytes, tempDir, writeSegment } from './helpers.ts';

describe('ChunkReader cache', () => {
  it('is an LRU bounded in decompressed bytes', () => {
    const dir = tempDir();
    const recs = Array.from({ length: 5 }, (_, i) => bytes(10_000, i + 1));
    const { path, append } = writeSegment(dir, recs, 10_000);
    expect(append.offsets).toHaveLength(5);
    const r = new ChunkReader({ cacheBytes: 25_000 });
    for (const off of append.offsets) r.read(path, off);
    expect(r.stats()).toEqual({ hits: 0, misses: 5, evictions: 3, bytes: 20_000, chunks: 2 });
    expect(sameBytes(r.read(path, append.offsets[4]!), recs[4])).toBe(true); // hit
    r.read(path, append.offsets[3]!); // hit; now 4 is least recent
    r.read(path, append.offsets[0]!); // miss, evicts 4
    expect(r.stats()).toMatchObject({ hits: 2, misses: 6, evictions: 4, bytes: 20_000, chunks: 2 });
    r.read(path, append.offsets[3]!);
    expect(r.stats().hits).toBe(3);
    r.read(path, append.offsets[4]!);
    expect(r.stats().misses).toBe(7);
    r.close();
    expect(r.stats()).toMatchObject({ bytes: 0, chunks: 0 });
  });

  it('does not cache a chunk bigger than the budget, and closeFile drops a file', () => {
    const dir = tempDir();
    const { path, append } = writeSegment(dir, [bytes(50_000, 1), bytes(100, 2)], 1000);
    const r = new ChunkReader({ cacheBytes: 1000 });
    r.read(path, append.offsets[0]!);
    r.read(path, append.offsets[1]!);
    expect(r.stats()).toMatchObject({ bytes: 100, chunks: 1, evictions: 0 });
    r.closeFile(path);
    expect(r.stats()).toMatchObject({ bytes: 0, chunks: 0 });
    r.read(path, append.offsets[1]!);
    expect(r.stats()).toMatchObject({ misses: 3, hits: 0 });
    r.close();
  });
});

describe('scanChunks', () => {
  it('reports every chunk in order', () => {
    const dir = tempDir();
    const { path, packed, append } = writeSegment(dir, [bytes(3000, 1), bytes(3000, 2), bytes(3000, 3)], 3000);
    const scanned = [...scanChunks(path)];
    expect(scanned).toEqual(
      packed.map((p, i) => ({
        ok: true,
        index: i,
        offset: append.offsets[i],
        rawLength: p.raw.length,
        compressedLength: (append.offsets[i + 1] ?? append.end) - append.offsets[i]! - CHUNK_HEADER_SIZE,
        checksum: expect.any(Number),
      })),
    );
    expect(scanned[0]!.offset).toBe(FILE_HEADER_SIZE);
  });

  it('steps over a bad payload but stops at garbage', () => {
    const dir = tempDir();
    const { path, append } = writeSegment(dir, [bytes(3000, 1), bytes(3000, 2), bytes(3000, 3)], 3000);
    const file = readFileSync(path);
    file[append.offsets[1]! + CHUNK_HEADER_SIZE + 5]! ^= 0x10;
    writeFileSync(path, file);
    appendFileSync(path, bytes(100, 99));
    const scanned = [...scanChunks(path)];
    expect(scanned.map((s) => (s.ok ? [true, s.offset, undefined] : [false, s.offset, s.error.reason]))).toEqual([
      [true, append.offsets[0], undefined],
      [false, append.offsets[1], 'checksum mismatch'],
      [true, append.offsets[2], undefined],
      [false, append.end, 'bad chunk magic'],
    ]);
    const bad = scanned[1]!;
    expect(!bad.ok && bad.rawLength).toBe(3000);
    // Bounded by the index-recorded end, the garbage is not visited.
    expect([...scanChunks(path, append.end)]).toHaveLength(3);
    // A recorded end inside a chunk is reported as truncated.
    const cut = [...scanChunks(path, append.end - 1)];
    const last = cut.at(-1)!;
    expect(last).toMatchObject({ ok: false, offset: append.offsets[2] });
    expect(!last.ok && last.error.reason).toBe('truncated');
  });

  it('stops at a short tail after the last chunk', () => {
    const dir = tempDir();
    const { path, append } = writeSegment(dir, [bytes(300, 1)], 3000);
    appendFileSync(path, Buffer.from([0x56, 0x5a, 0x43]));
    const scanned = [...scanChunks(path)];
    expect(scanned).toHaveLength(2);
    expect(scanned[1]).toMatchObject({ ok: false, offset: append.end, rawLength: undefined });
    expect(!scanned[1]!.ok && scanned[1]!.error.reason).toBe('truncated');
  });
});
