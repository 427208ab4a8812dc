/**
 * An export on every core (docs/scale.md, "Every core"): worker threads that
 * each rebuild the export source themselves (for a depot: open it
 * read-only, src/io/export-worker.ts), read the records, build the call
 * tiles, encode them and write the chunk files, while the main thread writes
 * what needs the whole set (metadata, `sample_id`, `contig_*`, `filter_*`,
 * `region_index`, the recomputed AC/AN/AF from the counts the workers
 * report) — an in-process partitioned export (./export-parts.ts) without
 * the work directory.
 *
 * Threads: `threads` N means N threads building: N − 1 workers and the
 * main thread, which builds items too (`BuildJob.buildItem`, its own writer)
 * between its small jobs (dealing with the workers' reports). With a store
 * backend (an S3 upload) the main thread builds none: it puts the workers'
 * chunks, and there are N workers.
 *
 * Dealing: the items (samples-chunk column sc, variant chunk c) are numbered
 * in the one-thread export's order (column by column, ascending variant
 * chunks: i = sc · variantChunks + c). Worker k's first item is k, the main
 * thread's first is N − 1 (so every thread builds at least one, whichever
 * starts first); after that each thread takes the next number from a shared
 * counter (`Atomics.add` on a SharedArrayBuffer) when it has finished its
 * last item — no round trip through the main thread, so a worker does not
 * wait while the main thread builds, a slow chunk does not hold the others
 * back, and a thread's consecutive items share record blocks. A chunk's
 * bytes are a deterministic function of (data, options, chunk) and every
 * chunk is its own file, so the store does not depend on which thread wrote
 * what.
 *
 * Where chunks go: into the store's temporary directory (a directory or a
 * `.vcz.zip`, zipped by the main thread at the end), or, with a store
 * backend (an S3 upload), back to the main thread with the item's "done"
 * message, which puts them and waits for the backend's `ready()` before
 * telling that worker to take its next item (the upload's bound holds).
 *
 * Start: a worker may be started before its job is known (`prestart`: it
 * builds its source while the main thread builds its own). Its first
 * message is `{t: 'job', init, check}` ({@link ExportWorkerStart}: the job,
 * and what its source must match) or `{t: 'stop'}` (not needed: it exits).
 *
 * Protocol: worker → main `{t: 'done', sc, c, counts, chunks, bytes,
 * files?}`, `{t: 'finished'}` (no items left: it exits), `{t: 'error',
 * error}` ({@link flattenWorkerError}); main → worker, with a backend only,
 * `{t: 'go'}` (the last item's chunks are taken: take the next).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads';
import { startWorker, type WorkerEntry, type ZarrStoreBackend, ZarrStateError } from '../zarr/index.ts';
import { exportVcz } from './export.ts';
import type { BuildJob, ExportBuilders, ExportOptions } from './export-types.ts';
import type { ExportSource } from './export-types.ts';

/** The options that change chunk bytes: what a worker's export takes from the main thread's. */
export type ChunkOptions = Pick<ExportOptions, 'zarrFormat' | 'variantsChunkSize' | 'samplesChunkSize' | 'compressor' | 'zstdLevel' | 'bloscZstdLevel' | 'updateInfo' | 'localAlleles'>;

/** The options of `o` that change chunk bytes (structured-cloneable). */
export function chunkOptions(o: ExportOptions): ChunkOptions {
  const out: { -readonly [K in keyof ChunkOptions]: ChunkOptions[K] } = {};
  for (const k of ['zarrFormat', 'variantsChunkSize', 'samplesChunkSize', 'compressor', 'zstdLevel', 'bloscZstdLevel', 'updateInfo', 'localAlleles'] as const) {
    if (o[k] !== undefined) (out as Record<string, unknown>)[k] = o[k];
  }
  return out;
}

