/**
 * The entry of a VCF parser worker thread (started by ./parse-pool.ts;
 * bundled as `dist/vcf-worker.cjs` by scripts/build.mjs, run through tsx
 * from the sources). `workerData` carries the file's header (its `##`
 * lines and `#CHROM` line, already checked by the main thread), the
 * alleles dimension, the result port and the shared counter of results.
 * Each message is one window `{ id, batch, floor }` (`batch.text`
 * transferred); the answer, on the result port, is `{ id, packed, text }`
 * (the window's calls in one buffer, ./window-parse.ts, and the text buffer
 * handed back for reuse, both transferred), or with `workerData.encode`
 * `{ id, encoded, text }` (the window's depot records encoded, and its
 * chunks packed and zstd-compressed when it owns them, by
 * src/depot/chunks.ts `encodeBlock`: window `id` is block `id`), or
 * `{ id, failed: true, text }` when parsing or encoding threw: the main
 * thread then parses the window itself, in file order, and throws the very
 * error a one-thread read (and `BlockWriter.add`) throws.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { parseHeader, type MetaLine } from './header.ts';
import { SampleReader } from './samples.ts';
import type { VcfCallShape } from './types.ts';
import { packWindow, parseWindow, type EncodedWindow, type WindowBatch } from './window-parse.ts';
import { encodeBlock, encodedBlockBuffers } from '../depot/chunks.ts';
import type { ParseInit } from './parse-pool.ts';

const port = parentPort;
if (!port) throw new Error('src/vcf/parse-worker.ts is the entry of a worker thread; start it with new Worker(...)');
const init = workerData as ParseInit & { metaLines: MetaLine[]; results: MessagePort; posted: Int32Array };
const header = parseHeader(init.file, init.metaLines, init.chromLine, init.chromLineNo);
const reader = new SampleReader(init.file, header);
const S = header.sampleIds.length;
port.on('message', (job: { id: number; batch: WindowBatch; floor: VcfCallShape | undefined }) => {
  const text = job.batch.text;
  try {
    const parsed = parseWindow(reader, job.batch, init.maxAlleles, job.floor);
    if (init.encode) {
      const encoded: EncodedWindow = { stats: parsed.stats, shape: parsed.shape, encoded: encodeBlock(init.encode.variantSet, init.encode.layout, header.sampleIds, job.id, parsed.calls) };
      init.results.postMessage({ id: job.id, encoded, text }, [...encodedBlockBuffers(encoded.encoded), text.buffer as ArrayBuffer]);
    } else {
      const packed = packWindow(parsed, S);
      init.results.postMessage({ id: job.id, packed, text }, [packed.buffer, text.buffer as ArrayBuffer]);
    }
  } catch {
    init.results.postMessage({ id: job.id, failed: true, text }, [text.buffer as ArrayBuffer]);
  }
  Atomics.add(init.posted, 0, 1);
  Atomics.notify(init.posted, 0);
});
