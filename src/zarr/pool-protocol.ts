/**
 * The messages between the main thread's encoder pool (./pool.ts) and an
 * encoder worker thread (./encode-worker.ts), and how an error crosses
 * between them: structured clone keeps an Error's message but not its
 * class, so the worker flattens it ({@link flattenError}) and the pool
 * rebuilds the same class with the same fields ({@link rebuildError}).
 */
import type { ChunkCodec } from './chunk-encoder.ts';
import { BloscFrameError, CodecUnavailableError, ZarrSpecError, ZarrStateError } from './errors.ts';

/** One chunk to encode: its raw bytes (transferred to the worker) and codec. */
export interface EncodeJob {
  readonly id: number;
  readonly raw: Uint8Array;
  readonly codec: ChunkCodec;
}

/** An error as it crosses threads: its class name, message and typed fields. */
export interface FlatError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly reason?: string;
  readonly array?: string;
  readonly path?: string;
  readonly cause?: string;
}

/**
 * A worker's answer: the encoded chunk (transferred), or the error encoding
 * threw; and the job's raw buffer handed back (transferred) for reuse.
 */
export type EncodeResult = ({ readonly id: number; readonly out: Uint8Array } | { readonly id: number; readonly error: FlatError }) & { readonly raw?: Uint8Array };

/** The class name, message and typed fields of `err` (any thrown value). */
export function flattenError(err: unknown): FlatError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { code?: unknown; reason?: unknown; array?: unknown; path?: unknown };
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const cause = e.cause instanceof Error ? e.cause.message : e.cause !== undefined ? String(e.cause) : undefined;
  const flat: { -readonly [K in keyof FlatError]: FlatError[K] } = { name: e.name, message: e.message };
  for (const [k, v] of [['code', str(e.code)], ['reason', str(e.reason)], ['array', str(e.array)], ['path', str(e.path)], ['cause', cause]] as const) if (v !== undefined) flat[k] = v;
  return flat;
}

/**
 * The error `flat` describes, as the class the main thread would have thrown
 * encoding the chunk itself: the Zarr writer's typed errors (same code and
 * fields), RangeError and TypeError (same message); anything else becomes a
 * ZarrStateError of the store at `storePath` naming the worker's error.
 */
export function rebuildError(flat: FlatError, storePath: string): Error {
  const cause = flat.cause !== undefined ? { cause: new Error(flat.cause) } : undefined;
  switch (flat.code) {
    case 'codec-unavailable':
      return new CodecUnavailableError(cause);
    case 'blosc-frame':
      return new BloscFrameError(flat.reason ?? flat.message, cause);
    case 'zarr-spec':
      return new ZarrSpecError(flat.array ?? '', flat.reason ?? flat.message, cause);
    case 'zarr-state':
      return new ZarrStateError(flat.path ?? storePath, flat.reason ?? flat.message, cause);
  }
  if (flat.name === 'RangeError') return new RangeError(flat.message, cause);
  if (flat.name === 'TypeError') return new TypeError(flat.message, cause);
  return new ZarrStateError(storePath, `a chunk encoder worker thread failed: ${flat.name}: ${flat.message}`, cause);
}