/** How a worker takes its items (see the module comment, "Dealing"). */
export interface ExportDeal {
  /** The next item number to take (one int32 on a SharedArrayBuffer, shared by every thread of the export). */
  readonly claim: Int32Array;
  /** Items: variantChunks × columns; item i is (sc, c) = (⌊i / variantChunks⌋, i mod variantChunks). */
  readonly total: number;
  readonly variantChunks: number;
  /** This worker's first item. */
  readonly first: number;
  /** Wait for the main thread's `{t: 'go'}` after each item before taking the next (chunks posted back to a backend). */
  readonly paced: boolean;
}

/** What a worker is told about its export: the store's name, where chunks go, the chunk options and how to take items. */
export interface ExportWorkerInit {
  /** The store's name in errors. */
  readonly out: string;
  /** The directory chunk files are written under (their store keys), or undefined: post them back. */
  readonly dir: string | undefined;
  readonly options: ChunkOptions;
  readonly deal: ExportDeal;
}

/** An error as it crosses threads: its class name, message, stack, own fields (strings, numbers, booleans, arrays of them) and cause. */
export interface FlatWorkerError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly props: Readonly<Record<string, unknown>>;
  readonly cause?: FlatWorkerError;
}

const plain = (v: unknown): boolean => v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v);

/** The class name, message, stack, own fields and cause of `err` (any thrown value), to post to another thread. */
export function flattenWorkerError(err: unknown, depth = 0): FlatWorkerError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), props: {} };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (k === 'cause' || k === 'stack' || k === 'message') continue;
    if (plain(v) || (Array.isArray(v) && v.every(plain))) props[k] = v;
  }
  const cause = err.cause !== undefined && depth < 4 ? { cause: flattenWorkerError(err.cause, depth + 1) } : {};
  return { name: err.name, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}), props, ...cause };
}

/** An error class that can be rebuilt by name. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The error `flat` describes, as the class that threw it on the worker
 * (`classOf(name)`, e.g. src/errors.ts `namedErrorClass`; the built-in Error, RangeError and TypeError): the
 * same class, message, stack and fields (a Node system error keeps `code`,
 * `syscall`, `path`, so it is reported as with one thread), without running
 * the class's constructor. An unknown class becomes a ZarrStateError of the
 * store `out` naming it.
 */
export function rebuildWorkerError(flat: FlatWorkerError, classOf: (name: string) => ErrorClass | undefined, out: string): Error {
  const builtin: Record<string, ErrorClass> = { Error, RangeError, TypeError };
  const cls = classOf(flat.name) ?? builtin[flat.name];
  if (!cls) return new ZarrStateError(out, `an export worker thread failed: ${flat.name}: ${flat.message}`);
  const e = Reflect.construct(Error, [flat.message], cls) as Error;
  Object.assign(e, flat.props);
  if (flat.stack !== undefined) e.stack = flat.stack;
  if (flat.cause) e.cause = rebuildWorkerError(flat.cause, classOf, out);
  return e;
}

/** How {@link threadBuilders} starts its workers. */
export interface ThreadBuildersSpec {
  /** Threads building at most (one per item at most): the main thread (when the job lets it build) and workers. */
  readonly threads: number;
  /** The worker's code: it builds the source, waits for its job and calls {@link serveExportItems}. */
  readonly entry: WorkerEntry;
  /** The `workerData` of every worker: what it needs to build its export source (the job comes by message). */
  readonly workerData: unknown;
  /** The export's chunk options (the main thread's). */
  readonly options: ChunkOptions;
  /** Rebuilds a worker's error as its class (see {@link rebuildWorkerError}). */
  rebuild(flat: FlatWorkerError, out: string): Error;
  /**
   * Workers to start now, before the job is known (default 0): each builds
   * its export source while the main thread builds its own, instead of
   * after (docs/scale.md, "Every core"). `run` starts any more it needs.
   */
  readonly prestart?: number;
}

