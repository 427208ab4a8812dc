/**
 * Measuring child processes for the peer benchmarks: wall time (hrtime around
 * the child), CPU time (user + sys of the child and the children it waited
 * for) and peak RSS (the largest process's max RSS) from GNU time
 * (`/usr/bin/time -f`), plus small helpers (medians, directory sizes, copies).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One measured run of a child process. */
export interface Run {
  /** Wall seconds. */
  wall: number;
  /** User CPU seconds (child and its waited-for descendants). */
  user: number;
  /** System CPU seconds. */
  sys: number;
  /** user + sys. */
  cpu: number;
  /** Peak resident set of the largest process, MB (10^6 bytes). */
  rssMB: number;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where the child's stdout goes (default /dev/null). */
  stdoutFile?: string;
}

const scratch = mkdtempSync(join(tmpdir(), 'vczdepot-measure-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

export class ChildFailed extends Error {}

/** Runs `cmd` once under GNU time; throws ChildFailed (with stderr's tail) on a non-zero exit. */
export function measure(cmd: readonly string[], opts: MeasureOptions = {}): Run {
  const timeFile = join(scratch, 'time.txt');
  const errFile = join(scratch, 'stderr.txt');
  const out = openSync(opts.stdoutFile ?? '/dev/null', 'w');
  const err = openSync(errFile, 'w');
  let wall: number;
  let status: number | null;
  try {
    const t = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, ...cmd], {
      stdio: ['ignore', out, err],
      env: opts.env ?? process.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    wall = Number(process.hrtime.bigint() - t) / 1e9;
    status = r.status;
    if (r.error) throw r.error;
  } finally {
    closeSync(out);
    closeSync(err);
  }
  if (status !== 0) {
    const tail = readFileSync(errFile, 'utf8').trim().split('\n').slice(-15).join('\n');
    throw new ChildFailed(`${cmd.join(' ')} exited ${status}:\n${tail}`);
  }
  // GNU time may print "Command exited with non-zero status" first; the figures are the last line.
  const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!;
  const [user, sys, maxKB] = last.split(/\s+/).map(Number) as [number, number, number];
  return { wall, user, sys, cpu: user + sys, rssMB: (maxKB * 1024) / 1e6 };
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Field-wise medians of runs. */
export function medianRun(runs: readonly Run[]): Run {
  return {
    wall: median(runs.map((r) => r.wall)),
    user: median(runs.map((r) => r.user)),
    sys: median(runs.map((r) => r.sys)),
    cpu: median(runs.map((r) => r.cpu)),
    rssMB: median(runs.map((r) => r.rssMB)),
  };
}

/** Apparent size of a file or of all files under a directory, bytes. */
export function pathBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) total += pathBytes(join(p, e.name));
  return total;
}

/** Number of files under a directory (or 1 for a file). */
export function fileCount(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return 1;
  let n = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) n += fileCount(join(p, e.name));
  return n;
}

/** `cp -a src dst` after removing dst. */
export function copyTree(src: string, dst: string): void {
  rmSync(dst, { recursive: true, force: true });
  execFileSync('cp', ['-a', src, dst]);
}

/**
 * Flushes dirty pages (untimed), so a timed durable commit does not pay for
 * writing back files that a preparation step just copied.
 */
export function syncAll(): void {
  execFileSync('sync');
}

/** The first line a command prints, or 'unknown'. */
export function versionOf(cmd: string, args: readonly string[]): string {
  if (!existsSync(cmd) && cmd.includes('/')) return 'unknown';
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return text.split('\n').filter(Boolean).pop() ?? 'unknown';
}
