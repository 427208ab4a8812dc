/**
 * Errors of the depot layer, in the vczdepot error family (src/errors.ts).
 * Each carries a literal `code` and typed fields; `isVczdepotError(err,
 * code)` (or `isDepotError(err, code)`) narrows them. Every failed write
 * leaves the depot exactly as it was (the LMDB transaction is rolled back).
 */
import { areaGuard, type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';

/** Codes of the depot errors. */
export type DepotErrorCode = AnyDepotError['code'];
/** @deprecated The old name of {@link DepotErrorCode}. */
export type DepotErrorTag = DepotErrorCode;

/** Base class of every depot error. */
export abstract class DepotError extends VczdepotError {}

/** A sample id that is already live in the head (or given twice in one batch). */
export class DuplicateSampleError extends DepotError {
  readonly code = 'duplicate-sample' as const;
  constructor(readonly sampleId: string, readonly depot: string, readonly inBatch = false) {
    super(
      inBatch
        ? `sample '${sampleId}' appears twice in one batch; each sample may be added once`
        : `sample '${sampleId}' is already in depot ${depot}; remove it first (vczdepot remove) or use another id`,
    );
  }
}

/** A sample id that is not live at the version asked for. */
export class UnknownSampleError extends DepotError {
  readonly code = 'unknown-sample' as const;
  constructor(readonly sampleId: string, readonly depot: string, readonly at: string) {
    super(`sample '${sampleId}' is not in depot ${depot} at ${at}; list samples with \`vczdepot samples\``);
  }
}

/** A tag name that does not exist. */
export class UnknownTagError extends DepotError {
  readonly code = 'unknown-tag' as const;
  constructor(readonly tagName: string, readonly depot: string, readonly known: readonly string[]) {
    super(`tag '${tagName}' does not exist in depot ${depot}; known tags: ${known.length ? known.join(', ') : 'none'}`);
  }
}

/** A tag name that was used before: tags are immutable and never reused. */
export class TagExistsError extends DepotError {
  readonly code = 'tag-exists' as const;
  constructor(readonly tagName: string, readonly depot: string, readonly version: number) {
    super(`tag '${tagName}' already names version ${version} of depot ${depot}; tags are immutable, choose another name`);
  }
}

/** A version number outside 0..head. */
export class UnknownVersionError extends DepotError {
  readonly code = 'unknown-version' as const;
  constructor(readonly version: number, readonly head: number, readonly depot: string) {
    super(`version ${version} does not exist in depot ${depot} (versions are 0..${head})`);
  }
}

/**
 * An all-digit `at` string (`--at 3`) that names both a version and a tag of
 * that name. New tags cannot be all digits (`InvalidArgumentError`); a depot
 * made before that rule may hold one. Neither is picked: pass the version as
 * a number (the API) or the tag's version number (`tagVersion`).
 */
export class AmbiguousAtError extends DepotError {
  readonly code = 'ambiguous-at' as const;
  constructor(readonly at: string, readonly version: number, readonly tagVersion: number, readonly depot: string) {
    super(
      `'${at}' is ambiguous in depot ${depot}: it is version ${version}, and also tag '${at}' (which names version ${tagVersion}), ` +
        `taken before all-digit tag names were refused; ask for version ${tagVersion} to read the tag's samples`,
    );
  }
}

/** `Depot.create` on a path that already holds something. */
export class DepotExistsError extends DepotError {
  readonly code = 'depot-exists' as const;
  constructor(readonly path: string) {
    super(`${path} already exists and is not empty; choose a new directory for the depot`);
  }
}

/** `Depot.open` on a path that does not exist. */
export class DepotNotFoundError extends DepotError {
  readonly code = 'depot-not-found' as const;
  constructor(readonly path: string) {
    super(`${path} does not exist; check the path, or make a depot there with \`vczdepot create\``);
  }
}

/** `Depot.open` on a path that is not a depot. */
export class NotADepotError extends DepotError {
  readonly code = 'not-a-depot' as const;
  constructor(readonly path: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`${path} is not a vczdepot depot: ${reason}`, options);
  }
}

/** A depot written by a newer (or unknown older) format version. */
export class DepotVersionError extends DepotError {
  readonly code = 'depot-version' as const;
  constructor(readonly path: string, readonly found: number, readonly supported: number) {
    super(
      `depot ${path} has format version ${found}; this vczdepot reads version ${supported}` +
        (found > supported ? ': upgrade vczdepot' : ''),
    );
  }
}

/** A write on a depot opened read-only. */
export class ReadOnlyError extends DepotError {
  readonly code = 'read-only' as const;
  constructor(readonly path: string, readonly operation: string) {
    super(`cannot ${operation}: depot ${path} was opened read-only`);
  }
}