/** The builders {@link threadBuilders} makes: `run` at most once, then `dispose` (in a finally). */
export interface ThreadBuilders extends ExportBuilders {
  /**
   * What every worker checks its own source against before it builds
   * (structured-cloneable, posted with the job; e.g. the main thread's
   * variant and sample counts). Set it before `run`.
   */
  check: unknown;
  /**
   * Stops the prestarted workers `run` did not take (all of them when it
   * never ran) and resolves once they have exited; call it whether the
   * export ran, failed or never started. Idempotent.
   */
  dispose(): Promise<void>;
}

/** How long a failed export waits for a worker to end its current item and exit before terminating it (ms). */
const WORKER_STOP_MS = 30_000;

type FromWorker =
  | { readonly t: 'done'; readonly sc: number; readonly c: number; readonly counts: Int32Array | null; readonly chunks: number; readonly bytes: number; readonly files?: [string, Uint8Array][] }
  | { readonly t: 'finished' }
  | { readonly t: 'error'; readonly error: FlatWorkerError };

/** The first message a worker gets: its job, or stop (a prestarted worker the export does not need). */
export type ExportWorkerStart = { readonly t: 'job'; readonly init: ExportWorkerInit; readonly check: unknown } | { readonly t: 'stop' };

/** A started worker whose 'exit' and 'error' are recorded from the start (an early 'error' is then not unhandled). */
interface Started {
  readonly worker: Worker;
  readonly exit: Promise<number>;
  exitCode?: number;
  error?: Error;
}

function start(spec: ThreadBuildersSpec): Started {
  const worker = startWorker(spec.entry, spec.workerData);
  const s: { worker: Worker; exit?: Promise<number>; exitCode?: number; error?: Error } = { worker };
  s.exit = new Promise((r) =>
    worker.once('exit', (code) => {
      s.exitCode = code;
      r(code);
    }),
  );
  worker.on('error', (err) => (s.error ??= err));
  return s as Started;
}

/** Tells `s` to stop (or, with `go`, that no item is left) and resolves once it exited: terminated only after WORKER_STOP_MS. */
function stopped(s: Started, message: ExportWorkerStart | { t: 'go' }): Promise<unknown> {
  if (s.exitCode !== undefined) return Promise.resolve();
  s.worker.postMessage(message);
  const timer = setTimeout(() => void s.worker.terminate().catch(() => 0), WORKER_STOP_MS);
  return s.exit.finally(() => clearTimeout(timer));
}

/**
 * Builders (`ExportOptions.builders`) that build every item of an export in
 * up to `spec.threads` threads: the main thread (`job.buildItem`, unless the
 * job has a backend) and worker threads; see the module comment. Starts
 * `spec.prestart` workers at once.
 *
 * Memory: each worker holds what a one-thread export of its items holds
 * (its own export source, one column's record blocks, one tile per call
 * array, the encoder's buffers; docs/vcz-export.md "Export memory bound"),
 * and, posting to a backend, one item's encoded chunks; the main thread
 * holds what a one-thread export holds.
 *
 * @throws (from `run`) a worker's error as its own class; ZarrStateError
 *   when a worker thread stops or fails to start; the error `job.onItem`,
 *   `job.buildItem` or the backend throws. Every worker has stopped, and
 *   the main thread builds no more, when `run` rejects.
 */
export function threadBuilders(spec: ThreadBuildersSpec): ThreadBuilders {
  const idle: Started[] = [];
  for (let k = 0; k < (spec.prestart ?? 0); k++) {
    try {
      idle.push(start(spec));
    } catch {
      break; // `run` starts the workers it needs again and reports the failure
    }
  }
  const builders: ThreadBuilders = {
    check: undefined,
    run: (job) => runThreads(spec, job, builders.check, idle),
    dispose: async () => {
      await Promise.all(idle.splice(0).map((s) => stopped(s, { t: 'stop' })));
    },
  };
  return builders;
}

