import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_HEADER_SIZE,
  ChunkCorruptionError,
  ChunkIOError,
  ChunkReader,
  encodeChunk,
  FILE_HEADER_SIZE,
  isSchunkError,
  scanChunks,
  SegmentWriter,
} from '../../src/schunk/index.ts';
import { bytes, sameBytes, tempDir } from './helpers.ts';

describe('encodeChunk', () => {
  it('builds header + frame with lengths and checksum', () => {
    const raw = bytes(10_000, 4);
    const c = encodeChunk(raw, 3);
    expect(c.bytes.length).toBe(CHUNK_HEADER_SIZE + c.compressedLength);
    expect(c.rawLength).toBe(10_000);
    const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset);
    expect([dv.getUint32(0, true), dv.getUint32(4, true), dv.getUint32(8, true), dv.getUint32(12, true)]).toEqual([
      0x4b435a56,
      10_000,
      c.compressedLength,
      c.checksum,
    ]);
    expect(Buffer.from(c.bytes.subarray(0, 4)).toString('latin1')).toBe('VZCK');
  });
});

describe('SegmentWriter', () => {
  it('creates a file with the 16-byte header, and refuses to clobber one', () => {
    const dir = tempDir();
    const path = join(dir, 's.vczs');
    const w = new SegmentWriter();
    expect(w.create(path)).toBe(FILE_HEADER_SIZE);
    expect(Array.from(readFileSync(path))).toEqual([0x56, 0x43, 0x5a, 0x44, 0x53, 0x45, 0x47, 0, 1, 0, 1, 1, 0, 0, 0, 0]);
    try {
      w.create(path);
      expect.unreachable();
    } catch (err) {
      expect(isSchunkError(err, 'chunk-io') && [err.step, err.errno]).toEqual(['create', 'EEXIST']);
      expect((err as ChunkIOError).cause).toBeInstanceOf(Error);
    }
    w.close();
  });

  it('overwrites the garbage tail a crashed writer left past the recorded end', () => {
    const dir = tempDir();
    const path = join(dir, 's.vczs');
    const w = new SegmentWriter({ maxOpenFiles: 1 });
    const a = w.appendChunks(path, w.create(path), [encodeChunk(bytes(5000, 1), 3)]);
    // A crashed transaction: chunks appended and synced, but the index never recorded them.
    w.appendChunks(path, a.end, [encodeChunk(bytes(9000, 2), 3), encodeChunk(bytes(9000, 3), 3)]);
    appendFileSync(path, Buffer.from('torn write'));
    const garbageEnd = statSync(path).size;
    // The next writer appends at the recorded end.
    const d = w.appendChunks(path, a.end, [encodeChunk(bytes(100, 4), 3)]);
    w.close();
    expect(d.offsets).toEqual([a.end]);
    expect(statSync(path).size).toBe(garbageEnd); // the rest of the tail stays, unreferenced
    const r = new ChunkReader();
    expect(sameBytes(r.read(path, a.offsets[0]!), bytes(5000, 1))).toBe(true);
    expect(sameBytes(r.read(path, d.offsets[0]!), bytes(100, 4))).toBe(true);
    r.close();
    expect([...scanChunks(path, d.end)].map((s) => [s.ok, s.offset])).toEqual([
      [true, FILE_HEADER_SIZE],
      [true, a.end],
    ]);
    const all = [...scanChunks(path)];
    expect(all.slice(0, 2).every((s) => s.ok)).toBe(true);
    expect(all).toHaveLength(3);
    expect(all[2]!.ok).toBe(false);
    expect(all[2]!.offset).toBe(d.end);
  });

  it('rejects an append offset past the end of the file or inside the header', () => {
    const dir = tempDir();
    const path = join(dir, 's.vczs');
    const w = new SegmentWriter();
    const end = w.create(path);
    const c = encodeChunk(bytes(10), 3);
    expect(() => w.appendChunks(path, end + 100, [c])).toThrow(ChunkCorruptionError);
    expect(() => w.appendChunks(path, 3, [c])).toThrow(RangeError);
    expect(statSync(path).size).toBe(FILE_HEADER_SIZE);
    w.close();
  });

  it('wraps fs errors with the file, the step and the cause', () => {
    const dir = tempDir();
    const w = new SegmentWriter();
    const missing = join(dir, 'missing.vczs');
    try {
      w.appendChunks(missing, FILE_HEADER_SIZE, []);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ChunkIOError);
      const e = err as ChunkIOError;
      expect([e.file, e.step, e.errno]).toEqual([missing, 'open', 'ENOENT']);
      expect(e.message).toContain(missing);
    }
    expect(() => new ChunkReader().read(missing, 16)).toThrow(/open of segment file/);
  });

  it('writes many chunks in one append (batched writev)', () => {
    const dir = tempDir();
    const path = join(dir, 's.vczs');
    const w = new SegmentWriter();
    const chunks = Array.from({ length: 1500 }, (_, i) => encodeChunk(bytes(16 + (i % 50), i + 1), 1));
    const res = w.appendChunks(path, w.create(path), chunks);
    w.close();
    expect(res.end).toBe(statSync(path).size);
    const r = new ChunkReader({ cacheBytes: 0 });
    for (const i of [0, 511, 512, 1023, 1024, 1499]) {
      expect(sameBytes(r.read(path, res.offsets[i]!), bytes(16 + (i % 50), i + 1))).toBe(true);
    }
    r.close();
  });
});
