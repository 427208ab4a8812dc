/**
 * The entry of an export worker thread (started by src/vcz/export-threads.ts
 * for {@link exportDepot} with `threads` > 1; bundled as
 * `dist/export-worker.cjs` by scripts/build.mjs, run through tsx from the
 * sources): opens the depot read-only (its own LMDB env handle and chunk
 * cache; nothing is written to the depot), rebuilds the main thread's export
 * source (the same pinned version, samples in the same order, regions,
 * `missingToRef`) while the main thread builds its own, waits for its job,
 * checks that its source matches the main thread's, then builds, encodes and
 * writes its first item and the next free ones (`serveExportItems`: taken
 * from a counter shared with the main thread and the other workers).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Depot } from '../depot/index.ts';
import { type ExportSource, type ExportWorkerStart, flattenWorkerError, serveExportItems } from '../vcz/index.ts';
import { ZarrStateError } from '../zarr/index.ts';
import { depotExportCheck, depotExportSource, type Region, type SampleSelection } from './source.ts';

/** What exportDepot gives each export worker thread (`workerData`); the job comes by message ({@link ExportWorkerStart}). */
export interface DepotExportWorkerData {
  readonly depot: string;
  readonly cacheBytes?: number;
  /** The pinned version number. */
  readonly version: number;
  /** Root attribute `source`. */
  readonly source: string;
  /** The sample selection (undefined: every sample live at the version). */
  readonly samples?: SampleSelection;
  readonly regions?: readonly (Region | string)[];
  readonly missingToRef: boolean;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('src/io/export-worker.ts is the entry of a worker thread; start it with new Worker(...)');
  const data = workerData as DepotExportWorkerData;
  // The source is built while the main thread builds its own (and before the job is known); an error is kept for the job.
  let depot: Depot | undefined;
  let source: ExportSource | undefined;
  let failure: unknown;
  try {
    depot = Depot.open(data.depot, { readOnly: true, ...(data.cacheBytes !== undefined ? { cacheBytes: data.cacheBytes } : {}) });
    source = depotExportSource(depot, data.version, data.source, { ...(data.samples ? { samples: data.samples } : {}), ...(data.regions ? { regions: data.regions } : {}), missingToRef: data.missingToRef });
  } catch (err) {
    failure = err;
  }
  const first = await new Promise<ExportWorkerStart>((r) => port.once('message', r));
  let ok = first.t !== 'job';
  if (first.t === 'job') {
    try {
      if (!source) throw failure;
      const got = depotExportCheck(source);
      if (JSON.stringify(got) !== JSON.stringify(first.check)) {
        throw new ZarrStateError(first.init.out, `an export worker thread read another export source from ${data.depot} at version ${data.version}; rerun with one thread (--threads 1)`);
      }
      ok = await serveExportItems(source, port, first.init);
    } catch (err) {
      port.postMessage({ t: 'error', error: flattenWorkerError(err) });
    }
  }
  depot?.close();
  // Done or stopped: let the thread end by itself. Failed: the error is posted; end once the main thread answers (its stop
  // go-ahead), so that the error arrives before the exit. The main thread waits for the exit and does not
  // terminate a worker that may be inside an LMDB call (src/vcz/export-threads.ts).
  if (ok) port.close();
  else port.once('message', () => port.close());
}

void main();
