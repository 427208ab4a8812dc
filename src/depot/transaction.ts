/**
 * Writes: a transaction stages operations ({@link beginTransaction}) and
 * commits them as one version ({@link commitStaged}).
 *
 * Commit protocol (docs/depot-format.md, "Commit protocol"): records are
 * encoded and compressed outside the write lock, as they are staged; inside
 * one synchronous LMDB write transaction the chunks are appended at the end
 * of the active segment file *as recorded in the index*, fdatasync'ed, and
 * only then are the index entries, the new version and its log entry written
 * and the transaction committed (LMDB syncs on commit: `overlappingSync` is
 * off). A crash before the commit leaves bytes past the recorded end, which
 * the next writer overwrites; readers never follow an index entry to
 * unsynced bytes. A large transaction's chunks go to staging files, which the
 * commit renames into place as the next segment files.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { blockCount, encodeBlockRecord, encodeSampleRecords, RecordValidationError, type SampleCalls, type VariantSet } from '../codec/index.ts';
import { FILE_HEADER_SIZE, type EncodedChunk } from '../schunk/index.ts';
import { DuplicateSampleError, InvalidArgumentError, TagExistsError, UnknownSampleError } from './errors.ts';
import { DEPOT_FORMAT_VERSION, compressReferenceBlocks, compressVariantSet, packVariantSet, refsHash, type Counters, type DepotMeta, type FieldStats, type LogEntry, type Operation, type SampleEntry, type SegmentState, type TagEntry, type VariantSetEntry } from './layout.ts';
import { checkVariantSet } from './variant-set-check.ts';
import { ChunkStager, type EncodedSample } from './chunks.ts';
import { ALL_DIGITS, CHUNK_DIR, checkName, rebuildRefs, segmentPath, type DepotCore } from './core.ts';
import type { BeginOptions, BlockWriter, CommitInfo, StagedTransaction, VariantSetRef } from './types.ts';

type TagOp = { kind: 'tag'; name: string; message?: string };
type StagedOp = { kind: 'put'; samples: EncodedSample[]; set: VariantSetRef } | { kind: 'remove'; sampleIds: string[] } | TagOp;

/** A variant set staged by addVariantSet: stored (and given its id) by the commit. */
interface StagedSet {
  readonly staged: true;
  readonly variantSet: VariantSet;
  readonly contentHash: string;
  /** The compressed bytes to store, or the stored set (or staged set) with the same content whose bytes it shares. */
  readonly bytes: Uint8Array | { readonly sameAs: number | StagedSet };
  readonly declared: boolean;
  /** What errors name it by (the file). */
  readonly label: string;
}

const isStaged = (r: VariantSetRef): r is StagedSet => typeof r === 'object' && r !== null && (r as StagedSet).staged === true;


/** FORMAT ID → width and, for an Integer field, the range of its values in `calls`. */
function fieldStats(calls: SampleCalls): Record<string, FieldStats> {
  const out: Record<string, FieldStats> = {};
  for (const f of calls.fields) {
    if (Array.isArray(f.values) || f.values instanceof Float32Array) {
      out[f.id] = { width: f.width };
    } else {
      const v = f.values as Int8Array | Int16Array | Int32Array;
      let min = 0;
      let max = 0;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        if (x < min) min = x;
        else if (x > max) max = x;
      }
      out[f.id] = { width: f.width, min, max };
    }
  }
  return out;
}

/** Merges one block's field stats into a sample's: widest width, widest Integer range. */
function mergeFieldStats(into: Record<string, FieldStats>, add: Record<string, FieldStats>): void {
  for (const id of Object.keys(add)) {
    const a = add[id]!;
    const cur = into[id];
    if (!cur) {
      into[id] = a;
      continue;
    }
    const width = Math.max(cur.width, a.width);
    if (cur.min === undefined || a.min === undefined) into[id] = { width };
    else into[id] = { width, min: Math.min(cur.min, a.min), max: Math.max(cur.max!, a.max!) };
  }
}

