/**
 * Adding the samples of files to a depot: one transaction for all files (all
 * or nothing). Each file's variant set is stored with its samples (or a
 * stored set with the same sites is reused: DepotTransaction.addVariantSet);
 * a version's variant set is the merge of its samples' sets
 * (docs/growing-cohort.md).
 *
 * VCF files are streamed: read one variant block at a time
 * (`readVcfWindows`) and staged block-major (`putBlocks`), so memory holds
 * one block of calls and the staged chunks spill to staging files; a VCF of
 * any size imports in bounded memory. VCZ stores are read whole.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { blockCount, maxAlleles } from '../codec/index.ts';
import type { VariantSet } from '../codec/index.ts';
import { Depot, type BlockWriter, type CommitInfo, type CreateOptions, type DepotTransaction, type VariantSetRef } from '../depot/index.ts';
import type { VcfCallShape, VcfWarning } from '../vcf/index.ts';
import { gvcfImport, isVczPath, readGvcf, readGvcfVariants, readGvcfWindows, readInput, readVcf, readVcfVariants, readVcfWindows, type ImportedCalls } from './input.ts';
import { encodeReferenceBlocks, sniffGvcf } from '../vcf/index.ts';
import { checkSameVariants, checkVariantRange } from './match.ts';
import { MergeUnsortedError, checkSorted } from '../merge/index.ts';
import { readVcz } from '../vcz/index.ts';
import { isS3Url, withS3Inputs } from './s3.ts';

/** One imported file. */
export interface ImportedFile {
  readonly file: string;
  readonly data: ImportedCalls;
}

/**
 * Adds every sample of `inputs` (files already read whole) in one durable
 * transaction, each file's samples over its own variant set.
 *
 * @throws DuplicateSampleError; RecordValidationError; the merge errors
 *   (MergeUnsortedError, MergeRefMismatchError) when a file's sites cannot
 *   be merged with the depot's. On any error the depot is unchanged.
 */
export function addSamplesFromFiles(
  depot: Depot,
  inputs: readonly ImportedFile[],
  options: { message?: string; progress?: { update: (done: number, total: number) => void } } = {},
): CommitInfo {
  const total = inputs.reduce((s, i) => s + i.data.sampleIds.length, 0);
  const txn = depot.begin();
  const refs: StagedRef[] = [];
  try {
    let done = 0;
    for (const { file, data } of inputs) {
      const ref = txn.addVariantSet(data.variantSet, { label: file });
      refs.push({ ref, file });
      txn.putMany(
        Array.from(data.sampleIds, (sampleId, i) => {
          options.progress?.update(++done, total);
          return { sampleId, calls: data.calls(i), ...(data.referenceBlocks ? { referenceBlocks: data.referenceBlocks(i) } : {}) };
        }),
        ref,
      );
    }
    return commitMerged(txn, options.message, refs);
  } catch (err) {
    txn.abort();
    throw err;
  }
}

/**
 * Commits `txn` once each new variant set is known to be sorted as a
 * tabix-indexed file must be (bcftools merge needs it; MergeUnsortedError
 * naming the file otherwise). The commit itself checks every new REF against
 * the depot's (ReferenceMismatchError naming the file): together what
 * `bcftools merge` would exit on, found before anything is written, at a
 * cost proportional to the new files, not to the cohort.
 */
function commitMerged(txn: ReturnType<Depot['begin']>, message: string | undefined, refs: readonly StagedRef[]): CommitInfo {
  for (const r of refs) {
    if (typeof r.ref === 'number') continue;
    try {
      checkSorted(r.ref.variantSet);
    } catch (err) {
      if (err instanceof MergeUnsortedError) throw new MergeUnsortedError(0, err.variantIndex, err.variantLabel, err.reason, r.file);
      throw err;
    }
  }
  return txn.commit(message !== undefined ? { message } : {});
}

/** A variant set staged by an import, and the file it came from. */
interface StagedRef {
  readonly ref: VariantSetRef;
  readonly file: string;
}

