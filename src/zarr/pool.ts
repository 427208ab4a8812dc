/**
 * A pool of chunk encoder worker threads (`node:worker_threads`) for the
 * Zarr writer (./store.ts): `threads − 1` workers compress chunks (Blosc or
 * zstd, ./chunk-encoder.ts) while the main thread gathers the next ones, and
 * the main thread encodes a chunk itself when every worker is full, so all
 * `threads` threads compress and none waits for another.
 *
 * Determinism: a chunk's bytes depend only on its raw bytes and codec (the
 * same ./chunk-encoder.ts code in every thread), and each chunk is its own
 * file, so the store's files are byte-identical for any number of threads;
 * only the order in which files are created differs (a zip's entries are
 * sorted by key, ./store.ts).
 *
 * Memory bound: at most {@link IN_FLIGHT_PER_WORKER} chunks are in flight
 * per worker (queued, being encoded, or encoded and not yet written). For a
 * largest chunk of R raw bytes, a worker holds at most
 * IN_FLIGHT_PER_WORKER × (R + zstd's bound on R) for its chunks (the raw copy
 * handed to it, the encoded result) plus its encoder's scratch buffers
 * (R for the shuffle, the compress bound of one 512 KiB Blosc block or, for
 * plain zstd, of R): about 6 R with the default 2, e.g. 120 MB for the
 * default 1,000 variants × 10,000 samples × ploidy 2 int8 `call_genotype`
 * chunk (R = 20 MB), plus the worker's own V8 heap (~10 MB).
 *
 * Where the worker's code is: next to a bundle (`dist/encode-worker.cjs`,
 * scripts/build.mjs) when this module runs bundled, else
 * ./encode-worker.ts through tsx (a checkout: tests, `bin/vczdepot.cjs`'s
 * fallback). When neither is found (a bundle without the worker file, or
 * tsx missing) the pool is not created and the main thread encodes every
 * chunk: the bytes are the same, only slower.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { ChunkCodec } from './chunk-encoder.ts';
import { ZarrStateError } from './errors.ts';
import { type EncodeJob, type EncodeResult, rebuildError } from './pool-protocol.ts';

/** Chunks in flight per worker thread at most (the memory bound above). */
export const IN_FLIGHT_PER_WORKER = 2;

/**
 * Chunks of fewer raw bytes are encoded on the main thread: handing them to
 * a worker (a copy, two messages) costs about what encoding them does.
 */
export const MIN_WORKER_CHUNK_BYTES = 8192;

/** The default thread count: the machine's available parallelism (`os.availableParallelism()`). */
export function defaultThreads(): number {
  return availableParallelism();
}

/** How to start a worker: a file (the bundle's), or code to evaluate (tsx, then the .ts entry). */
type WorkerEntry = { readonly file: string } | { readonly code: string };

let entryCache: WorkerEntry | null | undefined;

