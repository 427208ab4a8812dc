/**
 * Opening the depot's LMDB env (lmdb-js), and which index file an open env
 * has: a purge replaces the file by a compacted copy (erase.ts), and every
 * open depot reopens when the file's identity changes (core.ts).
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';

// lmdb-js through its CommonJS build (one pre-bundled file): loading it this
// way takes ~19 ms at start-up against ~31 ms for its ESM entry's module
// graph, a tenth of a one-shot command such as `vczdepot remove`.
const { open: openLmdb } = createRequire(import.meta.url)('lmdb') as typeof import('lmdb');

/** The LMDB data file in the depot directory (its lock file is `index.mdb-lock`). */
export const INDEX_FILE = 'index.mdb';

/** Opens (or, writable, creates) the LMDB env of the depot directory `path`. */
export function openEnv(path: string, readOnly: boolean): RootDatabase {
  return openLmdb({
    path: join(path, INDEX_FILE),
    maxDbs: 16,
    readOnly,
    // Durable commits: LMDB syncs inside the commit, so a returned write is on disk.
    overlappingSync: false,
    noSync: false,
    encoding: 'msgpack',
  });
}

/**
 * The identity (`dev:ino`) of the index file of the depot at `path`, or
 * undefined when there is none. A purge replaces the file (a compacted copy,
 * erase.ts): a new identity tells every open depot to reopen its env.
 */
export function indexIdentity(path: string): string | undefined {
  const st = statSync(join(path, INDEX_FILE), { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}` : undefined;
}

/**
 * Opens the env of the depot at `path` and says which index file it opened:
 * the identity read before and after the open agree (else the file was
 * swapped meanwhile, and the open is retried).
 *
 * @throws Error when the index file is missing or keeps changing (20 swaps in a row).
 */
export function openCurrentEnv(path: string, readOnly: boolean): { env: RootDatabase; identity: string } {
  for (let attempt = 0; ; attempt++) {
    const before = indexIdentity(path);
    if (before === undefined) throw new Error(`${join(path, INDEX_FILE)} does not exist`);
    const env = openEnv(path, readOnly);
    const after = indexIdentity(path);
    if (before === after) return { env, identity: after };
    void env.close();
    if (attempt >= 20) throw new Error(`${join(path, INDEX_FILE)} was replaced 20 times while being opened`);
  }
}
