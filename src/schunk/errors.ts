/**
 * Errors of the chunk file layer, in the vczdepot error family
 * (src/errors.ts). Each class carries a literal `code` and typed fields;
 * `isVczdepotError(err, code)` (or `isSchunkError(err, code)`) narrows them.
 * Errors raised by `node:fs` or the zstd codec are kept in `cause`.
 */
import { areaGuard, type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';

/** Codes of the chunk file errors. */
export type SchunkErrorCode = AnySchunkError['code'];
/** @deprecated The old name of {@link SchunkErrorCode}. */
export type SchunkErrorTag = SchunkErrorCode;

/**
 * Names a chunk in messages: the depot's chunk id, or its 0-based position
 * in a file when scanning. Undefined when the caller does not know it.
 */
export type ChunkRef = number | string;

/** Where a chunk lives: a segment file and the byte offset of its 24-byte header. */
export interface ChunkLocation {
  readonly file: string;
  /** Byte offset of the chunk header from the start of the file. */
  readonly offset: number;
  readonly chunk?: ChunkRef | undefined;
}

/** Base class of every error thrown by `src/schunk`. */
export abstract class SchunkError extends VczdepotError {}

/** Why a chunk was judged corrupt. */
export type ChunkCorruptionReason =
  | 'bad chunk magic'
  | 'header checksum mismatch'
  | 'unsupported chunk flags'
  | 'raw length too large'
  | 'compressed length too large'
  | 'raw length mismatch'
  | 'compressed length mismatch'
  | 'checksum mismatch'
  | 'frame content size mismatch'
  | 'bad zstd frame'
  | 'bad offset'
  | 'truncated';

const VERIFY_HINT = 'run `vczdepot verify` on the depot to list damaged chunks, then restore the file from a backup';

/**
 * A chunk's bytes do not check out: a header or payload checksum fails, a
 * length disagrees with the index or the zstd frame, or the file ends inside
 * the chunk. Never returned as data: a corrupt chunk always throws.
 */
export class ChunkCorruptionError extends SchunkError {
  readonly code = 'chunk-corrupt' as const;
  /** Segment file path. */
  readonly file: string;
  /** Byte offset of the chunk header in `file`. */
  readonly offset: number;
  /** The chunk id or index, if the caller knows it. */
  readonly chunk: ChunkRef | undefined;
  readonly reason: ChunkCorruptionReason;
  /** Offending values, e.g. "expected 4194304 bytes, found 17". */
  readonly detail: string | undefined;

  constructor(where: ChunkLocation, reason: ChunkCorruptionReason, detail?: string, options?: { cause?: unknown }) {
    const chunk = where.chunk !== undefined ? `chunk ${String(where.chunk)} ` : 'chunk ';
    super(
      `${chunk}at byte offset ${where.offset} of '${where.file}' is corrupt: ${reason}` +
        `${detail !== undefined ? ` (${detail})` : ''}; ${VERIFY_HINT}`,
      options,
    );
    this.file = where.file;
    this.offset = where.offset;
    this.chunk = where.chunk;
    this.reason = reason;
    this.detail = detail;
  }
}

/**
 * A segment file was written by a format version this build cannot read:
 * `direction` says whether it is older than the oldest supported version or
 * newer than this build.
 */
export class ChunkFileVersionError extends SchunkError {
  readonly code = 'file-version' as const;
  readonly file: string;
  /** Format version found in the file header. */
  readonly found: number;
  /** Format version this build writes (and the newest it reads). */
  readonly expected: number;
  readonly direction: 'too-old' | 'too-new';

  constructor(file: string, found: number, expected: number, direction: 'too-old' | 'too-new') {
    const what =
      direction === 'too-new'
        ? `it was written by a newer vczdepot; upgrade vczdepot to read it`
        : `it is older than any version this build reads; open it with the vczdepot release that wrote it and export, or restore it from a backup`;
    super(`segment file '${file}' has format version ${found}, this build reads version ${expected}: ${what}`);
    this.file = file;
    this.found = found;
    this.expected = expected;
    this.direction = direction;
  }
}

/** Why a segment file header was rejected. */
export type FileHeaderReason = 'short header' | 'bad magic' | 'bad file type' | 'bad compression';

/**
 * A file is not a vczdepot chunk segment: it is shorter than the 16-byte
 * header, its magic bytes differ from "VCZDSEG\0", or its file type or
 * compression byte is unknown.
 */
export class ChunkFileHeaderError extends SchunkError {
  readonly code = 'file-header' as const;
  readonly file: string;
  readonly reason: FileHeaderReason;
  /** The offending bytes or value, as text. */
  readonly found: string;

  constructor(file: string, reason: FileHeaderReason, found: string) {
    super(
      `'${file}' is not a vczdepot chunk segment file: ${reason} (found ${found}); ` +
        `check that the depot directory is intact and ${VERIFY_HINT}`,
    );
    this.file = file;
    this.reason = reason;
    this.found = found;
  }
}

/** The file-system step that failed. */
export type ChunkIOStep = 'open' | 'create' | 'stat' | 'read' | 'write' | 'fsync' | 'close' | 'rename';

/**
 * A file-system call on a segment file failed (permissions, disk full, I/O
 * error, missing file). The `node:fs` error is in `cause`; its `code`
 * (ENOENT, ENOSPC, EIO...) is copied to `errno`.
 */
export class ChunkIOError extends SchunkError {
  readonly code = 'chunk-io' as const;
  readonly file: string;
  /** Byte offset of the read or write, when there is one. */
  readonly offset: number | undefined;
  readonly step: ChunkIOStep;
  /** The system error code of `cause` (Node's `err.code`), e.g. 'ENOSPC'. */
  readonly errno: string | undefined;

  constructor(file: string, step: ChunkIOStep, offset: number | undefined, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const codeText = typeof code === 'string' ? code : undefined;
    const msg = cause instanceof Error ? cause.message : String(cause);
    const at = offset !== undefined ? ` at byte offset ${offset}` : '';
    super(
      `${step} of segment file '${file}'${at} failed: ${msg}; ` +
        `check the path, permissions and free disk space, then retry`,
      { cause },
    );
    this.file = file;
    this.offset = offset;
    this.step = step;
    this.errno = codeText;
  }
}

/**
 * The native zstd codec (zstd-napi) could not be loaded, and an operation
 * needs it: compressing (writing chunks) has no pure-JS fallback. The load
 * error is in `cause`.
 */
export class ZstdUnavailableError extends SchunkError {
  readonly code = 'zstd-unavailable' as const;
  readonly operation: 'compress';

  constructor(operation: 'compress', options?: { cause?: unknown }) {
    super(
      `cannot ${operation}: the native zstd codec (zstd-napi) is not loaded and is required to write chunks; ` +
        `reinstall dependencies (npm ci) on this platform so zstd-napi builds, then retry`,
      options,
    );
    this.operation = operation;
  }
}

/** Every chunk file error class. */
type AnySchunkError = ChunkCorruptionError | ChunkFileVersionError | ChunkFileHeaderError | ChunkIOError | ZstdUnavailableError;

nameErrors({ ChunkCorruptionError, ChunkFileVersionError, ChunkFileHeaderError, ChunkIOError, ZstdUnavailableError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<AnySchunkError> {}
}

/** True when `err` is a chunk-layer error (with the given code, if one is given); `isVczdepotError` for the chunk layer's classes. */
export const isSchunkError = areaGuard<AnySchunkError>(SchunkError);
