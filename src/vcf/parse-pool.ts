/**
 * A pool of VCF parser worker threads (`node:worker_threads`) for one
 * threaded streaming read (`readVcfWindows` with `threads` > 1, ./builder.ts):
 * `threads − 1` workers parse windows of sample columns
 * (./window-parse.ts, ./parse-worker.ts) while the main thread reads the
 * file, its fixed columns and INFO, and stages the calls; a window every
 * worker is too busy for (each has {@link MAX_IN_FLIGHT}) waits for one,
 * and the main thread parses it itself only when it would otherwise wait
 * (./builder.ts, submitWaiting), so no thread waits for another.
 *
 * Memory bound, per worker: at most {@link MAX_IN_FLIGHT} windows in
 * flight, each its text T (the window's FORMAT and sample columns as in
 * the file, decompressed) and, once parsed, its calls G (the window's
 * calls in the narrowest dtypes: about variants × samples × (ploidy + 1 +
 * FORMAT values) bytes); plus the worker's own columns C (≈ G) and its V8
 * isolate: 3 (T + G) + C + isolate. docs/scale.md, "Import on every core",
 * gives the numbers.
 *
 * Where the worker's code is: next to a bundle (`dist/vcf-worker.cjs`,
 * scripts/build.mjs) when this module runs bundled, else ./parse-worker.ts
 * through tsx (a checkout). When neither is found the pool is not created
 * and the read parses on the main thread alone: the same calls, slower.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { VcfWorkerError } from './errors.ts';
import type { MetaLine } from './header.ts';
import type { VcfCallShape } from './types.ts';
import type { PackedWindow, WindowBatch } from './window-parse.ts';

/** Windows a worker holds at once (queued, being parsed, or parsed and not yet taken). */
export const MAX_IN_FLIGHT = 3;

type WorkerEntry = { readonly file: string } | { readonly code: string };
let entryCache: WorkerEntry | null | undefined;