/** LMDB or file-system failure, with the step and the original error as `cause`. */
export class DepotIOError extends DepotError {
  readonly code = 'depot-io' as const;
  constructor(readonly path: string, readonly step: string, options: { cause: unknown }) {
    super(`depot ${path}: ${step} failed: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
  }
}

/**
 * The LMDB index holds a value that is not what the depot wrote (damaged or
 * edited): a sample entry, chunk entry, tag, log entry or counter of the
 * wrong shape, or an entry pointing at a record of another sample. Nothing
 * is returned from it; run `vczdepot verify` for the full list.
 */
export class IndexCorruptionError extends DepotError {
  readonly code = 'index-corrupt' as const;
  constructor(readonly path: string, readonly what: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`depot ${path}: the index is damaged: ${what}: ${reason}; run \`vczdepot verify\` and restore the depot from a backup`, options);
  }
}

/** A bad argument to a depot method (e.g. a block index out of range). */
export class InvalidArgumentError extends DepotError {
  readonly code = 'invalid-argument' as const;
  constructor(readonly argument: string, reason: string) {
    super(`invalid ${argument}: ${reason}`);
  }
}

/** One place a sample id's bytes were found in a depot's files ({@link findTraces}). */
export interface Trace {
  readonly sampleId: string;
  /** Path relative to the depot directory (e.g. `index.mdb`, `chunks/000003.vczc`). */
  readonly file: string;
  /** Byte offset in the file: of the id itself, or of the chunk header whose decompressed payload holds it. */
  readonly offset: number;
  /** `raw`: the id's UTF-8 bytes are in the file; `chunk`: in the decompressed zstd frame of the chunk at `offset`, at `chunkOffset`. */
  readonly where: 'raw' | 'chunk';
  readonly chunkOffset?: number;
}

/**
 * Bytes of an erased sample id remain in a depot's files (`vczdepot verify
 * --erased`): the erasure is incomplete. `traces` says where.
 */
export class ErasureIncompleteError extends DepotError {
  readonly code = 'erasure-incomplete' as const;
  constructor(readonly path: string, readonly traces: readonly Trace[]) {
    const shown = traces.slice(0, 5).map((t) => `'${t.sampleId}' in ${t.file} at byte ${t.offset}${t.where === 'chunk' ? ` (chunk, decompressed byte ${t.chunkOffset})` : ''}`);
    super(
      `depot ${path}: ${traces.length} trace(s) of erased sample ids remain: ${shown.join('; ')}${traces.length > 5 ? '; ...' : ''}; ` +
        'if the id is still a sample, purge it (vczdepot purge); if a purge was interrupted, finish it (vczdepot purge --finish)',
    );
  }
}

/**
 * A file's REF at a CHROM:POS disagrees with the REF the depot holds there
 * (neither is a prefix of the other: the file was called against another
 * reference, or is not normalised). `bcftools merge` exits on such records
 * ("The REF prefixes differ") when it joins them; the depot refuses the
 * import before anything is written, whichever records would join.
 */
export class ReferenceMismatchError extends DepotError {
  readonly code = 'reference-mismatch' as const;
  constructor(
    /** The file (or what the importer named the variant set by). */
    readonly file: string,
    readonly contig: string,
    /** 1-based POS. */
    readonly position: number,
    readonly ref: string,
    /** The REF the depot holds there (the longest seen). */
    readonly depotRef: string,
  ) {
    super(
      `${file}: ${contig}:${position} has REF ${ref}, but the depot holds ${depotRef} there (bcftools merge: "The REF prefixes differ"); ` +
        'the file was called against another reference or is not normalised: check it with bcftools norm -c and import it again; nothing was written',
    );
  }
}

/** Every depot error class. */
type AnyDepotError =
  | DuplicateSampleError | UnknownSampleError | UnknownTagError | TagExistsError | UnknownVersionError | AmbiguousAtError | DepotExistsError
  | DepotNotFoundError | NotADepotError | DepotVersionError | ReadOnlyError | DepotIOError | IndexCorruptionError | InvalidArgumentError | ErasureIncompleteError | ReferenceMismatchError;

nameErrors({ DuplicateSampleError, UnknownSampleError, UnknownTagError, TagExistsError, UnknownVersionError, AmbiguousAtError, DepotExistsError, DepotNotFoundError, NotADepotError, DepotVersionError, ReadOnlyError, DepotIOError, IndexCorruptionError, InvalidArgumentError, ErasureIncompleteError, ReferenceMismatchError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnyDepotError> {}
}

/** True when `err` is a depot error (with the given code, if one is given); `isVczdepotError` for the depot's classes. */
export const isDepotError = areaGuard<AnyDepotError>(DepotError);
