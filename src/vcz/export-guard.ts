/**
 * Export safety: where an export may write, and how a failed export leaves
 * nothing behind.
 *
 * - `out` that does not exist, an empty directory, or a VCZ store vczdepot
 *   made (a directory or .zip whose root attributes say `source:
 *   vczdepot...`) may be (re)written;
 * - anything else (a non-empty directory, a file) is refused with an
 *   {@link ExportTargetError}, unless `force`;
 * - the export is written beside `out` under a temporary name and moved into
 *   place only after it succeeded, replacing the old `out` (so a failed
 *   export never touches an existing `out`, and a half-written store never
 *   appears at `out`);
 * - after a failed export every temporary file or directory it left (the
 *   exporter's own `<path>.tmp-*` included) is removed, and the error comes
 *   back as an {@link ExportWriteError} naming the output, the file and the
 *   step (e.g. ENOSPC while writing a chunk).
 *
 * Usage:
 *   const target = prepareExportTarget(out, { force });
 *   try { await exportVcz(source, target.path, options); } catch (err) { throw target.fail(err); }
 *   target.commit();
 * or `await guardedExport(out, { force }, (path) => exportVcz(source, path, options))`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { areaGuard, type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';

/** Codes of the export-guard errors. */
export type ExportGuardErrorCode = (ExportTargetError | ExportWriteError | ExportPartitionError)['code'];

/** Base class of the export-guard errors (in the vczdepot error family, src/errors.ts). */
export abstract class ExportGuardError extends VczdepotError {}

