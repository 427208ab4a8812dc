/**
 * File descriptors of segment files, shared by the reader and the writer:
 * the one wrapper that turns a failed system call into a ChunkIOError, and a
 * small LRU of open descriptors (a depot reads and appends a few files again
 * and again; opening one checks its file header once).
 */
import { closeSync } from 'node:fs';
import { ChunkIOError } from './errors.ts';

/** Runs one system call on `file`; a throw becomes a ChunkIOError naming the file, step and offset (cause kept). */
export function io<T>(file: string, step: ChunkIOError['step'], offset: number | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new ChunkIOError(file, step, offset, err);
  }
}

/** An LRU of open descriptors, at most `maxOpen` (≥ 1); the least recently used is closed first. */
export class FdCache {
  readonly #fds = new Map<string, number>();
  readonly #maxOpen: number;
  /** Opens `path` and checks its file header; closes the descriptor itself when the check throws. */
  readonly #open: (path: string) => number;

  constructor(maxOpen: number, open: (path: string) => number) {
    this.#maxOpen = Math.max(1, maxOpen);
    this.#open = open;
  }

  /** The descriptor of `path`, opened (and its header checked) on first use. */
  get(path: string): number {
    const cached = this.#fds.get(path);
    if (cached !== undefined) {
      this.#fds.delete(path);
      this.#fds.set(path, cached);
      return cached;
    }
    const fd = this.#open(path);
    this.remember(path, fd);
    return fd;
  }

  /** Keeps `fd` as the descriptor of `path` (closing another one it replaces), evicting beyond `maxOpen`. */
  remember(path: string, fd: number): void {
    const old = this.#fds.get(path);
    if (old !== undefined && old !== fd) closeSync(old);
    this.#fds.delete(path);
    this.#fds.set(path, fd);
    while (this.#fds.size > this.#maxOpen) {
      const [p, f] = this.#fds.entries().next().value as [string, number];
      this.#fds.delete(p);
      closeSync(f);
    }
  }

  /** Closes the descriptor of `path`, if one is open. */
  close(path: string): void {
    const fd = this.#fds.get(path);
    if (fd === undefined) return;
    this.#fds.delete(path);
    io(path, 'close', undefined, () => closeSync(fd));
  }

  /** Closes every descriptor; the cache can be used again afterwards. */
  closeAll(): void {
    for (const path of [...this.#fds.keys()]) this.close(path);
  }
}

/** Opens `path` with `flags` and runs `check(fd)` (a header check); the descriptor is closed when the check throws. */
export function openChecked(path: string, flags: string, openSync: (p: string, f: string) => number, check: (fd: number) => void): number {
  const fd = io(path, 'open', undefined, () => openSync(path, flags));
  try {
    check(fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}