/** Where the worker's code is, or null when it cannot be found (module comment). */
function workerEntry(): WorkerEntry | null {
  if (entryCache !== undefined) return entryCache;
  entryCache = null;
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    try {
      const tsx = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
      const api = pathToFileURL(join(tsx, 'dist', 'esm', 'api', 'index.mjs')).href;
      const entry = pathToFileURL(join(dirname(here), 'parse-worker.ts')).href;
      if (existsSync(fileURLToPath(api))) entryCache = { code: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });` };
    } catch {
      // no tsx: no workers
    }
  } else {
    const file = join(dirname(here), 'vcf-worker.cjs');
    if (existsSync(file)) entryCache = { file };
  }
  return entryCache;
}

/** `Atomics.waitAsync` (ES2024; in Node since 16), typed here for the ES2023 lib of tsconfig. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false; value: string } | { async: true; value: Promise<string> } }).waitAsync;

/** The header a worker parses the file's sample columns with, and the alleles dimension. */
export interface ParseInit {
  readonly file: string;
  readonly metaLines: readonly MetaLine[];
  readonly chromLine: string;
  readonly chromLineNo: number;
  readonly maxAlleles: number;
}

/** A window's answer: its packed calls, or undefined when parsing it threw (the main thread parses it again). */
export type ParseResult = (id: number, packed: PackedWindow | undefined, text: Uint8Array) => void;

interface Slot {
  readonly worker: Worker;
  readonly results: MessagePort;
  readonly index: number;
  inFlight: number;
}

/** A pool of VCF parser worker threads; see the module comment. */
export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly owner = new Map<number, Slot>();
  private readonly free: ArrayBuffer[] = [];
  private failure: unknown;
  private failed = false;
  private closed = false;
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  /** Windows parsed by worker threads so far. */
  parsed = 0;

  private constructor(
    readonly maxWorkers: number,
    private readonly init: ParseInit,
    private readonly entry: WorkerEntry,
    private readonly onResult: ParseResult,
  ) {}

  /**
   * A pool of `threads − 1` workers, or null when `threads` is 1 or the
   * worker's code is not found. Workers start at the first {@link submit}.
   *
   * @throws RangeError when `threads` is not an integer ≥ 1
   */
  static create(threads: number, init: ParseInit, onResult: ParseResult): ParsePool | null {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer >= 1, got ${threads}`);
    if (threads === 1) return null;
    const entry = workerEntry();
    return entry ? new ParsePool(threads - 1, init, entry, onResult) : null;
  }

  /** Windows handed to workers and not yet answered. */
  get inFlight(): number {
    return this.owner.size;
  }

  /**
   * Hands window `id` to the least-loaded worker with room (its text is
   * transferred: `batch.text` is detached on return), starting a worker
   * when all running ones are busy.
   *
   * @returns false when every worker has {@link MAX_IN_FLIGHT} windows: submit it later, or parse it yourself
   * @throws the failure of a worker thread (VcfWorkerError)
   */
  submit(id: number, batch: WindowBatch, floor: VcfCallShape | undefined): boolean {
    this.poll();
    this.check();
    let slot = this.slots.find((s) => s.inFlight === 0);
    if (!slot && this.slots.length < this.maxWorkers) slot = this.spawn();
    if (!slot) for (const s of this.slots) if (s.inFlight < MAX_IN_FLIGHT && (!slot || s.inFlight < slot.inFlight)) slot = s;
    if (!slot) return false;
    if (slot.inFlight++ === 0) slot.worker.ref();
    this.owner.set(id, slot);
    slot.worker.postMessage({ id, batch, floor }, [batch.text.buffer as ArrayBuffer]);
    return true;
  }

  /** A buffer of at least `n` bytes for a window's text: one a worker handed back, or a new one. */
  buffer(n: number): Uint8Array {
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i]!.byteLength >= n) return new Uint8Array(this.free.splice(i, 1)[0]!);
    }
    return new Uint8Array(Math.max(n, 1 << 20));
  }

  /** Keeps a window's text buffer for {@link buffer} once the window is handed out (at most as many as the workers can hold, plus one each). */
  recycle(text: Uint8Array): void {
    if (this.free.length < this.maxWorkers * (MAX_IN_FLIGHT + 1) && text.buffer.byteLength > 0) this.free.push(text.buffer as ArrayBuffer);
  }

  /** Settles every answer posted so far (without waiting): runs `onResult` for each. */
  poll(): void {
    for (const slot of this.slots) {
      for (let m = receiveMessageOnPort(slot.results); m !== undefined && !this.closed; m = receiveMessageOnPort(slot.results)) {
        const msg = m.message as { id: number; packed?: PackedWindow; failed?: true; text: Uint8Array };
        if (!this.owner.delete(msg.id)) continue;
        if (--slot.inFlight === 0) slot.worker.unref();
        if (msg.packed) this.parsed++;
        this.onResult(msg.id, msg.packed, msg.text);
      }
    }
  }

  /**
   * Waits until a worker posts an answer (or 100 ms pass: a stopped
   * worker's 'exit' event comes through the event loop), then settles what
   * was posted.
   *
   * @throws the failure of a worker thread (VcfWorkerError)
   */
  async wait(): Promise<void> {
    const seen = Atomics.load(this.posted, 0);
    this.poll();
    this.check();
    if (this.owner.size === 0) return;
    const r = waitAsync(this.posted, 0, seen, 100);
    if (r.async) await r.value;
    else await new Promise<void>((resolve) => setImmediate(resolve));
    this.poll();
    this.check();
  }

  /** Throws the first failure, if any. */
  check(): void {
    if (this.failed) throw this.failure;
  }

  /** Stops every worker; windows in flight are dropped. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.clear();
    for (const s of this.slots) {
      s.results.close();
      void s.worker.terminate().catch(() => undefined);
    }
  }

  private spawn(): Slot {
    const index = this.slots.length;
    const { port1, port2 } = new MessageChannel();
    const workerData = { ...this.init, metaLines: [...this.init.metaLines], results: port2, posted: this.posted };
    const worker = 'file' in this.entry ? new Worker(this.entry.file, { workerData, transferList: [port2] }) : new Worker(this.entry.code, { eval: true, workerData, transferList: [port2] });
    worker.unref();
    port1.unref();
    const slot: Slot = { worker, results: port1, index, inFlight: 0 };
    const file = this.init.file;
    worker.on('error', (err) => this.fail(new VcfWorkerError(file, `thread ${index}: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(new VcfWorkerError(file, `thread ${index} stopped with exit code ${code}, ${slot.inFlight} window(s) in flight`));
    });
    this.slots.push(slot);
    return slot;
  }

  private fail(err: unknown): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    this.failure = err;
  }
}