/** Options of {@link addFiles} and {@link createFromFile}. */
export interface AddFilesOptions {
  /** Log message of the commit. */
  readonly message?: string;
  /** Progress: bytes of the input files read so far (as on disk) and their total. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Cancels the import: checked before each file and each variant block; the
   * call then rejects with the signal's reason (an AbortError by default),
   * nothing is committed and the staging files are deleted.
   */
  readonly signal?: AbortSignal;
  /**
   * VCFs of at least this many bytes (on disk) are streamed block by block;
   * smaller ones are read whole, which is faster for a few samples (a
   * one-sample append: ~30 ms of ~0.28 s) and holds at most a few hundred
   * MB. Default 4 MiB; 0 streams every VCF.
   */
  readonly streamFromBytes?: number;
  /**
   * Called with each warning of the VCF readers (an undeclared FILTER key,
   * read as bcftools reads it), once per warning even when a file is read
   * more than once. The CLI prints them as `vczdepot: warning: ...`.
   */
  readonly onWarning?: (warning: VcfWarning) => void;
  /**
   * Threads that parse a streamed VCF's or BCF's sample columns: this one
   * and `threads` − 1 worker threads (docs/scale.md, "Import on every
   * core"). Default: the machine's available parallelism
   * (`os.availableParallelism()`). The depot is byte for byte the same for
   * any value. gVCFs, VCFs read whole (below `streamFromBytes`) and VCZ
   * stores are read on one thread.
   */
  readonly threads?: number;
  /** @internal Variant sets of files already read (createFromFile's first pass), by path. */
  readonly knownVariantSets?: ReadonlyMap<string, VariantSet>;
}

/** `onWarning` passing each distinct warning (by message) on once, or undefined without one. */
function onceEach(onWarning: ((w: VcfWarning) => void) | undefined): ((w: VcfWarning) => void) | undefined {
  if (!onWarning) return undefined;
  const seen = new Set<string>();
  return (w) => {
    if (seen.has(w.message)) return;
    seen.add(w.message);
    onWarning(w);
  };
}

/** Default {@link AddFilesOptions.streamFromBytes}: 4 MiB. */
const STREAM_FROM_BYTES = 4 * 1024 * 1024;

/** What {@link addFiles} did. */
export interface AddFilesResult extends CommitInfo {
  /** Samples added from each file, in argument order. */
  readonly files: { readonly file: string; readonly samples: number }[];
  /** VCF files read a second time because their calls' shape grew after the first block (see readVcfWindows). */
  readonly reread: readonly string[];
  /** Variant blocks whose sample columns a worker thread parsed (`threads`; 0 with one thread). */
  readonly workerWindows: number;
}

/**
 * Adds every sample of `files` — VCF (plain or bgzipped), BCF (streamed like
 * a VCF), or VCZ (a
 * directory or a .zip) — to `depot` in one durable transaction: all files or
 * none. VCFs (from `streamFromBytes`, 4 MiB, on) are streamed block by
 * block: memory holds about one variant block of calls (blockSize × samples
 * × values) and 64 MiB of compressed chunks, whatever the file's size. A
 * streamed VCF whose calls widen after its first block (a later call of
 * higher ploidy, more values of a Number=. field) is read twice (`reread`).
 *
 * @throws VariantSetMismatchError (first differing variant, both sides;
 *   found as soon as the block holding it is read) when a file's variants are
 *   not exactly the depot's; the VCF and VCZ readers' typed errors (file and
 *   line); DuplicateSampleError; RecordValidationError; an Error when a file
 *   does not exist. On any error the depot is unchanged.
 */
