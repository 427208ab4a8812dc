import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  _setZstdBackend,
  CHUNK_HEADER_SIZE,
  ChunkCorruptionError,
  ChunkFileHeaderError,
  ChunkFileVersionError,
  ChunkReader,
  compress,
  decompress,
  encodeChunkHeader,
  FILE_HEADER_SIZE,
  isSchunkError,
  SegmentWriter,
  type ChunkCorruptionReason,
  type ChunkExpectation,
  type EncodedChunk,
} from '../../src/schunk/index.ts';
import { bytes, sameBytes, tempDir, writeSegment } from './helpers.ts';

/** Reads chunk `c` with a fresh reader; returns the bytes or the thrown error. */
function tryRead(path: string, offset: number, expect?: ChunkExpectation): unknown {
  const r = new ChunkReader();
  try {
    return r.read(path, offset, expect);
  } catch (err) {
    return err;
  } finally {
    r.close();
  }
}

function expectCorrupt(result: unknown, reason?: ChunkCorruptionReason): ChunkCorruptionError {
  expect(result).toBeInstanceOf(ChunkCorruptionError);
  const err = result as ChunkCorruptionError;
  expect(isSchunkError(err, 'chunk-corrupt')).toBe(true);
  if (reason !== undefined) expect(err.reason).toBe(reason);
  expect(err.message).toContain('vczdepot verify');
  return err;
}

function patchHeader(path: string, offset: number, fields: { rawLength?: number; compressedLength?: number }): void {
  const file = readFileSync(path);
  const dv = new DataView(file.buffer, file.byteOffset + offset, CHUNK_HEADER_SIZE);
  encodeChunkHeader(
    {
      rawLength: fields.rawLength ?? dv.getUint32(4, true),
      compressedLength: fields.compressedLength ?? dv.getUint32(8, true),
      checksum: dv.getUint32(12, true),
    },
    file,
    offset,
  );
  writeFileSync(path, file);
}

describe('chunk corruption', () => {
  it('detects a changed byte anywhere in a chunk, and never returns wrong data', () => {
    const dir = tempDir();
    const recs = [bytes(300, 1), bytes(200, 2), bytes(250, 3)];
    const { path, packed, append } = writeSegment(dir, recs, 256);
    expect(packed).toHaveLength(3);
    const pristine = readFileSync(path);
    const owner = (pos: number): number => append.offsets.findLastIndex((o) => o <= pos);
    const reasons = new Set<string>();
    for (const flip of [0x01, 0xff]) {
      for (let pos = FILE_HEADER_SIZE; pos < pristine.length; pos++) {
        const damaged = Buffer.from(pristine);
        damaged[pos]! ^= flip;
        writeFileSync(path, damaged);
        packed.forEach((p, c) => {
          const got = tryRead(path, append.offsets[c]!, { chunk: c });
          if (c === owner(pos)) {
            const err = expectCorrupt(got);
            expect(err.file).toBe(path);
            expect(err.offset).toBe(append.offsets[c]);
            expect(err.chunk).toBe(c);
            reasons.add(err.reason);
          } else {
            expect(sameBytes(got as Uint8Array, p.raw)).toBe(true);
          }
        });
      }
    }
    expect([...reasons].sort()).toEqual(['bad chunk magic', 'checksum mismatch', 'header checksum mismatch']);
  });

  it('reports a file truncated inside a chunk header or payload as truncated', () => {
    const dir = tempDir();
    const { path, append } = writeSegment(dir, [bytes(4000, 5), bytes(4000, 6)], 4096);
    const second = append.offsets[1]!;
    // Shrinking cuts only: truncate() to a larger size would pad with zeros.
    for (const cut of [append.end - 1, second + CHUNK_HEADER_SIZE + 3, second + 10, second]) {
      truncateSync(path, cut);
      const err = expectCorrupt(tryRead(path, second, { chunk: 'c-17' }), 'truncated');
      expect(err.message).toContain('truncated');
      expect(err.message).toContain('chunk c-17');
      expect(err.message).toContain(`offset ${second}`);
    }
    // the first chunk is still readable
    expect(sameBytes(tryRead(path, append.offsets[0]!) as Uint8Array, bytes(4000, 5))).toBe(true);
  });

  it('checks the lengths recorded by the index', () => {
    const dir = tempDir();
    const { path, append, packed } = writeSegment(dir, [bytes(100, 5)], 4096);
    const off = append.offsets[0]!;
    expectCorrupt(tryRead(path, off, { rawLength: packed[0]!.raw.length + 1 }), 'raw length mismatch');
    const r = new ChunkReader();
    expect(() => r.read(path, off, { compressedLength: 1 })).toThrow(/compressed length mismatch/);
    r.read(path, off); // cached now
    expect(() => r.read(path, off, { rawLength: 3 })).toThrow(/raw length mismatch/);
    expect(() => r.read(path, 3)).toThrow(/bad offset/);
    r.close();
  });

  it('rejects a header claiming a huge raw length without allocating it', () => {
    const dir = tempDir();
    const { path, append } = writeSegment(dir, [bytes(1000, 5)], 4096);
    patchHeader(path, append.offsets[0]!, { rawLength: 2 ** 31 });
    const before = process.memoryUsage().arrayBuffers;
    const err = expectCorrupt(tryRead(path, append.offsets[0]!), 'raw length too large');
    expect(err.detail).toContain(String(2 ** 31));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    // and a huge compressed length likewise
    patchHeader(path, append.offsets[0]!, { rawLength: 1000, compressedLength: 2 ** 32 - 1 });
    expectCorrupt(tryRead(path, append.offsets[0]!), 'compressed length too large');
  });

  it.each(['native', 'fzstd'] as const)('rejects a frame whose declared size differs from the header (%s)', (backend) => {
    const dir = tempDir();
    const path = join(dir, 'lying.vczs');
    // The frame declares 4096 bytes; the (checksummed) header says 100.
    const frame = compress(bytes(4096, 8), 3);
    const lying = (rawLength: number): EncodedChunk => {
      const out = new Uint8Array(CHUNK_HEADER_SIZE + frame.length);
      out.set(frame, CHUNK_HEADER_SIZE);
      const checksum = crc32(frame);
      encodeChunkHeader({ rawLength, compressedLength: frame.length, checksum }, out);
      return { bytes: out, rawLength, compressedLength: frame.length, checksum };
    };
    const w = new SegmentWriter();
    const { offsets } = w.appendChunks(path, w.create(path), [lying(100), lying(8192)]);
    w.close();
    _setZstdBackend(backend);
    try {
      for (const off of offsets) {
        const err = expectCorrupt(tryRead(path, off), 'frame content size mismatch');
        expect(err.detail).toContain('4096');
      }
      expect(() => decompress(frame, 100)).toThrow(/frame content size mismatch/);
      expect(() => decompress(Uint8Array.of(1, 2, 3, 4, 5, 6, 7), 7)).toThrow(/bad zstd frame/);
      expect(() => decompress(frame, 2 ** 31)).toThrow(/raw length too large/);
      expect(sameBytes(decompress(frame, 4096), bytes(4096, 8))).toBe(true);
    } finally {
      _setZstdBackend(undefined);
    }
  });

  it('rejects a frame with a corrupt body even when the checksum is recomputed', () => {
    const dir = tempDir();
    const path = join(dir, 'forged.vczs');
    const frame = compress(bytes(20_000, 4), 3);
    frame.fill(0xaa, 20, 40);
    const out = new Uint8Array(CHUNK_HEADER_SIZE + frame.length);
    out.set(frame, CHUNK_HEADER_SIZE);
    const checksum = crc32(frame);
    encodeChunkHeader({ rawLength: 20_000, compressedLength: frame.length, checksum }, out);
    const w = new SegmentWriter();
    const { offsets } = w.appendChunks(path, w.create(path), [
      { bytes: out, rawLength: 20_000, compressedLength: frame.length, checksum },
    ]);
    w.close();
    expectCorrupt(tryRead(path, offsets[0]!), 'bad zstd frame');
  });
});

