/**
 * Rewrites of segment files: {@link purge} (erase samples for good) and
 * {@link compact} (drop unreferenced chunks, repack block-major). Both run in
 * one LMDB write transaction that writes new segment files, fdatasyncs them,
 * points the index at them and records a new version; the old files are
 * deleted after the commit (docs/depot-format.md, "Compact and purge").
 */
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import { CHUNK_HEADER_SIZE, ChunkReader, FILE_HEADER_SIZE, type EncodedChunk } from '../schunk/index.ts';
import { DepotIOError, UnknownSampleError } from './errors.ts';
import { DEPOT_FORMAT_VERSION, type ChunkEntry, type Counters, type DepotMeta, type LogEntry, type SampleEntry, type SegmentState, type TagEntry } from './layout.ts';
import { BlockRepacker, REPACK_GROUP_CHUNKS, type RepackItem } from './chunks.ts';
import { MAX_SEQ, setOf, fileSize, fitsKey, isLive, pushTo, rebuildRefs, recordEnd, segmentPath, type DepotCore } from './core.ts';
import type { CommitInfo, PurgeResult, WriteOptions } from './types.ts';
import { scrubIndex } from './erase.ts';

/** What a rewrite adds to its commit's result. */
interface RewriteResult {
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/**
 * The shared frame of purge and compact, in one write transaction: `prepare`
 * (given the new version) updates the index and says which `files` to
 * rewrite with which `entries`; the files are rewritten
 * ({@link rewriteFiles}), the version's log entry (with `log`'s fields and
 * the segment bytes before and after) and the head are written; after the
 * commit the old files are deleted.
 *
 * @throws ReadOnlyError; whatever `prepare` throws; DepotIOError. On error nothing changes.
 */
function rewriteVersion<L extends object, R extends object>(
  core: DepotCore,
  operation: 'purge' | 'compact',
  options: WriteOptions,
  prepare: (version: number) => { entries: Map<number, SampleEntry>; files: Set<number>; repackAll: boolean; log: L; result: R },
): CommitInfo & R & RewriteResult {
  core.assertWritable(operation);
  let oldFiles: number[] = [];
  const result = core.writeTxn(operation, () => {
    const version = (core.dbMeta.get('head') as number) + 1;
    const bytesBefore = core.segmentBytes();
    const p = prepare(version);
    oldFiles = rewriteFiles(core, p.entries, p.files, p.repackAll);
    const bytesAfter = core.segmentBytes() - oldFiles.reduce((s, f) => s + fileSize(segmentPath(core.path, f)), 0);
    const time = new Date().toISOString();
    const log: LogEntry = { version, time, operation, added: [], removed: [], tags: [], ...p.log, bytesBefore, bytesAfter, ...(options.message !== undefined ? { message: options.message } : {}) };
    core.dbLog.putSync(version, log);
    core.dbMeta.putSync('head', version);
    return { version, time, added: [], removed: [], tags: [], ...p.result, bytesBefore, bytesAfter };
  });
  core.deleteFiles(oldFiles);
  return result;
}

/**
 * Erases `sampleIds` (Depot.purge documents it): every entry of each id is
 * dropped, `by_id` is rebuilt from scratch (so no branch page keeps an erased
 * id as a separator key), the log forgets the ids, and the segment files
 * holding their records are rewritten without them — with every other file
 * holding bytes no live chunk references (the tail of a killed write, chunks
 * no entry references), so that no stray copy of a record survives. Then the
 * index file is replaced by a compacted copy (erase.ts, {@link scrubIndex}).
 * With no ids: no new version; only the last step and the sweep of leftovers
 * (finishes a purge killed after its commit).
 *
 * @throws UnknownSampleError when an id was never in the depot; nothing changes.
 */
export function purge(core: DepotCore, sampleIds: Iterable<string>, options: WriteOptions = {}): PurgeResult {
  const t0 = performance.now();
  const ids = [...new Set(sampleIds)];
  core.assertWritable('purge');
  const before = new Set(core.segmentFiles());
  let entriesDropped = 0;
  let records = 0;
  let rewritten: number[] = [];
  const commit =
    ids.length === 0
      ? undefined
      : rewriteVersion(core, 'purge', options, () => {
          const drop = new Set<number>();
          for (const id of ids) {
            const seqs = fitsKey(id) ? [...core.dbById.getRange({ start: [id, 0], end: [id, MAX_SEQ] })].map(({ key }) => (key as [string, number])[1]) : [];
            if (seqs.length === 0) throw new UnknownSampleError(id, core.path, 'any version');
            seqs.forEach((q) => drop.add(q));
          }
          const entries = allEntries(core);
          const tagsChanged = [...core.dbTags.getRange({})]
            .map(({ value }) => value as TagEntry)
            .filter((t) => [...drop].some((q) => isLive(entries.get(q)!, t.version)))
            .map((t) => t.name);
          const affected = new Set<number>();
          for (const q of drop) for (const c of entries.get(q)!.chunks) affected.add(core.dbChunks.get(c)!.file);
          for (const q of drop) {
            records += entries.get(q)!.chunks.length;
            // The sample's reference blocks (gVCF) go with its entry; the index scrub then drops their pages.
            core.dbRefBlocks.removeSync(q);
            core.dbEntries.removeSync(q);
            entries.delete(q);
          }
          entriesDropped = drop.size;
          // by_id from scratch: a deleted key can stay behind as a separator key of a branch page.
          core.dbById.clearSync();
          for (const [seq, e] of [...entries].sort((a, b) => a[0] - b[0])) core.dbById.putSync([e.sampleId, seq], true);
          // The log forgets the ids.
          const gone = new Set(ids);
          for (const { key, value } of [...core.dbLog.getRange({})]) {
            const l = value as LogEntry;
            if (l.added.some((x) => gone.has(x)) || l.removed.some((x) => gone.has(x))) {
              core.dbLog.putSync(key as number, { ...l, added: l.added.filter((x) => !gone.has(x)), removed: l.removed.filter((x) => !gone.has(x)) });
            }
          }
          // Variant sets no entry is over any more (an import's sites, private
          // ones included) are deleted; declared sites stay.
          const usedSets = new Set<number>();
          for (const e of entries.values()) usedSets.add(setOf(e));
          const variantSetsDeleted: number[] = [];
          const all = core.setEntries();
          const keptBytes = new Set(all.filter((se) => se.declared || usedSets.has(se.id)).map((se) => se.stored ?? se.id));
          const freed = new Set<number>();
          for (const se of all) {
            if (se.declared || usedSets.has(se.id)) continue;
            core.dbVariants.removeSync(`info:${se.id}`);
            variantSetsDeleted.push(se.id);
            freed.add(se.stored ?? se.id);
          }
          // Stored bytes no kept set names (as its own or shared) go too.
          for (const id of freed) {
            if (keptBytes.has(id)) continue;
            core.dbVariants.removeSync(`set:${id}`);
            core.forgetSet(id);
          }
          if (variantSetsDeleted.length > 0) {
            // The REF index forgets the deleted sets' positions (a private
            // site's position is a trace of it): rebuilt from the sets kept.
            // Written as format 3 windows: a format 2 depot is upgraded.
            rebuildRefs(core, all.filter((se) => se.declared || usedSets.has(se.id)));
            const fmt = core.dbMeta.get('format') as DepotMeta;
            if (fmt.version < DEPOT_FORMAT_VERSION) core.dbMeta.putSync('format', { ...fmt, version: DEPOT_FORMAT_VERSION });
          }
          for (const f of untidyFiles(core, entries)) affected.add(f);
          rewritten = [...affected].sort((a, b) => a - b);
          return {
            entries,
            files: affected,
            repackAll: false,
            log: { purged: ids.length, tagsChanged, ...(variantSetsDeleted.length > 0 ? { variantSetsDeleted } : {}) },
            result: { tagsChanged },
          };
        });
  const scrub = scrubIndex(core);
  const name = (f: number): string => relative(core.path, segmentPath(core.path, f));
  const head = commit ? undefined : core.snapshot((txn) => core.head(txn));
  return {
    ...(commit ?? { version: head!, time: new Date().toISOString(), added: [], removed: [], tags: [], tagsChanged: [], bytesBefore: core.segmentBytes(), bytesAfter: core.segmentBytes() }),
    erased: {
      samples: ids,
      entries: entriesDropped,
      records,
      filesRewritten: rewritten.map(name),
      filesWritten: core.segmentFiles().filter((f) => !before.has(f)).map(name),
      filesDeleted: [...rewritten.map(name), ...scrub.filesDeleted],
      indexBytesBefore: scrub.indexBytesBefore,
      indexBytesAfter: scrub.indexBytesAfter,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}

/**
 * Segment files holding bytes that no chunk referenced by `entries` covers:
 * the tail of a write that was killed, chunks no entry references. A purge
 * rewrites them too: such bytes may hold a copy of an erased record.
 */
function untidyFiles(core: DepotCore, entries: Map<number, SampleEntry>): number[] {
  const live = new Set<number>();
  for (const e of entries.values()) for (const c of e.chunks) live.add(c);
  const covered = new Map<number, number>();
  for (const { key, value } of core.dbChunks.getRange({})) {
    const c = value as ChunkEntry;
    if (live.has(key as number)) covered.set(c.file, (covered.get(c.file) ?? FILE_HEADER_SIZE) + CHUNK_HEADER_SIZE + c.compressedLength);
  }
  return core.segmentFiles().filter((f) => fileSize(segmentPath(core.path, f)) > (covered.get(f) ?? FILE_HEADER_SIZE));
}

/**
 * Rewrites every segment file (Depot.compact documents it): drops chunks no
 * entry references and repacks all records block-major.
 */
export function compact(core: DepotCore, options: WriteOptions = {}): CommitInfo & RewriteResult {
  return rewriteVersion(core, 'compact', options, () => ({ entries: allEntries(core), files: new Set(core.segmentFiles()), repackAll: true, log: {}, result: {} }));
}

/** Every entry of the index (in the current transaction), by seq. */
function allEntries(core: DepotCore): Map<number, SampleEntry> {
  const m = new Map<number, SampleEntry>();
  for (const { key, value } of core.dbEntries.getRange({})) m.set(key as number, value as SampleEntry);
  return m;
}

/**
 * Inside a write transaction: moves every record of `entries` that lives in
 * one of `files` into new segment files (numbered after every existing
 * one), fdatasyncs them, and updates the chunk directory, the entries and
 * the active segment. With `repackAll` every record is repacked
 * block-major; otherwise chunks whose records all survive are copied
 * verbatim (checksum verified) and only the others are repacked. Chunks no
 * entry references are dropped. Returns the old file numbers, to delete
 * after the commit; on error the new files are deleted (the index, rolled
 * back with the transaction, never referenced them).
 *
 * Streaming: records are repacked one group of consecutive blocks at a
 * time (blocks are added to a group until its records reach
 * {@link REPACK_GROUP_CHUNKS} chunk targets, 64 MiB by default; a group
 * has at least one block). For a group, each source chunk holding one of
 * its records is decompressed once (one at a time, no cache), the group's
 * records are copied out, packed block-major ({@link BlockRepacker}: block
 * b of every sample in entry order, a block of 1/16 chunk or more in chunks
 * of its own), compressed, and appended to the new files; then the next
 * group. Memory: about one group of records, its compressed chunks and one
 * decompressed source chunk (a group is one block when one block of all
 * samples is larger than the budget), plus the index (entries and chunk
 * directory), whatever the depot's size. Verbatim chunks are copied in
 * batches of the same budget.
 */
function rewriteFiles(core: DepotCore, entries: Map<number, SampleEntry>, files: Set<number>, repackAll: boolean): number[] {
  const chunks = new Map<number, ChunkEntry>();
  for (const { key, value } of core.dbChunks.getRange({})) chunks.set(key as number, value as ChunkEntry);
  const refCount = new Map<number, number>();
  for (const e of entries.values()) for (const c of e.chunks) refCount.set(c, (refCount.get(c) ?? 0) + 1);
  const moving = [...chunks].filter(([, c]) => files.has(c.file)).sort(([, x], [, y]) => x.file - y.file || x.offset - y.offset);
  // A chunk is copied verbatim unless repacking everything or some of its records are gone; unreferenced ones are dropped.
  const verbatim: number[] = [];
  const repack = new Set<number>();
  for (const [id, c] of moving) {
    const n = refCount.get(id) ?? 0;
    if (n === 0) continue;
    if (!repackAll && c.items === n) verbatim.push(id);
    else repack.add(id);
  }
  const budget = REPACK_GROUP_CHUNKS * core.meta.chunkTargetBytes;
  const reader = new ChunkReader({ cacheBytes: 0 });
  const writer = core.writer;
  const next = { ...(core.dbMeta.get('next') as Counters) };
  // ---- the new files, after every existing one
  const created: string[] = [];
  let file = Math.max(-1, ...core.segmentFiles());
  let path = '';
  let end = 0;
  const newFile = (): void => {
    file++;
    path = segmentPath(core.path, file);
    rmSync(path, { force: true });
    created.push(path);
    end = writer.create(path);
  };
  /** Appends chunks (one fdatasync per file written), rolling over past segmentMaxBytes; returns where each went. */
  const append = (cs: readonly EncodedChunk[]): { file: number; offset: number }[] => {
    const at: { file: number; offset: number }[] = [];
    let batch: EncodedChunk[] = [];
    const flush = (): void => {
      if (batch.length === 0) return;
      const r = writer.appendChunks(path, end, batch);
      for (const o of r.offsets) at.push({ file, offset: o });
      end = r.end;
      batch = [];
    };
    let pending = end;
    for (const c of cs) {
      if (pending + c.bytes.length > core.meta.segmentMaxBytes && pending > FILE_HEADER_SIZE) {
        flush();
        writer.closeFile(path);
        newFile();
        pending = end;
      }
      batch.push(c);
      pending += c.bytes.length;
    }
    flush();
    return at;
  };
  const updated = new Map<number, SampleEntry>();
  const entryOf = (seq: number): SampleEntry => {
    let e = updated.get(seq);
    if (!e) {
      const o = entries.get(seq)!;
      e = { ...o, chunks: [...o.chunks], offsets: [...o.offsets], lengths: [...o.lengths] };
      updated.set(seq, e);
    }
    return e;
  };
  const readChunk = (id: number): Uint8Array => core.readChunk(reader, id, chunks.get(id)!);
  try {
    newFile();
    // ---- verbatim chunks: checksum verified, copied as they are, in batches
    const remap = new Map<number, number>();
    let batch: { id: number; chunk: EncodedChunk }[] = [];
    let batchBytes = 0;
    const flushVerbatim = (): void => {
      const at = append(batch.map((x) => x.chunk));
      batch.forEach(({ id, chunk }, i) => {
        const c = chunks.get(id)!;
        const nid = next.chunk++;
        core.dbChunks.putSync(nid, { file: at[i]!.file, offset: at[i]!.offset, compressedLength: chunk.compressedLength, rawLength: chunk.rawLength, items: c.items });
        remap.set(id, nid);
      });
      batch = [];
      batchBytes = 0;
    };
    for (const id of verbatim) {
      const c = chunks.get(id)!;
      readChunk(id); // verify the checksum before copying the bytes
      const bytes = readChunkBytes(core.path, c);
      batch.push({ id, chunk: { bytes, rawLength: c.rawLength, compressedLength: c.compressedLength, checksum: 0 } });
      batchBytes += bytes.length;
      if (batchBytes >= budget) flushVerbatim();
    }
    flushVerbatim();
    if (remap.size > 0) {
      for (const [seq, e] of entries) {
        e.chunks.forEach((c, b) => {
          const nid = remap.get(c);
          if (nid !== undefined) entryOf(seq).chunks[b] = nid;
        });
      }
    }
    // ---- repacked records, one group of blocks at a time
    const emitted: { chunk: EncodedChunk; items: RepackItem[] }[] = [];
    const writeEmitted = (): void => {
      const at = append(emitted.map((x) => x.chunk));
      emitted.forEach(({ chunk, items }, i) => {
        const nid = next.chunk++;
        core.dbChunks.putSync(nid, { file: at[i]!.file, offset: at[i]!.offset, compressedLength: chunk.compressedLength, rawLength: chunk.rawLength, items: items.length });
        for (const it of items) {
          const e = entryOf(it.seq);
          e.chunks[it.block] = nid;
          e.offsets[it.block] = it.offset;
          e.lengths[it.block] = it.length;
        }
      });
      emitted.length = 0;
    };
    const packer = new BlockRepacker(core.meta.chunkTargetBytes, core.meta.level, (chunk, items) => void emitted.push({ chunk, items }));
    if (repack.size > 0) {
      const list = [...entries];
      // Entries over different variant sets have different block counts.
      let nBlocks = 0;
      for (const [, e] of list) nBlocks = Math.max(nBlocks, e.chunks.length);
      for (let b0 = 0; b0 < nBlocks; ) {
        // The group [b0, b1): blocks until their records reach the budget.
        let b1 = b0;
        let bytes = 0;
        while (b1 < nBlocks && (b1 === b0 || bytes < budget)) {
          for (const [, e] of list) if (repack.has(e.chunks[b1]!)) bytes += e.lengths[b1]!;
          b1++;
        }
        // Its records, in (block, entry) order, and which chunk each is in.
        const seqs: number[][] = [];
        const recs: Uint8Array[][] = [];
        const byChunk = new Map<number, { g: number; i: number; e: SampleEntry }[]>();
        for (let b = b0; b < b1; b++) {
          const s: number[] = [];
          for (const [seq, e] of list) {
            const c = e.chunks[b]!;
            if (!repack.has(c)) continue;
            pushTo(byChunk, c, { g: b - b0, i: s.length, e });
            s.push(seq);
          }
          seqs.push(s);
          recs.push(new Array<Uint8Array>(s.length));
        }
        const order = [...byChunk.keys()].sort((x, y) => chunks.get(x)!.file - chunks.get(y)!.file || chunks.get(x)!.offset - chunks.get(y)!.offset);
        for (const id of order) {
          const buf = readChunk(id);
          for (const { g, i, e } of byChunk.get(id)!) {
            const b = b0 + g;
            recs[g]![i] = buf.slice(e.offsets[b]!, recordEnd(core.path, e, b, buf.length));
          }
        }
        byChunk.clear();
        for (let g = 0; g < seqs.length; g++) {
          packer.addBlock(b0 + g, seqs[g]!, recs[g]!);
          recs[g] = [];
        }
        writeEmitted();
        b0 = b1;
      }
      packer.finish();
      writeEmitted();
    }
    // Every new file is synced (appendChunks fdatasyncs); now the index.
    for (const [id] of moving) core.dbChunks.removeSync(id);
    for (const [seq, e] of updated) core.dbEntries.putSync(seq, e);
    core.dbMeta.putSync('segment', { file, end } satisfies SegmentState);
    core.dbMeta.putSync('next', next);
    return [...files];
  } catch (err) {
    // The transaction rolls back; the new files were never referenced.
    for (const p of created) {
      try {
        writer.closeFile(p);
      } finally {
        rmSync(p, { force: true });
      }
    }
    throw err;
  } finally {
    reader.close();
  }
}

/** The on-disk bytes (header + frame) of a chunk, read whole. */
function readChunkBytes(root: string, c: ChunkEntry): Uint8Array {
  const fd = openSync(segmentPath(root, c.file), 'r');
  try {
    const out = new Uint8Array(CHUNK_HEADER_SIZE + c.compressedLength);
    let got = 0;
    while (got < out.length) {
      const n = readSync(fd, out, got, out.length - got, c.offset + got);
      if (n === 0) throw new DepotIOError(root, `reading chunk at byte ${c.offset} of segment ${c.file}`, { cause: new Error('unexpected end of file') });
      got += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