/** `out` holds something an export must not overwrite (without `force`), or cannot be prepared. */
export class ExportTargetError extends ExportGuardError {
  readonly code = 'export-target' as const;
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot export to ${path}: ${reason}`);
  }
}

/** An export failed while writing (out of space, a file-size limit, I/O); nothing was left behind and `out` is unchanged. */
export class ExportWriteError extends ExportGuardError {
  readonly code = 'export-write' as const;
  /**
   * @param path The export's output path.
   * @param file The file being written when it failed, when known.
   * @param step What failed, e.g. `write` or `mkdir` (Node's syscall), or the error's own name.
   * @param errno Node's error code (ENOSPC, EFBIG, ...), when there is one.
   */
  constructor(readonly path: string, readonly file: string | undefined, readonly step: string, readonly errno: string | undefined, options: { cause: unknown }) {
    const c = options.cause as Error & { code?: string };
    super(
      `export to ${path} failed${file ? ` writing ${file}` : ''} (${step}${errno ? `, ${errno}` : ''}): ${c?.message ?? String(c)}` +
        (errno === 'ENOSPC' || errno === 'EFBIG' || errno === 'EDQUOT' ? '; free disk space (or raise the file-size limit) and retry' : '') +
        `; ${path} was left as it was`,
      options,
    );
  }
}

/**
 * A partitioned export (./export-parts.ts) cannot go on: its work directory
 * was started with other options or another version, or (at `--finalise`)
 * partitions are missing or incomplete (`missing`, 0-based indices) — rerun
 * them; OUT is left as it was.
 */
export class ExportPartitionError extends ExportGuardError {
  readonly code = 'export-partition' as const;
  /**
   * @param path The export's output path.
   * @param reason What is wrong and what to do.
   * @param missing The partitions missing or incomplete (0-based), if that is the problem.
   */
  constructor(readonly path: string, readonly reason: string, readonly missing: readonly number[] = []) {
    super(`partitioned export to ${path}: ${reason}`);
  }
}

nameErrors({ ExportTargetError, ExportWriteError, ExportPartitionError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<ExportTargetError | ExportWriteError | ExportPartitionError> {}
}

/** True when `err` is an export-guard error (with the given code, if one is given); `isVczdepotError` for these classes. */
export const isExportGuardError = areaGuard<ExportTargetError | ExportWriteError | ExportPartitionError>(ExportGuardError);

/** A prepared export target: export to `path`, then `commit()`, or `fail(err)`. */
export interface ExportTarget {
  /** The final output path (absolute). */
  readonly out: string;
  /** Where to run the export: a fresh sibling of `out` ending in its name (so `.zip` stays visible). */
  readonly path: string;
  /** What `out` held: nothing, an empty directory, a vczdepot store, or something else (only with force). */
  readonly replaces: 'nothing' | 'empty-directory' | 'vczdepot-store' | 'forced';
  /** After a successful export: moves `path` to `out`, replacing (and then deleting) what `out` held. */
  commit(): void;
  /** After a failed export: removes everything the export left, keeps `out`, returns the error to throw (typed). */
  fail(err: unknown): Error;
}

/**
 * Checks that an export may write `out` and picks the temporary path to
 * export to.
 *
 * @throws ExportTargetError when `out` is a non-empty directory or a file
 *   that is not a VCZ store vczdepot made (unless `force`), or its parent
 *   directory does not exist.
 */
export function prepareExportTarget(out: string, options: { force?: boolean } = {}): ExportTarget {
  const abs = resolve(out);
  const parent = dirname(abs);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new ExportTargetError(abs, `the parent directory ${parent} does not exist`);
  let replaces: ExportTarget['replaces'] = 'nothing';
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (st) {
    if (st.isDirectory() && readdirSync(abs).length === 0) replaces = 'empty-directory';
    else if (isVczdepotStore(abs)) replaces = 'vczdepot-store';
    else if (options.force) replaces = 'forced';
    else {
      const what = st.isDirectory() ? 'a non-empty directory that is not a VCZ store made by vczdepot' : st.isFile() ? 'a file that is not a .vcz.zip made by vczdepot' : 'neither a directory nor a file';
      throw new ExportTargetError(abs, `it is ${what}; choose another path, or pass --force (force: true) to replace it`);
    }
  }
  removeStaleTemporaries(parent, basename(abs));
  // The temporary name carries this process's pid and host, so that the next
  // export to the same `out` can tell (and remove) what a killed export left.
  const tag = `${process.pid}@${hostname()}-${randomBytes(6).toString('hex')}`;
  const path = join(parent, `.vczdepot-new-${tag}-${basename(abs)}`);
  const before = new Set(readdirSync(parent));
  const leftovers = (): string[] =>
    readdirSync(parent)
      .filter((f) => !before.has(f) && (f === basename(path) || f.startsWith(`${basename(path)}.`)))
      .map((f) => join(parent, f));
  return {
    out: abs,
    path,
    replaces,
    commit() {
      if (!existsSync(path)) throw new ExportTargetError(abs, `the export did not produce ${path}`);
      if (replaces === 'nothing') {
        if (existsSync(abs)) throw new ExportTargetError(abs, 'it appeared while exporting; not overwriting it');
        renameSync(path, abs);
        return;
      }
      const old = join(parent, `.vczdepot-old-${tag}-${basename(abs)}`);
      renameSync(abs, old);
      try {
        renameSync(path, abs);
      } catch (err) {
        renameSync(old, abs); // put the old output back
        throw err;
      }
      rmSync(old, { recursive: true, force: true });
    },
    fail(err: unknown): Error {
      for (const p of leftovers()) rmSync(p, { recursive: true, force: true });
      if (err instanceof ExportGuardError) return err;
      const e = err as NodeJS.ErrnoException | undefined;
      if (e && !(err instanceof VczdepotError) && typeof e.code === 'string' && (e.syscall !== undefined || e.path !== undefined)) {
        return new ExportWriteError(abs, e.path, e.syscall ?? 'write', e.code, { cause: err });
      }
      // The exporter's own typed errors (invalid options, source errors) pass through.
      return err instanceof Error ? err : new Error(String(err));
    },
  };
}

/**
 * Removes what exports to `parent/name` killed before they could clean up
 * (SIGKILL, power loss) left behind: `.vczdepot-new-<pid>@<host>-<hex>-<name>`
 * (and the exporter's `….tmp-*` beside it) whose process, on this host, is
 * gone; and `.vczdepot-old-…-<name>` copies of a replaced store when `name`
 * itself exists. Temporaries of live exports, and of other hosts (a shared
 * filesystem), are left alone.
 */
export function removeStaleTemporaries(parent: string, name: string): string[] {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\.vczdepot-(new|old)-(\\d+)@(.+)-[0-9a-f]{12}-${esc}(?:\\..*)?$`);
  const host = hostname();
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return removed;
  }
  for (const f of entries) {
    const m = re.exec(f);
    if (!m || m[3] !== host) continue;
    const stale = m[1] === 'new' ? !processAlive(Number(m[2])) : existsSync(join(parent, name)) && !processAlive(Number(m[2]));
    if (!stale) continue;
    rmSync(join(parent, f), { recursive: true, force: true });
    removed.push(join(parent, f));
  }
  return removed;
}

