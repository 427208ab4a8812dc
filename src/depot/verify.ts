/**
 * Whole-depot inspections: {@link verify} (fsck: every segment file, chunk,
 * record, index value, log entry and tag, in one read snapshot) and
 * {@link stats} (size figures).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordView, blockCount, validateRecordView, type VariantSet } from '../codec/index.ts';
import { CHUNK_HEADER_SIZE, ChunkReader, FILE_HEADER_SIZE, scanChunks } from '../schunk/index.ts';
import { checkChunkEntry, decompressReferenceBlocks, checkLogEntry, checkMetaValue, checkSampleEntry, checkTagEntry, type ChunkEntry, type Counters, type LogEntry, type SampleEntry, type SegmentState, type TagEntry, type VariantSetEntry } from './layout.ts';
import { stagingOwner } from './chunks.ts';
import { ALL_DIGITS, CHUNK_DIR, INDEX_FILE, fileSize, isLive, pushTo, segmentNumbers, segmentPath, setOf, type DepotCore } from './core.ts';
import type { DepotStats, VerifyIssue, VerifyReport } from './types.ts';

/** Size figures of the head, from one read snapshot (Depot.stats). */
export function stats(core: DepotCore): DepotStats {
  core.assertOpen();
  return core.snapshot((txn) => {
    let chunks = 0;
    let rawBytes = 0;
    for (const { value } of core.dbChunks.getRange({ transaction: txn } as any)) {
      chunks++;
      rawBytes += (value as ChunkEntry).rawLength;
    }
    const head = core.dbMeta.get('head', { transaction: txn } as any) as number;
    const files = readdirSync(join(core.path, CHUNK_DIR)).filter((f) => f.endsWith('.vczc'));
    const chunkBytes = files.reduce((s, f) => s + fileSize(join(core.path, CHUNK_DIR, f)), 0);
    return {
      head,
      samples: core.liveEntries(head, txn).length,
      entries: core.dbEntries.getKeysCount({ transaction: txn } as any),
      tags: core.dbTags.getKeysCount({ transaction: txn } as any),
      chunks,
      segmentFiles: files.length,
      chunkBytes,
      indexBytes: statSync(join(core.path, INDEX_FILE)).size,
      rawBytes,
      referenceBlockSamples: core.liveEntries(head, txn).filter(({ entry }) => entry.referenceBlocks !== undefined).length,
      referenceBlockBytes: [...core.dbRefBlocks.getRange({ transaction: txn } as any)].reduce((sum, { value }) => sum + (value as Uint8Array).length, 0),
    };
  });
}

/**
 * Checks the whole depot (Depot.verify documents what). A compact or purge
 * committed by another process deletes the files of the snapshot being
 * checked: when the head moved during a check that found errors, it checks
 * again from the new head (three passes at most).
 *
 * @returns the report. Never throws for damage it finds (only for a closed depot).
 */
export function verify(core: DepotCore): VerifyReport {
  core.assertOpen();
  const t0 = performance.now();
  for (let attempt = 0; ; attempt++) {
    const { report, head } = verifyOnce(core, t0);
    if (report.ok || attempt === 2) return report;
    let now: number;
    try {
      now = core.snapshot((txn) => core.head(txn));
    } catch {
      return report; // a damaged head: reported already
    }
    if (now === head) return report;
  }
}

/** The issues one pass found and how much it checked. */
class Findings {
  readonly issues: VerifyIssue[] = [];
  readonly checked = { segmentFiles: 0, chunks: 0, records: 0, entries: 0, versions: 0, tags: 0, referenceBlocks: 0 };
  readonly err = (i: Omit<VerifyIssue, 'severity'>): void => void this.issues.push({ severity: 'error', ...i });
  readonly warn = (i: Omit<VerifyIssue, 'severity'>): void => void this.issues.push({ severity: 'warning', ...i });
  /** Whether an index value has the shape the depot wrote; a damaged one is reported (to be skipped). */
  readonly shape = (dbi: string, key: unknown, reason: string | undefined): boolean => {
    if (reason) this.err({ kind: 'index', message: `${dbi}[${JSON.stringify(key)}] is damaged: ${reason}` });
    return !reason;
  };
}

/** Where a chunk is on disk: `${file}:${offset}` → its lengths from the file's chunk header. */
type OnDisk = Map<string, { rawLength: number; compressedLength: number }>;
/** chunk id → the records (entry seq, entry, block) the entries point at in it. */
type Refs = Map<number, { seq: number; e: SampleEntry; b: number }[]>;

