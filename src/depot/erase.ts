/**
 * Erasure that leaves nothing (purge's last steps) and the auditor's check.
 *
 * LMDB is copy-on-write: the pages a purge's commit replaced (the sample's
 * index entry, its `by_id` key, the log entries that listed it) stay in the
 * index file as free pages until reused, and a deleted key can stay behind in
 * a live page (a branch page's separator key, the unused middle of a page).
 * {@link scrubIndex} therefore replaces the index file by a compacted copy
 * (`mdb_env_copy2` with `MDB_CP_COMPACT`: live pages only, each copied
 * without its unused bytes, no free pages) after the purge rebuilt `by_id`
 * from scratch (fresh separator keys). The swap holds the LMDB write lock:
 * docs/trust.md ("Erasure") says why it is safe for other processes.
 *
 * {@link findTraces} scans every file under a depot, byte by byte, for ids:
 * raw (the UTF-8 bytes, which is also how msgpack strings and lmdb-js keys
 * hold them) and inside every zstd frame it can find (the records hold ids).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { CHUNK_DIR, INDEX_FILE, fileSize, segmentPath, type DepotCore } from './core.ts';
import { processAlive, sweepStagingFiles } from './chunks.ts';
import type { ChunkEntry, SegmentState } from './layout.ts';

/** Prefix of the compacted copy of the index while it is written: `index.mdb.erase-<pid>-<time>-<host>.tmp`. */
const COPY_PREFIX = `${INDEX_FILE}.erase-`;

/** What {@link scrubIndex} did. */
export interface ScrubResult {
  /** Index file bytes before and after (the copy holds live pages only). */
  readonly indexBytesBefore: number;
  readonly indexBytesAfter: number;
  /** Files deleted: leftovers of killed processes (staging files, copies) and segment files no chunk references. */
  readonly filesDeleted: readonly string[];
  readonly seconds: number;
}

/**
 * Deletes what killed processes left in the depot that may hold erased
 * bytes: staging files of dead processes of this host (chunks/.staging-*),
 * compacted index copies of dead purges (index.mdb.erase-*.tmp with their
 * `-lock`). Returns the names deleted, relative to the depot.
 */
export function sweepLeftovers(root: string): string[] {
  const gone = sweepStagingFiles(join(root, CHUNK_DIR)).map((n) => `${CHUNK_DIR}/${n}`);
  const host = hostname();
  for (const name of readdirSync(root)) {
    if (!name.startsWith(COPY_PREFIX)) continue;
    const [pid, , ...h] = name.slice(COPY_PREFIX.length).replace(/\.tmp(-lock)?$/, '').split('-');
    if (h.join('-') !== host || Number(pid) === process.pid || (Number(pid) > 0 && processAlive(Number(pid)))) continue;
    rmSync(join(root, name), { force: true });
    gone.push(name);
  }
  return gone;
}

/** The lmdb-js entry the copying child process loads (the same build as ours). */
const LMDB_ENTRY = createRequire(import.meta.url).resolve('lmdb');

/**
 * A child process opens the env read-only, writes a compacted copy
 * (`backup(dest, true)`: mdb_env_copy2 with MDB_CP_COMPACT, one read
 * transaction), opens the copy and prints both last transaction ids. A child,
 * because lmdb-js copies only asynchronously and the caller holds the write
 * lock in a synchronous transaction.
 */
const COPY_SCRIPT = `
const [entry, src, dest] = process.argv.slice(1);
const { open } = require(entry);
(async () => {
  const env = open({ path: src, readOnly: true, maxDbs: 16 });
  const source = env.getStats().lastTxnId;
  await env.backup(dest, true);
  await env.close();
  const copy = open({ path: dest, readOnly: true, maxDbs: 16 });
  const copied = copy.getStats().lastTxnId;
  await copy.close();
  process.stdout.write(JSON.stringify({ source, copied }));
})().catch((e) => { process.stderr.write(String((e && e.message) || e)); process.exit(1); });
`;

/** fsyncs the file or directory at `path`. */
function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the depot's index file by a compacted copy of it, so that no free
 * page and no unused page space of the old file survives in the depot; and
 * deletes segment files no chunk references (a purge killed after its commit
 * leaves its old files) and leftovers of dead processes ({@link sweepLeftovers}).
 *
 * Protocol (inside one LMDB write transaction, so no commit lands meanwhile):
 * 1. LMDB's last transaction id T must be odd: the lock file keeps T, and
 *    readers take meta page T & 1, while a compacted copy holds its state in
 *    meta page 1 with id T | 1; an even T gets one empty commit first.
 * 2. A child process writes the copy to `index.mdb.erase-…tmp`; its id must be T.
 * 3. fsync the copy, rename it over `index.mdb`, fsync the directory.
 * The transaction writes nothing (the old env must not change), and the core
 * reopens on the new file. Other processes' cores see a new index file
 * identity before their next read or inside their next write transaction and
 * reopen (core.ts). A kill leaves either the old file or the new one (rename
 * is atomic), plus perhaps a copy that the next purge deletes.
 *
 * @throws DepotIOError when the copy fails or is not the state of T; nothing is replaced.
 */
export function scrubIndex(core: DepotCore): ScrubResult {
  const t0 = performance.now();
  const indexPath = join(core.path, INDEX_FILE);
  const filesDeleted = sweepLeftovers(core.path);
  const indexBytesBefore = fileSize(indexPath);
  let done = false;
  for (let attempt = 0; !done; attempt++) {
    core.writeTxn('purge (replace the index by a compacted copy)', () => {
      // Segment files no chunk references (not the active one): bytes of a rewrite that a kill kept from deletion.
      const referenced = new Set<number>([(core.dbMeta.get('segment') as SegmentState).file]);
      for (const { value } of core.dbChunks.getRange({})) referenced.add((value as ChunkEntry).file);
      const unreferenced = core.segmentFiles().filter((f) => !referenced.has(f));
      core.deleteFiles(unreferenced);
      filesDeleted.push(...unreferenced.map((f) => relative(core.path, segmentPath(core.path, f))));
      const last = (core.env.getStats() as { lastTxnId: number }).lastTxnId;
      if (last % 2 === 0) {
        if (attempt > 3) throw new Error(`LMDB transaction id stays even (${last})`);
        core.dbMeta.putSync('head', core.dbMeta.get('head')); // one empty commit: the id becomes odd
        return;
      }
      const tmp = join(core.path, `${COPY_PREFIX}${process.pid}-${Date.now()}-${hostname()}.tmp`);
      try {
        const r = spawnSync(process.execPath, ['-e', COPY_SCRIPT, LMDB_ENTRY, indexPath, tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        if (r.status !== 0) throw new Error(`the copying process failed: ${r.stderr || r.error?.message || `exit ${r.status}, signal ${r.signal}`}`);
        const ids = JSON.parse(r.stdout) as { source: number; copied: number };
        if (ids.source !== last || ids.copied !== last) throw new Error(`the copy is of transaction ${ids.copied} (source ${ids.source}), expected ${last}`);
        rmSync(`${tmp}-lock`, { force: true });
        fsyncPath(tmp);
        renameSync(tmp, indexPath);
        fsyncPath(core.path);
      } catch (err) {
        rmSync(tmp, { force: true });
        rmSync(`${tmp}-lock`, { force: true });
        throw err;
      }
      done = true;
    });
  }
  core.reopen();
  return { indexBytesBefore, indexBytesAfter: fileSize(indexPath), filesDeleted, seconds: (performance.now() - t0) / 1000 };
}

// ------------------------------------------------------------------ traces