/**
 * A new transaction on `core` (Depot.begin documents it): puts are
 * validated, encoded and compressed as they are staged; the commit applies
 * every operation as one version.
 *
 * @throws ReadOnlyError for a read-only depot; InvalidArgumentError for a negative spillBytes.
 */
export function beginTransaction(core: DepotCore, options: BeginOptions = {}): StagedTransaction {
  core.assertWritable('write');
  const spillBytes = options.spillBytes ?? core.spillBytes;
  if (!(spillBytes >= 0)) throw new InvalidArgumentError('spillBytes', `${spillBytes} must be a number >= 0`);
  const ops: StagedOp[] = [];
  const { meta } = core;
  const stager = new ChunkStager(meta.chunkTargetBytes, meta.level, {
    dir: join(core.path, CHUNK_DIR),
    thresholdBytes: spillBytes,
    fileMaxBytes: meta.segmentMaxBytes,
  });
  const writers: { sampleIds: readonly string[]; nextBlock: number; nBlocks: number }[] = [];
  let ended = false;
  const live = (): void => {
    if (ended) throw new InvalidArgumentError('transaction', 'it was already committed or aborted');
  };
  const stagedSets: StagedSet[] = [];
  /** The variant set `ref` names (default: set 0, the declared one). */
  const setOf = (ref: VariantSetRef | undefined): VariantSet => {
    const r = ref ?? 0;
    if (typeof r !== 'number') {
      if (!isStaged(r) || !stagedSets.includes(r)) throw new InvalidArgumentError('variant set', 'it was staged by another transaction');
      return r.variantSet;
    }
    // One read snapshot (on the current index file, renewed: a purge in this
    // or another process may have replaced the file since the last read).
    return core.snapshot(() => {
      if (!Number.isInteger(r) || !core.setEntry(r)) {
        throw new InvalidArgumentError('variant set', ref === undefined ? `the depot ${core.path} has no variant set 0 (no declared sites): stage the samples' set with addVariantSet and pass it` : `${String(r)} is not stored in ${core.path}`);
      }
      return core.variantSet(r);
    });
  };
  /** Reference blocks as stored (checked, compressed outside the write lock). */
  const storedBlocks = (sampleId: string, bytes: Uint8Array | undefined): EncodedSample['referenceBlocks'] => {
    if (bytes === undefined) return undefined;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new InvalidArgumentError('referenceBlocks', `of sample '${sampleId}' must be a non-empty Uint8Array (encodeReferenceBlocks' output)`);
    return { stored: compressReferenceBlocks(bytes, meta.level), rawBytes: bytes.length };
  };
  const encode = (sampleId: string, calls: SampleCalls, vs: VariantSet, referenceBlocks?: Uint8Array): EncodedSample => {
    const rb = storedBlocks(sampleId, referenceBlocks);
    const s: EncodedSample = {
      sampleId: checkName('sample id', sampleId),
      ploidy: calls.ploidy,
      records: encodeSampleRecords(vs, meta.blockSize, sampleId, calls),
      fields: fieldStats(calls),
      ...(rb ? { referenceBlocks: rb } : {}),
    };
    stager.add(s);
    return s;
  };
  const putBlocks = (sampleIds: readonly string[], set?: VariantSetRef): BlockWriter => {
    live();
    const vs = setOf(set);
    const nBlocks = blockCount(vs.numVariants, meta.blockSize);
    const ids = [...sampleIds];
    const samples: EncodedSample[] = ids.map((id) => ({ sampleId: checkName('sample id', id), ploidy: 0, records: [], fields: {} }));
    ops.push({ kind: 'put', samples, set: set ?? 0 });
    const state = { sampleIds: ids, nextBlock: 0, nBlocks };
    writers.push(state);
    const blockSize = meta.blockSize;
    return {
      sampleIds: ids,
      get nextBlock() {
        return state.nextBlock;
      },
      setReferenceBlocks: (sampleIndex, bytes) => {
        live();
        const s = samples[sampleIndex];
        if (!Number.isInteger(sampleIndex) || s === undefined) throw new InvalidArgumentError('sampleIndex', `${sampleIndex} is not in 0..${samples.length - 1}`);
        s.referenceBlocks = storedBlocks(s.sampleId, bytes);
      },
      add: (calls) => {
        live();
        const block = state.nextBlock;
        if (block >= nBlocks) throw new InvalidArgumentError('block', `all ${nBlocks} blocks of this putBlocks were already added`);
        const records: Uint8Array[] = new Array(samples.length);
        for (let i = 0; i < samples.length; i++) {
          const s = samples[i]!;
          const c = calls(i);
          records[i] = encodeBlockRecord(vs, blockSize, s.sampleId, block, c);
          if (block === 0) s.ploidy = c.ploidy;
          else if (c.ploidy !== s.ploidy) {
            throw new RecordValidationError(s.sampleId, 'GT', undefined, `ploidy ${c.ploidy} in block ${block} but ${s.ploidy} in block 0: every block of a sample must have the same ploidy`);
          }
          mergeFieldStats(s.fields, fieldStats(c));
        }
        stager.addBlock(samples, block, records);
        state.nextBlock = block + 1;
      },
    };
  };
  return {
    addVariantSet: (variantSet, o = {}) => {
      live();
      checkVariantSet(variantSet);
      const packed = packVariantSet(variantSet);
      const hash = packed.contentHash;
      // A file of exactly the declared sites' content is a batch of the
      // fixed-site cohort those sites declare: its samples go over them.
      const stored = core.snapshot((txn) => core.setEntries(txn));
      if (!(o.declared ?? false)) {
        for (const e of stored) if (e.declared && e.contentHash === hash && e.numVariants === variantSet.numVariants) return e.id;
      }
      // The same content as a stored or staged set: share its bytes.
      let sameAs: number | StagedSet | undefined;
      for (const e of stored) if (e.contentHash === hash && e.numVariants === variantSet.numVariants) sameAs ??= e.stored ?? e.id;
      for (const st of stagedSets) if (sameAs === undefined && st.contentHash === hash) sameAs = 'sameAs' in st.bytes ? st.bytes.sameAs : st;
      const st: StagedSet = {
        staged: true,
        // The incoming set itself: its sites are the stored one's (no decode needed to stage against it).
        variantSet,
        contentHash: hash,
        bytes: sameAs === undefined ? compressVariantSet(packed, meta.level) : { sameAs },
        declared: o.declared ?? false,
        label: o.label ?? `variant set ${stagedSets.length} of this transaction`,
      };
      stagedSets.push(st);
      return st;
    },
    put: (sampleId, calls, set, o) => {
      live();
      ops.push({ kind: 'put', samples: [encode(sampleId, calls, setOf(set), o?.referenceBlocks)], set: set ?? 0 });
    },
    putMany: (entries, set) => {
      live();
      const vs = setOf(set);
      const samples: EncodedSample[] = [];
      for (const e of entries) samples.push(encode(e.sampleId, e.calls, vs, e.referenceBlocks));
      ops.push({ kind: 'put', samples, set: set ?? 0 });
    },
    putBlocks,
    remove: (ids) => {
      live();
      ops.push({ kind: 'remove', sampleIds: [...ids] });
    },
    tag: (name, o) => {
      live();
      if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('tag name', 'must be a non-empty string');
      checkName('tag name', name);
      if (ALL_DIGITS.test(name)) {
        throw new InvalidArgumentError('tag name', `'${name}' is all digits, which \`--at ${name}\` reads as version ${Number(name)}; a tag needs another character, e.g. 'v${name}'`);
      }
      ops.push({ kind: 'tag', name, ...(o?.message !== undefined ? { message: o.message } : {}) });
    },
    commit: (o = {}) => {
      live();
      ended = true;
      try {
        for (const w of writers) {
          if (w.nextBlock !== w.nBlocks) {
            throw new InvalidArgumentError('putBlocks', `${w.nextBlock} of ${w.nBlocks} blocks were added for ${w.sampleIds.length} sample(s) (${w.sampleIds.slice(0, 3).join(', ')}${w.sampleIds.length > 3 ? ', ...' : ''})`);
          }
        }
        const operation = o.operation ?? (ops.length === 1 ? (ops[0]!.kind as Operation) : 'transaction');
        return commitStaged(core, ops, stagedSets, operation, o.message, stager);
      } finally {
        stager.discard();
      }
    },
    abort: () => {
      ended = true;
      stager.discard();
    },
  };
}