function verifyOnce(core: DepotCore, t0: number): { report: VerifyReport; head: number } {
  let snapHead = -1;
  const f = new Findings();
  const reader = new ChunkReader({ cacheBytes: 0 });
  try {
    // Variant sets are decoded lazily; a damaged one is reported once (its records are then checked without it).
    const sets = new Map<number, VariantSet | undefined>();
    const vs = (id: number): VariantSet | undefined => {
      if (sets.has(id)) return sets.get(id);
      let set: VariantSet | undefined;
      try {
        set = core.variantSet(id);
      } catch (e) {
        f.err({ kind: 'index', message: (e as Error).message });
      }
      sets.set(id, set);
      return set;
    };
    try {
      for (const e of core.setEntries()) vs(e.id);
    } catch (e) {
      f.err({ kind: 'index', message: (e as Error).message });
    }
    core.snapshot((txn) => {
      const T = { transaction: txn } as any;
      const metaOk = (['head', 'segment', 'next'] as const).map((k) => f.shape('meta', k, checkMetaValue(k, core.dbMeta.get(k, T)))).every(Boolean);
      if (!metaOk) return;
      const head = core.dbMeta.get('head', T) as number;
      snapHead = head;
      const seg = core.dbMeta.get('segment', T) as SegmentState;
      const next = core.dbMeta.get('next', T) as Counters;
      const chunks = new Map<number, ChunkEntry>();
      for (const { key, value } of core.dbChunks.getRange(T)) if (f.shape('chunks', key, checkChunkEntry(value))) chunks.set(key as number, value as ChunkEntry);
      const onDisk = checkSegmentFiles(core, f, chunks, seg, next);
      const { entries, refs } = checkEntries(core, f, T, head, next);
      checkRecords(core, f, reader, vs, chunks, onDisk, refs);
      checkReferenceBlocks(core, f, T, entries);
      checkHistory(core, f, T, head, entries);
    });
  } catch (e) {
    // Never throw for damage: whatever stopped the check is an error of the report.
    f.err({ kind: 'index', message: `verify could not finish: ${(e as Error)?.message ?? String(e)}` });
  } finally {
    reader.close();
  }
  const report: VerifyReport = {
    ok: !f.issues.some((i) => i.severity === 'error'),
    depot: core.path,
    issues: f.issues,
    checked: f.checked,
    seconds: (performance.now() - t0) / 1000,
  };
  return { report, head: snapHead };
}

/**
 * Segment files: staging leftovers, headers, every chunk up to the committed
 * end, bytes past it, orphan and missing files; then each chunk of the index
 * against the chunk on disk.
 *
 * @returns the valid chunks found on disk.
 */
