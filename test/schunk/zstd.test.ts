import { afterEach, describe, expect, it } from 'vitest';
import {
  _setZstdBackend,
  ChunkReader,
  compress,
  decompress,
  encodeChunk,
  isSchunkError,
  ZstdUnavailableError,
  zstdBackend,
} from '../../src/schunk/index.ts';
import { bytes, sameBytes, tempDir, writeSegment } from './helpers.ts';

afterEach(() => _setZstdBackend(undefined));

describe('zstd backends', () => {
  it('uses the native codec when it loads', () => {
    expect(zstdBackend()).toBe('native');
    const raw = bytes(100_000, 3);
    const frame = compress(raw, 5);
    expect(frame.length).toBeLessThan(raw.length);
    expect(sameBytes(decompress(frame, raw.length), raw)).toBe(true);
  });

  it('the fzstd fallback reads chunks the native codec wrote', () => {
    const dir = tempDir();
    const recs = [bytes(3_000_000, 1), bytes(777, 2), bytes(50_000, 3)];
    const { path, packed, append } = writeSegment(dir, recs, 1 << 20);
    _setZstdBackend('fzstd');
    expect(zstdBackend()).toBe('fzstd');
    const r = new ChunkReader();
    packed.forEach((p, c) => {
      const raw = r.read(path, append.offsets[c]!, { rawLength: p.raw.length });
      expect(raw.byteOffset).toBe(0);
      expect(sameBytes(raw, p.raw)).toBe(true);
    });
    r.close();
  });

  it('refuses to compress without the native codec, with a clear error', () => {
    _setZstdBackend('fzstd');
    expect(() => encodeChunk(bytes(10), 3)).toThrow(ZstdUnavailableError);
    try {
      compress(bytes(10));
    } catch (err) {
      expect(isSchunkError(err, 'zstd-unavailable')).toBe(true);
      expect((err as Error).message).toMatch(/native zstd codec .* required to write/);
    }
    _setZstdBackend('native');
    expect(zstdBackend()).toBe('native');
    expect(encodeChunk(bytes(10), 3).rawLength).toBe(10);
  });

  it('rejects a non-integer level', () => {
    expect(() => compress(bytes(10), 2.5)).toThrow(RangeError);
  });
});