describe('segment file header', () => {
  function segmentWithHeader(patch: (b: Buffer) => void): { path: string; offset: number } {
    const dir = tempDir();
    const { path, append } = writeSegment(dir, [bytes(100, 1)], 4096);
    const file = readFileSync(path);
    patch(file);
    writeFileSync(path, file);
    return { path, offset: append.offsets[0]! };
  }

  it.each([
    [0, 'too-old'],
    [99, 'too-new'],
  ] as const)('rejects format version %i as %s', (version, direction) => {
    const { path, offset } = segmentWithHeader((b) => b.writeUInt16LE(version, 8));
    const r = new ChunkReader();
    for (const attempt of [() => r.read(path, offset), () => r.readFileHeader(path)]) {
      try {
        attempt();
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ChunkFileVersionError);
        expect(isSchunkError(err, 'file-version')).toBe(true);
        const e = err as ChunkFileVersionError;
        expect([e.found, e.expected, e.direction, e.file]).toEqual([version, 1, direction, path]);
        expect(e.message).toContain(`format version ${version}`);
      }
    }
    // A writer refuses it too.
    expect(() => new SegmentWriter().appendChunks(path, offset, [])).toThrow(ChunkFileVersionError);
  });

  it.each([
    ['bad magic', (b: Buffer): void => void (b[2] = 0x41)],
    ['bad file type', (b: Buffer): void => void (b[10] = 2)],
    ['bad compression', (b: Buffer): void => void (b[11] = 0)],
  ] as const)('rejects %s', (reason, patch) => {
    const { path, offset } = segmentWithHeader(patch);
    const r = new ChunkReader();
    expect(() => r.read(path, offset)).toThrow(ChunkFileHeaderError);
    try {
      r.readFileHeader(path);
    } catch (err) {
      expect(isSchunkError(err, 'file-header') && err.reason).toBe(reason);
    }
  });

  it('rejects a file shorter than its header', () => {
    const dir = tempDir();
    const path = join(dir, 'short.vczs');
    writeFileSync(path, Buffer.from('VCZDSEG'));
    expect(() => new ChunkReader().readFileHeader(path)).toThrow(/short header/);
  });
});