function checkSegmentFiles(core: DepotCore, f: Findings, chunks: Map<number, ChunkEntry>, seg: SegmentState, next: Counters): OnDisk {
  const { err, warn } = f;
  const byFile = new Map<number, ChunkEntry[]>();
  for (const c of chunks.values()) pushTo(byFile, c.file, c);
  const names = readdirSync(join(core.path, CHUNK_DIR));
  for (const name of names) {
    const owner = stagingOwner(name);
    if (owner) {
      const path = join(core.path, CHUNK_DIR, name);
      warn({ kind: 'staging-file', file: path, message: `staging file ${path} of process ${owner.pid} on ${owner.host}: a large transaction in progress, or left by one that was interrupted (the next large write on that host deletes it once the process is gone), harmless` });
    }
  }
  const files = segmentNumbers(names);
  const onDisk: OnDisk = new Map();
  for (const file of files) {
    const path = segmentPath(core.path, file);
    if (file > seg.file) {
      warn({ kind: 'orphan-file', file: path, message: `segment file ${path} is past the recorded one (${seg.file}): left by an interrupted write, harmless` });
      continue;
    }
    f.checked.segmentFiles++;
    const own = byFile.get(file) ?? [];
    if (own.length === 0 && file !== seg.file) {
      warn({ kind: 'orphan-file', file: path, message: `segment file ${path} holds no chunk of the index (left by an interrupted compact or purge): reclaimable by compact` });
      continue;
    }
    const end = file === seg.file ? seg.end : own.reduce((m, c) => Math.max(m, c.offset + CHUNK_HEADER_SIZE + c.compressedLength), FILE_HEADER_SIZE);
    const size = statSync(path, { throwIfNoEntry: false })?.size;
    if (size === undefined) {
      err({ kind: 'missing-file', file: path, message: `segment file ${path} disappeared while being checked` });
      continue;
    }
    if (size < end) err({ kind: 'truncated-file', file: path, offset: size, message: `${path} has ${size} bytes but chunks are committed up to byte ${end}` });
    else if (size > end) warn({ kind: 'bytes-past-end', file: path, offset: end, message: `${size - end} bytes past the committed end of ${path} (byte ${end}): left by an interrupted write, harmless` });
    try {
      for (const c of scanChunks(path, Math.min(end, size))) {
        f.checked.chunks++;
        if (c.ok) onDisk.set(`${file}:${c.offset}`, { rawLength: c.rawLength, compressedLength: c.compressedLength });
        else err({ kind: 'corrupt-chunk', file: path, offset: c.offset, message: c.error.message });
      }
    } catch (e) {
      err({ kind: 'bad-file', file: path, message: (e as Error).message });
    }
  }
  for (const file of byFile.keys()) {
    if (!files.includes(file)) err({ kind: 'missing-file', file: segmentPath(core.path, file), message: `segment file ${segmentPath(core.path, file)} is referenced by the index but missing` });
  }
  for (const [id, c] of chunks) {
    if (id >= next.chunk) err({ kind: 'index', chunk: id, message: `chunk id ${id} is not below the next id ${next.chunk}` });
    const d = onDisk.get(`${c.file}:${c.offset}`);
    const path = segmentPath(core.path, c.file);
    if (!d) {
      if (files.includes(c.file)) err({ kind: 'chunk-missing', chunk: id, file: path, offset: c.offset, message: `chunk ${id} at byte ${c.offset} of ${path} is not a valid chunk on disk` });
    } else if (d.rawLength !== c.rawLength || d.compressedLength !== c.compressedLength) {
      err({ kind: 'chunk-mismatch', chunk: id, file: path, offset: c.offset, message: `chunk ${id}: index says ${c.rawLength}/${c.compressedLength} bytes, file says ${d.rawLength}/${d.compressedLength}` });
    }
  }
  return onDisk;
}

/**
 * Entries: shape, seq and versions in range, one chunk per block, listed in
 * the sample-id index (and that index names no other entry).
 *
 * @returns the well-formed entries by seq, and the records they point at by chunk.
 */
function checkEntries(core: DepotCore, f: Findings, T: unknown, head: number, next: Counters): { entries: Map<number, SampleEntry>; refs: Refs } {
  const { err } = f;
  const refs: Refs = new Map();
  const entries = new Map<number, SampleEntry>();
  for (const { key, value } of core.dbEntries.getRange(T as any)) {
    const seq = key as number;
    const e = value as SampleEntry;
    if (!f.shape('entries', key, checkSampleEntry(value))) continue;
    entries.set(seq, e);
    f.checked.entries++;
    if (seq >= next.seq) err({ kind: 'index', sampleId: e.sampleId, message: `entry ${seq} is not below the next seq ${next.seq}` });
    if (e.addedAt > head || (e.removedAt !== undefined && (e.removedAt > head || e.removedAt <= e.addedAt))) {
      err({ kind: 'index', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}) has versions added ${e.addedAt} / removed ${e.removedAt} outside 0..${head}` });
    }
    let set: VariantSetEntry | undefined;
    try {
      set = core.setEntry(setOf(e), T);
    } catch (x) {
      err({ kind: 'index', sampleId: e.sampleId, message: (x as Error).message });
      continue;
    }
    if (!set) {
      err({ kind: 'index', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}) is over variant set ${setOf(e)}, which the index does not hold` });
      continue;
    }
    const nBlocks = blockCount(set.numVariants, core.meta.blockSize);
    if (e.chunks.length !== nBlocks) {
      err({ kind: 'index', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}) lists ${e.chunks.length} blocks; its variant set ${setOf(e)} has ${nBlocks}` });
      continue;
    }
    if (core.dbById.get([e.sampleId, seq], T as any) === undefined) err({ kind: 'index', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}) is missing from the sample-id index` });
    e.chunks.forEach((id, b) => pushTo(refs, id, { seq, e, b }));
  }
  for (const { key } of core.dbById.getRange(T as any)) {
    const [id, seq] = key as [string, number];
    if (entries.get(seq)?.sampleId !== id) err({ kind: 'index', sampleId: id, message: `sample-id index names entry ${seq} for '${id}', which does not exist` });
  }
  return { entries, refs };
}