/** Where the worker's code is, or null when it cannot be found (see the module comment). */
function workerEntry(): WorkerEntry | null {
  if (entryCache !== undefined) return entryCache;
  entryCache = null;
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    // The sources, through tsx (vitest, tsx, bin/vczdepot.cjs's fallback): register tsx in the worker, then load the .ts entry.
    try {
      const tsx = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
      const api = pathToFileURL(join(tsx, 'dist', 'esm', 'api', 'index.mjs')).href;
      const entry = pathToFileURL(join(dirname(here), 'encode-worker.ts')).href;
      if (existsSync(fileURLToPath(api))) entryCache = { code: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });` };
    } catch {
      // no tsx: no workers
    }
  } else {
    const file = join(dirname(here), 'encode-worker.cjs');
    if (existsSync(file)) entryCache = { file };
  }
  return entryCache;
}

/** `Atomics.waitAsync` (ES2024; in Node since 16), typed here for the ES2023 lib of tsconfig. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false; value: string } | { async: true; value: Promise<string> } }).waitAsync;

interface Slot {
  readonly worker: Worker;
  /** The main thread's end of the worker's result channel, read by polling (receiveMessageOnPort). */
  readonly results: MessagePort;
  readonly index: number;
  inFlight: number;
}

/** A pool of chunk encoder worker threads for one store; see the module comment. */
export class EncoderPool {
  private readonly slots: Slot[] = [];
  private readonly jobs = new Map<number, { readonly slot: Slot; readonly done: (out: Uint8Array) => void }>();
  private nextId = 0;
  private failure: unknown;
  private failed = false;
  private closed = false;
  /** [0]: results posted by all workers so far; a worker adds 1 and notifies after each (see {@link drain}). */
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  /** Chunks encoded by worker threads so far. */
  encoded = 0;

  private constructor(
    /** Worker threads at most (started as needed). */
    readonly maxWorkers: number,
    private readonly storePath: string,
    private readonly entry: WorkerEntry,
  ) {}

  /**
   * A pool of `threads − 1` workers for the store at `storePath` (named in
   * errors), or null when `threads` ≤ 1 or the worker's code is not found.
   * No worker starts until the first {@link submit}.
   *
   * @throws RangeError when `threads` is not an integer ≥ 1
   */
  static create(threads: number, storePath: string): EncoderPool | null {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer >= 1, got ${threads}`);
    if (threads === 1) return null;
    const entry = workerEntry();
    return entry ? new EncoderPool(threads - 1, storePath, entry) : null;
  }

  /** Chunks handed to workers and not yet done. */
  get inFlight(): number {
    return this.jobs.size;
  }

  /** Worker threads started. */
  get workers(): number {
    return this.slots.length;
  }

  /**
   * Hands one chunk to a worker with room (starting one if fewer than
   * `maxWorkers` run and all are busy): `raw` is transferred (the caller
   * must not use it again; its buffer must be its own, offset 0), and
   * `done` gets the encoded bytes on the main thread, from the event loop.
   *
   * @returns false when every worker already has {@link IN_FLIGHT_PER_WORKER}
   *   chunks: encode this one yourself
   * @throws the first failure of an earlier chunk (see {@link drain})
   */
  submit(raw: Uint8Array, codec: ChunkCodec, done: (out: Uint8Array) => void): boolean {
    this.poll();
    this.check();
    let slot = this.slots.find((s) => s.inFlight === 0);
    if (!slot && this.slots.length < this.maxWorkers) slot = this.spawn();
    if (!slot) {
      for (const s of this.slots) if (s.inFlight < IN_FLIGHT_PER_WORKER && (!slot || s.inFlight < slot.inFlight)) slot = s;
    }
    if (!slot) return false;
    const id = this.nextId++;
    if (slot.inFlight++ === 0) slot.worker.ref();
    this.jobs.set(id, { slot, done });
    const job: EncodeJob = { id, raw, codec };
    slot.worker.postMessage(job, [raw.buffer as ArrayBuffer]);
    return true;
  }

  /**
   * Waits until every chunk handed out is done (its `done` has run).
   *
   * @throws the first failure: the error encoding a chunk threw in a worker,
   *   rebuilt as the same class (./pool-protocol.ts), an error thrown by a
   *   `done` callback (e.g. ENOSPC writing the chunk), or a ZarrStateError
   *   when a worker thread stopped
   */
  async drain(): Promise<void> {
    for (;;) {
      const seen = Atomics.load(this.posted, 0);
      this.poll();
      if (this.jobs.size === 0 || this.failed || this.closed) break;
      // Sleep until a worker posts a result (or 100 ms: a stopped worker's 'exit' event comes through the event loop).
      const r = waitAsync(this.posted, 0, seen, 100);
      if (r.async) await r.value;
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.check();
  }

  /** Settles every result the workers have posted (without waiting): runs each chunk's `done`. */
  poll(): void {
    for (const slot of this.slots) {
      for (let m = receiveMessageOnPort(slot.results); m !== undefined && !this.closed; m = receiveMessageOnPort(slot.results)) this.settle(slot, m.message as EncodeResult);
    }
  }

  /** Throws the first failure, if any. */
  check(): void {
    if (this.failed) throw this.failure;
  }

  /** Stops every worker; chunks in flight are dropped. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.jobs.clear();
    for (const s of this.slots) {
      s.results.close();
      void s.worker.terminate().catch(() => undefined);
    }
  }

  private spawn(): Slot {
    const index = this.slots.length;
    const { port1, port2 } = new MessageChannel();
    const workerData = { results: port2, posted: this.posted };
    const worker = 'file' in this.entry ? new Worker(this.entry.file, { workerData, transferList: [port2] }) : new Worker(this.entry.code, { eval: true, workerData, transferList: [port2] });
    worker.unref();
    port1.unref();
    const slot: Slot = { worker, results: port1, index, inFlight: 0 };
    worker.on('error', (err) => this.fail(new ZarrStateError(this.storePath, `chunk encoder worker thread ${index} failed: ${err.message}; rerun with one thread (--threads 1)`, { cause: err })));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(new ZarrStateError(this.storePath, `chunk encoder worker thread ${index} stopped (exit code ${code}) with ${slot.inFlight} chunks in flight; rerun with one thread (--threads 1)`));
    });
    this.slots.push(slot);
    return slot;
  }

  private settle(slot: Slot, msg: EncodeResult): void {
    const job = this.jobs.get(msg.id);
    if (!job || this.closed) return;
    this.jobs.delete(msg.id);
    if (--slot.inFlight === 0) slot.worker.unref();
    if ('error' in msg) this.fail(rebuildError(msg.error, this.storePath));
    else if (!this.failed) {
      try {
        job.done(msg.out);
        this.encoded++;
      } catch (err) {
        this.fail(err);
      }
    }
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    if (!this.failed) {
      this.failed = true;
      this.failure = err;
    }
  }
}
