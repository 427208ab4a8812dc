/**
 * The entry of an export worker thread (started by src/vcz/export-threads.ts
 * for {@link exportDepot} with `threads` > 1; bundled as
 * `dist/export-worker.cjs` by scripts/build.mjs, run through tsx from the
 * sources): opens the depot read-only (its own LMDB env handle and chunk
 * cache; nothing is written to the depot), rebuilds the main thread's export
 * source (the same pinned version, samples in the same order, regions,
 * `missingToRef`), checks that it is the same, then builds, encodes and
 * writes its first item and the next free ones (`serveExportItems`: taken
 * from a counter shared with the main thread and the other workers).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Depot } from '../depot/index.ts';
import { type ExportWorkerInit, flattenWorkerError, serveExportItems } from '../vcz/index.ts';
import { ZarrStateError } from '../zarr/index.ts';
import { depotExportSource, type Region } from './source.ts';

/** What exportDepot gives each export worker thread (`workerData`). */
export interface DepotExportWorkerData {
  readonly depot: string;
  readonly cacheBytes?: number;
  /** The pinned version number. */
  readonly version: number;
  /** Root attribute `source`. */
  readonly source: string;
  /** The exported samples, in output order. */
  readonly samples: readonly string[];
  readonly regions?: readonly (Region | string)[];
  readonly missingToRef: boolean;
  /** What the main thread's source has: variants in the set, exported variants, block size, max ploidy. */
  readonly expect: { readonly numVariants: number; readonly exported: number; readonly blockSize: number; readonly maxPloidy: number };
  readonly init: ExportWorkerInit;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('src/io/export-worker.ts is the entry of a worker thread; start it with new Worker(...)');
  const data = workerData as DepotExportWorkerData;
  let depot: Depot | undefined;
  let ok = false;
  try {
    depot = Depot.open(data.depot, { readOnly: true, ...(data.cacheBytes !== undefined ? { cacheBytes: data.cacheBytes } : {}) });
    const source = depotExportSource(depot, data.version, data.source, { samples: data.samples, ...(data.regions ? { regions: data.regions } : {}), missingToRef: data.missingToRef });
    const got = { numVariants: source.variantSet.numVariants, exported: source.variants?.length ?? source.variantSet.numVariants, blockSize: source.blockSize, maxPloidy: source.maxPloidy };
    if (JSON.stringify(got) !== JSON.stringify(data.expect) || source.sampleIds.length !== data.samples.length) {
      throw new ZarrStateError(data.init.out, `an export worker thread read another export source from ${data.depot} at version ${data.version} (${JSON.stringify(got)}, expected ${JSON.stringify(data.expect)}); rerun with one thread (--threads 1)`);
    }
    ok = await serveExportItems(source, port, data.init);
  } catch (err) {
    port.postMessage({ t: 'error', error: flattenWorkerError(err) });
  } finally {
    depot?.close();
  }
  // Done: let the thread end by itself. Failed: the error is posted; end once the main thread answers (its stop
  // go-ahead), so that the error arrives before the exit. The main thread waits for the exit and does not
  // terminate a worker that may be inside an LMDB call (src/vcz/export-threads.ts).
  if (ok) port.close();
  else port.once('message', () => port.close());
}

void main();
