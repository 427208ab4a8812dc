/**
 * The chunk encoder worker pool (src/zarr/pool.ts): workers encode the same
 * bytes as the main thread; a worker takes a chunk only while it has fewer
 * than MIN_IN_FLIGHT_PER_WORKER chunks or IN_FLIGHT_BYTES_PER_WORKER raw
 * bytes in flight (submit refuses more, and the caller encodes the chunk
 * itself); an error thrown while encoding in a worker reaches the caller as
 * the same class with the same message and typed fields; a worker that stops
 * fails the pool with a ZarrStateError naming the store instead of hanging.
 */
import { describe, expect, it } from 'vitest';
import { BloscFrameError, CodecUnavailableError, ZarrSpecError, ZarrStateError } from '../../src/index.ts';
import { ChunkEncoder, type ChunkCodec, EncoderPool, IN_FLIGHT_BYTES_PER_WORKER, MIN_IN_FLIGHT_PER_WORKER } from '../../src/zarr/index.ts';
import { flattenError, rebuildError } from '../../src/zarr/pool-protocol.ts';
import { rng } from '../helpers/synthetic.ts';

const STORE = '/nowhere/out.vcz';

/** Compressible but varied bytes (a few symbols, runs of random length). */
function chunkBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const a = new Uint8Array(n);
  for (let i = 0; i < n; ) {
    const v = Math.floor(r() * 4);
    const run = 1 + Math.floor(r() * 50);
    a.fill(v, i, Math.min(n, i + run));
    i += run;
  }
  return a;
}

const codecs: ChunkCodec[] = [
  { id: 'blosc', typesize: 1, clevel: 7, shuffle: 2, zstdLevel: 7 },
  { id: 'blosc', typesize: 2, clevel: 7, shuffle: 1 },
  { id: 'blosc', typesize: 4, clevel: 9, shuffle: 0, zstdLevel: 3 },
  { id: 'zstd', level: 7 },
];

describe('EncoderPool', () => {
  it('encodes the bytes the main thread encodes, within the in-flight bound per worker', async () => {
    const pool = EncoderPool.create(3, STORE)!;
    expect(pool).not.toBeNull();
    const main = new ChunkEncoder();
    const got = new Map<number, Uint8Array>();
    const want = new Map<number, Uint8Array>();
    let refused = 0;
    let maxInFlight = 0;
    try {
      // 40 chunks of 1–2 MB handed out back to back: more than the workers may hold at once.
      const raws: Uint8Array[] = [];
      for (let i = 0; i < 40; i++) {
        const raw = chunkBytes(1_000_000 + i * 25_013, i);
        raws.push(raw);
        const codec = codecs[i % codecs.length]!;
        if (!pool.submit(raw, codec, (out) => got.set(i, out))) {
          refused++;
          got.set(i, main.encode(raw, codec).slice()); // what the store does: encode it here
        }
        maxInFlight = Math.max(maxInFlight, pool.inFlight);
        const slots = (pool as unknown as { slots: { inFlight: number; bytes: number }[] }).slots;
        for (const s of slots) expect(s.inFlight < MIN_IN_FLIGHT_PER_WORKER || s.bytes <= IN_FLIGHT_BYTES_PER_WORKER, `${s.inFlight} chunks, ${s.bytes} bytes`).toBe(true);
        expect(pool.inFlight).toBe(slots.reduce((a, s) => a + s.inFlight, 0));
      }
      await pool.drain();
      // The caller's bytes were copied, not taken.
      raws.forEach((raw, i) => expect(Buffer.from(raw).equals(Buffer.from(chunkBytes(1_000_000 + i * 25_013, i)))).toBe(true));
      raws.forEach((raw, i) => want.set(i, main.encode(raw, codecs[i % codecs.length]!).slice()));
    } finally {
      pool.close();
    }
    expect(pool.workers).toBe(2);
    expect(pool.encoded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(pool.encoded + refused).toBe(40);
    expect(maxInFlight).toBeGreaterThan(1);
    for (const [i, bytes] of want) expect(Buffer.from(got.get(i)!).equals(Buffer.from(bytes)), `chunk ${i}`).toBe(true);
  }, 60_000);

  it('is not created for one thread, and refuses a thread count that is not an integer >= 1', () => {
    expect(EncoderPool.create(1, STORE)).toBeNull();
    for (const n of [0, -2, 2.5, Number.NaN]) expect(() => EncoderPool.create(n, STORE)).toThrow(RangeError);
  });

  it('an error thrown encoding in a worker reaches the caller as the error the main thread throws', async () => {
    const codec = { id: 'blosc', typesize: 0, clevel: 7, shuffle: 1 } as const; // typesize 0: RangeError
    const raw = chunkBytes(50_000, 1);
    let mainErr: unknown;
    try {
      new ChunkEncoder().encode(raw, codec);
    } catch (err) {
      mainErr = err;
    }
    expect(mainErr).toBeInstanceOf(RangeError);
    const pool = EncoderPool.create(2, STORE)!;
    try {
      expect(pool.submit(raw.slice(), codec, () => undefined)).toBe(true);
      const err = await pool.drain().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toBe((mainErr as Error).message);
      // Later calls throw it too, and nothing more is handed out.
      expect(() => pool.submit(raw.slice(), codecs[0]!, () => undefined)).toThrow((mainErr as Error).message);
    } finally {
      pool.close();
    }
  }, 30_000);

  it("rebuilds the Zarr writer's typed errors with their class, code and fields", () => {
    const errors = [
      new CodecUnavailableError({ cause: new Error('libzstd.so: cannot open') }),
      new BloscFrameError('header says cbytes 120 but the frame has 100 bytes'),
      new ZarrSpecError('call_genotype', 'chunk [9] is outside the chunk grid [2]'),
      new ZarrStateError('/out/x.vcz', 'the store is aborted; no more writes'),
      new RangeError('blosc typesize must be 1..255, got 0'),
    ];
    for (const e of errors) {
      // Through structured clone, as a worker's answer travels.
      const back = rebuildError(structuredClone(flattenError(e)), STORE);
      expect(back.constructor).toBe(e.constructor);
      expect(back.message).toBe(e.message);
      for (const k of ['code', 'reason', 'array', 'path'] as const) expect((back as unknown as Record<string, unknown>)[k]).toEqual((e as unknown as Record<string, unknown>)[k]);
    }
    // Anything else names the store and the worker's error.
    const other = rebuildError(flattenError(new Error('boom')), STORE);
    expect(other).toBeInstanceOf(ZarrStateError);
    expect(other.message).toContain(STORE);
    expect(other.message).toContain('boom');
  });

  it('a worker thread that stops with chunks in flight fails the pool with a ZarrStateError naming the store', async () => {
    const pool = EncoderPool.create(2, STORE)!;
    try {
      expect(pool.submit(chunkBytes(4_000_000, 2), { id: 'blosc', typesize: 1, clevel: 9, shuffle: 2 }, () => undefined)).toBe(true);
      // What an out-of-memory kill or a crash of the thread looks like from here.
      await (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0]!.worker.terminate();
      const err = await pool.drain().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ZarrStateError);
      expect((err as ZarrStateError).code).toBe('zarr-state');
      expect((err as Error).message).toContain(STORE);
      expect((err as Error).message).toMatch(/worker thread 0 stopped .*--threads 1/);
    } finally {
      pool.close();
    }
  }, 30_000);
});
