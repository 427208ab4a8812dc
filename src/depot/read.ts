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
import { MiB, recordEnd, wrongRecord, type DepotCore } from './core.ts';
import type { At, GetOptions, SampleView } from './types.ts';

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
    const { entries, blocksOf, records } = this.read(sampleIds, options.blocks, options.at, COPY_OUT_FRACTION, false);
    return this.views(entries, blocksOf, records);
  }

  /**
   * The export's read (src/io/source.ts, `readBlock`): the records of block
   * `block` of each of `sampleIds` (in that order) at version `at`, as
   * RecordViews checked as getMany checks them, without getMany's per-sample
   * objects. The views point into memory owned by this result alone (the
   * decompressed chunks, when the call needs more than half of a chunk, else
   * a copy of just its records): nothing here is reused by a later read, so
   * the views stay valid as long as the caller holds them, and hold at most
   * twice the records' bytes. `reuse`, when it holds all of that, is that
   * memory (the caller hands back a buffer it no longer reads).
   *
   * @throws as {@link getMany}.
   */
  readBlock(sampleIds: readonly string[], block: number, at: At | undefined, reuse?: Uint8Array<ArrayBuffer>): RecordView[] {
    const { entries, records } = this.read(sampleIds, [block], at, 2, true, reuse);
    const path = this.core.path;
    const out = new Array<RecordView>(entries.length);
    for (let i = 0; i < entries.length; i++) out[i] = checkedView(path, entries[i]!, utf8.encode(entries[i]!.sampleId), block, records[i]![0]!);
    return out;
  }

  /**
   * Reads the records of `blocks` (all when undefined) of `sampleIds` at `at`
   * from one read snapshot: records[i][j] is sample i's record of block
   * blocksOf[i][j]. A chunk of which 1/`copyOutFraction` or less is needed is
   * read through the cache (or a reused buffer with the cache off) and its
   * records copied out; otherwise the records point into the chunk itself.
   * `exclusive`: every record lies in this read's arena (`reuse`, when given
   * and large enough), none in a cached chunk.
   */
  private read(sampleIds: readonly string[], blocks: readonly number[] | undefined, at0: At | undefined, copyOutFraction: number, exclusive: boolean, reuse?: Uint8Array<ArrayBuffer>): { entries: SampleEntry[]; blocksOf: (readonly number[])[]; records: Uint8Array[][] } {
    const core = this.core;
    core.assertOpen();
    for (const b of blocks ?? []) {
      if (!Number.isInteger(b) || b < 0) throw new InvalidArgumentError('block', `${b} is not a block index (an integer >= 0)`);
    }
    let at = at0;
    for (let attempt = 0; ; attempt++) {
      const { entries, chunkEntries, version, blocksOf } = core.snapshot((txn) => snapshotEntries(core, txn, sampleIds, blocks, at));
      // Of each chunk, the records this call needs (entry i, its j-th block) and their bytes (from the index).
      const byChunk = new Map<number, number[]>();
      const need = new Map<number, number>();
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        const bs = blocksOf[i]!;
        for (let j = 0; j < bs.length; j++) {
          const b = bs[j]!;
          const c = e.chunks[b]!;
          const list = byChunk.get(c);
          if (list) list.push(i, j);
          else byChunk.set(c, [i, j]);
          need.set(c, (need.get(c) ?? 0) + align8(e.lengths[b] ?? 0));
        }
      }
      // A chunk of which a quarter or less is needed (a few samples of a
      // block-major cohort) is decompressed into a reused buffer, or read
      // through the cache, and its records are copied out: the result holds
      // those records, not every chunk they came from. Otherwise the views
      // point into the chunk itself (zero copy).
      const copyOut = new Set<number>();
      let expected = 0;
      for (const [id, c] of chunkEntries) {
        const n = need.get(id)!;
        if (n * copyOutFraction <= c.rawLength) copyOut.add(id);
        expected += copyOut.has(id) ? n : align8(c.rawLength);
      }
      const arena = reuse && reuse.length >= expected ? new ReusedArena(reuse) : new ChunkArena(expected);
      const records = new Array<Uint8Array[]>(entries.length);
      for (let i = 0; i < entries.length; i++) records[i] = new Array<Uint8Array>(blocksOf[i]!.length);
      const cacheOff = core.cacheBytes === 0;
      // Exclusive (readBlock): the result's memory is the arena's alone, so
      // the caller may hand it back for reuse: a chunk decompressed into the
      // arena is not cached, and one served by the cache is copied out of it.
      let decompressed = false;
      const viaArena = exclusive
        ? {
            into: (n: number) => {
              decompressed = true;
              return arena.take(n);
            },
            cache: false,
          }
        : { into: arena.take };
      const viaScratch = cacheOff ? { into: this.scratch, cache: false } : undefined;
      try {
        for (const [id, c] of chunkEntries) {
          decompressed = false;
          const buf = core.readChunk(core.reader, id, c, copyOut.has(id) ? viaScratch : viaArena);
          const out = copyOut.has(id) || (exclusive && !decompressed);
          const list = byChunk.get(id)!;
          for (let k = 0; k < list.length; k += 2) {
            const i = list[k]!;
            const j = list[k + 1]!;
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
      return { entries, blocksOf, records };
    }
  }

  /** RecordViews of `records[i][j]` (entry i's record of block j), each checked against its entry. */
  private views(entries: SampleEntry[], blocksOf: readonly (readonly number[])[], records: Uint8Array[][]): SampleView[] {
    const path = this.core.path;
    const out = new Array<SampleView>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const blocks = blocksOf[i]!;
      const idBytes = utf8.encode(e.sampleId);
      const recs = new Array<RecordView>(blocks.length);
      for (let j = 0; j < blocks.length; j++) recs[j] = checkedView(path, e, idBytes, blocks[j]!, records[i]![j]!);
      out[i] = { sampleId: e.sampleId, ploidy: e.ploidy, variantSet: e.variantSet ?? 0, blocks, records: recs };
    }
    return out;
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

/** The entries of `sampleIds` live at `at` and the chunk entries of their `blocks` (all when undefined), in one read txn. */
function snapshotEntries(core: DepotCore, txn: unknown, sampleIds: readonly string[], blocks: readonly number[] | undefined, at: At | undefined) {
  const { version, label } = core.resolveAt(at, txn);
  const entries = new Array<SampleEntry>(sampleIds.length);
  const blocksOf = new Array<readonly number[]>(sampleIds.length);
  const chunkEntries = new Map<number, ChunkEntry>();
  for (let i = 0; i < sampleIds.length; i++) {
    const id = sampleIds[i]!;
    const seq = core.liveSeq(id, version, txn);
    if (seq === undefined) throw new UnknownSampleError(id, core.path, label);
    const e: SampleEntry = core.checked('entries', seq, core.dbEntries.get(seq, { transaction: txn } as any));
    entries[i] = e;
    // Blocks of each sample's own variant set.
    const n = e.chunks.length;
    let bs: readonly number[];
    if (blocks) {
      for (const b of blocks) if (b >= n) throw new InvalidArgumentError('block', `${b} is not in 0..${n - 1} (the blocks of sample '${e.sampleId}''s variant set ${e.variantSet ?? 0})`);
      bs = blocks;
    } else {
      const all = new Array<number>(n);
      for (let b = 0; b < n; b++) all[b] = b;
      bs = all;
    }
    blocksOf[i] = bs;
  }
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    for (const b of blocksOf[i]!) {
      const id = e.chunks[b]!;
      if (!chunkEntries.has(id)) chunkEntries.set(id, core.checked('chunks', id, core.dbChunks.get(id, { transaction: txn } as any)));
    }
  }
  return { entries, chunkEntries, version, blocksOf };
}

/** `bytes` as entry `e`'s record of block `b`, checked: a damaged index must not hand out another sample's record. */
function checkedView(path: string, e: SampleEntry, idBytes: Uint8Array, b: number, bytes: Uint8Array): RecordView {
  const view = new RecordView(bytes);
  if (!view.sampleIdEquals(idBytes) || view.block !== b) throw wrongRecord(path, e, b, `points at the record of sample '${view.sampleId}' block ${view.block}`);
  if (view.ploidy !== e.ploidy) throw wrongRecord(path, e, b, `the record has ploidy ${view.ploidy}, the index ${e.ploidy}`);
  return view;
}

/** A {@link ChunkArena} over a buffer the caller handed back: 8-byte aligned slices of it (it holds all the read takes). */
class ReusedArena {
  #used = 0;
  constructor(private readonly buf: Uint8Array<ArrayBuffer>) {}
  readonly take = (n: number): Uint8Array<ArrayBuffer> => {
    const out = this.buf.subarray(this.#used, this.#used + n);
    if (out.length !== n) throw new RangeError(`reused buffer of ${this.buf.length} bytes cannot take ${n} more at ${this.#used}`);
    this.#used += align8(n);
    return out;
  };
}