/** True when process `pid` exists on this host (this process counts; EPERM means it exists under another user). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `run(target.path)` between {@link prepareExportTarget} and commit / fail. */
export async function guardedExport<T>(out: string, options: { force?: boolean }, run: (path: string) => Promise<T>): Promise<T> {
  const target = prepareExportTarget(out, options);
  let result: T;
  try {
    result = await run(target.path);
  } catch (err) {
    throw target.fail(err);
  }
  try {
    target.commit();
  } catch (err) {
    throw target.fail(err);
  }
  return result;
}

// ------------------------------------------------------------ recognising our stores

function isOurAttributes(text: string, v3: boolean): boolean {
  try {
    const j = JSON.parse(text) as Record<string, any>;
    const attrs = v3 ? j.attributes : j;
    return typeof attrs?.source === 'string' && attrs.source.startsWith('vczdepot') && attrs.vcf_zarr_version !== undefined;
  } catch {
    return false;
  }
}

/** True when `p` is a VCZ store (directory or stored .zip) whose root attributes name vczdepot as its source. */
export function isVczdepotStore(p: string): boolean {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return false;
  if (st.isDirectory()) {
    const v2 = join(p, '.zattrs');
    const v3 = join(p, 'zarr.json');
    if (existsSync(v2)) return isOurAttributes(readFileSync(v2, 'utf8'), false);
    if (existsSync(v3)) return isOurAttributes(readFileSync(v3, 'utf8'), true);
    return false;
  }
  if (!st.isFile()) return false;
  try {
    for (const name of ['.zattrs', 'zarr.json']) {
      const text = readStoredZipEntry(p, name, st.size);
      if (text !== undefined) return isOurAttributes(text, name === 'zarr.json');
    }
  } catch {
    /* not a zip we can read: not ours */
  }
  return false;
}

/** The text of a stored (uncompressed) entry of a zip, found through its central directory; undefined when absent. */
function readStoredZipEntry(file: string, entry: string, size: number): string | undefined {
  const fd = openSync(file, 'r');
  try {
    const read = (pos: number, len: number): Buffer => {
      const b = Buffer.alloc(len);
      const n = readSync(fd, b, 0, len, pos);
      return b.subarray(0, n);
    };
    const tailLen = Math.min(size, 22 + 65_535);
    const tail = read(size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return undefined;
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset + cdSize > size || cdSize > 64 << 20) return undefined;
    const cd = read(cdOffset, cdSize);
    for (let i = 0, pos = 0; i < count && pos + 46 <= cd.length; i++) {
      if (cd.readUInt32LE(pos) !== 0x02014b50) return undefined;
      const method = cd.readUInt16LE(pos + 10);
      const csize = cd.readUInt32LE(pos + 20);
      const nameLen = cd.readUInt16LE(pos + 28);
      const extraLen = cd.readUInt16LE(pos + 30);
      const commentLen = cd.readUInt16LE(pos + 32);
      const local = cd.readUInt32LE(pos + 42);
      const name = cd.subarray(pos + 46, pos + 46 + nameLen).toString('utf8');
      if (name === entry) {
        if (method !== 0 || csize > 16 << 20) return undefined;
        const lh = read(local, 30);
        if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) return undefined;
        return read(local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28), csize).toString('utf8');
      }
      pos += 46 + nameLen + extraLen + commentLen;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
