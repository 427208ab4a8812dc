/**
 * Chunk memory for the depot's writes and reads: staging encoded sample
 * records into compressed chunks as a transaction collects them
 * ({@link ChunkStager}), and the buffers a read decompresses chunks into
 * ({@link ChunkArena}). `docs/depot-format.md` describes the layout.
 */
import { readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FieldStats } from './layout.ts';
import { CHUNK_HEADER_SIZE, FILE_HEADER_SIZE, SegmentWriter, encodeChunk, packRecordsIncrementally, type EncodedChunk, type Packed } from '../schunk/index.ts';

/** A sample staged by a transaction: its records, one per block, until they are packed. */
export interface EncodedSample {
  readonly sampleId: string;
  /** Set by the first block of a sample staged block by block. */
  ploidy: number;
  /** Whole samples: every block's record until packed; empty for samples staged block by block. */
  readonly records: Uint8Array[];
  fields: Record<string, FieldStats>;
  /** The sample's reference blocks as `ref_blocks` stores them (compressed), and their raw size. */
  referenceBlocks?: { readonly stored: Uint8Array; readonly rawBytes: number };
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

  /** @param expectedBytes what the read will take, from the index (sizes arenas; not trusted beyond that). */
  constructor(expectedBytes: number) {
    this.#left = expectedBytes;
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
 * A compressed chunk a transaction holds until its commit: in memory
 * (`bytes`), or already written to one of the transaction's staging files
 * (`staged`: index into {@link ChunkStager.stagingFiles} and the byte offset
 * of its header there).
 */
export interface StagedChunk {
  bytes: Uint8Array | null;
  staged: { file: number; offset: number } | null;
  readonly rawLength: number;
  readonly compressedLength: number;
  readonly checksum: number;
  /** Records in the chunk. */
  readonly items: number;
}

/** Where a large transaction writes its chunks before the commit. */
export interface SpillOptions {
  /** Directory of the staging files: the depot's chunks/, so the commit renames them into place. */
  readonly dir: string;
  /** Compressed bytes held in memory before they go to a staging file (bytes). */
  readonly thresholdBytes: number;
  /** Largest staging file, bytes (the depot's segmentMaxBytes); a full one is followed by another. */
  readonly fileMaxBytes: number;
}

/** Prefix and suffix of staging file names: `.staging-<host>-<pid>-<time>-<n>.tmp` in chunks/. */
export const STAGING_PREFIX = '.staging-';
export const STAGING_SUFFIX = '.tmp';
let stagingCounter = 0;

/**
 * Deletes staging files in `dir` left by processes of this host that are no
 * longer running (a crash or a kill during a large transaction). Files of live
 * processes, and of other hosts, are kept. Returns the names deleted.
 */
export function sweepStagingFiles(dir: string): string[] {
  const host = hostname();
  const gone: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return gone;
  }
  for (const name of names) {
    const m = stagingOwner(name);
    if (!m || m.host !== host || m.pid === process.pid || processAlive(m.pid)) continue;
    rmSync(join(dir, name), { force: true });
    gone.push(name);
  }
  return gone;
}

/** Host and pid of a staging file name, or undefined when `name` is not one. */
export function stagingOwner(name: string): { host: string; pid: number } | undefined {
  if (!name.startsWith(STAGING_PREFIX) || !name.endsWith(STAGING_SUFFIX)) return undefined;
  const parts = name.slice(STAGING_PREFIX.length, -STAGING_SUFFIX.length).split('-');
  if (parts.length < 4) return undefined;
  const pid = Number(parts[parts.length - 3]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { host: parts.slice(0, -3).join('-'), pid };
}

/** Whether process `pid` of this host is running. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Turns the records a transaction stages into compressed chunks as they
 * arrive (outside the write lock), in two ways:
 *
 * - {@link ChunkStager.add}, whole samples: collected until their records
 *   reach 16 chunk targets (64 MiB by default), then packed block-major
 *   (block 0 of every sample in the group, then block 1, ...) one chunk at a
 *   time, compressed, and their records released;
 * - {@link ChunkStager.addBlock}, one block of many samples at a time (a
 *   streaming import): records go into the open chunk in arrival order.
 *
 * Either way, when a block's records fill at least 1/16 of a chunk, the
 * block starts a new chunk and no other block joins its chunks, so a reader
 * going through the cohort block by block (the VCZ export) decompresses each
 * chunk once; smaller blocks (a single put) share chunks.
 *
 * With {@link SpillOptions}, compressed chunks beyond `thresholdBytes` are
 * written to staging files (segment files under a temporary name in the
 * depot's chunks/ directory) instead of being held until the commit, which
 * renames them into place: a transaction of any size then holds about one
 * group of records and `thresholdBytes` of compressed chunks.
 */
export class ChunkStager {
  /** Compressed chunks, in order; `where` indexes into it. */
  readonly chunks: StagedChunk[] = [];
  /** For each staged sample, where each block's record is: [blocks]. */
  readonly where = new Map<EncodedSample, RecordLocation[]>();
  /** Staging files written so far (absolute paths), in order; each is a complete segment file. */
  readonly stagingFiles: string[] = [];
  /** Byte offset just past the last chunk of each staging file. */
  readonly stagingEnds: number[] = [];
  #pending: EncodedSample[] = [];
  #pendingBytes = 0;
  /** The chunk addBlock is filling: its records and their owners. */
  #open: { records: Uint8Array[]; owners: { sample: EncodedSample; block: number }[]; used: number } = { records: [], owners: [], used: 0 };
  /** Compressed bytes of chunks held in memory. */
  #memoryBytes = 0;
  #writer: SegmentWriter | undefined;

  constructor(
    private readonly chunkTargetBytes: number,
    private readonly level: number,
    private readonly spill?: SpillOptions,
  ) {}

  /** Compressed bytes of the chunks staged so far (in memory and in staging files). */
  get compressedBytes(): number {
    let n = 0;
    for (const c of this.chunks) n += CHUNK_HEADER_SIZE + c.compressedLength;
    return n;
  }

  add(s: EncodedSample): void {
    this.#pending.push(s);
    for (const r of s.records) this.#pendingBytes += r.length;
    if (this.#pendingBytes >= STAGE_GROUP_CHUNKS * this.chunkTargetBytes) this.flush();
  }

  /**
   * Stages block `block`'s records of `samples` (`records[i]` is sample i's),
   * packing them into the open chunk in order. Samples staged this way get
   * their `where` entry on their first block.
   */
  addBlock(samples: readonly EncodedSample[], block: number, records: readonly Uint8Array[]): void {
    const own = ownsChunks(totalLength(records), this.chunkTargetBytes);
    if (own) this.#closeOpen();
    for (let i = 0; i < records.length; i++) {
      const sample = samples[i]!;
      if (!this.where.has(sample)) this.where.set(sample, []);
      const r = records[i]!;
      if (this.#open.records.length > 0 && overflows(this.#open.used, r.length, this.chunkTargetBytes)) this.#closeOpen();
      const open = this.#open;
      open.records.push(r);
      open.owners.push({ sample, block });
      open.used = align8(open.used) + r.length;
    }
    if (own) this.#closeOpen();
  }

  /** Packs and compresses the open chunk of addBlock, if any. */
  #closeOpen(): void {
    const { records, owners } = this.#open;
    if (records.length === 0) return;
    this.#open = { records: [], owners: [], used: 0 };
    for (const p of packRecordsIncrementally(records, this.chunkTargetBytes)) {
      this.#emit(p, (index) => owners[index]!);
    }
  }

  /**
   * Packs and compresses the pending group, one chunk at a time, releasing
   * each record once it is in a chunk (see the class comment for the layout).
   */
  flush(): void {
    this.#closeOpen();
    const samples = this.#pending;
    const bytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (samples.length === 0) return;
    // Samples over different variant sets have different block counts: block
    // b packs the records of the samples that have one.
    let nBlocks = 0;
    for (const s of samples) {
      this.where.set(s, new Array(s.records.length));
      nBlocks = Math.max(nBlocks, s.records.length);
    }
    const alignBlocks = nBlocks > 0 && ownsChunks(bytes / nBlocks, this.chunkTargetBytes);
    const runs: number[][] = alignBlocks ? Array.from({ length: nBlocks }, (_, b) => [b]) : [Array.from({ length: nBlocks }, (_, b) => b)];
    for (const blocks of runs) {
      const records: Uint8Array[] = [];
      const owner: { sample: EncodedSample; block: number }[] = [];
      for (const b of blocks) {
        for (const s of samples) {
          if (b >= s.records.length) continue;
          records.push(s.records[b]!);
          owner.push({ sample: s, block: b });
        }
      }
      for (const p of packRecordsIncrementally(records, this.chunkTargetBytes)) {
        this.#emit(p, (index) => {
          records[index] = RELEASED;
          const o = owner[index]!;
          o.sample.records[o.block] = RELEASED;
          return o;
        });
      }
    }
  }

  /** Compresses one packed chunk, records where its records went, and spills when memory is over the threshold. */
  #emit(p: Packed, ownerOf: (index: number) => { sample: EncodedSample; block: number }): void {
    const c = this.chunks.length;
    for (const item of p.items) {
      const o = ownerOf(item.index);
      this.where.get(o.sample)![o.block] = { chunk: c, offset: item.offset, length: item.length };
    }
    const e = encodeChunk(p.raw, this.level);
    this.chunks.push({ bytes: e.bytes, staged: null, rawLength: e.rawLength, compressedLength: e.compressedLength, checksum: e.checksum, items: p.items.length });
    this.#memoryBytes += e.bytes.length;
    if (this.spill && this.#memoryBytes >= this.spill.thresholdBytes) this.#spillAll();
  }

  /** Writes every in-memory chunk to staging files (fdatasync'ed) and drops its bytes. */
  #spillAll(): void {
    const spill = this.spill!;
    const writer = (this.#writer ??= new SegmentWriter());
    if (this.stagingFiles.length === 0) sweepStagingFiles(spill.dir);
    let batch: StagedChunk[] = [];
    let k = this.stagingFiles.length - 1;
    const write = (): void => {
      if (batch.length === 0) return;
      const path = this.stagingFiles[k]!;
      const { offsets, end } = writer.appendChunks(path, this.stagingEnds[k]!, batch as unknown as EncodedChunk[]);
      batch.forEach((c, i) => {
        c.staged = { file: k, offset: offsets[i]! };
        this.#memoryBytes -= c.bytes!.length;
        c.bytes = null;
      });
      this.stagingEnds[k] = end;
      batch = [];
    };
    let pendingEnd = k >= 0 ? this.stagingEnds[k]! : 0;
    for (const c of this.chunks) {
      if (!c.bytes) continue;
      if (k < 0 || (pendingEnd + c.bytes.length > spill.fileMaxBytes && pendingEnd > FILE_HEADER_SIZE)) {
        write();
        if (k >= 0) writer.closeFile(this.stagingFiles[k]!);
        const path = join(spill.dir, `${STAGING_PREFIX}${hostname()}-${process.pid}-${Date.now()}-${stagingCounter++}${STAGING_SUFFIX}`);
        this.stagingFiles.push(path);
        this.stagingEnds.push(writer.create(path));
        k = this.stagingFiles.length - 1;
        pendingEnd = this.stagingEnds[k]!;
      }
      batch.push(c);
      pendingEnd += c.bytes.length;
    }
    write();
  }

  /**
   * Ends staging before the commit: packs what is pending; when anything went
   * to a staging file, the rest follows it, so that every chunk is either in
   * memory (no staging file) or in a staging file (all of them).
   */
  finish(): void {
    this.flush();
    if (this.stagingFiles.length > 0) this.#spillAll();
    this.#writer?.close();
  }

  /** Deletes the staging files (after a commit renamed them, or when the transaction is dropped). */
  discard(): void {
    this.#writer?.close();
    for (const f of this.stagingFiles) rmSync(f, { force: true });
  }
}

/** Where {@link BlockRepacker} put one record: sample entry `seq`, block `block`, at `offset` (8-byte aligned) in the chunk, `length` bytes. */
export interface RepackItem {
  readonly seq: number;
  readonly block: number;
  readonly offset: number;
  readonly length: number;
}

/**
 * Packs records handed over block by block (block b of every sample, in
 * entry order, then block b+1, ...) into compressed chunks, as compact and
 * purge rewrite a depot: the same layout as {@link ChunkStager.addBlock}
 * (records in arrival order at 8-byte aligned offsets, a new chunk when the
 * next record would end past the target; a block whose records fill at
 * least 1/16 of a chunk starts a new chunk and no other block joins its
 * chunks). Each chunk is built and compressed as soon as it is full and
 * handed to `emit`; the repacker then holds no reference to its records, so
 * its memory is the open chunk's records (at most one chunk target, or one
 * record larger than that).
 */
export class BlockRepacker {
  #records: Uint8Array[] = [];
  #owners: { seq: number; block: number }[] = [];
  #used = 0;