/**
 * Reference blocks (gVCF): every entry that has them has a `ref_blocks`
 * value of the recorded size that decompresses to the recorded raw size;
 * no value belongs to an entry that does not exist or has none.
 */
function checkReferenceBlocks(core: DepotCore, f: Findings, T: unknown, entries: Map<number, SampleEntry>): void {
  const { err } = f;
  for (const [seq, e] of entries) {
    if (!e.referenceBlocks) continue;
    const stored = core.dbRefBlocks.get(seq, T as any);
    if (stored === undefined) {
      err({ kind: 'index', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}) has reference blocks that ref_blocks[${seq}] does not hold` });
      continue;
    }
    f.checked.referenceBlocks++;
    try {
      if (stored.length !== e.referenceBlocks.bytes) throw new Error(`${stored.length} bytes stored, the entry records ${e.referenceBlocks.bytes}`);
      const raw = decompressReferenceBlocks(stored);
      if (raw.length !== e.referenceBlocks.rawBytes) throw new Error(`they decompress to ${raw.length} bytes, the entry records ${e.referenceBlocks.rawBytes}`);
    } catch (x) {
      err({ kind: 'bad-reference-blocks', sampleId: e.sampleId, message: `sample '${e.sampleId}' (entry ${seq}): its reference blocks (ref_blocks[${seq}]) are damaged: ${(x as Error).message}` });
    }
  }
  for (const { key } of core.dbRefBlocks.getRange(T as any)) {
    const seq = key as number;
    if (!entries.get(seq)?.referenceBlocks) err({ kind: 'index', message: `ref_blocks[${seq}] belongs to no entry with reference blocks` });
  }
}

/**
 * Records: every record an entry points at lies inside its chunk, is that
 * sample's record of that block with the entry's ploidy, and decodes against
 * the variant set `vs` (when it could be decoded); chunks no entry points at
 * are reported as reclaimable.
 */
function checkRecords(core: DepotCore, f: Findings, reader: ChunkReader, vs: (id: number) => VariantSet | undefined, chunks: Map<number, ChunkEntry>, onDisk: OnDisk, refs: Refs): void {
  const { err, warn } = f;
  for (const [id, list] of refs) {
    const c = chunks.get(id);
    if (!c) {
      for (const r of list) err({ kind: 'dangling', sampleId: r.e.sampleId, block: r.b, chunk: id, message: `sample '${r.e.sampleId}' block ${r.b} points at chunk ${id}, which the index does not have` });
      continue;
    }
    if (!onDisk.has(`${c.file}:${c.offset}`)) continue; // reported above
    let buf: Uint8Array;
    try {
      buf = core.readChunk(reader, id, c);
    } catch (e) {
      err({ kind: 'corrupt-chunk', chunk: id, file: segmentPath(core.path, c.file), offset: c.offset, message: (e as Error).message });
      continue;
    }
    for (const r of list) {
      f.checked.records++;
      const off = r.e.offsets[r.b]!;
      const len = r.e.lengths[r.b]!;
      const where = { sampleId: r.e.sampleId, block: r.b, chunk: id };
      if (off % 8 !== 0 || off + len > c.rawLength) {
        err({ kind: 'dangling', ...where, message: `sample '${r.e.sampleId}' block ${r.b}: record [${off}, ${off + len}) is not inside chunk ${id} (${c.rawLength} bytes) at an 8-byte aligned offset` });
        continue;
      }
      try {
        const view = new RecordView(buf.subarray(off, off + len));
        if (view.sampleId !== r.e.sampleId || view.block !== r.b) throw new Error(`holds sample '${view.sampleId}' block ${view.block}`);
        if (view.ploidy !== r.e.ploidy) throw new Error(`has ploidy ${view.ploidy}; the index says ${r.e.ploidy}`);
        const set = vs(setOf(r.e));
        if (set) validateRecordView(set, core.meta.blockSize, view);
        else void view.fields; // still check each field's structure
      } catch (e) {
        err({ kind: 'bad-record', ...where, message: `sample '${r.e.sampleId}' block ${r.b} (chunk ${id}): ${(e as Error).message}` });
      }
    }
  }
  for (const id of chunks.keys()) {
    if (!refs.has(id)) warn({ kind: 'unreferenced-chunk', chunk: id, message: `chunk ${id} holds no live or tagged record (reclaimable by compact)` });
  }
}

/**
 * The log, versions and tags: one log entry per version 0..head; each tag
 * names a version whose log entry records it (and the reverse); replaying the
 * log rebuilds the head's and every tagged version's sample set; and each
 * entry's addedAt / removedAt is exactly where the log names it added /
 * removed.
 */
function checkHistory(core: DepotCore, f: Findings, T: unknown, head: number, entries: Map<number, SampleEntry>): void {
  const { err, warn } = f;
  const log = new Map<number, LogEntry>();
  for (const { key, value } of core.dbLog.getRange(T as any)) if (f.shape('log', key, checkLogEntry(value, key as number))) log.set(key as number, value as LogEntry);
  for (let v = 0; v <= head; v++) {
    f.checked.versions++;
    const l = log.get(v);
    if (!l || l.version !== v) err({ kind: 'log', version: v, message: `the log has no entry for version ${v} (head ${head})` });
  }
  for (const v of log.keys()) if (v > head) err({ kind: 'log', version: v, message: `the log has version ${v} past the head ${head}` });
  // Replaying the log must rebuild each version's sample set from the entries.
  const replay = new Set<string>();
  const tagsByVersion = new Map<number, string[]>();
  for (const { key, value } of core.dbTags.getRange(T as any)) {
    if (!f.shape('tags', key, checkTagEntry(value, key as string))) continue;
    const t = value as TagEntry;
    f.checked.tags++;
    if (t.version > head || !log.get(t.version)?.tags.includes(t.name)) err({ kind: 'tag', tag: t.name, version: t.version, message: `tag '${t.name}' names version ${t.version}, which the log does not record as tagged '${t.name}'` });
    pushTo(tagsByVersion, t.version, t.name);
    if (ALL_DIGITS.test(t.name) && Number(t.name) <= head) {
      warn({ kind: 'tag', tag: t.name, version: t.version, message: `tag '${t.name}' (version ${t.version}) is named like version ${Number(t.name)}, so \`--at ${t.name}\` is ambiguous (an error); read the tag with --at ${t.version}` });
    }
  }
  const liveAt = (v: number) => [...entries.values()].filter((e) => isLive(e, v)).map((e) => e.sampleId);
  for (let v = 0; v <= head; v++) {
    const l = log.get(v);
    if (!l) continue;
    for (const id of l.removed) replay.delete(id);
    for (const id of l.added) replay.add(id);
    for (const t of l.tags) if (!tagsByVersion.get(v)?.includes(t)) err({ kind: 'tag', tag: t, version: v, message: `the log says version ${v} created tag '${t}', which does not exist` });
    if (v === head || tagsByVersion.has(v)) {
      const got = new Set(liveAt(v));
      const same = got.size === replay.size && [...replay].every((id) => got.has(id));
      if (!same) err({ kind: 'log', version: v, message: `the samples live at version ${v} (${got.size}) differ from the log's replay (${replay.size})` });
    }
  }
  // Every version, not only tagged ones: each entry's addedAt / removedAt is
  // exactly where the log names it added / removed, and nothing else is named.
  const key = (v: number, id: string) => `${v}\u0000${id}`;
  const entryAdds = new Set<string>();
  const entryRemoves = new Set<string>();
  for (const e of entries.values()) {
    entryAdds.add(key(e.addedAt, e.sampleId));
    if (e.removedAt !== undefined) entryRemoves.add(key(e.removedAt, e.sampleId));
  }
  const logAdds = new Set<string>();
  const logRemoves = new Set<string>();
  for (const [v, l] of log) {
    for (const id of l.added) logAdds.add(key(v, id));
    for (const id of l.removed) logRemoves.add(key(v, id));
  }
  const mismatch = (a: Set<string>, b: Set<string>, what: string) => {
    for (const k of a) {
      if (b.has(k)) continue;
      const [v, id] = k.split('\u0000') as [string, string];
      err({ kind: 'log', version: Number(v), sampleId: id, message: `sample '${id}' ${what} at version ${v}` });
    }
  };
  mismatch(entryAdds, logAdds, 'is added by an entry but not by the log');
  mismatch(logAdds, entryAdds, 'is added by the log but by no entry');
  mismatch(entryRemoves, logRemoves, 'is removed by an entry but not by the log');
  mismatch(logRemoves, entryRemoves, 'is removed by the log but by no entry');
}
