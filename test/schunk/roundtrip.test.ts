import { statSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChunkReader,
  encodeChunk,
  FILE_HEADER_SIZE,
  packRecords,
  packRecordsIncrementally,
  SegmentWriter,
} from '../../src/schunk/index.ts';
import { bytes, sameBytes, tempDir, writeSegment } from './helpers.ts';

describe('packRecords', () => {
  it('lays records at 8-byte aligned offsets with zero padding', () => {
    const recs = [Uint8Array.of(1, 2, 3), Uint8Array.of(4), new Uint8Array(0), Uint8Array.of(5, 6, 7, 8, 9, 10, 11, 12, 13)];
    const [p, ...rest] = packRecords(recs, 1024);
    expect(rest).toHaveLength(0);
    expect(p!.items).toEqual([
      { index: 0, offset: 0, length: 3 },
      { index: 1, offset: 8, length: 1 },
      { index: 2, offset: 16, length: 0 },
      { index: 3, offset: 16, length: 9 },
    ]);
    expect(Array.from(p!.raw)).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('starts a new chunk when the next record would pass the target', () => {
    const recs = [new Uint8Array(10), new Uint8Array(10), new Uint8Array(10)];
    const packed = packRecords(recs, 30);
    // 0..10, 16..26, then 32..42 > 30: new chunk
    expect(packed.map((p) => p.items.map((i) => i.index))).toEqual([[0, 1], [2]]);
    expect(packed.map((p) => p.raw.length)).toEqual([26, 10]);
  });

  it('gives a record larger than the target a chunk of its own', () => {
    const recs = [new Uint8Array(100), new Uint8Array(5000).fill(7), new Uint8Array(100)];
    const packed = packRecords(recs, 1000);
    expect(packed).toHaveLength(3);
    expect(packed[1]!.items).toEqual([{ index: 1, offset: 0, length: 5000 }]);
    expect(packed[1]!.raw.every((b) => b === 7)).toBe(true);
  });

  it('incrementally: the same chunks, each built only when asked for, so earlier records can be released', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 30 }), fc.integer({ min: 1, max: 1000 }), (records, target) => {
        const want = packRecords(records, target);
        const recs = records.map((r) => r.slice());
        const got = [];
        for (const p of packRecordsIncrementally(recs, target)) {
          got.push({ raw: p.raw.slice(), items: p.items });
          // What the depot does: drop (here: scribble over) the records already packed.
          for (const it of p.items) recs[it.index]!.fill(0xee);
        }
        expect(got).toEqual(want.map((p) => ({ raw: p.raw, items: p.items })));
      }),
      { numRuns: 200 },
    );
  });

  it('returns no chunks for no records and rejects a bad target', () => {
    expect(packRecords([])).toEqual([]);
    expect(() => packRecords([new Uint8Array(1)], 0)).toThrow(RangeError);
  });
});

describe('round trip: pack, encode, append, read', () => {
  it('returns the same bytes at 8-byte aligned offsets (property)', () => {
    const dir = tempDir();
    let n = 0;
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8192 }),
        (records, target) => {
          const { path, packed, append } = writeSegment(dir, records, target, `seg-${n++}.vczs`);
          expect(append.offsets).toHaveLength(packed.length);
          expect(append.end).toBe(statSync(path).size);
          const reader = new ChunkReader({ cacheBytes: 1 << 20 });
          try {
            const seen = new Array<boolean>(records.length).fill(false);
            packed.forEach((p, c) => {
              const raw = reader.read(path, append.offsets[c]!, { rawLength: p.raw.length, chunk: c });
              expect(raw.byteOffset).toBe(0);
              expect(raw.buffer.byteLength).toBe(raw.length);
              expect(raw).toEqual(p.raw);
              for (const it of p.items) {
                expect(it.offset % 8).toBe(0);
                expect(raw.subarray(it.offset, it.offset + it.length)).toEqual(records[it.index]);
                seen[it.index] = true;
              }
            });
            expect(seen.every(Boolean)).toBe(true);
          } finally {
            reader.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads a multi-MiB chunk, and typed views at aligned offsets are legal', () => {
    const dir = tempDir();
    const ints = Int32Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 1000 - 2);
    const recs = [Uint8Array.of(1, 2, 3), new Uint8Array(ints.buffer), bytes(5_000_000, 9)];
    const { path, packed, append } = writeSegment(dir, recs, 8 << 20);
    expect(packed).toHaveLength(1);
    const reader = new ChunkReader();
    const raw = reader.read(path, append.offsets[0]!);
    const item = packed[0]!.items[1]!;
    const view = new Int32Array(raw.buffer, item.offset, ints.length);
    expect(sameBytes(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), new Uint8Array(ints.buffer))).toBe(true);
    expect(view[12345]).toBe(ints[12345]);
    expect(sameBytes(raw.subarray(packed[0]!.items[2]!.offset), recs[2])).toBe(true);
    reader.close();
  });

  it('appends to the end of an existing segment across writer instances', () => {
    const dir = tempDir();
    const first = writeSegment(dir, [bytes(500, 1)], 4096);
    const w = new SegmentWriter();
    const more = w.appendChunks(first.path, first.append.end, [encodeChunk(bytes(700, 2), 1), encodeChunk(bytes(10, 3), 19)]);
    w.close();
    expect(more.offsets[0]).toBe(first.append.end);
    const r = new ChunkReader();
    expect(r.read(first.path, first.append.offsets[0]!)).toEqual(bytes(500, 1));
    expect(r.read(first.path, more.offsets[0]!)).toEqual(bytes(700, 2));
    expect(r.read(first.path, more.offsets[1]!)).toEqual(bytes(10, 3));
    expect(r.readFileHeader(first.path)).toEqual({ version: 1, fileType: 1, compression: 1 });
    expect(first.append.offsets[0]).toBe(FILE_HEADER_SIZE);
    r.close();
  });

  it('encodes an empty chunk', () => {
    const dir = tempDir();
    const path = `${dir}/empty.vczs`;
    const w = new SegmentWriter();
    const { offsets } = w.appendChunks(path, w.create(path), [encodeChunk(new Uint8Array(0), 3)]);
    w.close();
    const r = new ChunkReader();
    expect(r.read(path, offsets[0]!, { rawLength: 0 })).toHaveLength(0);
    r.close();
  });
});