  /**
   * @param chunkTargetBytes target raw chunk size, bytes
   * @param level zstd level
   * @param emit receives each compressed chunk and where its records are, in order
   */
  constructor(
    private readonly chunkTargetBytes: number,
    private readonly level: number,
    private readonly emit: (chunk: EncodedChunk, items: RepackItem[]) => void,
  ) {}

  /** Adds block `block`'s records: `records[i]` belongs to entry `seqs[i]`. */
  addBlock(block: number, seqs: readonly number[], records: readonly Uint8Array[]): void {
    const own = ownsChunks(totalLength(records), this.chunkTargetBytes);
    if (own) this.#close();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (this.#records.length > 0 && overflows(this.#used, r.length, this.chunkTargetBytes)) this.#close();
      this.#records.push(r);
      this.#owners.push({ seq: seqs[i]!, block });
      this.#used = align8(this.#used) + r.length;
    }
    if (own) this.#close();
  }

  /** Emits the open chunk, if any. */
  finish(): void {
    this.#close();
  }

  #close(): void {
    const records = this.#records;
    if (records.length === 0) return;
    const owners = this.#owners;
    const raw = new Uint8Array(this.#used);
    const items: RepackItem[] = new Array(records.length);
    let at = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      at = align8(at);
      raw.set(r, at);
      items[i] = { seq: owners[i]!.seq, block: owners[i]!.block, offset: at, length: r.length };
      at += r.length;
    }
    this.#records = [];
    this.#owners = [];
    this.#used = 0;
    this.emit(encodeChunk(raw, this.level), items);
  }
}

/** Compact and purge repack records in groups of blocks of about this many chunk targets (64 MiB with the default 4 MiB chunks). */
export const REPACK_GROUP_CHUNKS = STAGE_GROUP_CHUNKS;

export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * The block-major rule of writes, compact and purge: a block whose records
 * (`bytes` of them) fill 1/16 of a chunk target or more gets chunks of its
 * own; smaller blocks share chunks.
 */
function ownsChunks(bytes: number, chunkTargetBytes: number): boolean {
  return bytes >= chunkTargetBytes / 16;
}

/** Whether a record of `length` bytes, put after `used` bytes (8-byte aligned), takes a chunk past `chunkTargetBytes`. */
function overflows(used: number, length: number, chunkTargetBytes: number): boolean {
  return align8(used) + length > chunkTargetBytes;
}

function totalLength(records: readonly Uint8Array[]): number {
  let bytes = 0;
  for (const r of records) bytes += r.length;
  return bytes;
}