function runThreads(spec: ThreadBuildersSpec, job: BuildJob, check: unknown, idle: Started[]): Promise<{ chunks: number; bytes: number; threads: number }> {
  const total = job.variantChunks * job.columns;
  const buildItem = job.backend ? undefined : job.buildItem;
  // Workers: threads − 1 when the main thread builds too (each thread gets at least one item), else threads.
  const n = total === 0 ? 0 : buildItem ? Math.max(0, Math.min(spec.threads - 1, total - 1)) : Math.max(1, Math.min(spec.threads, total));
  // Prestarted workers first; those not needed are stopped.
  const taken = idle.splice(0, n);
  const extra = Promise.all(idle.splice(0).map((s) => stopped(s, { t: 'stop' })));
  if (total === 0) return extra.then(() => ({ chunks: 0, bytes: 0, threads: 0 }));
  // Items 0 … n − 1 are the workers' first, item n the main thread's; the counter hands out the rest.
  const claim = new Int32Array(new SharedArrayBuffer(4));
  claim[0] = buildItem ? n + 1 : n;
  const deal = (first: number): ExportDeal => ({ claim, total, variantChunks: job.variantChunks, first, paced: job.backend !== undefined });
  return new Promise((resolve, reject) => {
    const workers: Started[] = [];
    let chunks = 0;
    let bytes = 0;
    let exited = 0;
    let mainDone = buildItem === undefined;
    let mainLoop: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      // Stop the workers cooperatively: no item is left to take (a paced worker gets a go-ahead to see it), so each
      // ends its current item and exits. Not Worker.terminate(): a worker stopped inside a native call that throws
      // (lmdb-js, zstd) aborts the whole process ("FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw",
      // nodejs/node-addon-api#902). terminate() stays the last resort for a worker that has not exited after
      // WORKER_STOP_MS. Reject once no thread writes anymore (the caller then removes the temporary store).
      Atomics.store(claim, 0, total);
      const stops = [...workers.map((s) => stopped(s, { t: 'go' })), ...taken.slice(workers.length).map((s) => stopped(s, { t: 'stop' }))];
      void Promise.all([...stops, extra, mainLoop.catch(() => undefined)]).then(() => reject(err));
    };
    const settle = (): void => {
      if (!failed && mainDone && exited === n) void extra.then(() => resolve({ chunks, bytes, threads: n + (buildItem ? 1 : 0) }));
    };
    for (let k = 0; k < n && !failed; k++) {
      let s: Started;
      try {
        s = taken[k] ?? start(spec);
      } catch (err) {
        fail(new ZarrStateError(job.out, `cannot start export worker thread ${k}: ${(err as Error).message}; rerun with one thread (--threads 1)`, { cause: err }));
        return;
      }
      workers.push(s);
      const w = s.worker;
      let finished = false;
      w.on('message', (m: FromWorker) => {
        if (failed) return;
        try {
          if (m.t === 'done') {
            chunks += m.chunks;
            bytes += m.bytes;
            if (m.files) for (const [key, data] of m.files) job.backend!.put(key, data, true); // transferred: the worker kept no reference
            job.onItem({ sc: m.sc, c: m.c }, m.counts, m.chunks);
            if (job.backend) job.backend.ready().then(() => w.postMessage({ t: 'go' }), fail);
          } else if (m.t === 'finished') finished = true;
          else if (m.t === 'error') fail(spec.rebuild(m.error, job.out));
        } catch (err) {
          fail(err);
        }
      });
      const onError = (err: Error): void => fail(new ZarrStateError(job.out, `export worker thread ${k} failed: ${err.message}; rerun with one thread (--threads 1)`, { cause: err }));
      const onExit = (code: number): void => {
        if (finished && code === 0) {
          exited++;
          settle();
          return;
        }
        fail(new ZarrStateError(job.out, `export worker thread ${k} stopped (exit code ${code}) before the export was complete; rerun with one thread (--threads 1)`));
      };
      // A prestarted worker may already have failed or ended (its 'error' and 'exit' were recorded).
      if (s.error) onError(s.error);
      else w.on('error', onError);
      if (s.exitCode !== undefined) onExit(s.exitCode);
      else void s.exit.then(onExit);
      if (!failed && s.exitCode === undefined) w.postMessage({ t: 'job', init: { out: job.out, dir: job.dir, options: spec.options, deal: deal(k) }, check } satisfies ExportWorkerStart);
    }
    if (buildItem) {
      mainLoop = (async () => {
        for (let i = n; !failed && i < total; i = Atomics.add(claim, 0, 1)) await buildItem({ sc: Math.floor(i / job.variantChunks), c: i % job.variantChunks });
      })();
      mainLoop.then(() => {
        mainDone = true;
        settle();
      }, fail);
    }
  });
}

