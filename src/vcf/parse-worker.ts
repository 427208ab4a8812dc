/**
 * The entry of a VCF parser worker thread (started by ./parse-pool.ts;
 * bundled as `dist/vcf-worker.cjs` by scripts/build.mjs, run through tsx
 * from the sources). `workerData` carries the file's header (its `##`
 * lines and `#CHROM` line, already checked by the main thread), the
 * alleles dimension, the result port and the shared counter of results.
 * Each message is one window `{ id, batch, floor }` (`batch.text`
 * transferred); the answer, on the result port, is `{ id, packed, text }`
 * (the window's calls in one buffer, ./window-parse.ts, and the text buffer
 * handed back for reuse, both transferred) or `{ id, failed: true, text }`
 * when parsing threw: the main thread then parses the window itself, in
 * file order, and throws the very error a one-thread read throws.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { parseHeader, type MetaLine } from './header.ts';
import { SampleReader } from './samples.ts';
import type { VcfCallShape } from './types.ts';
import { packWindow, parseWindow, type WindowBatch } from './window-parse.ts';

const port = parentPort;
if (!port) throw new Error('src/vcf/parse-worker.ts is the entry of a worker thread; start it with new Worker(...)');
const init = workerData as { file: string; metaLines: MetaLine[]; chromLine: string; chromLineNo: number; maxAlleles: number; results: MessagePort; posted: Int32Array };
const header = parseHeader(init.file, init.metaLines, init.chromLine, init.chromLineNo);
const reader = new SampleReader(init.file, header);
const S = header.sampleIds.length;
port.on('message', (job: { id: number; batch: WindowBatch; floor: VcfCallShape | undefined }) => {
  const text = job.batch.text;
  try {
    const packed = packWindow(parseWindow(reader, job.batch, init.maxAlleles, job.floor), S);
    init.results.postMessage({ id: job.id, packed, text }, [packed.buffer, text.buffer as ArrayBuffer]);
  } catch {
    init.results.postMessage({ id: job.id, failed: true, text }, [text.buffer as ArrayBuffer]);
  }
  Atomics.add(init.posted, 0, 1);
  Atomics.notify(init.posted, 0);
});
