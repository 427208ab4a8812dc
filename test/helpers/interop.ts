/**
 * Helpers for tests that call the interop tools: the Python venv made by
 * scripts/setup-interop.sh (vcf2zarr, vcztools, zarr, cyvcf2) and Debian's
 * bcftools/tabix. Tests must not skip when the tools are missing: they fail
 * with a message pointing at the setup script.
 */
import { spawn, spawnSync, type SpawnOptions, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding package.json). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of the venv made by scripts/setup-interop.sh. */
export const venvDir = join(repoRoot, '.venv');

/** Path of `.venv/bin/NAME` (e.g. `python`, `vcf2zarr`, `vcztools`); throws if absent. */
export function venvBin(name: string): string {
  const path = join(venvDir, 'bin', name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/setup-interop.sh (it creates .venv with the interop tools)`);
  }
  return path;
}

/** What `run` returns. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** Options of `run`: spawnSync's, plus `allowFailure` to return a non-zero status instead of throwing. */
export interface RunOptions extends Omit<SpawnSyncOptions, 'encoding'> {
  readonly allowFailure?: boolean;
}

/**
 * Runs `cmd args` synchronously (no shell) and returns its output as UTF-8
 * text. Throws a readable Error (command, status, stderr) when the command
 * cannot start or exits non-zero, unless `opts.allowFailure`.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const { allowFailure, ...spawnOpts } = opts;
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, ...spawnOpts, encoding: 'utf8' });
  const line = [cmd, ...args].map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  if (r.error) {
    const hint = (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? ' (not installed? run scripts/setup-interop.sh)' : '';
    throw new Error(`cannot run ${line}: ${r.error.message}${hint}`);
  }
  const result = { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status ?? -1 };
  if (result.status !== 0 && !allowFailure) {
    const how = r.signal ? `killed by ${r.signal}` : `exit status ${result.status}`;
    throw new Error(`${line} failed (${how}):\n${result.stderr.trim().split('\n').slice(-20).join('\n')}`);
  }
  return result;
}

/**
 * `run` without blocking: resolves with the output, rejects with the same
 * readable Error on a non-zero exit (unless `opts.allowFailure`).
 */
export function runAsync(
  cmd: string,
  args: readonly string[],
  opts: Omit<SpawnOptions, 'stdio'> & { readonly allowFailure?: boolean } = {},
): Promise<RunResult> {
  const { allowFailure, ...spawnOpts } = opts;
  const line = [cmd, ...args].map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      const hint = (e as NodeJS.ErrnoException).code === 'ENOENT' ? ' (not installed? run scripts/setup-interop.sh)' : '';
      reject(new Error(`cannot run ${line}: ${e.message}${hint}`));
    });
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status: code ?? -1 };
      if (result.status !== 0 && !allowFailure) {
        const how = signal ? `killed by ${signal}` : `exit status ${result.status}`;
        reject(new Error(`${line} failed (${how}):\n${result.stderr.trim().split('\n').slice(-20).join('\n')}`));
      } else resolvePromise(result);
    });
  });
}

/** Runs `bcftools view ARGS` and returns its stdout (throws on failure). */
export function bcftoolsView(args: readonly string[], opts: RunOptions = {}): string {
  return run('bcftools', ['view', ...args], opts).stdout;
}
