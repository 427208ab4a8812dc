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
 * Memory bound, per worker: a chunk (of R raw bytes) is handed to a worker
 * only while the worker has fewer than {@link MIN_IN_FLIGHT_PER_WORKER}
 * chunks in flight (queued, being encoded, or encoded and not yet written)
 * or their raw bytes plus R stay within {@link IN_FLIGHT_BYTES_PER_WORKER}
 * (16 MiB); else the main thread encodes it. So with R the largest chunk's
 * raw bytes, a worker's chunks hold at most max(16 MiB, 2 R) of raw bytes
 * (each freed once encoded; its encoded result is smaller than R + 0.4%),
 * plus R for the one being encoded (raw and result at once), plus the
 * encoder's scratch buffers (the shuffle buffer, R, and one compress bound,
 * ≤ R + 0.4% + 512 B): about max(16 MiB, 2 R) + 3 R, i.e. 22 MB for the
 * bench cohort's 2 MB `call_genotype` chunks and 100 MB for the default
 * chunk of 1,000 variants × 10,000 samples × ploidy 2 int8 (R = 20 MB);
 * plus the thread's own V8 heap (~10 MB). The main thread's share is the
 * export's own (docs/vcz-export.md). test/vcz/export-threads.test.ts
 * measures peak RSS against this bound.
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
import { MessageChannel, type MessagePort, receiveMessageOnPort, type TransferListItem, Worker } from 'node:worker_threads';
import type { ChunkCodec } from './chunk-encoder.ts';
import { ZarrStateError } from './errors.ts';
import { type EncodeJob, type EncodeResult, rebuildError } from './pool-protocol.ts';

/** A worker always takes a chunk while it has fewer than this many in flight (the memory bound above). */
export const MIN_IN_FLIGHT_PER_WORKER = 2;
/** Raw bytes of the chunks in flight per worker beyond {@link MIN_IN_FLIGHT_PER_WORKER} chunks (the memory bound above). */
export const IN_FLIGHT_BYTES_PER_WORKER = 16 * 1024 * 1024;

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
export type WorkerEntry = { readonly file: string } | { readonly code: string };

const entryCache = new Map<string, WorkerEntry | null>();

/**
 * Where a worker thread's code is, or null when it cannot be found: running
 * bundled, `<name>.cjs` next to the bundle (scripts/build.mjs builds it);
 * from the sources, the TypeScript file `source` (a file URL) through tsx.
 */
export function workerEntry(name: string, source: string): WorkerEntry | null {
  const known = entryCache.get(name);
  if (known !== undefined) return known;
  let entry: WorkerEntry | null = null;
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    // The sources, through tsx (vitest, tsx, bin/vczdepot.cjs's fallback): register tsx in the worker, then load the .ts entry.
    try {
      const tsx = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
      const api = pathToFileURL(join(tsx, 'dist', 'esm', 'api', 'index.mjs')).href;
      if (existsSync(fileURLToPath(api)) && existsSync(fileURLToPath(source))) entry = { code: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });` };
    } catch {
      // no tsx: no workers
    }
  } else {
    const file = join(dirname(here), `${name}.cjs`);
    if (existsSync(file)) entry = { file };
  }
  entryCache.set(name, entry);
  return entry;
}

/** Starts a worker thread at `entry` with `workerData` (the objects of `transferList` moved to it). */
export function startWorker(entry: WorkerEntry, workerData: unknown, transferList: readonly TransferListItem[] = []): Worker {
  const opts = { workerData, transferList: [...transferList] as never[] };
  return 'file' in entry ? new Worker(entry.file, opts) : new Worker(entry.code, { ...opts, eval: true });
}

/** The chunk encoder worker's code (./encode-worker.ts). */
function encoderEntry(): WorkerEntry | null {
  return workerEntry('encode-worker', new URL('./encode-worker.ts', import.meta.url).href);
}

/** `Atomics.waitAsync` (ES2024; in Node since 16), typed here for the ES2023 lib of tsconfig. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false; value: string } | { async: true; value: Promise<string> } }).waitAsync;

interface Slot {
  readonly worker: Worker;
  /** The main thread's end of the worker's result channel, read by polling (receiveMessageOnPort). */
  readonly results: MessagePort;
  readonly index: number;
  inFlight: number;
  /** Raw bytes of the chunks in flight. */
  bytes: number;
}

/** A pool of chunk encoder worker threads for one store; see the module comment. */
export class EncoderPool {
  private readonly slots: Slot[] = [];
  private readonly jobs = new Map<number, { readonly slot: Slot; readonly bytes: number; readonly done: (out: Uint8Array) => void }>();
  private nextId = 0;
  /** Raw-chunk buffers the workers handed back, for reuse. */
  private readonly free: ArrayBuffer[] = [];
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
    const entry = encoderEntry();
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
   * `maxWorkers` run and all are busy): `raw` is copied (into a buffer the
   * workers hand back for reuse, so freed memory does not wait for a
   * garbage collection in another thread), and `done` gets the encoded
   * bytes on the main thread, from a later {@link submit}, {@link poll} or
   * {@link drain}.
   *
   * @returns false when no worker has room (the memory bound in the module
   *   comment): encode this one yourself
   * @throws the first failure of an earlier chunk (see {@link drain})
   */
  submit(raw: Uint8Array, codec: ChunkCodec, done: (out: Uint8Array) => void): boolean {
    this.poll();
    this.check();
    let slot = this.slots.find((s) => s.inFlight === 0);
    if (!slot && this.slots.length < this.maxWorkers) slot = this.spawn();
    if (!slot) {
      const room = (s: Slot) => s.inFlight < MIN_IN_FLIGHT_PER_WORKER || s.bytes + raw.length <= IN_FLIGHT_BYTES_PER_WORKER;
      for (const s of this.slots) if (room(s) && (!slot || s.bytes < slot.bytes)) slot = s;
    }
    if (!slot) return false;
    const id = this.nextId++;
    if (slot.inFlight++ === 0) slot.worker.ref();
    slot.bytes += raw.length;
    this.jobs.set(id, { slot, bytes: raw.length, done });
    const copy = this.buffer(raw.length);
    copy.set(raw);
    const job: EncodeJob = { id, raw: copy, codec };
    slot.worker.postMessage(job, [copy.buffer as ArrayBuffer]);
    return true;
  }

  /** A view of `n` bytes over a buffer of its own: a returned one large enough, or a new one. */
  private buffer(n: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) if (this.free[i]!.byteLength >= n && (best < 0 || this.free[i]!.byteLength < this.free[best]!.byteLength)) best = i;
    if (best < 0) return new Uint8Array(n);
    const [buf] = this.free.splice(best, 1);
    return new Uint8Array(buf!, 0, n);
  }

  /** Keeps a buffer a worker handed back, for {@link buffer}; at most as many as the workers can hold, plus one each. */
  private recycle(buf: ArrayBuffer): void {
    this.free.push(buf);
    const keep = this.maxWorkers * (MIN_IN_FLIGHT_PER_WORKER + 1);
    if (this.free.length > keep) {
      this.free.sort((a, b) => b.byteLength - a.byteLength);
      this.free.length = keep;
    }
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
    const worker = startWorker(this.entry, workerData, [port2]);
    worker.unref();
    port1.unref();
    const slot: Slot = { worker, results: port1, index, inFlight: 0, bytes: 0 };
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
    slot.bytes -= job.bytes;
    if (msg.raw) this.recycle(msg.raw.buffer as ArrayBuffer);
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
