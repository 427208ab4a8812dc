/**
 * Shared pieces of the trust tests (test/trust) and of `npm run soak`:
 * bundling child scripts, caching the chr22 fixture for the children, a
 * scratch directory on a fast file system, and byte comparison of export
 * trees. (What children load lives in ./data.ts.)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { serialize } from 'node:v8';
import { buildSync } from 'esbuild';
import type { Chr22Data } from './data.ts';

export * from './data.ts';

export const REPO = join(import.meta.dirname, '..', '..');
/** Inside the repo so bundles' bare imports resolve to our node_modules. */
export const CACHE = join(REPO, 'node_modules', '.cache', 'vczdepot-test');
export const CHR22 = join(REPO, 'test', 'data', 'vcf', 'chr22.vcf.gz');

function renameOrDrop(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    rmSync(from, { force: true });
  }
}

/**
 * Bundles `entry` (a .ts child script) into one .mjs under CACHE so a child
 * starts in ~150 ms (no TypeScript loader per spawn). The file name carries
 * a hash of the bundled code, so concurrent runs share it safely.
 */
export function bundle(entry: string): string {
  mkdirSync(CACHE, { recursive: true });
  const r = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(CACHE, 'unused.mjs'),
    packages: 'external',
    logLevel: 'error',
    write: false,
  });
  const code = r.outputFiles[0]!.contents;
  const name = entry.replace(/^.*\//, '').replace(/\.ts$/, '');
  const out = join(CACHE, `${name}-${createHash('sha1').update(code).digest('hex').slice(0, 12)}.mjs`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameOrDrop(tmp, out); // atomic: a concurrent run sees the whole file or none
  }
  return out;
}

/**
 * Reads test/data/vcf/chr22.vcf.gz once (readInput) and caches it, split per
 * sample, as a v8-serialized file the children load in a few ms.
 */
export async function chr22DataFile(): Promise<string> {
  const out = join(CACHE, `chr22-calls-${statSync(CHR22).size}.v8`);
  if (existsSync(out)) return out;
  const { readInput } = await import('../../src/io/index.ts');
  const data = await readInput(CHR22);
  const payload: Chr22Data = { variantSet: data.variantSet, sampleIds: [...data.sampleIds], calls: data.sampleIds.map((_, i) => data.calls(i)) };
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, serialize(payload));
  renameOrDrop(tmp, out);
  return out;
}

/** A scratch directory on a fast file system: /dev/shm when usable (VCZDEPOT_TRUST_DIR overrides), else the OS tmpdir. */
export function scratchDir(prefix: string): string {
  const base = process.env.VCZDEPOT_TRUST_DIR ?? (isWritableDir('/dev/shm') ? '/dev/shm' : tmpdir());
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, prefix));
}

function isWritableDir(p: string): boolean {
  try {
    if (!statSync(p).isDirectory()) return false;
    const d = mkdtempSync(join(p, 'vczdepot-probe-'));
    rmSync(d, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** Every file of a tree, relative path → bytes. */
export function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (p: string) => {
    for (const f of readdirSync(p, { withFileTypes: true })) {
      const q = join(p, f.name);
      if (f.isDirectory()) walk(q);
      else out.set(relative(root, q), readFileSync(q));
    }
  };
  walk(root);
  return out;
}

/** Undefined when the two trees hold the same files with the same bytes, else the first difference. */
export function diffTrees(a: string, b: string): string | undefined {
  const ta = readTree(a);
  const tb = readTree(b);
  for (const [k, v] of ta) {
    const w = tb.get(k);
    if (!w) return `${k} missing from ${b}`;
    if (!v.equals(w)) return `${k} differs (${v.length} vs ${w.length} bytes)`;
  }
  for (const k of tb.keys()) if (!ta.has(k)) return `${k} missing from ${a}`;
  return undefined;
}
