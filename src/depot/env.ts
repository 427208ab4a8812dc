/**
 * Opening the depot's LMDB env (lmdb-js), and which index file an open env
 * has: a purge replaces the file by a compacted copy (erase.ts), and every
 * open depot reopens when the file's identity changes (core.ts).
 *
 * lmdb-js's LMDB (dependencies/lmdb/libraries/liblmdb/mdb.c, `mdb_env_open2`)
 * stores, at every open of an env, the id of the newest meta page it read
 * into the lock file's last-transaction id (`mti_txnid`, which upstream LMDB
 * does only for an `MDB_PREVSNAPSHOT` open). It reads the meta pages without
 * any lock: a commit landing between that read and the store is undone in
 * the lock file, and the next write transaction, which starts from meta page
 * `mti_txnid & 1`, would overwrite that commit. {@link lastTxnIdStale}
 * detects this inside a write transaction and {@link republishLastTxnId}
 * repairs it (core.ts `writeTxn`).
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';

// lmdb-js through its CommonJS build (one pre-bundled file): loading it this
// way takes ~19 ms at start-up against ~31 ms for its ESM entry's module
// graph, a tenth of a one-shot command such as `vczdepot remove`.
const { open: openLmdb } = createRequire(import.meta.url)('lmdb') as typeof import('lmdb');
/** The lmdb-js entry a child process loads (the same build as ours). */
export const LMDB_ENTRY = createRequire(import.meta.url).resolve('lmdb');

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

/**
 * Inside a write transaction of `env` (holding the LMDB write lock, so no
 * commit is in flight): whether the transaction does not start from the
 * newest commit. LMDB starts a write transaction at the lock file's last
 * transaction id T (its id is T + 1, its state meta page `T & 1`); the
 * newest meta page of the data file (`mdb_env_info` `me_last_txnid`) must be
 * T. It is newer when another process's open stored an older id over T (see
 * the top of this file): committing would overwrite the newest commit.
 *
 * @returns `{ base: T, last }` when they differ; undefined when the transaction is sound.
 */
export function lastTxnIdStale(env: RootDatabase): { base: number; last: number } | undefined {
  const e = env as unknown as { getWriteTxnId(): number; env: { info(): { lastTxnId: number } } };
  const base = e.getWriteTxnId() - 1;
  const last = e.env.info().lastTxnId;
  return base === last ? undefined : { base, last };
}

/** Opens the env at argv[2] read-only and closes it: LMDB's open stores the newest meta page's id in the lock file. */
const PUBLISH_SCRIPT = `
const [entry, path] = process.argv.slice(1);
try {
  const env = require(entry).open({ path, readOnly: true, maxDbs: 16 });
  process.stdout.write(String(env.getStats().lastTxnId));
  env.close();
} catch (e) { process.stderr.write(String((e && e.message) || e)); process.exit(1); }
`;

/**
 * Repairs the lock file's last transaction id of the depot at `path` after
 * {@link lastTxnIdStale}: a child process opens the env, and LMDB's open
 * stores the newest meta page's id over the stale one.
 * Only while holding the write lock (inside a write transaction): then no
 * commit can land between the child's read of the meta pages and its store.
 * A child, because lmdb-js gives a process one LMDB env per data file (a
 * second open in this process reuses it and stores nothing), and an fd of
 * the lock file opened and closed here would drop this process's fcntl
 * locks on it.
 *
 * @returns the id the child stored.
 * @throws Error when the child fails.
 */
export function republishLastTxnId(path: string): number {
  const r = spawnSync(process.execPath, ['-e', PUBLISH_SCRIPT, LMDB_ENTRY, join(path, INDEX_FILE)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`the process re-reading the LMDB meta pages failed: ${r.stderr || r.error?.message || `exit ${r.status}, signal ${r.signal}`}`);
  return Number(r.stdout);
}
