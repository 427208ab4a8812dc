/**
 * The entry of a chunk encoder worker thread (started by ./pool.ts; bundled
 * as `dist/encode-worker.cjs` by scripts/build.mjs, run through tsx from the
 * sources). Each message from the main thread is one chunk
 * `{ id, raw, codec }` (`raw` transferred); the answer, on the result port
 * given in `workerData`, is `{ id, out, raw }`: the encoded bytes and the
 * job's raw buffer handed back for reuse (both transferred), or `{ id, error }`, the error thrown,
 * flattened by {@link flattenError} for ./pool.ts to rebuild as the same
 * class. The encoding is ./chunk-encoder.ts's, the main thread's own.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { ChunkEncoder } from './chunk-encoder.ts';
import { flattenError, type EncodeJob, type EncodeResult } from './pool-protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/zarr/encode-worker.ts is the entry of a worker thread; start it with new Worker(...)');
// Results go to their own channel, which the main thread polls between chunks;
// `posted[0]` counts them so that a main thread with nothing else to do can sleep until the next.
const { results, posted } = workerData as { results: MessagePort; posted: Int32Array };
const encoder = new ChunkEncoder();
port.on('message', (job: EncodeJob) => {
  let result: EncodeResult;
  // The raw buffer goes back with the answer, for the main thread to reuse.
  const raw = job.raw.buffer as ArrayBuffer;
  try {
    const out = encoder.encode(job.raw, job.codec).slice();
    result = { id: job.id, out, raw: job.raw };
    results.postMessage(result, [out.buffer as ArrayBuffer, raw]);
  } catch (err) {
    result = { id: job.id, error: flattenError(err), raw: job.raw };
    results.postMessage(result, [raw]);
  }
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
});
