/**
 * Chunk memory for the depot's writes and reads: staging encoded sample
 * records into compressed chunks as a transaction collects them
 * ({@link ChunkStager}), and the buffers a read decompresses chunks into
 * ({@link ChunkArena}). `docs/depot-format.md` describes the layout.
 */
import type { ChunkEntry, FieldStats } from './layout.ts';
import { encodeChunk, packRecordsIncrementally, type EncodedChunk } from '../schunk/index.ts';

/** A sample staged by a transaction: its records, one per block, until they are packed. */
export interface EncodedSample {
  readonly sampleId: string;
  readonly ploidy: number;
  readonly records: Uint8Array[];
  readonly fields: Record<string, FieldStats>;
}

/** Stands in for a staged record once it has been packed into a chunk. */
const RELEASED = new Uint8Array(0);

/** Sizes of the arenas {@link ChunkArena} allocates: the first, and the cap (bytes). */
const ARENA_FIRST_BYTES = 16 * 1024 * 1024;
const ARENA_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Output memory for the chunks one read decompresses: a few large buffers
 * carved into exact slices, instead of one allocation per chunk. V8 counts
 * every ArrayBuffer as external memory and collects garbage each time that
 * grows by some tens of MB; one allocation per chunk made a getMany of a
 * whole cohort (hundreds of 4 MiB chunks) run a dozen collections.
 *
 * Slices are taken only for chunks whose header and checksum were verified,
 * and arenas grow geometrically (16 MiB, then as much again as was
 * allocated so far, capped at 256 MiB and at what the read still needs), so
 * a damaged index cannot make it allocate much more than the verified data.
 * A slice keeps its whole arena alive.
 */
export class ChunkArena {
  #buf: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  #used = 0;
  #allocated = 0;
  /** Bytes the read still expects, from the index (an upper bound for the next arena, not trusted beyond that). */
  #left: number;

  constructor(chunks: Map<number, ChunkEntry>) {
    let total = 0;
    for (const c of chunks.values()) total += align8(c.rawLength);
    this.#left = total;
  }

  /** A slice of `n` bytes (uninitialised), starting 8-byte aligned as records need. */
  readonly take = (n: number): Uint8Array<ArrayBuffer> => {
    const span = align8(n);
    if (this.#used + span > this.#buf.length) {
      const grow = Math.min(ARENA_MAX_BYTES, Math.max(ARENA_FIRST_BYTES, this.#allocated));
      const size = Math.max(span, Math.min(this.#left, grow));
      this.#buf = new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size) as Uint8Array<ArrayBuffer>;
      this.#used = 0;
      this.#allocated += size;
    }
    const out = this.#buf.subarray(this.#used, this.#used + n);
    this.#used += span;
    this.#left -= span;
    return out;
  };
}

/** {@link ChunkStager} packs a group once its records reach this many chunk targets (64 MiB with the default 4 MiB chunks). */
const STAGE_GROUP_CHUNKS = 16;

type RecordLocation = { chunk: number; offset: number; length: number };

/**
 * Turns the records of the samples a transaction stages into compressed
 * chunks as they arrive (outside the write lock): samples are collected
 * until their records reach 16 chunk targets (64 MiB by default), then
 * packed block-major (block 0 of every sample in the group, then block 1,
 * ...) one chunk at a time, compressed, and their records released. A putMany of a whole cohort so
 * holds at most one group of records plus the compressed chunks; chunks
 * still hold one block of many samples, which is what exports read together.
 */
export class ChunkStager {
  /** Compressed chunks, in order; `where` indexes into it. */
  readonly chunks: (EncodedChunk & { items: number })[] = [];
  /** For each staged sample, where each block's record is: [blocks]. */
  readonly where = new Map<EncodedSample, RecordLocation[]>();
  #pending: EncodedSample[] = [];
  #pendingBytes = 0;

  constructor(
    private readonly nBlocks: number,
    private readonly chunkTargetBytes: number,
    private readonly level: number,
  ) {}

  add(s: EncodedSample): void {
    this.#pending.push(s);
    for (const r of s.records) this.#pendingBytes += r.length;
    if (this.#pendingBytes >= STAGE_GROUP_CHUNKS * this.chunkTargetBytes) this.flush();
  }

  /**
   * Packs and compresses the pending group, one chunk at a time, releasing
   * each record once it is in a chunk. When a block's records in the group
   * fill at least 1/16 of a chunk, every block starts a new chunk: a chunk
   * then holds one block of the group's samples, so a reader going through
   * the cohort block by block (the VCZ export) decompresses each chunk once
   * however many groups there are. Smaller groups (a single put) are packed
   * straight through, blocks sharing chunks.
   */
  flush(): void {
    const samples = this.#pending;
    const bytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (samples.length === 0) return;
    for (const s of samples) this.where.set(s, new Array(this.nBlocks));
    const alignBlocks = this.nBlocks > 0 && bytes / this.nBlocks >= this.chunkTargetBytes / 16;
    const runs: number[][] = alignBlocks ? Array.from({ length: this.nBlocks }, (_, b) => [b]) : [Array.from({ length: this.nBlocks }, (_, b) => b)];
    for (const blocks of runs) {
      const records: Uint8Array[] = [];
      const owner: { sample: EncodedSample; block: number }[] = [];
      for (const b of blocks) {
        for (const s of samples) {
          records.push(s.records[b]!);
          owner.push({ sample: s, block: b });
        }
      }
      for (const p of packRecordsIncrementally(records, this.chunkTargetBytes)) {
        const c = this.chunks.length;
        for (const item of p.items) {
          const o = owner[item.index]!;
          this.where.get(o.sample)![o.block] = { chunk: c, offset: item.offset, length: item.length };
          o.sample.records[o.block] = RELEASED;
          records[item.index] = RELEASED;
        }
        this.chunks.push({ ...encodeChunk(p.raw, this.level), items: p.items.length });
      }
    }
  }
}

export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