/**
 * The worker side of {@link threadBuilders}: exports `source` (rebuilt in
 * this thread, equal to the main thread's) item by item, taking its first
 * item and then the next free one from the shared counter (`init.deal`),
 * writing each item's chunk files under `init.dir` (or posting them back,
 * then waiting for the main thread's go-ahead), and answers each with its
 * counts. Resolves true when no item is left (after posting `finished`);
 * on an error, posts it (flattened) and resolves false. Either way the
 * caller then closes `port` and the thread ends by itself; after a failure
 * elsewhere the main thread stops the workers by leaving no item to take.
 */
export async function serveExportItems(source: ExportSource, port: MessagePort, init: ExportWorkerInit): Promise<boolean> {
  const { deal } = init;
  // With a backend: the main thread's go-aheads, counted as they come.
  let gos = 0;
  let waiting: (() => void) | null = null;
  if (deal.paced) {
    port.on('message', (m: { t: 'go' }) => {
      if (m.t !== 'go') return;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w();
      } else gos++;
    });
  }
  const go = (): Promise<void> => {
    if (gos > 0) {
      gos--;
      return Promise.resolve();
    }
    return new Promise((r) => (waiting = r));
  };
  let taken = false;
  let files: [string, Uint8Array][] = [];
  let bytes = 0;
  const dirs = new Set<string>();
  const backend: ZarrStoreBackend = {
    put(key, data) {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      if (init.dir === undefined) files.push([key, new Uint8Array(buf)]); // a copy: `data` is valid only during the call
      else {
        const full = join(init.dir, key);
        const dir = dirname(full);
        if (!dirs.has(dir)) {
          mkdirSync(dir, { recursive: true });
          dirs.add(dir);
        }
        writeFileSync(full, buf);
      }
      bytes += buf.length;
    },
    ready: () => Promise.resolve(),
    commit: () => Promise.resolve(0),
    abort: () => undefined,
  };
  try {
    await exportVcz(source, init.out, {
      ...init.options,
      threads: 1,
      storeBackend: backend,
      part: {
        items: {
          next: async () => {
            let i = deal.first;
            if (taken) {
              if (deal.paced) await go();
              i = Atomics.add(deal.claim, 0, 1);
            }
            taken = true;
            return i < deal.total ? { sc: Math.floor(i / deal.variantChunks), c: i % deal.variantChunks } : null;
          },
          done: (it, counts, chunks) => {
            const transfer: TransferListItem[] = files.map(([, d]) => d.buffer as ArrayBuffer);
            if (counts) transfer.push(counts.buffer as ArrayBuffer);
            port.postMessage({ t: 'done', sc: it.sc, c: it.c, counts, chunks, bytes, ...(init.dir === undefined ? { files } : {}) }, transfer);
            files = [];
            bytes = 0;
          },
        },
      },
    });
  } catch (err) {
    port.postMessage({ t: 'error', error: flattenWorkerError(err) });
    return false;
  }
  port.postMessage({ t: 'finished' });
  return true;
}