export async function addFiles(depot: Depot, files: readonly string[], options: AddFilesOptions = {}): Promise<AddFilesResult> {
  if (files.some(isS3Url)) {
    return withS3Inputs(files, options.signal, async (local, toInput) => {
      const r = await addFiles(depot, local, options);
      return { ...r, files: r.files.map((f) => ({ ...f, file: toInput(f.file) })), reread: r.reread.map(toInput) };
    });
  }
  for (const f of files) if (!existsSync(f)) throw new Error(`${f} does not exist`);
  const sizes = files.map((f) => (isVczPath(f) ? 0 : statSync(f).size));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const shapes = new Map<number, VcfCallShape>();
  /** Whether each VCF is a gVCF (sniffed once, kept across a restart). */
  const gvcfs = new Map<string, boolean>();
  const onWarning = onceEach(options.onWarning);
  const warn = onWarning ? { onWarning } : {};
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer >= 1, got ${threads}`);
  for (;;) {
    let workerWindows = 0;
    const txn = depot.begin();
    const refs: StagedRef[] = [];
    try {
      const counts: number[] = [];
      let restart = false;
      let before = 0;
      for (let k = 0; k < files.length && !restart; k++) {
        const file = files[k]!;
        options.signal?.throwIfAborted();
        const known = options.knownVariantSets?.get(file);
        const vcz = isVczPath(file);
        // A gVCF: its variant records go in as a VCF's, each sample's reference blocks with it.
        const gvcf = !vcz && (gvcfs.get(file) ?? (await sniffGvcf(file)));
        gvcfs.set(file, gvcf);
        let streamSet: VariantSet | undefined;
        if (!vcz && sizes[k]! >= (options.streamFromBytes ?? STREAM_FROM_BYTES)) {
          // A large VCF is read twice: once for its variant set, then streamed block by block over it.
          const readVariants = gvcf ? readGvcfVariants : readVcfVariants;
          const v = known ? { variantSet: known, infoNeedsCalls: false } : await readVariants(file, { ...(options.signal ? { signal: options.signal } : {}), ...warn });
          if (!v.infoNeedsCalls) streamSet = v.variantSet;
        }
        if (!streamSet) {
          const data: ImportedCalls = vcz ? await readVcz(file) : gvcf ? gvcfImport(await readGvcf(file, warn)) : await readVcf(file, warn);
          if (data.sampleIds.length > 0) {
            const ref = txn.addVariantSet(data.variantSet, { label: file });
            refs.push({ ref, file });
            txn.putMany(Array.from(data.sampleIds, (sampleId, i) => ({ sampleId, calls: data.calls(i), ...(data.referenceBlocks ? { referenceBlocks: data.referenceBlocks(i) } : {}) })), ref);
          }
          counts.push(data.sampleIds.length);
          before += sizes[k]!;
          options.onProgress?.(before, totalBytes);
          continue;
        }
        const r = await stageVcf(streamSet, depot.meta.blockSize, txn, refs, file, gvcf, shapes.get(k), (n) => options.onProgress?.(before + n, totalBytes), options.signal, onWarning, threads);
        before += sizes[k]!;
        workerWindows += r.workerWindows;
        if (r.restartShape) {
          shapes.set(k, r.restartShape);
          restart = true;
        }
        counts.push(r.samples);
      }
      if (restart) {
        txn.abort();
        continue;
      }
      options.signal?.throwIfAborted();
      const commit = commitMerged(txn, options.message, refs);
      return { ...commit, files: files.map((file, k) => ({ file, samples: counts[k]! })), reread: [...shapes.keys()].map((k) => files[k]!), workerWindows };
    } catch (err) {
      txn.abort();
      throw err;
    }
  }
}

/**
 * Stages the samples of one VCF into `txn` block by block. Returns the
 * sample count, or the file's final shape when the staged blocks are not
 * valid and the file must be read again with it. A gVCF (`gvcf`) is read
 * with readGvcfWindows: its variant records stream as a VCF's, and each
 * sample's reference blocks (held whole, ~24 bytes a block) are given to
 * the writer at the end.
 */
async function stageVcf(
  vs: VariantSet,
  blockSize: number,
  txn: DepotTransaction,
  refs: StagedRef[],
  file: string,
  gvcf: boolean,
  shape: VcfCallShape | undefined,
  onBytes: (bytesRead: number) => void,
  signal: AbortSignal | undefined,
  onWarning: ((w: VcfWarning) => void) | undefined,
  threads: number,
): Promise<{ samples: number; restartShape?: VcfCallShape; workerWindows: number }> {
  const nBlocks = blockCount(vs.numVariants, blockSize);
  let ref: VariantSetRef | undefined;
  let writer: BlockWriter | undefined;
  const r = await (gvcf ? readGvcfWindows : readVcfWindows)(file, {
    windowSize: blockSize,
    maxAlleles: maxAlleles(vs),
    ...(shape ? { shape } : {}),
    ...(onWarning ? { onWarning } : {}),
    // A gVCF's reader splits its records itself and parses on this thread.
    ...(gvcf ? {} : { threads }),
    onProgress: (n) => onBytes(n),
    onWindow: (w) => {
      signal?.throwIfAborted();
      // The file is read a second time: it must hold the variants the first read found.
      checkVariantRange(vs, w.start, w.variants, file);
      if (w.sampleIds.length === 0 || w.index >= nBlocks || w.end !== Math.min(vs.numVariants, (w.index + 1) * blockSize)) return;
      if (!ref) refs.push({ ref: (ref = txn.addVariantSet(vs, { label: file })), file });
      writer ??= txn.putBlocks(w.sampleIds, ref);
      writer.add((i) => w.calls(i));
    },
  });
  checkSameVariants(vs, r.variantSet, file);
  const workerWindows = r.window.workerWindows ?? 0;
  if (r.window.restartNeeded) return { samples: r.sampleIds.length, restartShape: r.window.shape, workerWindows };
  if (!writer && r.sampleIds.length > 0) {
    // No variants: nothing to stream (and no block to tell the ploidy).
    const o = onWarning ? { onWarning } : {};
    const data: ImportedCalls = gvcf ? gvcfImport(await readGvcf(file, o)) : await readVcf(file, o);
    const r0 = txn.addVariantSet(data.variantSet, { label: file });
    refs.push({ ref: r0, file });
    txn.putMany(Array.from(data.sampleIds, (sampleId, i) => ({ sampleId, calls: data.calls(i), ...(data.referenceBlocks ? { referenceBlocks: data.referenceBlocks(i) } : {}) })), r0);
  } else if (writer && 'referenceBlocks' in r) {
    const g = r as Awaited<ReturnType<typeof readGvcfWindows>>;
    for (let i = 0; i < g.sampleIds.length; i++) writer.setReferenceBlocks(i, encodeReferenceBlocks(g.referenceBlocks(i)));
  }
  return { samples: r.sampleIds.length, workerWindows };
}

/**
 * Creates a depot at `path` with the variant set of `file` (VCF, BCF or VCZ) and,
 * unless `samples` is false, its samples: `Depot.create` then
 * {@link addFiles} (version 1). A VCF from `streamFromBytes` (4 MiB) on is
 * read twice, once for its variants and once streaming its calls, so memory
 * stays bounded; smaller VCFs, a VCF with an INFO field of Number=G (whose
 * width depends on the calls) and VCZ stores are read whole. On any error (a cancellation through
 * `signal` included) the new depot is removed.
 *
 * @returns the open depot (the caller closes it) and the samples' commit, if any.
 * @throws the errors of Depot.create, the readers and addFiles.
 */
export async function createFromFile(
  path: string,
  file: string,
  options: CreateOptions & AddFilesOptions & { readonly samples?: boolean } = {},
): Promise<{ depot: Depot; commit: AddFilesResult | CommitInfo | undefined; sampleCount: number }> {
  if (isS3Url(file)) return withS3Inputs([file], options.signal, ([local]) => createFromFile(path, local!, options));
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  const withSamples = options.samples ?? true;
  const message = options.message;
  const onWarning = onceEach(options.onWarning);
  if (!isVczPath(file) && statSync(file).size >= (options.streamFromBytes ?? STREAM_FROM_BYTES)) {
    const readVariants = (await sniffGvcf(file)) ? readGvcfVariants : readVcfVariants;
    const v = await readVariants(file, { ...(options.signal ? { signal: options.signal } : {}), ...(onWarning ? { onWarning } : {}) });
    if (!v.infoNeedsCalls) {
      // Sites without samples are declared (part of every version); a file's samples bring their own.
      if (!withSamples || v.sampleIds.length === 0) return { depot: Depot.create(path, v.variantSet, options), commit: undefined, sampleCount: 0 };
      const depot = Depot.create(path, undefined, options);
      try {
        const commit = await addFiles(depot, [file], {
          knownVariantSets: new Map([[file, v.variantSet]]),
          ...(options.streamFromBytes !== undefined ? { streamFromBytes: options.streamFromBytes } : {}),
          ...(options.threads !== undefined ? { threads: options.threads } : {}),
          ...(message !== undefined ? { message } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(onWarning ? { onWarning } : {}),
        });
        return { depot, commit, sampleCount: v.sampleIds.length };
      } catch (err) {
        depot.close();
        rmSync(path, { recursive: true, force: true });
        throw err;
      }
    }
  }
  // Read whole: a VCZ store, a small VCF, or a VCF whose INFO widths depend on its calls.
  const data = await readInput(file, onWarning ? { onWarning } : {});
  if (!withSamples || data.sampleIds.length === 0) return { depot: Depot.create(path, data.variantSet, options), commit: undefined, sampleCount: 0 };
  const depot = Depot.create(path, undefined, options);
  try {
    const commit = addSamplesFromFiles(depot, [{ file, data }], message !== undefined ? { message } : {});
    return { depot, commit, sampleCount: data.sampleIds.length };
  } catch (err) {
    depot.close();
    rmSync(path, { recursive: true, force: true });
    throw err;
  }
}