/**
 * Inside a write transaction: records tag `op` as naming `version`, taken at
 * `time` (with `op.message`, else `message`).
 *
 * @throws TagExistsError when the name was ever used.
 */
function putTag(core: DepotCore, op: TagOp, version: number, time: string, message: string | undefined): void {
  const existing = core.dbTags.get(op.name);
  if (existing) throw new TagExistsError(op.name, core.path, existing.version);
  const msg = op.message ?? message;
  const t: TagEntry = { name: op.name, version, time, ...(msg !== undefined ? { message: msg } : {}) };
  core.dbTags.putSync(op.name, t);
}

/**
 * Applies the staged `ops` as one version, by the commit protocol (top of
 * this file); tags alone name the head instead ({@link commitTags}).
 *
 * @throws DuplicateSampleError, UnknownSampleError, TagExistsError (the
 *   checks against the head at commit), DepotIOError; nothing is written on error.
 */
function commitStaged(core: DepotCore, ops: StagedOp[], stagedSets: readonly StagedSet[], operation: Operation, message: string | undefined, stager: ChunkStager): CommitInfo {
  if (ops.length > 0 && ops.every((op) => op.kind === 'tag') && stagedSets.length === 0) return commitTags(core, ops as TagOp[], message);
  stager.finish();
  const { chunks, where } = stager;
  const writer = core.writer;
  const time = new Date().toISOString();
  return core.writeTxn(`commit (${operation})`, () => {
    const head = core.dbMeta.get('head') as number;
    const version = head + 1;
    const added: string[] = [];
    const removed: string[] = [];
    const tags: string[] = [];
    let next = core.dbMeta.get('next') as Counters;
    // Chunk ids are known before anything is written: next.chunk + i.
    const chunkIds = chunks.map((_, i) => next.chunk + i);
    next = { ...next, chunk: next.chunk + chunks.length };
    // Variant sets: the staged ones that are used (or declared) get the next ids.
    const used = new Set<StagedSet>();
    for (const op of ops) if (op.kind === 'put' && isStaged(op.set) && op.samples.length > 0) used.add(op.set);
    for (const st of stagedSets) if (st.declared) used.add(st);
    const setIds = new Map<StagedSet, number>();
    const setsAdded: number[] = [];
    if (used.size > 0) {
      if (core.isLegacy()) {
        // A format 1 depot: its set becomes set 0 of format 2, declared (its 'set' key is kept as is).
        const count = core.dbVariants.get('count') as number;
        core.indexRefs(core.variantSet(0), `the depot ${core.path}`);
        core.dbVariants.putSync('info:0', { id: 0, numVariants: count, declared: true, addedAt: 0, bytes: 0, contentHash: packVariantSet(core.variantSet(0)).contentHash, refsHash: refsHash(core.variantSet(0)) } satisfies VariantSetEntry);
        next = { ...next, set: Math.max(next.set ?? 1, 1) };
      }
      const fmt = core.dbMeta.get('format') as DepotMeta;
      if (fmt.version < DEPOT_FORMAT_VERSION) {
        // Format 2 kept the REF index's windows uncompressed (or, earlier,
        // in other layouts): indexed again from the stored sets, format 3.
        // A format 1 depot has no REF index but set 0's, just written.
        if (fmt.version === 2) rebuildRefs(core, core.setEntries());
        core.dbMeta.putSync('format', { ...fmt, version: DEPOT_FORMAT_VERSION });
      }
      for (const st of stagedSets) {
        if (!used.has(st)) continue;
        const id = next.set ?? 0;
        next = { ...next, set: id + 1 };
        let stored: number | undefined;
        // A set with the content of a stored one, or with its CHROM/POS/REF
        // (a fixed-site cohort's batches), has its REFs indexed already.
        const rh = refsHash(st.variantSet);
        if (st.bytes instanceof Uint8Array && !core.setEntries().some((e) => e.refsHash === rh)) core.indexRefs(st.variantSet, st.label);
        if (st.bytes instanceof Uint8Array) core.dbVariants.putSync(`set:${id}`, st.bytes);
        else {
          const same = st.bytes.sameAs;
          stored = typeof same === 'number' ? same : setIds.get(same);
          if (stored === undefined) {
            // Its twin was staged but not used: store the bytes here.
            stored = undefined;
            core.dbVariants.putSync(`set:${id}`, compressVariantSet(packVariantSet(st.variantSet), core.meta.level));
          } else if (!core.dbVariants.doesExist(`set:${stored}`) && !(stored === 0 && core.dbVariants.doesExist('set'))) {
            throw new InvalidArgumentError('variant set', `the stored set ${stored} these samples share was deleted (by a purge) after they were staged; add them again`);
          }
        }
        const bytes = st.bytes instanceof Uint8Array ? st.bytes.length : 0;
        core.dbVariants.putSync(`info:${id}`, { id, numVariants: st.variantSet.numVariants, declared: st.declared, addedAt: version, bytes, contentHash: st.contentHash, refsHash: rh, ...(stored !== undefined ? { stored } : {}) } satisfies VariantSetEntry);
        setIds.set(st, id);
        setsAdded.push(id);
      }
    }
    const batch = new Set<string>();
    for (const op of ops) {
      if (op.kind === 'put') {
        const setId = typeof op.set === 'number' ? op.set : setIds.get(op.set as StagedSet)!;
        if (typeof op.set === 'number' && op.samples.length > 0 && !core.setEntry(setId)) {
          throw new InvalidArgumentError('variant set', `${setId} was deleted (by a purge) after these samples were staged over it; add them again`);
        }
        for (const s of op.samples) {
          if (batch.has(s.sampleId)) throw new DuplicateSampleError(s.sampleId, core.path, true);
          batch.add(s.sampleId);
          if (core.liveSeq(s.sampleId, Infinity) !== undefined) throw new DuplicateSampleError(s.sampleId, core.path);
          const locs = where.get(s)!;
          const entry: SampleEntry = {
            sampleId: s.sampleId,
            addedAt: version,
            ploidy: s.ploidy,
            ...(setId !== 0 ? { variantSet: setId } : {}),
            chunks: locs.map((l) => chunkIds[l.chunk]!),
            offsets: locs.map((l) => l.offset),
            lengths: locs.map((l) => l.length),
            fields: s.fields,
            ...(s.referenceBlocks ? { referenceBlocks: { bytes: s.referenceBlocks.stored.length, rawBytes: s.referenceBlocks.rawBytes } } : {}),
          };
          const seq = next.seq;
          next = { ...next, seq: seq + 1 };
          core.dbEntries.putSync(seq, entry);
          if (s.referenceBlocks) core.dbRefBlocks.putSync(seq, s.referenceBlocks.stored);
          core.dbById.putSync([s.sampleId, seq], true);
          added.push(s.sampleId);
        }
      } else if (op.kind === 'remove') {
        for (const id of op.sampleIds) {
          const seq = core.liveSeq(id, Infinity);
          if (seq === undefined) throw new UnknownSampleError(id, core.path, `the head (version ${head})`);
          const entry = core.dbEntries.get(seq)!;
          core.dbEntries.putSync(seq, { ...entry, removedAt: version });
          removed.push(id);
        }
      } else {
        // A tag staged with other operations names the new version, with its own message only.
        putTag(core, op, version, time, undefined);
        tags.push(op.name);
      }
    }
    if (stager.stagingFiles.length > 0) {
      // Every check passed. A large transaction's chunks are already in
      // staging files (fdatasync'ed): they become the segment files after
      // the recorded one (replacing crash leftovers there), the directory
      // is fsync'ed, and only then the index records them.
      const seg = core.dbMeta.get('segment') as SegmentState;
      // An active file without chunks (a new depot's) is replaced, not left empty.
      const first = seg.end === FILE_HEADER_SIZE ? seg.file : seg.file + 1;
      stager.stagingFiles.forEach((f, k) => writer.rename(f, segmentPath(core.path, first + k)));
      chunks.forEach((c, i) => {
        core.dbChunks.putSync(chunkIds[i]!, { file: first + c.staged!.file, offset: c.staged!.offset, compressedLength: c.compressedLength, rawLength: c.rawLength, items: c.items });
      });
      const last = stager.stagingFiles.length - 1;
      core.dbMeta.putSync('segment', { file: first + last, end: stager.stagingEnds[last]! } satisfies SegmentState);
    } else if (chunks.length > 0) {
      // Every check passed: append at the recorded end (overwriting crash
      // leftovers), fdatasync, and only then record where the chunks are.
      let seg = core.dbMeta.get('segment') as SegmentState;
      const total = chunks.reduce((s, c) => s + c.bytes!.length, 0);
      if (seg.end + total > core.meta.segmentMaxBytes && seg.end > FILE_HEADER_SIZE) {
        const file = seg.file + 1;
        const next = segmentPath(core.path, file);
        // A file past the recorded one is a crash leftover: nothing references it.
        rmSync(next, { force: true });
        seg = { file, end: writer.create(next) };
      }
      const { offsets, end } = writer.appendChunks(segmentPath(core.path, seg.file), seg.end, chunks as EncodedChunk[]);
      chunks.forEach((c, i) => {
        core.dbChunks.putSync(chunkIds[i]!, { file: seg.file, offset: offsets[i]!, compressedLength: c.compressedLength, rawLength: c.rawLength, items: c.items });
      });
      core.dbMeta.putSync('segment', { file: seg.file, end } satisfies SegmentState);
    }
    core.dbMeta.putSync('next', next);
    core.dbMeta.putSync('head', version);
    const log: LogEntry = { version, time, operation, added, removed, tags, ...(message !== undefined ? { message } : {}), ...(setsAdded.length > 0 ? { variantSets: setsAdded } : {}) };
    core.dbLog.putSync(version, log);
    return { version, time, added, removed, tags };
  });
}

/**
 * Tags alone name the head: no new version. One write transaction puts each
 * tag and appends its name to the head's log entry (`tags`: the tags naming
 * that version, whether taken by its commit or later).
 */
function commitTags(core: DepotCore, ops: TagOp[], message: string | undefined): CommitInfo {
  const time = new Date().toISOString();
  return core.writeTxn('commit (tag)', () => {
    const head = core.checked('meta', 'head', core.dbMeta.get('head')) as number;
    const log = core.checked('log', head, core.dbLog.get(head));
    const tags: string[] = [];
    for (const op of ops) {
      putTag(core, op, head, time, message);
      tags.push(op.name);
    }
    core.dbLog.putSync(head, { ...log, tags: [...log.tags, ...tags] });
    return { version: head, time, added: [], removed: [], tags };
  });
}
