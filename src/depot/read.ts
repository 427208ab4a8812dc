/**
 * Reads: samples' records as {@link RecordView}s from one read snapshot
 * ({@link SampleReader.getMany}). Each needed chunk is read, checksum-verified
 * and decompressed once per call, through the depot's bounded chunk cache.
 */
import { RecordView } from '../codec/index.ts';
import { isSchunkError } from '../schunk/index.ts';
import { InvalidArgumentError, UnknownSampleError } from './errors.ts';
import type { ChunkEntry, SampleEntry } from './layout.ts';
import { ChunkArena, align8 } from './chunks.ts';
import { MiB, pushTo, recordEnd, wrongRecord, type DepotCore } from './core.ts';
import type { GetOptions, SampleView } from './types.ts';

/** getMany copies records out of a chunk when it needs at most 1/COPY_OUT_FRACTION of the chunk's bytes. */
const COPY_OUT_FRACTION = 4;
const utf8 = new TextEncoder();

/** The reads of one open depot; holds the scratch buffer they reuse. */
export class SampleReader {
  private readonly core: DepotCore;
  private scratchBuf: Uint8Array<ArrayBuffer> = new Uint8Array(0);

  constructor(core: DepotCore) {
    this.core = core;
  }

  /**
   * Reads samples' records as views, in the order asked, from one read
   * snapshot (Depot.getMany documents the result and the errors).
   *
   * @throws UnknownSampleError, UnknownTagError, UnknownVersionError,
   *   InvalidArgumentError (block out of range), ChunkCorruptionError,
   *   RecordFormatError, IndexCorruptionError.
   */
  getMany(sampleIds: readonly string[], options: GetOptions = {}): SampleView[] {
    const core = this.core;
    core.assertOpen();
    for (const b of options.blocks ?? []) {
      if (!Number.isInteger(b) || b < 0) throw new InvalidArgumentError('block', `${b} is not a block index (an integer >= 0)`);
    }
    let at = options.at;
    for (let attempt = 0; ; attempt++) {
      const { entries, chunkEntries, version, blocksOf } = core.snapshot((txn) => {
        const { version, label } = core.resolveAt(at, txn);
        const entries = sampleIds.map((id) => {
          const seq = core.liveSeq(id, version, txn);
          if (seq === undefined) throw new UnknownSampleError(id, core.path, label);
          return core.checked('entries', seq, core.dbEntries.get(seq, { transaction: txn } as any));
        });
        // Blocks of each sample's own variant set.
        const blocksOf = entries.map((e): readonly number[] => {
          const n = e.chunks.length;
          if (!options.blocks) return Array.from({ length: n }, (_, i) => i);
          for (const b of options.blocks) if (b >= n) throw new InvalidArgumentError('block', `${b} is not in 0..${n - 1} (the blocks of sample '${e.sampleId}''s variant set ${e.variantSet ?? 0})`);
          return options.blocks;
        });
        const ids = new Set<number>();
        entries.forEach((e, i) => {
          for (const b of blocksOf[i]!) ids.add(e.chunks[b]!);
        });
        const chunkEntries = new Map<number, ChunkEntry>();
        for (const id of ids) chunkEntries.set(id, core.checked('chunks', id, core.dbChunks.get(id, { transaction: txn } as any)));
        return { entries, chunkEntries, version, blocksOf };
      });
      // Of each chunk, the record bytes this call needs (from the index).
      const byChunk = new Map<number, { i: number; j: number }[]>();
      const need = new Map<number, number>();
      entries.forEach((e, i) =>
        blocksOf[i]!.forEach((b, j) => {
          const c = e.chunks[b]!;
          pushTo(byChunk, c, { i, j });
          need.set(c, (need.get(c) ?? 0) + align8(e.lengths[b] ?? 0));
        }),
      );
      // A chunk of which a quarter or less is needed (a few samples of a
      // block-major cohort) is decompressed into a reused buffer, or read
      // through the cache, and its records are copied out: the result holds
      // those records, not every chunk they came from. Otherwise the views
      // point into the chunk itself (zero copy).
      const copyOut = new Set<number>();
      let expected = 0;
      for (const [id, c] of chunkEntries) {
        const n = need.get(id)!;
        if (n * COPY_OUT_FRACTION <= c.rawLength) copyOut.add(id);
        expected += copyOut.has(id) ? n : align8(c.rawLength);
      }
      const arena = new ChunkArena(expected);
      const records = entries.map((_, i) => new Array<Uint8Array>(blocksOf[i]!.length));
      const cacheOff = core.cacheBytes === 0;
      try {
        for (const [id, c] of chunkEntries) {
          const out = copyOut.has(id);
          const into = out ? (cacheOff ? this.scratch : undefined) : arena.take;
          const buf = core.readChunk(core.reader, id, c, {
            ...(into ? { into } : {}),
            ...(out && cacheOff ? { cache: false } : {}),
          });
          for (const { i, j } of byChunk.get(id)!) {
            const e = entries[i]!;
            const b = blocksOf[i]![j]!;
            const off = e.offsets[b]!;
            const end = recordEnd(core.path, e, b, buf.length);
            if (out) {
              const copy = arena.take(end - off);
              copy.set(buf.subarray(off, end));
              records[i]![j] = copy;
            } else records[i]![j] = buf.subarray(off, end);
          }
        }
      } catch (err) {
        // compact/purge deleted a file after this snapshot: the same version,
        // read again from the new index, holds the same records.
        if (attempt < 3 && isSchunkError(err, 'chunk-io') && err.errno === 'ENOENT') {
          at = version;
          continue;
        }
        throw err;
      }
      return this.views(entries, blocksOf, records);
    }
  }

  /** RecordViews of `records[i][j]` (entry i's record of block j), each checked against its entry. */
  private views(entries: SampleEntry[], blocksOf: readonly (readonly number[])[], records: Uint8Array[][]): SampleView[] {
    const path = this.core.path;
    return entries.map((e, i) => {
      const idBytes = utf8.encode(e.sampleId);
      const blocks = blocksOf[i]!;
      return {
        sampleId: e.sampleId,
        ploidy: e.ploidy,
        variantSet: e.variantSet ?? 0,
        blocks,
        records: blocks.map((b, j) => {
          const view = new RecordView(records[i]![j]!);
          // A damaged index must not hand out another sample's record.
          if (!view.sampleIdEquals(idBytes) || view.block !== b) throw wrongRecord(path, e, b, `points at the record of sample '${view.sampleId}' block ${view.block}`);
          if (view.ploidy !== e.ploidy) throw wrongRecord(path, e, b, `the record has ploidy ${view.ploidy}, the index ${e.ploidy}`);
          return view;
        }),
      };
    });
  }

  /**
   * A chunk buffer reused by getMany for chunks it copies records out of
   * (when the chunk cache is off); grows to the largest chunk read, kept up
   * to 64 MiB.
   */
  private readonly scratch = (n: number): Uint8Array<ArrayBuffer> => {
    if (this.scratchBuf.length < n) {
      const buf = new Uint8Array(n);
      if (n <= 64 * MiB) this.scratchBuf = buf;
      return buf;
    }
    return this.scratchBuf.subarray(0, n);
  };
}
